"""Revocation receipts: the batch's status references under the city's MAC.

A resident receives a receipt with each batch. Whoever holds it (the resident,
or a clerk shown the printed copy) can have that batch revoked; the city
stores nothing per resident, yet can tell its own receipts from forgeries
because only it knows the MAC key.

Format, version 2 (``ckr2``, what the city writes), a single line of ASCII::

    receipt = "ckr2" "." payload "." mac
    payload = base64url( JSON {"iss": <issuer>, "lists": [[<uri>, [<idx>, ...]], ...]} )
    mac     = base64url( HMAC-SHA256(mac_key, ASCII("ckr2" "." payload)) )

Each status list is named once, followed by its indices in ascending order; the
lists are sorted by URI. So a receipt says nothing about the order of the
batch's credentials, and a batch's references cost a few characters each
instead of a whole URI each (version 1's 16 references were a QR code of
version 30; version 2's are about version 13).

Version 1 (``ckr1``), still read (residents hold printed ones)::

    payload = base64url( JSON {"iss": <issuer>, "refs": [[<uri>, <idx>], ...]} )

with ``refs`` sorted by URI then index.

Both: base64url is RFC 4648 §5 without padding, canonical
(``wallet_spec.encoding``); the JSON is compact UTF-8 with exactly the members
shown, in that order; ``iss`` is the issuer identifier (a non-empty string);
every URI is a non-empty string and every index an integer >= 0; there are 1 to
`MAX_REFS` distinct references in all. The MAC covers the version label too, so
a payload cannot be passed off under the other version. It is 32 bytes (43
base64url characters). A receipt is at most `MAX_RECEIPT_CHARS` characters;
longer input is refused before anything is decoded. Surrounding whitespace is
ignored.

`open_receipt` checks the MAC (constant-time) before it parses the payload;
anything wrong raises `ReceiptInvalid` (code ``receipt_invalid``), never
another exception.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from issuer.statuslists import StatusRef
from wallet_spec.encoding import b64url_decode, b64url_encode, b64url_json, is_int, json_dumps
from wallet_spec.errors import FormatError, ReceiptInvalid, UsageError

VERSION = "ckr2"
"""What `make_receipt` writes."""
VERSION_1 = "ckr1"
"""Read by `open_receipt` too: receipts printed before version 2."""
MAX_RECEIPT_CHARS = 8192
MAX_REFS = 100
MIN_KEY_BYTES = 32
_MAC_BYTES = hashlib.sha256().digest_size


def _mac(mac_key: bytes, signed: str) -> bytes:
    if not isinstance(mac_key, bytes | bytearray) or len(mac_key) < MIN_KEY_BYTES:
        raise UsageError(f"the receipt MAC key must be at least {MIN_KEY_BYTES} bytes")
    return hmac.new(bytes(mac_key), signed.encode("ascii"), hashlib.sha256).digest()


def make_receipt(mac_key: bytes, issuer: str, refs: Iterable[StatusRef]) -> str:
    """The receipt (version 2) for a batch whose credentials carry `refs`."""
    pairs = sorted({(ref.uri, ref.idx) for ref in refs})
    if not isinstance(issuer, str) or not issuer:
        raise UsageError("a receipt needs the issuer identifier")
    if not pairs or len(pairs) > MAX_REFS:
        raise UsageError(f"a receipt carries 1 to {MAX_REFS} status references")
    if not all(isinstance(uri, str) and uri and is_int(idx) and idx >= 0 for uri, idx in pairs):
        raise UsageError("a status reference needs a URI and a non-negative integer index")
    lists: dict[str, list[int]] = {}
    for uri, idx in pairs:
        lists.setdefault(uri, []).append(idx)
    payload = b64url_encode(json_dumps({"iss": issuer, "lists": [[u, i] for u, i in lists.items()]}).encode("utf-8"))
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
    if len(parts) != 3 or parts[0] not in (VERSION, VERSION_1):
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
    refs = _lists(body) if parts[0] == VERSION else _refs(body)  # each holds 1 to MAX_REFS references
    if len(set(refs)) != len(refs):
        raise ReceiptInvalid("the receipt repeats a status reference")
    return refs


def _members(body: Any, name: str) -> Any:
    """The payload's list member `name` ("lists" or "refs"), after `iss` is checked."""
    if not isinstance(body, dict) or set(body) != {"iss", name}:
        raise ReceiptInvalid(f"the receipt payload must have exactly iss and {name}")
    if not isinstance(body["iss"], str) or not body["iss"]:
        raise ReceiptInvalid("the receipt's iss must be a non-empty string")
    members = body[name]
    if not isinstance(members, list) or not 0 < len(members) <= MAX_REFS:
        raise ReceiptInvalid(f"the receipt must carry 1 to {MAX_REFS} status references")
    return members


def _index(value: Any) -> int:
    if not is_int(value) or value < 0:
        raise ReceiptInvalid("a receipt's status index must be a non-negative integer")
    return value


def _lists(body: Any) -> list[StatusRef]:
    """Version 2: [[uri, [idx, ...]], ...], each list named once, its indices ascending."""
    refs: list[StatusRef] = []
    uris: list[str] = []
    for entry in _members(body, "lists"):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and entry[0]
                and isinstance(entry[1], list) and 0 < len(entry[1]) <= MAX_REFS):
            raise ReceiptInvalid("a receipt list must be [uri, [index, ...]] with at least one index")
        indices = [_index(i) for i in entry[1]]
        if any(a >= b for a, b in pairwise(indices)):
            raise ReceiptInvalid("a receipt list's indices must be distinct and in ascending order")
        uris.append(entry[0])
        refs.extend(StatusRef(entry[0], i) for i in indices)
        if len(refs) > MAX_REFS:
            raise ReceiptInvalid(f"the receipt must carry 1 to {MAX_REFS} status references")
    if uris != sorted(set(uris)):
        raise ReceiptInvalid("a receipt names each status list once, in order")
    return refs


def _refs(body: Any) -> list[StatusRef]:
    """Version 1: [[uri, idx], ...]."""
    raw = _members(body, "refs")  # a list of 1 to MAX_REFS members
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
    return refs


__all__ = ["MAX_RECEIPT_CHARS", "MAX_REFS", "MIN_KEY_BYTES", "VERSION", "VERSION_1", "make_receipt", "open_receipt"]
