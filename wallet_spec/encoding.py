"""Strict base64url and JSON, the two encodings every SD-JWT part is made of.

Strict means one spelling per value: no padding, no characters outside the
URL-safe alphabet, no non-zero trailing bits, no duplicate JSON member names,
no NaN. A lenient decoder would let two different strings carry one value,
which breaks digest-based references and invites parser differentials.

JSON is UTF-8 (RFC 8259 §8.1, RFC 9901 §4.2.1), without a byte order mark, and
holds only Unicode scalar values: a lone surrogate, raw or as a `\\uD800`
escape, is refused when parsed, so no later step (a comparison, an encoder,
a log line) ever meets a string that cannot be encoded. `json_loads` is the
one reader of JSON from the wire and from files in every party.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any, TypeGuard

from wallet_spec.errors import FormatError

_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
"""base64url to the standard alphabet; '+', '/' and '=' (not base64url) become '!', which no decoder accepts."""
_TO_URL = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"", b"==", b"=")
_CANONICAL_LAST = (b"", b"", b"AQgw", b"AEIMQUYcgkosw048")
"""By length modulo 4, the characters an encoder can end with: the unused low bits of the last
character are zero (RFC 4648 §3.5). Any other last character is a second spelling of a value."""


def b64url_encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "value") -> bytes:
    """Decode unpadded base64url, refusing every non-canonical spelling.

    One pass in C: the URL-safe alphabet is mapped to the standard one (anything else, '+' and
    '/' included, to a character strict decoding refuses), then the last character must leave
    no non-zero bits (the one spelling an encoder produces).
    """
    tail = len(text) % 4
    try:
        raw = text.encode("ascii")
        if tail == 1:
            raise ValueError("impossible length")
        data = binascii.a2b_base64(raw.translate(_TO_STANDARD) + _PADDING[tail], strict_mode=True)
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        raise FormatError(f"{what} is not base64url") from None
    if tail and raw[-1] not in _CANONICAL_LAST[tail]:
        raise FormatError(f"{what} is not canonical base64url")
    return data


def sha256_b64url(text: str) -> str:
    """The SD-JWT digest: SHA-256 over the ASCII text, base64url encoded."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise FormatError("JSON object has a duplicate member name")
    return obj


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise FormatError(f"JSON number {text[:20]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise FormatError(f"JSON value {name} is not allowed")


_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BOM = "\ufeff"


def _utf8_text(data: bytes | str, what: str) -> str:
    """The JSON text: bytes decoded strictly as UTF-8 (no UTF-16/32 guessing), never with a BOM."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")  # strict: refuses overlong forms and encoded surrogates
        except UnicodeDecodeError:
            raise FormatError(f"{what} is not UTF-8 JSON") from None
    else:
        text = data
    if text.startswith(_BOM):
        raise FormatError(f"{what} starts with a byte order mark, which JSON on the wire must not")
    return text


def _scalar_values_only(value: Any, what: str) -> None:
    """Refuse any string (member names too) holding a surrogate code point: iterative, so depth is no risk."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                raise FormatError(f"{what} holds a lone surrogate (\\uD800-\\uDFFF), which is not Unicode text")
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite_float
)
"""Made once: `json.loads` with hooks would build a decoder per call."""


_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
"""The C scanner itself: one value at a position. `json_loads` calls it directly and leaves the
Python wrappers (`decode`, `raw_decode`) to text with surrounding whitespace or errors."""


def json_loads(data: bytes | str, *, what: str = "value") -> Any:
    """Parse UTF-8 JSON, refusing other encodings, a BOM, lone surrogates, duplicate names,
    NaN/Infinity and absurd nesting. Every problem is a FormatError naming `what`."""
    text = _utf8_text(data, what)
    try:
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:  # leading whitespace, or no value at all: the full decoder decides
            end = -1
        if end != len(text):
            value = _DECODER.decode(text)
    except FormatError as exc:
        raise FormatError(f"{what}: {exc.message}") from None
    except (ValueError, RecursionError):
        raise FormatError(f"{what} is not valid JSON") from None
    if "\\u" in text or (not isinstance(data, bytes) and not text.isascii()):
        # Only an escape (or, in text not decoded from UTF-8 here, a raw code point) can be a lone
        # surrogate: strict UTF-8 decoding refuses encoded ones. Anything else needs no walk.
        _scalar_values_only(value, what)
    return value


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODER: Callable[[Any, int], list[str]] | None = (
    None
    if _MAKE_ENCODER is None
    else _MAKE_ENCODER(None, _COMPACT.default, json.encoder.encode_basestring, None, ":", ",", False, False, False)
)
"""`_COMPACT`'s own C encoder, made once (`JSONEncoder.encode` makes one per call): issuance
serializes every disclosure. It has no circular-reference check; claims are trees, and a cycle
ends in RecursionError instead."""


def json_dumps(value: Any) -> str:
    """Compact JSON, UTF-8 kept as is: what citykey signs and discloses."""
    if _C_ENCODER is None:
        return _COMPACT.encode(value)
    return "".join(_C_ENCODER(value, 0))


def json_dumps_spaced(value: Any) -> str:
    """The spelling RFC 9901's generated examples use: Python's defaults, non-ASCII escaped."""
    return json.dumps(value, allow_nan=False)


def b64url_json(text: str, *, what: str) -> Any:
    return json_loads(b64url_decode(text, what=what), what=what)


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer: `true` is not 1 here, though Python says it is."""
    return isinstance(value, int) and not isinstance(value, bool)
