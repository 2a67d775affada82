"""The QR transport: a presentation packed into a short, scanner-safe string.

    text    = "CK2:" base45( raw-deflate( body, preset dictionary ) )
    body    = flags(1) json(jwt header) json(jwt payload) bytes(jwt signature)
              varint(n) n*json(disclosure)
              [ json(kb header) json(kb payload) bytes(kb signature) ]      if flags & 1
    bytes   = varint(length) octets              (varint: LEB128, shortest form only)
    json    = 0x8A bytes                         the part's bytes as they are, or
            | value                              the part as a value, when compact JSON
                                                 re-serializes to exactly its bytes, or
            | 0x8B octets(16) value value        a disclosure [salt, name, value] whose salt
            | 0x8C octets(16) value              is 16 octets; or [salt, value] (array element)
    value   = 0x00-0x7F                          a string from KNOWN, by index
            | 0x80 | 0x81 | 0x82                 null, false, true
            | 0x83 varint | 0x84 varint          integer n >= 0, or -1-n
            | 0x8E varint                        integer 86400 * k, k >= 1, below 2**70 (a whole
                                                 UTC day: the `iat` and `exp` of credentials)
            | 0x85 bytes                         UTF-8 text
            | 0x86 bytes                         a string that is the canonical base64url of these
                                                 octets (digests, keys, salts, nonces)
            | 0x89 octets(32)                    the same for exactly 32 octets (a digest, a P-256
                                                 coordinate), without the length
            | 0x8D octets(33)                    the object {"kty":"EC","crv":"P-256","x":X,"y":Y},
                                                 members in this order and no others, whose point
                                                 is on the curve, as the point's SEC1 compressed
                                                 form (0x02 or 0x03 by y's parity, then x): a
                                                 holder key (`cnf.jwk`) in 33 octets instead of 64
            | 0x87 varint value*                 array
            | 0x88 varint (value value)*         object: name, value pairs in order

Every part of a compact SD-JWT is base64url of bytes; the body carries those
bytes, or a value that re-serializes to them byte for byte, so decoding gives
back exactly the presentation that went in (signatures and `sd_hash` still
verify). A part in any other spelling travels raw; nothing is ever normalised.
Base45 (RFC 9285) is exactly QR's alphanumeric alphabet, 5.5 bits a character,
and keyboard-wedge scanners type it without loss.

Each value has one spelling: the decoder refuses any other (a known string as
text, a whole day as a plain integer, a P-256 key on the curve as an object...),
so each presentation has exactly one code.

`CK1:` is the format before the day (0x8E) and point (0x8D) tags: codes
printed on paper cards and shown by wallets not yet updated carry it. Decoders
read it by its own rules (those two tags unknown, whole days and keys spelled
plainly), so an old code decodes as it always did; encoders write only `CK2:`.

Decoding is strict and bounded: the text length is checked before Base45, the
inflated size is capped while inflating, nesting is limited, and any malformed,
non-canonical or trailing byte is a `FormatError`. A plain compact SD-JWT is
accepted as it is.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wallet_spec.alphanumeric import pack, unpack, varint
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps, json_loads
from wallet_spec.errors import FormatError, TooLarge
from wallet_spec.sdjwt import DEFAULT_LIMITS

PREFIX = "CK2:"
LEGACY_PREFIX = "CK1:"
"""The format before the day and point tags: read by its own rules, never written."""
PREFIXES = (PREFIX, LEGACY_PREFIX)
"""Every prefix a decoder reads (`str.startswith` takes the tuple)."""
MAX_QR_CHARS = 4_296
"""The most alphanumeric characters any QR code holds (version 40, level L)."""
MAX_BODY = DEFAULT_LIMITS.max_length
"""Inflated bytes accepted: never more than the longest compact SD-JWT we accept."""
MAX_DEPTH = 16

KNOWN: tuple[str, ...] = (
    # JOSE headers and the SD-JWT VC payload
    "alg", "ES256", "typ", "dc+sd-jwt", "kb+jwt", "kid",
    "_sd", "...", "_sd_alg", "sha-256", "iss", "iat", "exp", "nbf", "vct",
    "status", "status_list", "idx", "uri", "cnf", "jwk", "kty", "EC", "crv", "P-256", "x", "y",
    # key binding
    "aud", "nonce", "sd_hash",
    # the city's claims and types
    "given_name", "family_name", "birthdate", "address", "street_address", "locality", "postal_code",
    "resident_of", "age_over_13", "age_over_16", "age_over_18", "age_over_21", "age_over_55",
    "age_over_62", "age_over_65",
    "urn:citykey:id:1", "urn:citykey:identity:1", "urn:citykey:residency:1",
    "urn:citykey:resident:1",
)  # fmt: skip
"""Strings coded as one byte. Append only: an index, once published, never changes meaning."""
_KNOWN_INDEX = {s: i for i, s in enumerate(KNOWN)}
assert len(KNOWN) <= 0x80, "known strings must fit below the first tag"
assert len(_KNOWN_INDEX) == len(KNOWN), "known strings must be distinct"

DICTIONARY = b"https://https://id./statuslists/"
"""What deflate may refer back to before any byte of the body: the URL parts every code carries."""

_HAS_KB = 0x01
_NULL, _FALSE, _TRUE, _UINT, _NINT, _TEXT, _B64, _ARRAY, _OBJECT, _B64_32 = range(0x80, 0x8A)
_RAW, _PROPERTY, _ELEMENT = range(0x8A, 0x8D)
_P256, _DAYS = 0x8D, 0x8E
_N_KNOWN = len(KNOWN)
_SALT = 16
_MIN_B64 = 16
"""Shorter base64url-looking strings (kids, words) stay text: nothing to gain."""
_MAX_INT_BITS = 70
"""What `_Reader.varint` reads: ten 7-bit groups."""
DAY = 86_400
_JWK_MEMBERS = ["kty", "crv", "x", "y"]
_CURVE = ec.SECP256R1()


def _bytes(data: bytes) -> bytes:
    return varint(len(data)) + data


def _canonical_b64(text: str) -> bytes | None:
    if len(text) < _MIN_B64:
        return None
    try:
        return b64url_decode(text)
    except FormatError:
        return None


def _compressed_point(value: dict[str, Any]) -> bytes | None:
    """The SEC1 compressed point of a P-256 JWK spelled exactly as `_P256` restores it, if on the curve."""
    if list(value) != _JWK_MEMBERS or value["kty"] != "EC" or value["crv"] != "P-256":
        return None
    x, y = value["x"], value["y"]
    if not isinstance(x, str) or not isinstance(y, str):
        return None
    raw_x, raw_y = _canonical_b64(x), _canonical_b64(y)
    if raw_x is None or raw_y is None or len(raw_x) != 32 or len(raw_y) != 32 or not _on_curve(raw_x, raw_y):
        return None  # off the curve: carried as the object it is
    return bytes([2 | raw_y[-1] & 1]) + raw_x


def _on_curve(x: bytes, y: bytes) -> bool:
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, b"\x04" + x + y)
    except ValueError:
        return False
    return True


def _jwk_of_point(point: bytes) -> str:
    """The compact JSON of the JWK `_compressed_point` compressed: y restored from x and its parity."""
    try:
        if point[0] not in (2, 3):
            raise ValueError("not a compressed point")
        key = ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, point)
    except ValueError:
        raise FormatError("QR payload has a holder key that is not a compressed point on P-256") from None
    xy = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return f'{{"kty":"EC","crv":"P-256","x":"{b64url_encode(xy[1:33])}","y":"{b64url_encode(xy[33:])}"}}'


def _value(value: Any, depth: int = 0) -> bytes:
    if depth > MAX_DEPTH:  # what `_Reader.value` refuses: carried raw instead
        raise FormatError("a JSON part nests too deeply to carry as a value")
    if value is None:
        return bytes([_NULL])
    if value is True or value is False:
        return bytes([_TRUE if value else _FALSE])
    if isinstance(value, int):
        if (value if value >= 0 else -1 - value).bit_length() > _MAX_INT_BITS:
            raise FormatError("a JSON part holds an integer too large to carry as a value")
        if value > 0 and value % DAY == 0:
            return bytes([_DAYS]) + varint(value // DAY)
        return bytes([_UINT]) + varint(value) if value >= 0 else bytes([_NINT]) + varint(-1 - value)
    if isinstance(value, str):
        if value in _KNOWN_INDEX:
            return bytes([_KNOWN_INDEX[value]])
        raw = _canonical_b64(value)
        if raw is not None:
            return bytes([_B64_32]) + raw if len(raw) == 32 else bytes([_B64]) + _bytes(raw)
        return bytes([_TEXT]) + _bytes(value.encode("utf-8"))
    if isinstance(value, list):
        return bytes([_ARRAY]) + varint(len(value)) + b"".join(_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        point = _compressed_point(value)
        if point is not None:
            return bytes([_P256]) + point
        pairs = b"".join(_value(k, depth + 1) + _value(v, depth + 1) for k, v in value.items())
        return bytes([_OBJECT]) + varint(len(value)) + pairs
    raise FormatError("a JSON part holds a value the QR code cannot carry as a value")


def _json_part(data: bytes) -> bytes:
    """A value when it re-serializes to exactly `data`, else the raw bytes."""
    try:
        value = json_loads(data, what="part")
        if json_dumps(value).encode("utf-8") == data:
            return _shaped(value)
    except (FormatError, TypeError, ValueError):
        pass  # floats, other spellings, invalid JSON: carried byte for byte
    return bytes([_RAW]) + _bytes(data)


def _disclosure_shaped(value: Any) -> bytes | None:
    """The salt's octets when `value` is a disclosure in its usual shape (16-octet salt, string name)."""
    if isinstance(value, list) and len(value) in (2, 3) and isinstance(value[0], str):
        salt = _canonical_b64(value[0])
        if salt is not None and len(salt) == _SALT and (len(value) == 2 or isinstance(value[1], str)):
            return salt
    return None


