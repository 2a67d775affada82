"""Revocation receipts: round-trip, and every alteration refused with `receipt_invalid`."""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from issuer.receipts import MAX_RECEIPT_CHARS, MAX_REFS, VERSION, VERSION_1, make_receipt, open_receipt
from issuer.statuslists import StatusRef, StatusRegistry
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps
from wallet_spec.errors import ReceiptInvalid, UsageError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
ISSUER = "https://city.example"
REFS = [StatusRef("https://city.example/status/2", 5), StatusRef("https://city.example/status/1", 131_071)]


def forge(payload: Any, *, key: bytes = KEY, version: str = VERSION) -> str:
    """A receipt with a correct MAC over an arbitrary payload: tests the checks after the MAC."""
    body = b64url_encode(json_dumps(payload).encode() if not isinstance(payload, bytes) else payload)
    signed = f"{version}.{body}"
    return f"{signed}.{b64url_encode(hmac.new(key, signed.encode(), hashlib.sha256).digest())}"


def refused(text: Any, key: bytes = KEY) -> ReceiptInvalid:
    with pytest.raises(ReceiptInvalid) as caught:
        open_receipt(key, text)
    assert caught.value.code == "receipt_invalid"
    return caught.value


def test_a_receipt_round_trips_its_status_refs() -> None:
    receipt = make_receipt(KEY, ISSUER, REFS)
    assert receipt.startswith("ckr2.")
    assert receipt.count(".") == 2
    assert set(open_receipt(KEY, receipt)) == set(REFS)
    assert open_receipt(KEY, f"  {receipt}\n") == open_receipt(KEY, receipt)


def test_a_receipt_is_the_documented_json_sorted_and_says_nothing_of_batch_order() -> None:
    receipt = make_receipt(KEY, ISSUER, REFS)
    _, payload, mac = receipt.split(".")
    assert b64url_decode(payload) == (
        b'{"iss":"https://city.example","lists":'
        b'[["https://city.example/status/1",[131071]],["https://city.example/status/2",[5]]]}'
    )
    assert len(b64url_decode(mac)) == 32
    assert make_receipt(KEY, ISSUER, reversed(REFS)) == receipt


def test_receipt_from_a_registry_revokes_its_batch(make_registry: Callable[..., StatusRegistry]) -> None:
    registry = make_registry(list_size=64)
    batch = registry.allocate(12)
    other = registry.allocate(3)
    refs = open_receipt(KEY, make_receipt(KEY, ISSUER, batch))
    registry.revoke(refs)
    revoked = {StatusRef(uri, i) for uri, sl in registry.lists() for i in range(sl.size) if sl.get(i)}
    assert revoked == set(batch)
    assert not revoked & set(other)


def test_a_flipped_mac_bit_is_refused() -> None:
    version, payload, mac = make_receipt(KEY, ISSUER, REFS).split(".")
    raw = bytearray(b64url_decode(mac))
    for bit in (0, 100, 255):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        refused(f"{version}.{payload}.{b64url_encode(bytes(flipped))}")


def test_an_altered_ref_is_refused() -> None:
    version, _, mac = make_receipt(KEY, ISSUER, REFS).split(".")
    altered = {
        "iss": ISSUER,
        "lists": [["https://city.example/status/1", [131_070]], ["https://city.example/status/2", [5]]],
    }
    refused(f"{version}.{b64url_encode(json_dumps(altered).encode())}.{mac}")


def test_a_receipt_from_another_key_is_refused() -> None:
    refused(make_receipt(OTHER_KEY, ISSUER, REFS))


@pytest.mark.parametrize("cut", [1, 2, 10, 43, 44, 60])
def test_a_truncated_receipt_is_refused(cut: int) -> None:
    receipt = make_receipt(KEY, ISSUER, REFS)
    refused(receipt[:-cut])
    refused(receipt[cut:])


def test_an_oversized_receipt_is_refused_before_decoding() -> None:
    error = refused("ckr1." + "A" * MAX_RECEIPT_CHARS + ".AAAA")
    assert str(MAX_RECEIPT_CHARS) in error.message
    refused(" " * (MAX_RECEIPT_CHARS + 1) + make_receipt(KEY, ISSUER, REFS))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ckr1",
        "ckr1..",
        "ckr2.e30.AAAA",
        "ckr3.e30.AAAA",
        "CKR2.e30.AAAA",
        "ckr1.e30.AAAA.extra",
        "ckr1.e30.not base64",
        "ckr1.é.AAAA",
        None,
        b"ckr1.e30.AAAA",
        ["ckr1"],
    ],
)
def test_garbage_is_refused(text: Any) -> None:
    refused(text)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        [],
        {"iss": ISSUER},
        {"iss": ISSUER, "refs": []},
        {"iss": "", "refs": [["u", 1]]},
        {"iss": 7, "refs": [["u", 1]]},
        {"iss": ISSUER, "refs": [["u", 1]], "name": "Ada"},
        {"iss": ISSUER, "refs": [["u", -1]]},
        {"iss": ISSUER, "refs": [["u", True]]},
        {"iss": ISSUER, "refs": [["u", 1.0]]},
        {"iss": ISSUER, "refs": [["", 1]]},
        {"iss": ISSUER, "refs": [["u", 1, 2]]},
        {"iss": ISSUER, "refs": [{"uri": "u", "idx": 1}]},
        {"iss": ISSUER, "refs": [["u", 1], ["u", 1]]},
        {"iss": ISSUER, "refs": [["u", i] for i in range(MAX_REFS + 1)]},
    ],
)
def test_a_well_maced_but_malformed_version_1_payload_is_refused(payload: Any) -> None:
    refused(forge(payload, version=VERSION_1))


