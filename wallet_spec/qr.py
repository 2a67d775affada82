"""The QR transport: a presentation packed into a short, scanner-safe string.

    text    = "CK1:" base45( raw-deflate( body, preset dictionary v1 ) )
    body    = flags(1) field(jwt header) field(jwt payload) field(jwt signature)
              varint(n) n*field(disclosure)
              [ field(kb header) field(kb payload) field(kb signature) ]   if flags & 1
    field   = varint(length) bytes          (varint: LEB128, shortest form only)

Every part of a compact SD-JWT is base64url; the body carries the decoded bytes,
and decoding re-encodes them, so the text that comes out is byte-for-byte the
presentation that went in (signatures and `sd_hash` still verify). The payload
alphabet, Base45 (RFC 9285), is exactly QR's alphanumeric mode, which packs
5.5 bits a character and which keyboard-wedge scanners type without loss.
The preset dictionary holds the profile's fixed strings (claim names, header
values, JSON punctuation), so they cost a few bits each.

Decoding is strict and bounded: the text length is checked before Base45, the
inflated size is capped while inflating, and any malformed, non-canonical or
trailing byte is a `FormatError`. A plain compact SD-JWT is accepted as it is.
"""

from __future__ import annotations

import zlib

import base45

from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.errors import FormatError, TooLarge
from wallet_spec.sdjwt import DEFAULT_LIMITS

PREFIX = "CK1:"
MAX_QR_CHARS = 4_296
"""The most alphanumeric characters any QR code holds (version 40, level L)."""
MAX_BODY = DEFAULT_LIMITS.max_length
"""Inflated bytes accepted: never more than the longest compact SD-JWT we accept."""

_HAS_KB = 0x01

DICTIONARY_V1 = (
    # Read from the end: the most common strings sit last, where distances are shortest.
    b'"given_name","family_name","birthdate","address",{"street_address","locality","postal_code"'
    b'"urn:citykey:id:1""urn:citykey:identity:1""urn:citykey:residency:1"'
    b'"age_over_13",true]"age_over_16",true]"age_over_18",true]"age_over_21",true]'
    b'"age_over_55",true]"age_over_62",true]"age_over_65",true]false]"resident_of","'
    b'{"typ":"kb+jwt","alg":"ES256"}{"alg":"ES256","typ":"kb+jwt"}{"iat":17'
    b',"aud":"https://","nonce":"","sd_hash":"'
    b'{"alg":"ES256","typ":"dc+sd-jwt","kid":"'
    b'"],"iss":"https://","iat":17,"exp":18,"vct":"urn:citykey:'
    b',"status":{"status_list":{"idx":,"uri":"https:///statuslists/'
    b'"}},"_sd_alg":"sha-256","cnf":{"jwk":{"kty":"EC","crv":"P-256","x":"","y":"'
    b'"}}}{"_sd":["","'
)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(data: bytes) -> bytes:
    return _varint(len(data)) + data


def _jws_parts(token: str, what: str) -> list[bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise FormatError(f"{what} is not a compact JWS")
    return [b64url_decode(p, what=what) for p in parts]


def encode(presentation: str) -> str:
    """Pack a compact SD-JWT(+KB) for a QR code; the inverse of `decode`."""
    pieces = presentation.split("~")
    if len(pieces) < 2:
        raise FormatError("not a compact SD-JWT")
    jwt, disclosures, kb = pieces[0], pieces[1:-1], pieces[-1]
    body = bytearray([_HAS_KB if kb else 0])
    for part in _jws_parts(jwt, "issuer-signed JWT"):
        body += _field(part)
    body += _varint(len(disclosures))
    for disclosure in disclosures:
        body += _field(b64url_decode(disclosure, what="disclosure"))
    if kb:
        for part in _jws_parts(kb, "KB-JWT"):
            body += _field(part)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_V1)
    packed = deflater.compress(bytes(body)) + deflater.flush()
    encoded: bytes = base45.b45encode(packed)
    return PREFIX + encoded.decode("ascii")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise FormatError("QR payload is truncated")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self) -> int:
        value, shift = 0, 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise FormatError("QR payload has a non-canonical length")
                return value
            shift += 7
            if shift > 21:
                raise FormatError("QR payload has an impossible length")

    def field(self) -> bytes:
        length = self.varint()
        if length > len(self.data) - self.pos:
            raise FormatError("QR payload is truncated")
        self.pos += length
        return self.data[self.pos - length : self.pos]

    def jws(self) -> str:
        return ".".join(b64url_encode(self.field()) for _ in range(3))


def decode(text: str) -> str:
    """The compact presentation in a scanned QR text; plain compact SD-JWTs pass through."""
    text = text.strip()
    if not text.startswith(PREFIX):
        if text[:1] == "e" or "~" in text:  # a plain compact SD-JWT (its header starts with `ey`)
            return text
        raise FormatError("not a citykey QR code (no CK1: prefix) nor a compact SD-JWT")
    if len(text) > MAX_QR_CHARS:
        raise TooLarge(f"QR text is longer than {MAX_QR_CHARS} characters")
    try:
        packed = base45.b45decode(text[len(PREFIX) :])
    except ValueError:
        raise FormatError("QR text is not Base45") from None
    inflater = zlib.decompressobj(-15, zdict=DICTIONARY_V1)
    try:
        body = inflater.decompress(packed, MAX_BODY)
    except zlib.error:
        raise FormatError("QR payload is not deflate data") from None
    if inflater.unconsumed_tail:
        raise TooLarge(f"QR payload inflates beyond {MAX_BODY} bytes")
    if not inflater.eof or inflater.unused_data:
        raise FormatError("QR payload is truncated or has trailing data")
    reader = _Reader(body)
    flags = reader.byte()
    if flags & ~_HAS_KB:
        raise FormatError("QR payload has unknown flags")
    jwt = reader.jws()
    count = reader.varint()
    if count > DEFAULT_LIMITS.max_disclosures:
        raise TooLarge("QR payload has too many disclosures")
    disclosures = [b64url_encode(reader.field()) for _ in range(count)]
    kb = reader.jws() if flags & _HAS_KB else ""
    if reader.pos != len(body):
        raise FormatError("QR payload has trailing bytes")
    return "~".join([jwt, *disclosures, kb])