def _shaped(value: Any) -> bytes:
    """A disclosure in its usual shape loses its array framing; anything else is a plain value."""
    salt = _disclosure_shaped(value)
    if salt is not None:
        rest = b"".join(_value(v, 1) for v in value[1:])
        return bytes([_PROPERTY if len(value) == 3 else _ELEMENT]) + salt + rest
    return _value(value)


def _jws_parts(token: str, what: str) -> list[bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise FormatError(f"{what} is not a compact JWS")
    return [b64url_decode(p, what=what) for p in parts]


def encode(presentation: str) -> str:
    """Pack a compact SD-JWT(+KB) for a QR code; the inverse of `decode`."""
    pieces = presentation.strip().split("~")
    if len(pieces) < 2:
        raise FormatError("not a compact SD-JWT")
    jwt, disclosures, kb = pieces[0], pieces[1:-1], pieces[-1]
    header, payload, signature = _jws_parts(jwt, "issuer-signed JWT")
    body = bytearray([_HAS_KB if kb else 0])
    body += _json_part(header) + _json_part(payload) + _bytes(signature)
    body += varint(len(disclosures))
    for disclosure in disclosures:
        body += _json_part(b64url_decode(disclosure, what="disclosure"))
    if kb:
        kb_header, kb_payload, kb_signature = _jws_parts(kb, "KB-JWT")
        body += _json_part(kb_header) + _json_part(kb_payload) + _bytes(kb_signature)
    return pack(PREFIX, bytes(body), DICTIONARY)


def _truncated() -> FormatError:
    return FormatError("QR payload is truncated")


_STRING_TAGS = frozenset({*range(_N_KNOWN), _TEXT, _B64, _B64_32})
"""The tags a string is spelled with: what a member or claim name must start with."""
_KNOWN_JSON = tuple(json_dumps(s) for s in KNOWN)
_LITERALS = ("null", "false", "true")
_JWK_AS_OBJECT = bytes([_OBJECT, 4, *(_KNOWN_INDEX[s] for s in ("kty", "EC", "crv", "P-256", "x")), _B64_32])
_JWK_Y = bytes([_KNOWN_INDEX["y"], _B64_32])


class _Reader:
    """Reads a body into the compact JSON of each part, checking every spelling as it reads.

    Each value must be spelled exactly as `_value` spells it, which makes each presentation's
    code unique without encoding anything again: each tag is accepted only where `_value` would
    have chosen it (a known string never spelled as text, base64url-shaped text never as text, a
    whole day never as a plain integer, a P-256 key on the curve never as an object, lengths and
    integers in their shortest form), and `json_part` adds the two choices made per part
    (`_json_part`, `_shaped`). Values are written straight to compact JSON text (what
    `json_dumps` would make of them): no value objects are built. `legacy` reads a `CK1:` body,
    which had neither the day nor the point tag. A byte read past the end raises `IndexError`,
    which `decode` reports as truncation; multi-byte reads check their length first.
    """

    __slots__ = ("data", "legacy", "pos")

    def __init__(self, data: bytes, *, legacy: bool) -> None:
        self.data, self.pos, self.legacy = data, 0, legacy

    def varint(self) -> int:
        data, pos = self.data, self.pos
        byte = data[pos]
        if byte < 0x80:  # one byte: almost every length and count
            self.pos = pos + 1
            return byte
        value, shift = byte & 0x7F, 7
        while True:
            pos += 1
            byte = data[pos]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                if not byte:
                    raise FormatError("QR payload has a non-canonical length")
                self.pos = pos + 1
                return value
            shift += 7
            if shift > 63:
                raise FormatError("QR payload has an impossible number")

    def octets(self, length: int) -> bytes:
        start = self.pos
        end = start + length
        if end > len(self.data):
            raise _truncated()
        self.pos = end
        return self.data[start:end]

    def count(self, depth: int) -> int:
        """An array's or object's length: each element takes at least one byte, and nests one deeper."""
        n = self.data[self.pos]
        if n < 0x80:
            self.pos += 1
        else:
            n = self.varint()
        if n > len(self.data) - self.pos:
            raise _truncated()
        if n and depth >= MAX_DEPTH:
            raise FormatError("QR payload nests too deeply")
        return n

    def value(self, depth: int) -> str:
        """One value as compact JSON; the common ones (known strings, 32-octet strings) come first."""
        data = self.data
        start = self.pos
        tag = data[start]
        self.pos = start + 1
        if tag < _N_KNOWN:
            return _KNOWN_JSON[tag]
        if tag == _B64_32:
            return f'"{b64url_encode(self.octets(32))}"'
        if tag == _OBJECT:
            return self.object(start, depth)
        if tag == _ARRAY:
            return "[" + ",".join([self.value(depth + 1) for _ in range(self.count(depth))]) + "]"
        if tag == _UINT:
            number = self.varint()
            if number and not number % DAY and not self.legacy:
                raise FormatError("QR payload spells a whole day the long way")
            return str(number)
        if tag == _TEXT:
            try:
                text = self.octets(self.varint()).decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError("QR payload has text that is not UTF-8") from None
            if text in _KNOWN_INDEX or _canonical_b64(text) is not None:
                raise FormatError("QR payload spells a string the long way")
            return json_dumps(text)
        if tag == _B64:
            raw = self.octets(self.varint())
            text = b64url_encode(raw)
            if len(text) < _MIN_B64 or len(raw) == 32:
                raise FormatError("QR payload spells a base64url string the long way")
            return f'"{text}"'
        if tag in (_NULL, _FALSE, _TRUE):
            return _LITERALS[tag - _NULL]
        if tag == _NINT:
            return str(-1 - self.varint())
        if tag == _DAYS and not self.legacy:
            days = self.varint()
            if not days or (days * DAY).bit_length() > _MAX_INT_BITS:
                raise FormatError("QR payload spells a number of days the encoder never writes")
            return str(days * DAY)
        if tag == _P256 and not self.legacy:
            return _jwk_of_point(self.octets(33))
        if tag < 0x80:
            raise FormatError("QR payload names an unknown string")
        raise FormatError("QR payload has an unknown tag")

    def object(self, start: int, depth: int) -> str:
        data = self.data
        names: list[str] = []
        members = []
        for _ in range(self.count(depth)):
            tag = data[self.pos]
            if tag < _N_KNOWN:  # a known name: most are
                self.pos += 1
                name = _KNOWN_JSON[tag]
            else:
                name = self.value(depth + 1)
                if tag not in _STRING_TAGS:
                    raise FormatError("QR payload has a bad or repeated member name")
            names.append(name)
            tag = data[self.pos]
            if tag < _N_KNOWN:  # a known value ("EC", "ES256", a credential type...)
                self.pos += 1
                members.append(f"{name}:{_KNOWN_JSON[tag]}")
            else:
                members.append(f"{name}:{self.value(depth + 1)}")
        if len(set(names)) != len(names):  # one string, one spelling: equal names have equal JSON
            raise FormatError("QR payload has a bad or repeated member name")
        if (
            not self.legacy
            and data.startswith(_JWK_AS_OBJECT, start)
            and self.pos == start + 74
            and data.startswith(_JWK_Y, start + 40)
            and _on_curve(data[start + 8 : start + 40], data[start + 42 : start + 74])
        ):
            raise FormatError("QR payload spells a P-256 key the long way")
        return "{" + ",".join(members) + "}"

    def json_part(self) -> bytes:
        """One JSON part, which must be spelled exactly as `encode` spells it: one text per presentation."""
        data = self.data
        start = self.pos
        mode = data[start]
        if mode == _RAW:
            self.pos += 1
            part = self.octets(self.varint())
            if _json_part(part) != data[start : self.pos]:  # a part `encode` would have packed
                raise FormatError("QR payload spells a part other than the one way it is encoded")
            return part
        if mode in (_PROPERTY, _ELEMENT):
            self.pos += 1
            salt = b64url_encode(self.octets(_SALT))
            if mode == _ELEMENT:
                return f'["{salt}",{self.value(1)}]'.encode()
            named = data[self.pos] if self.pos < len(data) else None
            name = self.value(1)
            if named not in _STRING_TAGS:
                raise FormatError("QR payload has a disclosure whose claim name is not a string")
            return f'["{salt}",{name},{self.value(1)}]'.encode()
        text = self.value(0)
        if (  # [salt, name, value] or [salt, value] spelled as a plain array: `_shaped` packs it
            mode == _ARRAY
            and data[start + 1] in (2, 3)
            and data[start + 2] == _B64
            and data[start + 3] == _SALT
            and (data[start + 1] == 2 or data[start + 4 + _SALT] in _STRING_TAGS)
        ):
            raise FormatError("QR payload spells a part other than the one way it is encoded")
        return text.encode()

    def jws(self) -> str:
        header, payload = self.json_part(), self.json_part()
        return f"{b64url_encode(header)}.{b64url_encode(payload)}.{b64url_encode(self.octets(self.varint()))}"

    def presentation(self) -> str:
        flags = self.data[0]
        self.pos = 1
        if flags & ~_HAS_KB:
            raise FormatError("QR payload has unknown flags")
        jwt = self.jws()
        count = self.varint()
        if count > len(self.data) - self.pos:
            raise _truncated()
        if count > DEFAULT_LIMITS.max_disclosures:
            raise TooLarge("QR payload has too many disclosures")
        disclosures = [b64url_encode(self.json_part()) for _ in range(count)]
        kb = self.jws() if flags & _HAS_KB else ""
        if self.pos != len(self.data):
            raise FormatError("QR payload has trailing bytes")
        return "~".join([jwt, *disclosures, kb])


def decode(text: str) -> str:
    """The compact presentation in a scanned QR text (`CK2:` or `CK1:`); plain compact SD-JWTs pass through."""
    text = text.strip()
    legacy = text.startswith(LEGACY_PREFIX)
    prefix = LEGACY_PREFIX if legacy else PREFIX
    if not legacy and not text.startswith(PREFIX):
        if text.startswith("ey") and "~" in text:
            return text
        raise FormatError(f"not a citykey QR code (no {PREFIX} prefix) nor a compact SD-JWT")
    body = unpack(
        text, prefix=prefix, dictionary=DICTIONARY, max_chars=MAX_QR_CHARS, max_body=MAX_BODY, what="QR",
        not_ours="not a citykey QR code",
    )
    try:
        return _Reader(body, legacy=legacy).presentation()
    except IndexError:  # a single byte read past the end
        raise _truncated() from None


__all__ = [
    "DAY", "DICTIONARY", "KNOWN", "LEGACY_PREFIX", "MAX_BODY", "MAX_DEPTH", "MAX_QR_CHARS", "PREFIX", "PREFIXES",
    "decode", "encode",
]  # fmt: skip
