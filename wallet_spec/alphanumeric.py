"""QR alphanumeric text for binary bodies: a prefix, then Base45 (RFC 9285) of raw deflate.

Shared by the presentation codec (`wallet_spec.qr`), presentation requests
(`wallet_spec.request`) and pre-applications (`wallet_spec.preapplication`), so
all bound their input the same way: the text's length before Base45, the
inflated size while inflating (one byte over the limit is enough to know), and
no truncated or trailing deflate data. Their bodies write lengths and numbers
as `varint`s (each reader bounds and checks them against its own limits).

Base45 is the `b45` package (numpy, a few microseconds a code whatever its
length). Its decoder trusts its input: a character outside the alphabet decodes
as zero or fails inside numpy, and a triple above 65535 or a final pair above
255 wraps around. So a text is Base45 here only if every character is in RFC
9285's alphabet, its length is not 3n+1, and encoding what it decodes to gives
the text back (the one spelling of those bytes).
"""

from __future__ import annotations

import zlib

import b45
import numpy

from wallet_spec.errors import FormatError, TooLarge

BASE45_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
"""RFC 9285 §4, which is exactly QR's alphanumeric mode."""


def varint(value: int) -> bytes:
    """`value` (>= 0) as an unsigned LEB128 varint, in its shortest form."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pack(prefix: str, body: bytes, dictionary: bytes) -> str:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary)
    return prefix + b45encode(deflater.compress(body) + deflater.flush())


def b45encode(data: bytes) -> str:
    encoded: str = b45.encode(data)
    return encoded


def b45decode(text: str) -> bytes:
    """The bytes `text` is the Base45 of; `ValueError` for any other text (see the module docstring)."""
    if len(text) % 3 == 1 or not text.isascii() or text.encode("ascii").translate(None, BASE45_ALPHABET):
        raise ValueError("not Base45")
    with numpy.errstate(over="ignore"):  # an overlong final pair wraps; the comparison below refuses it
        data: bytes = b45.decode(text)
    if b45.encode(data) != text:
        raise ValueError("not canonical Base45")
    return data


def unpack(
    text: str, *, prefix: str, dictionary: bytes, max_chars: int, max_body: int, what: str, not_ours: str
) -> bytes:
    """The body of a packed text; `FormatError` (`not_ours` without the prefix) or `TooLarge` otherwise."""
    if len(text) > max_chars:
        raise TooLarge(f"{what} text is longer than {max_chars} characters")
    if not text.startswith(prefix):
        raise FormatError(not_ours)
    try:
        packed = b45decode(text[len(prefix) :])
    except ValueError:
        raise FormatError(f"{what} text is not Base45") from None
    inflater = zlib.decompressobj(-15, zdict=dictionary)
    try:
        body: bytes = inflater.decompress(packed, max_body + 1)
    except zlib.error:
        raise FormatError(f"{what} payload is not deflate data") from None
    if len(body) > max_body:
        raise TooLarge(f"{what} payload inflates beyond {max_body} bytes")
    if not inflater.eof or inflater.unused_data:
        raise FormatError(f"{what} payload is truncated or has trailing data")
    return body
