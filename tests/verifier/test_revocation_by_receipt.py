"""Revocation as a resident sees it: the receipt revokes their batch, and only theirs, from the next bundle."""

from __future__ import annotations

import pytest

from issuer.batch import revoke_with_receipt
from tests.verifier.springfield import T0, City, CityMaker, accept, refusal
from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.errors import ReceiptInvalid
from wallet_spec.profile import Resident


def test_revoked_batch_is_refused_and_other_residents_are_not_affected(
    city: City, erika: Resident, neighbour: Resident
) -> None:
    lost_phone = city.enrol(erika, now=T0)
    other = city.enrol(neighbour, now=T0)
    before = city.bundle(now=T0)

    assert revoke_with_receipt(lost_phone.batch.receipt, keys=city.signing_keys(),
                               registry=city.registry) == 4
    after = city.bundle(now=T0 + 600)
    now = T0 + 700
    for _ in range(4):  # every credential of the batch
        assert refusal(lost_phone.present(now=now), after, now=now) == ["revoked"]
    assert {c.uses for c in lost_phone.wallet.credentials} == {1}
    for _ in range(4):
        assert accept(other.present(now=now), after, now=now).claims["resident_of"] == "Springfield"
    # A verifier that has not synced yet cannot know: this is what the bundle age limit bounds.
    assert accept(lost_phone.present(now=now), before, now=now).warnings == ()


def test_revoking_with_the_same_receipt_again_changes_nothing(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    keys = city.signing_keys()
    assert revoke_with_receipt(holder.batch.receipt, keys=keys, registry=city.registry) == 4
    assert revoke_with_receipt(holder.batch.receipt, keys=keys, registry=city.registry) == 0
    now = T0 + 60
    assert refusal(holder.present(now=now), city.bundle(now=T0), now=now) == ["revoked"]


def flip_bit(receipt: str, part: int, bit: int) -> str:
    parts = receipt.split(".")
    raw = bytearray(b64url_decode(parts[part]))
    raw[bit // 8] ^= 1 << (bit % 8)
    parts[part] = b64url_encode(bytes(raw))
    return ".".join(parts)


@pytest.mark.parametrize(("part", "bit"), [(2, 0), (2, 255), (2, 100), (1, 0), (1, 40)],
                         ids=["mac-first", "mac-last", "mac-middle", "payload-first", "payload-40"])
def test_receipt_with_a_flipped_bit_is_refused_and_nothing_is_revoked(
    city: City, erika: Resident, part: int, bit: int
) -> None:
    holder = city.enrol(erika, now=T0)
    forged = flip_bit(holder.batch.receipt, part, bit)
    assert forged != holder.batch.receipt
    with pytest.raises(ReceiptInvalid) as info:
        revoke_with_receipt(forged, keys=city.signing_keys(), registry=city.registry)
    assert info.value.code == "receipt_invalid"
    assert all(not any(sl.data) for _, sl in city.registry.lists())
    now = T0 + 60
    assert accept(holder.present(now=now), city.bundle(now=T0), now=now).warnings == ()


def test_receipt_from_another_city_is_refused(new_city: CityMaker, city: City, erika: Resident) -> None:
    other = new_city("shelbyville")
    theirs = other.enrol(erika, now=T0)
    city.enrol(erika, now=T0)
    with pytest.raises(ReceiptInvalid):
        revoke_with_receipt(theirs.batch.receipt, keys=city.signing_keys(), registry=city.registry)
    assert all(not any(sl.data) for _, sl in city.registry.lists())
