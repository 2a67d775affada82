"""Revocation receipts: the batch's status references under the city's MAC.

A resident receives a receipt with each batch. Whoever holds it (the resident,
or a clerk shown the printed copy) can have that batch revoked; the city
stores nothing per resident, yet can tell its own receipts from forgeries
because only it knows the MAC key.

Format, version 1 (``ckr1``), a single line of ASCII::

    receipt = "ckr1" "." payload "." mac
    payload = base64url( JSON {"iss": <issuer>, "refs": [[<uri>, <idx>], ...]} )
    mac     = base64url( HMAC-SHA256(mac_key, ASCII("ckr1" "." payload)) )

- base64url is RFC 4648 §5 without padding, canonical (``wallet_spec.encoding``).
- The JSON is compact (no spaces), UTF-8, with members ``iss`` then ``refs``
  and no others. ``iss`` is the issuer identifier (a non-empty string);
  ``refs`` is a non-empty array of at most `MAX_REFS` distinct pairs
  ``[status list URI (string), index (integer >= 0)]``, sorted by URI then
  index, so a receipt says nothing about the order of the batch's credentials.
- The MAC covers the version label too, so a later version cannot be
  passed off as this one. It is 32 bytes (43 base64url characters).
- A receipt is at most `MAX_RECEIPT_CHARS` characters; longer input is refused
  before anything is decoded. Surrounding whitespace is ignored.

`open_receipt` checks the MAC (constant-time) before it parses the payload;
anything wrong raises `ReceiptInvalid` (code ``receipt_invalid``), never
another exception.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from issuer.statuslists import StatusRef
from wallet_spec.encoding import b64url_decode, b64url_encode, b64url_json, is_int, json_dumps
from wallet_spec.errors import FormatError, ReceiptInvalid, UsageError

VERSION = "ckr1"
MAX_RECEIPT_CHARS = 8192
MAX_REFS = 100
MIN_KEY_BYTES = 32
_MAC_BYTES = hashlib.sha256().digest_size


def _mac(mac_key: bytes, signed: str) -> bytes:
    if not isinstance(mac_key, bytes | bytearray) or len(mac_key) < MIN_KEY_BYTES:
        raise UsageError(f"the receipt MAC key must be at least {MIN_KEY_BYTES} bytes")
    return hmac.new(bytes(mac_key), signed.encode("ascii"), hashlib.sha256).digest()


def make_receipt(mac_key: bytes, issuer: str, refs: Iterable[StatusRef]) -> str:
    """The receipt for a batch whose credentials carry `refs`."""
    pairs = sorted({(ref.uri, ref.idx) for ref in refs})
    if not isinstance(issuer, str) or not issuer:
        raise UsageError("a receipt needs the issuer identifier")
    if not pairs or len(pairs) > MAX_REFS:
        raise UsageError(f"a receipt carries 1 to {MAX_REFS} status references")
    if not all(isinstance(uri, str) and uri and is_int(idx) and idx >= 0 for uri, idx in pairs):
        raise UsageError("a status reference needs a URI and a non-negative integer index")
    payload = b64url_encode(json_dumps({"iss": issuer, "refs": [list(p) for p in pairs]}).encode("utf-8"))
    signed = f"{VERSION}.{payload}"
    receipt = f"{signed}.{b64url_encode(_mac(mac_key, signed))}"
    if len(receipt) > MAX_RECEIPT_CHARS:
        raise UsageError(f"the receipt would exceed {MAX_RECEIPT_CHARS} characters")
    return receipt


def open_receipt(mac_key: bytes, text: Any) -> list[StatusRef]:
    """The status references of a receipt this city made with `mac_key`; `ReceiptInvalid` otherwise."""
    if not isinstance(text, str):
        raise ReceiptInvalid("a receipt is text")
    if len(text) > MAX_RECEIPT_CHARS:
        raise ReceiptInvalid(f"a receipt is at most {MAX_RECEIPT_CHARS} characters")
    text = text.strip()
    if not text.isascii():
        raise ReceiptInvalid("a receipt is ASCII")
    parts = text.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise ReceiptInvalid(f"not a citykey receipt ({VERSION}.payload.mac)")
    try:
        mac = b64url_decode(parts[2], what="receipt MAC")
    except FormatError:
        raise ReceiptInvalid("the receipt MAC is not base64url") from None
    expected = _mac(mac_key, f"{parts[0]}.{parts[1]}")
    if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, expected):
        raise ReceiptInvalid("the receipt's MAC is not the city's")
    try:
        body = b64url_json(parts[1], what="receipt payload")
    except FormatError:
        raise ReceiptInvalid("the receipt payload is not base64url JSON") from None
    return _refs(body)


def _refs(body: Any) -> list[StatusRef]:
    if not isinstance(body, dict) or set(body) != {"iss", "refs"}:
        raise ReceiptInvalid("the receipt payload must have exactly iss and refs")
    if not isinstance(body["iss"], str) or not body["iss"]:
        raise ReceiptInvalid("the receipt's iss must be a non-empty string")
    raw = body["refs"]
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_REFS:
        raise ReceiptInvalid(f"the receipt must carry 1 to {MAX_REFS} status references")
    refs: list[StatusRef] = []
    for pair in raw:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and pair[0]
            and is_int(pair[1])
            and pair[1] >= 0
        ):
            raise ReceiptInvalid("a receipt reference must be [uri, non-negative index]")
        refs.append(StatusRef(pair[0], pair[1]))
    if len(set(refs)) != len(refs):
        raise ReceiptInvalid("the receipt repeats a status reference")
    return refs


__all__ = ["MAX_RECEIPT_CHARS", "MAX_REFS", "MIN_KEY_BYTES", "VERSION", "make_receipt", "open_receipt"]
