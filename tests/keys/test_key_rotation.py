"""Rotation, retirement and revocation as a verifier sees them, through the root-signed key list."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from citykey_io import pem
from keys import KeyStore
from keys.store import METADATA_NAME
from wallet_spec.errors import (
    BundleStale,
    KeyNotValidThen,
    KeyRevoked,
    KeyStoreError,
    UnknownKey,
    UsageError,
    VerificationFailed,
)
from wallet_spec.jwk import generate_private_key, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import KeyList, signing_kid, verify_key_list
from wallet_spec.profile import Resident, coarse_day, issue_credential, verify_credential
from wallet_spec.sdjwt import SdJwt

DAY = 86_400
LIFETIME = 365 * DAY
RESIDENT = Resident("Dolores", "Sample", dt.date(1957, 4, 2), "Springfield")


def states(store: KeyStore) -> list[str]:
    records = store.records()
    return [k.state for k in records]


def credential(store: KeyStore, passphrase: bytes, now: int) -> SdJwt:
    kid, key = store.active_signing_key(passphrase)
    return issue_credential(RESIDENT, issuer=store.issuer_id, signing_key=key, kid=kid,
                            holder_key=generate_private_key().public_key(), status_idx=7,
                            status_uri="https://id.springfield.example/status/1", now=now)


def published(store: KeyStore, passphrase: bytes, now: int) -> KeyList:
    """What a verifier holds: the signed key list, checked against the pinned root thumbprint."""
    return verify_key_list(store.signed_key_list(passphrase, now=now), store.root_thumbprint, now=now)


def accepted(cred: SdJwt, key_list: KeyList, now: int) -> bool:
    verify_credential(cred.serialize(), lambda h, p: key_list.key_for(h.get("kid"), p.get("iat")),
                      key_binding=KeyBindingPolicy(required=False), now=now)
    return True


def test_rotation_new_key_signs_and_old_credentials_still_verify(store: KeyStore, passphrase: bytes,
                                                                 now: int) -> None:
    old_kid = store.active().kid
    old_cred = credential(store, passphrase, now)
    rotated_at = now + 40 * DAY
    new = store.rotate(passphrase, now=rotated_at, max_credential_lifetime=LIFETIME)
    assert store.active_signing_key(passphrase)[0] == new.kid != old_kid
    new_cred = credential(store, passphrase, rotated_at + 3600)
    later = rotated_at + 10 * DAY
    key_list = published(store, passphrase, later)
    assert [k.kid for k in key_list.keys] == [old_kid, new.kid]
    assert accepted(old_cred, key_list, later)
    assert accepted(new_cred, key_list, later)
    assert signing_kid(key_list.key_for(old_kid, coarse_day(now))) == old_kid


def test_rotation_windows_new_from_midnight_old_until_the_rotation(store: KeyStore, passphrase: bytes,
                                                                   now: int) -> None:
    old_kid = store.active().kid
    rotated_at = now + 40 * DAY + 5 * 3600
    new = store.rotate(passphrase, now=rotated_at, max_credential_lifetime=LIFETIME)
    assert new.not_before == coarse_day(rotated_at) < rotated_at
    old = store.record(old_kid)
    assert (old.state, old.not_after, old.retire_after) == ("retiring", rotated_at, rotated_at + LIFETIME)
    key_list = store.key_list(rotated_at)
    assert key_list.key_for(old_kid, coarse_day(rotated_at))  # rotation day: both keys valid
    assert key_list.key_for(new.kid, coarse_day(rotated_at))
    with pytest.raises(KeyNotValidThen):
        key_list.key_for(old_kid, coarse_day(rotated_at) + DAY)  # the old key cannot sign after rotation
    with pytest.raises(KeyNotValidThen):
        key_list.key_for(new.kid, coarse_day(rotated_at) - DAY)  # nor the new key before it existed


def test_after_the_max_lifetime_the_old_key_is_retired_unlisted_and_its_file_gone(
    store: KeyStore, store_dir: Path, passphrase: bytes, now: int
) -> None:
    old_kid = store.active().kid
    store.rotate(passphrase, now=now, max_credential_lifetime=LIFETIME)
    assert (store_dir / f"{old_kid}.pem").exists()
    assert store.refresh(now + LIFETIME - 1) == ()
    assert old_kid in {k.kid for k in store.key_list(now + LIFETIME - 1).keys}
    assert old_kid not in {k.kid for k in store.key_list(now + LIFETIME).keys}  # even before refresh
    assert store.refresh(now + LIFETIME) == (old_kid,)
    assert store.record(old_kid).state == "retired"
    assert not (store_dir / f"{old_kid}.pem").exists()
    assert KeyStore.open(store_dir).records() == store.records()
    key_list = published(store, passphrase, now + LIFETIME)
    with pytest.raises(UnknownKey):
        key_list.key_for(old_kid, coarse_day(now))
    assert old_kid not in {k["kid"] for k in store.jwks()["jwks"]["keys"]}


def test_a_later_rotation_retires_what_is_due(store: KeyStore, store_dir: Path, passphrase: bytes,
                                              now: int) -> None:
    first = store.active().kid
    store.rotate(passphrase, now=now, max_credential_lifetime=30 * DAY)
    store.rotate(passphrase, now=now + 31 * DAY, max_credential_lifetime=30 * DAY)
    assert states(store) == ["retired", "retiring", "active"]
    assert store.records()[0].kid == first
    assert not (store_dir / f"{first}.pem").exists()


def test_compromise_revoking_the_active_key_replaces_it_at_once(store: KeyStore, store_dir: Path,
                                                                passphrase: bytes, now: int) -> None:
    stolen = store.active().kid
    forged = credential(store, passphrase, now)
    at = now + 3 * DAY
    replacement = store.revoke(stolen, reason="compromised", now=at, passphrase=passphrase)
    assert replacement is not None
    assert store.active().kid == replacement.kid != stolen
    assert store.active_signing_key(passphrase)[0] == replacement.kid
    record = store.record(stolen)
    assert (record.state, record.revoked_at, record.reason) == ("revoked", at, "compromised")
    assert not (store_dir / f"{stolen}.pem").exists()
    key_list = published(store, passphrase, at)
    assert stolen in key_list.revoked
    assert stolen not in {k.kid for k in key_list.keys}
    with pytest.raises(KeyRevoked):
        key_list.key_for(stolen, coarse_day(now))
    with pytest.raises(VerificationFailed) as caught:
        accepted(forged, key_list, at)
    assert "key_revoked" in caught.value.codes
    assert accepted(credential(store, passphrase, at), key_list, at)
    assert stolen not in {k["kid"] for k in store.jwks()["jwks"]["keys"]}


def test_revoking_a_retiring_key_keeps_the_active_one(store: KeyStore, passphrase: bytes, now: int) -> None:
    old = store.active().kid
    new = store.rotate(passphrase, now=now, max_credential_lifetime=LIFETIME)
    assert store.revoke(old, reason="superseded", now=now + DAY, passphrase=passphrase) is None
    assert store.active().kid == new.kid
    assert store.key_list(now + DAY).revoked == frozenset({old})


def test_revoking_a_retired_key_lists_it_as_revoked(store: KeyStore, passphrase: bytes, now: int) -> None:
    old = store.active().kid
    store.rotate(passphrase, now=now, max_credential_lifetime=DAY)
    store.refresh(now + DAY)
    store.revoke(old, reason="compromised", now=now + 2 * DAY, passphrase=passphrase)
    assert old in store.key_list(now + 2 * DAY).revoked


def test_revoke_refuses_unknown_already_revoked_root_and_bad_reasons(store: KeyStore, passphrase: bytes,
                                                                     now: int) -> None:
    kid = store.active().kid
    with pytest.raises(KeyStoreError, match="no signing key"):
        store.revoke("A" * 43, reason="compromised", now=now, passphrase=passphrase)
    with pytest.raises(UsageError, match="root"):
        store.revoke(store.root_thumbprint, reason="compromised", now=now, passphrase=passphrase)
    with pytest.raises(UsageError, match="reason"):
        store.revoke(kid, reason="bored", now=now, passphrase=passphrase)
    store.revoke(kid, reason="compromised", now=now, passphrase=passphrase)
    with pytest.raises(KeyStoreError, match="already revoked"):
        store.revoke(kid, reason="compromised", now=now, passphrase=passphrase)


def test_rotate_refuses_a_clock_before_the_active_key_and_a_non_positive_lifetime(
    store: KeyStore, passphrase: bytes, now: int
) -> None:
    with pytest.raises(UsageError, match="clock"):
        store.rotate(passphrase, now=now - 1, max_credential_lifetime=LIFETIME)
    with pytest.raises(UsageError):
        store.rotate(passphrase, now=now, max_credential_lifetime=0)
    assert len(store.records()) == 1


def test_two_rotations_on_one_day_leave_three_valid_windows(store: KeyStore, passphrase: bytes, now: int) -> None:
    store.rotate(passphrase, now=now + 60, max_credential_lifetime=LIFETIME)
    store.rotate(passphrase, now=now + 120, max_credential_lifetime=LIFETIME)
    key_list = store.key_list(now + 180)
    assert [k.not_before for k in key_list.keys] == [coarse_day(now)] * 3
    assert all(key_list.key_for(k.kid, coarse_day(now)) for k in key_list.keys)


def test_a_key_list_signed_by_another_root_is_refused(store: KeyStore, passphrase: bytes, now: int,
                                                      tmp_path: Path, issuer_id: str) -> None:
    impostor = KeyStore.init(tmp_path / "impostor", issuer_id, passphrase, now=now)
    token = impostor.signed_key_list(passphrase, now=now)
    with pytest.raises(VerificationFailed) as caught:
        verify_key_list(token, store.root_thumbprint, now=now)
    assert caught.value.codes == ["bundle_invalid"]


def test_the_signed_key_list_verifies_with_the_pinned_root_until_it_expires(store: KeyStore, passphrase: bytes,
                                                                            now: int) -> None:
    token = store.signed_key_list(passphrase, now=now, validity=7 * DAY)
    key_list = verify_key_list(token, store.root_thumbprint, now=now + 7 * DAY - 1)
    assert (key_list.issuer, key_list.iat, key_list.exp) == (store.issuer_id, now, now + 7 * DAY)
    with pytest.raises(VerificationFailed) as caught:
        verify_key_list(token, store.root_thumbprint, now=now + 7 * DAY)
    assert isinstance(caught.value.errors[0], BundleStale)
    with pytest.raises(UsageError):
        store.key_list(now, validity=0)


def test_the_root_never_vouches_for_a_key_injected_into_the_metadata(
    store: KeyStore, store_dir: Path, passphrase: bytes, now: int
) -> None:
    """Someone who can write the directory but lacks the passphrase adds their own public key."""
    attacker = generate_private_key()
    path = store_dir / METADATA_NAME
    metadata = json.loads(path.read_text())
    entry = {**metadata["signing_keys"][0], "kid": signing_kid(attacker), "jwk": public_jwk(attacker),
             "state": "retiring", "not_after": now, "retire_after": now + LIFETIME}
    metadata["signing_keys"].insert(0, entry)
    path.write_text(json.dumps(metadata))
    tampered = KeyStore.open(store_dir)
    assert signing_kid(attacker) in {k.kid for k in tampered.key_list(now).keys}  # unsigned: no trust
    with pytest.raises(KeyStoreError, match="missing"):
        tampered.signed_key_list(passphrase, now=now)
    (store_dir / f"{signing_kid(attacker)}.pem").write_bytes(pem.encrypt(attacker, b"the attacker's own pass"))
    with pytest.raises(KeyStoreError):
        tampered.signed_key_list(passphrase, now=now)
