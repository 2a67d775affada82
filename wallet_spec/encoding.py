"""Strict base64url and JSON, the two encodings every SD-JWT part is made of.

Strict means one spelling per value: no padding, no characters outside the
URL-safe alphabet, no non-zero trailing bits, no duplicate JSON member names,
no NaN. A lenient decoder would let two different strings carry one value,
which breaks digest-based references and invites parser differentials.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from typing import Any, TypeGuard

from wallet_spec.errors import FormatError

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "value") -> bytes:
    """Decode unpadded base64url, refusing every non-canonical spelling."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise FormatError(f"{what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - regex guards
        raise FormatError(f"{what} is not base64url") from exc
    if b64url_encode(data) != text:
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


def json_loads(data: bytes | str, *, what: str = "value") -> Any:
    """Parse JSON, refusing duplicate names, NaN/Infinity and absurd nesting."""
    try:
        return json.loads(
            data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite_float
        )
    except FormatError as exc:
        raise FormatError(f"{what}: {exc.message}") from None
    except (ValueError, RecursionError):
        raise FormatError(f"{what} is not valid JSON") from None


def json_dumps(value: Any) -> str:
    """Compact JSON, UTF-8 kept as is: what citykey signs and discloses."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_dumps_spaced(value: Any) -> str:
    """The spelling RFC 9901's generated examples use: Python's defaults, non-ASCII escaped."""
    return json.dumps(value, allow_nan=False)


def b64url_json(text: str, *, what: str) -> Any:
    return json_loads(b64url_decode(text, what=what), what=what)


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer: `true` is not 1 here, though Python says it is."""
    return isinstance(value, int) and not isinstance(value, bool)
