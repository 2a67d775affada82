"""A pre-application: the attributes a resident typed at home, carried to the desk as one QR code.

    text   = "CKA1:" base45( raw-deflate( body, DICTIONARY ) )        (wallet_spec.alphanumeric)
    body   = version(1) flags(1) text*6 varint(n) n*(text text) [token(16)] check(4)
    text   = varint(length) UTF-8 octets         (varint: LEB128, shortest form only)
    fields = given_name family_name birthdate street_address locality postal_code   (that order;
             an empty text for a field left blank; birthdate as YYYY-MM-DD)
    pairs  = the city's extra fields, name then value, names in ascending order, each once
    flags  = 0x01 when an appointment token follows
    check  = the first 4 octets of SHA-256 over every octet before it

No server receives it: the page that writes it runs in the resident's browser,
and the desk reads it from the scanner. The checksum makes a code cut short or
changed by hand fail loudly instead of filling the form with something else; it
is not a security boundary (anyone can compute it, and the clerk checks the
documents whatever the code says).

Decoding is strict and bounded: the text's length before Base45 and the inflated
size while inflating (`unpack`), then the checksum, then every length, varint and
UTF-8 sequence, with no byte to spare. The fields then pass exactly the rules of
the desk's form (`wallet_spec.attributes.check_fields`), so a code can fill the
form only with what the clerk could have typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from wallet_spec.alphanumeric import pack, unpack, varint
from wallet_spec.attributes import FIELDS, Problem, check_fields, clean
from wallet_spec.errors import FormatError, PreapplicationDamaged, PreapplicationInvalid, TooLarge
from wallet_spec.profile import attribute_text

PREFIX = "CKA1:"
VERSION = 1
DICTIONARY = b"Street Avenue Road Boulevard Drive Apt Calle Avenida "
"""What deflate may refer back to before the first byte: words addresses often hold."""
MAX_CHARS = 4_296
"""The most alphanumeric characters a QR code holds (version 40, level L); longer is refused unread."""
MAX_BODY = 4_096
"""Inflated bytes accepted; the longest valid body (every field at its limit in 4-byte UTF-8) is smaller."""
TOKEN_BYTES = 16
CHECK_BYTES = 4
MAX_EXTRA = 8
MAX_EXTRA_NAME = 40
MAX_EXTRA_VALUE = 200
EXTRA_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_HAS_TOKEN = 0x01


@dataclass(frozen=True, slots=True)
class Preapplication:
    """What a resident filled in: each of `FIELDS` ("" when left blank), the city's extra fields, a booking."""

    values: Mapping[str, str]
    extra: Mapping[str, str] = field(default_factory=dict)
    token: bytes | None = None
    """The appointment token of a booked desk slot (16 random octets), if the resident booked one."""


# --- encoding -------------------------------------------------------------------------------


def _text(value: str) -> bytes:
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError("a pre-application field holds a lone surrogate, which is not text") from None
    return varint(len(raw)) + raw


def encode_body(application: Preapplication) -> bytes:
    """The body of `application` (unchecked: a page checks the fields before it encodes them)."""
    if application.token is not None and len(application.token) != TOKEN_BYTES:
        raise FormatError(f"an appointment token is {TOKEN_BYTES} octets")
    out = bytearray([VERSION, _HAS_TOKEN if application.token is not None else 0])
    for name in FIELDS:
        out += _text(application.values.get(name, ""))
    out += varint(len(application.extra))
    for name in sorted(application.extra):
        out += _text(name) + _text(application.extra[name])
    if application.token is not None:
        out += application.token
    out += hashlib.sha256(out).digest()[:CHECK_BYTES]
    return bytes(out)


def encode(application: Preapplication) -> str:
    """The `CKA1:` text of `application`, ready for a QR code in alphanumeric mode."""
    return pack(PREFIX, encode_body(application), DICTIONARY)