@pytest.mark.parametrize(
    "payload",
    [
        {"iss": ISSUER, "refs": [["u", 1]]},  # a version 1 payload under the version 2 label
        {"iss": ISSUER, "lists": []},
        {"iss": ISSUER, "lists": [["u", []]]},
        {"iss": ISSUER, "lists": [["u", 1]]},
        {"iss": ISSUER, "lists": [["", [1]]]},
        {"iss": ISSUER, "lists": [["u", [1]], "v"]},
        {"iss": ISSUER, "lists": [["u", [1], [2]]]},
        {"iss": ISSUER, "lists": [["u", [2, 1]]]},  # not ascending
        {"iss": ISSUER, "lists": [["u", [1, 1]]]},  # repeated
        {"iss": ISSUER, "lists": [["u", [-1]]]},
        {"iss": ISSUER, "lists": [["u", [True]]]},
        {"iss": ISSUER, "lists": [["u", [1.0]]]},
        {"iss": ISSUER, "lists": [["v", [1]], ["u", [2]]]},  # lists out of order
        {"iss": ISSUER, "lists": [["u", [1]], ["u", [2]]]},  # a list named twice
        {"iss": ISSUER, "lists": [["u", list(range(MAX_REFS + 1))]]},
        {"iss": ISSUER, "lists": [["u", list(range(MAX_REFS))], ["v", [0]]]},
        {"iss": "", "lists": [["u", [1]]]},
        {"iss": ISSUER, "lists": [["u", [1]]], "name": "Ada"},
    ],
)
def test_a_well_maced_but_malformed_version_2_payload_is_refused(payload: Any) -> None:
    refused(forge(payload))


def test_a_version_1_receipt_printed_before_still_revokes_its_refs() -> None:
    printed = forge({"iss": ISSUER, "refs": [["https://city.example/status/1", 131_071],
                                              ["https://city.example/status/2", 5]]}, version=VERSION_1)
    assert set(open_receipt(KEY, printed)) == set(REFS)


def test_a_batch_of_receipts_is_a_small_qr_code() -> None:
    """Sixteen references in two lists of a 30-character issuer: about 380 characters (version 1: about 1,300)."""
    refs = [StatusRef(f"https://id.springfield.example/statuslists/{i % 2}", 100_000 + i * 997) for i in range(16)]
    assert len(make_receipt(KEY, "https://id.springfield.example", refs)) < 420


def test_a_payload_under_another_version_label_is_refused() -> None:
    good = make_receipt(KEY, ISSUER, REFS)
    _, payload, _ = good.split(".")
    relabelled = forge(b64url_decode(payload), version="ckr0")
    refused("ckr1." + relabelled.split(".", 1)[1])


def test_making_a_receipt_checks_its_inputs() -> None:
    with pytest.raises(UsageError):
        make_receipt(b"short", ISSUER, REFS)
    with pytest.raises(UsageError):
        make_receipt(KEY, "", REFS)
    with pytest.raises(UsageError):
        make_receipt(KEY, ISSUER, [])
    with pytest.raises(UsageError):
        make_receipt(KEY, ISSUER, [StatusRef("u", i) for i in range(MAX_REFS + 1)])
    with pytest.raises(UsageError):
        make_receipt(KEY, ISSUER, [StatusRef("u", -1)])
    # The largest batch with realistic URIs still fits the size limit.
    many = [StatusRef(f"https://city.example/status/{i % 7}", 131_000 + i) for i in range(MAX_REFS)]
    assert len(open_receipt(KEY, make_receipt(KEY, ISSUER, many))) == MAX_REFS


@given(st.text(alphabet=string.printable + "é\x00", max_size=200))
def test_arbitrary_text_is_refused_without_a_traceback(text: str) -> None:
    with pytest.raises(ReceiptInvalid):
        open_receipt(KEY, text)


@given(st.data())
def test_any_single_character_change_is_refused(data: st.DataObject) -> None:
    receipt = make_receipt(KEY, ISSUER, REFS)
    pos = data.draw(st.integers(0, len(receipt) - 1))
    char = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_."))
    assume(receipt[pos] != char)
    with pytest.raises(ReceiptInvalid):
        open_receipt(KEY, receipt[:pos] + char + receipt[pos + 1 :])
