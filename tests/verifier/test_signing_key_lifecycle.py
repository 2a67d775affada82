"""Keys over time, seen by a verifier: rotation overlap, retirement, compromise, strangers, unknown lists."""

from __future__ import annotations

import pytest

from tests.verifier.springfield import DAY, PASSPHRASE, T0, City, CityMaker, accept, refusal
from wallet_spec import jws
from wallet_spec.profile import Resident
from wallet_spec.sdjwt import SdJwt

LIFETIME = 365 * DAY
"""The longest credential lifetime (CITY_ID.lifetime_days), passed to rotate."""


def kids(credentials: tuple[str, ...]) -> set[str]:
    """The kids of the keys that signed these credentials."""
    return {jws.parse(SdJwt.parse(c).jwt).header["kid"] for c in credentials}


def test_credential_from_the_old_key_still_verifies_after_rotation(
    city: City, erika: Resident, neighbour: Resident
) -> None:
    old_holder = city.enrol(erika, now=T0)
    old_kid = city.store.active().kid
    assert kids(old_holder.batch.credentials) == {old_kid}
    rotated_at = T0 + 30 * DAY
    new = city.store.rotate(PASSPHRASE, now=rotated_at, max_credential_lifetime=LIFETIME)
    bundle = city.bundle(now=rotated_at)
    assert {k.kid for k in bundle.key_list.keys} == {old_kid, new.kid}

    now = rotated_at + 60
    assert accept(old_holder.present(now=now), bundle, now=now).claims["age_over_65"] is True
    new_holder = city.enrol(neighbour, now=rotated_at)
    assert kids(new_holder.batch.credentials) == {new.kid}
    assert accept(new_holder.present(now=now), bundle, now=now).claims["age_over_65"] is False


def test_after_the_longest_lifetime_the_old_key_leaves_the_list(city: City, erika: Resident) -> None:
    old_holder = city.enrol(erika, now=T0)
    old_kid = city.store.active().kid
    rotated_at = T0 + 30 * DAY
    city.store.rotate(PASSPHRASE, now=rotated_at, max_credential_lifetime=LIFETIME)

    almost = rotated_at + LIFETIME - 1
    assert old_kid in {k.kid for k in city.bundle(now=almost).key_list.keys}
    later = rotated_at + LIFETIME
    assert city.store.refresh(later) == (old_kid,)
    bundle = city.bundle(now=later)
    assert old_kid not in {k.kid for k in bundle.key_list.keys}
    assert old_kid not in bundle.key_list.revoked  # retired, not revoked
    # Its credentials had expired anyway; the verifier reports both reasons.
    assert refusal(old_holder.present(now=later), bundle, now=later) == ["expired", "unknown_key"]


def test_compromised_active_key_is_refused_at_once_and_its_replacement_works(
    city: City, erika: Resident, neighbour: Resident
) -> None:
    holder = city.enrol(erika, now=T0)
    kid = city.store.active().kid
    leaked_at = T0 + 10 * DAY
    replacement = city.store.revoke(kid, reason="compromised", now=leaked_at, passphrase=PASSPHRASE)
    assert replacement is not None
    bundle = city.bundle(now=leaked_at)
    assert kid in bundle.key_list.revoked
    now = leaked_at + 60
    assert refusal(holder.present(now=now), bundle, now=now) == ["key_revoked"]
    reissued = city.enrol(neighbour, now=leaked_at)
    assert kids(reissued.batch.credentials) == {replacement.kid}
    assert accept(reissued.present(now=now), bundle, now=now).warnings == ()


def test_compromised_retiring_key_is_refused_at_once(city: City, erika: Resident, neighbour: Resident) -> None:
    old_holder = city.enrol(erika, now=T0)
    old_kid = city.store.active().kid
    city.store.rotate(PASSPHRASE, now=T0 + 30 * DAY, max_credential_lifetime=LIFETIME)
    new_holder = city.enrol(neighbour, now=T0 + 30 * DAY)
    leaked_at = T0 + 40 * DAY  # an old backup of the retiring key turned up
    assert city.store.revoke(old_kid, reason="compromised", now=leaked_at, passphrase=PASSPHRASE) is None
    bundle = city.bundle(now=leaked_at)
    now = leaked_at + 60
    assert refusal(old_holder.present(now=now), bundle, now=now) == ["key_revoked"]
    assert accept(new_holder.present(now=now), bundle, now=now).warnings == ()


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("https://id.shelbyville.example", ["status_unknown", "unknown_key"]),
        # An impostor using our issuer id (so even our status list URIs) but keys of its own.
        ("https://id.springfield.example", ["unknown_key"]),
    ],
    ids=["another-city", "impostor-with-our-issuer-id"],
)
def test_credential_from_another_citys_issuer_is_unknown_key(
    new_city: CityMaker, city: City, erika: Resident, issuer: str, expected: list[str]
) -> None:
    city.enrol(erika, now=T0)  # so our bundle has a status list
    stranger = new_city("elsewhere", issuer=issuer).enrol(erika, now=T0)
    now = T0 + 60
    assert refusal(stranger.present(now=now), city.bundle(now=T0), now=now) == expected


def test_credential_whose_status_list_is_not_in_the_bundle_is_status_unknown(
    new_city: CityMaker, erika: Resident, neighbour: Resident
) -> None:
    small = new_city("small", list_size=8)
    first = small.enrol(erika, now=T0, count=8)  # fills list 1
    bundle = small.bundle(now=T0)
    late = small.enrol(neighbour, now=T0 + 3600)  # opens list 2, which this bundle predates
    (uri,) = {SdJwt.parse(c).payload()["status"]["status_list"]["uri"] for c in late.batch.credentials}
    assert uri not in bundle.status_lists
    now = T0 + 3700
    assert refusal(late.present(now=now), bundle, now=now) == ["status_unknown"]
    assert accept(first.present(now=now), bundle, now=now).warnings == ()
    assert accept(late.present(now=now), small.bundle(now=now), now=now).warnings == ()  # after the next sync