# --- decoding -------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def octets(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise PreapplicationDamaged("a pre-application body ends too soon")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def varint(self) -> int:
        value = shift = 0
        for _ in range(4):  # no length in a body of at most MAX_BODY octets needs more
            (byte,) = self.octets(1)
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise PreapplicationDamaged("a pre-application varint is not in its shortest form")
                return value
            shift += 7
        raise PreapplicationDamaged("a pre-application varint is too long")

    def text(self) -> str:
        raw = self.octets(self.varint())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PreapplicationDamaged("a pre-application field is not UTF-8") from None


def decode_body(body: bytes) -> Preapplication:
    """The pre-application in `body`, its structure and checksum checked (not yet its fields)."""
    if len(body) < 2 + CHECK_BYTES:
        raise PreapplicationDamaged("a pre-application body is too short")
    content, check = body[:-CHECK_BYTES], body[-CHECK_BYTES:]
    if not hmac.compare_digest(hashlib.sha256(content).digest()[:CHECK_BYTES], check):
        raise PreapplicationDamaged("the pre-application's checksum does not match: it was cut short or changed")
    reader = _Reader(content)
    version, flags = reader.octets(2)
    if version != VERSION:
        raise PreapplicationDamaged(f"pre-application version {version} is not one this desk reads")
    if flags & ~_HAS_TOKEN:
        raise PreapplicationDamaged("a pre-application sets flags this desk does not know")
    values = {name: reader.text() for name in FIELDS}
    count = reader.varint()
    if count > MAX_EXTRA:
        raise PreapplicationDamaged(f"a pre-application holds more than {MAX_EXTRA} extra fields")
    extra: dict[str, str] = {}
    previous = ""
    for _ in range(count):
        name, value = reader.text(), reader.text()
        if name <= previous:
            raise PreapplicationDamaged("a pre-application's extra fields are not in ascending order")
        extra[name] = value
        previous = name
    token = reader.octets(TOKEN_BYTES) if flags & _HAS_TOKEN else None
    if reader.pos != len(content):
        raise PreapplicationDamaged("a pre-application body has trailing data")
    return Preapplication(values, extra, token)


def decode(text: str, *, today: dt.date, extra_fields: frozenset[str] = frozenset()) -> Preapplication:
    """Read a `CKA1:` text and check its fields by the desk's rules; a typed error otherwise.

    `extra_fields` are the names of the city's extra fields the desk asks for; any other is refused.
    Errors name fields and faults, never values: they may be shown and logged.
    """
    try:
        body = unpack(
            text.strip(),
            prefix=PREFIX,
            dictionary=DICTIONARY,
            max_chars=MAX_CHARS,
            max_body=MAX_BODY,
            what="pre-application",
            not_ours=f"this is not a pre-application code (it does not start with {PREFIX})",
        )
    except TooLarge:
        raise
    except FormatError as exc:
        if text.strip().startswith(PREFIX):
            raise PreapplicationDamaged(exc.message) from None
        raise
    read = decode_body(body)
    values = {name: clean(read.values[name]) for name in FIELDS}
    problems: dict[str, str] = {name: str(problem) for name, problem in check_fields(values, today=today).items()}
    extra: dict[str, str] = {}
    for name, raw in read.extra.items():
        label = f"extra.{name}" if EXTRA_NAME.fullmatch(name) and len(name) <= MAX_EXTRA_NAME else "extra"
        if name not in extra_fields:
            problems[label] = str(Problem.UNKNOWN_FIELD)
            continue
        value = clean(raw)
        if len(value) > MAX_EXTRA_VALUE:
            problems[label] = str(Problem.TOO_LONG)
            continue
        try:
            extra[name] = attribute_text(label, value)
        except FormatError:
            problems[label] = str(Problem.BAD_CHARACTERS)
    if problems:
        listed = ", ".join(f"{name} ({fault})" for name, fault in sorted(problems.items()))
        raise PreapplicationInvalid(f"the pre-application breaks the desk's rules: {listed}", problems)
    return Preapplication(values, extra, read.token)
