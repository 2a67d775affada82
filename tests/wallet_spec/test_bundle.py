"""The trust bundle, built as the city builds it (a real key store and status registry), loaded as verifiers do.

The key store runs with a cheap KDF (as tests/keys does); the registry is SQLite in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import DAY, STATUS_LIFETIME, build_bundle
from keys import KeyStore
from tests.support import CITY_NOW, CITY_PASSPHRASE, SPRINGFIELD, with_payload
from wallet_spec import jws
from wallet_spec.bundle import MAX_BUNDLE_CHARS, TRUST_BUNDLE_TYP, load_bundle, sign_bundle
from wallet_spec.errors import FormatError, StatusUnknown, TooLarge, VerificationFailed
from wallet_spec.jwk import generate_private_key, thumbprint
from wallet_spec.statuslist import INVALID, VALID, StatusList, sign_token

NOW = CITY_NOW
ISSUER = SPRINGFIELD
PASSPHRASE = CITY_PASSPHRASE




@pytest.fixture
def text(store: KeyStore, registry: StatusRegistry) -> str:
    registry.allocate(3)  # opens list 1
    return build_bundle(store, registry, PASSPHRASE, now=NOW)


def codes(text: str, pin: str, *, now: int = NOW) -> list[str]:
    with pytest.raises(VerificationFailed) as info:
        load_bundle(text, pin, now=now)
    return sorted(info.value.codes)


# --- loading -----------------------------------------------------------------------------


def test_bundle_loads_with_the_right_pin_and_exposes_the_status_lists(
    store: KeyStore, registry: StatusRegistry
) -> None:
    refs = registry.allocate(3)
    registry.allocate(1024)  # fills list 1 and opens list 2
    loaded = load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW), store.root_thumbprint, now=NOW)
    assert loaded.issuer == ISSUER
    assert (loaded.issued_at, loaded.next_update) == (NOW, NOW + DAY)
    assert sorted(loaded.status_lists) == [registry.uri(1), registry.uri(2)]
    assert all(sl.status_list.size == 1024 for sl in loaded.status_lists.values())
    assert [loaded.status(ref.uri, ref.idx, now=NOW) for ref in refs] == [VALID] * 3
    assert [k.kid for k in loaded.key_list.keys] == [store.active().kid]


def test_bundle_shows_a_revocation_once_rebuilt(store: KeyStore, registry: StatusRegistry) -> None:
    revoked, kept = registry.allocate(2)
    before = load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW), store.root_thumbprint, now=NOW)
    registry.revoke([revoked])
    after = load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW + 60), store.root_thumbprint, now=NOW + 60)
    assert before.status(revoked.uri, revoked.idx, now=NOW) == VALID  # an old bundle cannot know
    assert after.status(revoked.uri, revoked.idx, now=NOW) == INVALID
    assert after.status(kept.uri, kept.idx, now=NOW) == VALID


def test_surrounding_whitespace_is_ignored(store: KeyStore, text: str) -> None:
    assert load_bundle(f"\n  {text}\n", store.root_thumbprint, now=NOW).issuer == ISSUER


def test_bundle_with_a_wrong_pin_is_bundle_invalid(text: str) -> None:
    assert codes(text, thumbprint(generate_private_key())) == ["bundle_invalid"]


def test_bundle_from_another_city_is_bundle_invalid(tmp_path: Path, store: KeyStore, registry: StatusRegistry) -> None:
    other = KeyStore.init(tmp_path / "other", "https://id.shelbyville.example", PASSPHRASE, now=NOW)
    theirs = build_bundle(other, registry, PASSPHRASE, now=NOW)
    assert codes(theirs, store.root_thumbprint) == ["bundle_invalid"]


@pytest.mark.parametrize(
    "edit",
    [
        {"issued_at": NOW + 6 * DAY},  # make an old bundle look fresh
        {"next_update": NOW + 365 * DAY},
        {"status_lists": []},  # drop the lists: everything becomes status_unknown, not revoked
        {"iss": "https://id.springfield.example/evil"},
    ],
    ids=repr,
)
def test_bundle_whose_payload_was_edited_is_bundle_invalid(store: KeyStore, text: str, edit: dict[str, Any]) -> None:
    edited = with_payload(text, {**jws.parse(text).payload, **edit})
    assert "bundle_invalid" in codes(edited, store.root_thumbprint)


def test_bundle_with_a_swapped_status_list_is_bundle_invalid(store: KeyStore, registry: StatusRegistry) -> None:
    ref = registry.allocate(1)[0]
    old = build_bundle(store, registry, PASSPHRASE, now=NOW)
    registry.revoke([ref])
    new = build_bundle(store, registry, PASSPHRASE, now=NOW + 60)
    # The old (pre-revocation) status list token, signed and still valid, put into the new bundle.
    payload = {**jws.parse(new).payload, "status_lists": jws.parse(old).payload["status_lists"]}
    assert codes(with_payload(new, payload), store.root_thumbprint, now=NOW + 60) == ["bundle_invalid"]


def test_bundle_signed_by_a_key_not_in_its_key_list_is_bundle_invalid(store: KeyStore, text: str) -> None:
    claims = jws.parse(text).payload
    intruder = generate_private_key()
    for kid in (thumbprint(intruder), store.active().kid):  # its own kid, or the real key's kid
        forged = sign_bundle(
            key_list_token=claims["key_list"],
            status_list_tokens=claims["status_lists"],
            issuer=ISSUER,
            issued_at=NOW,
            next_update=NOW + DAY,
            signing_key=intruder,
            kid=kid,
        )
        assert codes(forged, store.root_thumbprint) == ["bundle_invalid"]


def test_bundle_signed_by_the_root_instead_of_a_signing_key_is_bundle_invalid(store: KeyStore, text: str) -> None:
    claims = jws.parse(text).payload
    root = store.root_key(PASSPHRASE)
    forged = sign_bundle(
        key_list_token=claims["key_list"], status_list_tokens=claims["status_lists"], issuer=ISSUER,
        issued_at=NOW, next_update=NOW + DAY, signing_key=root, kid=thumbprint(root),
    )
    assert codes(forged, store.root_thumbprint) == ["bundle_invalid"]


def test_bundle_signed_by_a_revoked_key_is_bundle_invalid(store: KeyStore, registry: StatusRegistry) -> None:
    kid, stolen = store.active_signing_key(PASSPHRASE)
    store.revoke(kid, reason="compromised", now=NOW + 60, passphrase=PASSPHRASE)
    honest = build_bundle(store, registry, PASSPHRASE, now=NOW + 120)
    claims = jws.parse(honest).payload
    forged = sign_bundle(
        key_list_token=claims["key_list"], status_list_tokens=[], issuer=ISSUER,
        issued_at=NOW + 120, next_update=NOW + DAY, signing_key=stolen, kid=kid,
    )
    assert codes(forged, store.root_thumbprint, now=NOW + 120) == ["bundle_invalid"]
    assert load_bundle(honest, store.root_thumbprint, now=NOW + 120).key_list.revoked == {kid}


def test_bundle_with_the_wrong_typ_is_refused(store: KeyStore, text: str) -> None:
    kid, key = store.active_signing_key(PASSPHRASE)
    forged = jws.sign({"typ": "jwt", "kid": kid}, jws.parse(text).payload, key)
    assert codes(forged, store.root_thumbprint) == ["typ_invalid"]
    assert jws.parse(text).header["typ"] == TRUST_BUNDLE_TYP


def test_bundle_whose_key_list_has_expired_is_bundle_stale(store: KeyStore, text: str) -> None:
    key_list_exp = jws.parse(jws.parse(text).payload["key_list"]).payload["exp"]
    assert codes(text, store.root_thumbprint, now=key_list_exp) == ["bundle_stale"]


def test_bundle_over_the_size_limit_is_too_large(store: KeyStore, text: str) -> None:
    padded = text + " " * (MAX_BUNDLE_CHARS - len(text))
    assert load_bundle(padded, store.root_thumbprint, now=NOW).issuer == ISSUER
    with pytest.raises(TooLarge) as info:
        load_bundle(padded + " ", store.root_thumbprint, now=NOW)
    assert info.value.code == "too_large"


# --- status ---------------------------------------------------------------------------------


def test_expired_status_list_makes_its_credentials_status_unknown(store: KeyStore, registry: StatusRegistry) -> None:
    ref = registry.allocate(1)[0]
    text = build_bundle(store, registry, PASSPHRASE, now=NOW)
    later = NOW + STATUS_LIFETIME + 60  # the status token has expired; the key list (30 days) has not
    loaded = load_bundle(text, store.root_thumbprint, now=later)
    assert loaded.status_lists == {}
    with pytest.raises(StatusUnknown) as info:
        loaded.status(ref.uri, ref.idx, now=NOW)
    assert info.value.code == "status_unknown"


def test_status_list_signed_by_a_key_outside_the_list_is_ignored(store: KeyStore, registry: StatusRegistry) -> None:
    ref = registry.allocate(1)[0]
    kid, key = store.active_signing_key(PASSPHRASE)
    intruder = generate_private_key()
    registry.revoke([ref])
    honest = load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW), store.root_thumbprint, now=NOW)
    assert honest.status(ref.uri, ref.idx, now=NOW) == INVALID
    # A status list token that says "all valid", signed by a key the city does not list.
    forged = sign_token(
        StatusList.new(1024), uri=ref.uri, key=intruder, kid=thumbprint(intruder), iat=NOW, exp=NOW + DAY, ttl=DAY
    )
    text = sign_bundle(
        key_list_token=store.published_key_list(PASSPHRASE, now=NOW), status_list_tokens=[forged],
        issuer=ISSUER, issued_at=NOW, next_update=NOW + DAY, signing_key=key, kid=kid,
    )
    loaded = load_bundle(text, store.root_thumbprint, now=NOW)
    with pytest.raises(StatusUnknown):
        loaded.status(ref.uri, ref.idx, now=NOW)


@pytest.mark.parametrize("where", ["unknown uri", "index past the end", "negative index", "uri not a string"])
def test_status_with_no_list_to_answer_is_status_unknown(store: KeyStore, text: str, where: str) -> None:
    loaded = load_bundle(text, store.root_thumbprint, now=NOW)
    (uri,) = loaded.status_lists
    uri_idx: dict[str, tuple[Any, Any]] = {
        "unknown uri": (f"{ISSUER}/statuslists/99", 0),
        "index past the end": (uri, 1024),
        "negative index": (uri, -1),
        "uri not a string": (None, 0),
    }
    with pytest.raises(StatusUnknown):
        loaded.status(*uri_idx[where], now=NOW)


def test_bundle_with_two_status_lists_for_one_uri_is_refused(
    store: KeyStore, registry: StatusRegistry, text: str
) -> None:
    """Otherwise the later list would silently win, e.g. an old all-valid one after the current one."""
    claims = jws.parse(text).payload
    kid, key = store.active_signing_key(PASSPHRASE)
    doubled = sign_bundle(
        key_list_token=claims["key_list"],
        status_list_tokens=[*claims["status_lists"], *claims["status_lists"]],
        issuer=ISSUER,
        issued_at=NOW,
        next_update=NOW + DAY,
        signing_key=key,
        kid=kid,
    )
    with pytest.raises(FormatError, match="two status lists"):
        load_bundle(doubled, store.root_thumbprint, now=NOW)


# --- the bundle's own window (docs/security.md item 9) -------------------------------------------


def test_bundle_signed_by_a_retiring_key_after_its_window_is_refused(store: KeyStore, registry: StatusRegistry) -> None:
    """After a rotation the old key may still verify old credentials, but no longer sign anything new."""
    old_kid, old_key = store.active_signing_key(PASSPHRASE)
    store.rotate(PASSPHRASE, now=NOW + 60, max_credential_lifetime=365 * DAY)
    honest = build_bundle(store, registry, PASSPHRASE, now=NOW + 120)
    claims = jws.parse(honest).payload
    assert any(k.kid == old_kid and k.not_after == NOW + 60
               for k in load_bundle(honest, store.root_thumbprint, now=NOW + 120).key_list.keys)
    by_retiring = sign_bundle(
        key_list_token=claims["key_list"], status_list_tokens=claims["status_lists"], issuer=ISSUER,
        issued_at=NOW + 120, next_update=NOW + 120 + DAY, signing_key=old_key, kid=old_kid,
    )
    assert codes(by_retiring, store.root_thumbprint, now=NOW + 120) == ["bundle_key_not_valid"]


def test_bundle_signed_by_the_old_key_before_the_rotation_still_loads(
    store: KeyStore, registry: StatusRegistry
) -> None:
    before = build_bundle(store, registry, PASSPHRASE, now=NOW)
    store.rotate(PASSPHRASE, now=NOW + 60, max_credential_lifetime=365 * DAY)
    assert load_bundle(before, store.root_thumbprint, now=NOW + 120).issued_at == NOW


@pytest.mark.parametrize("ahead", [61, 3600, 10 * 365 * DAY])
def test_bundle_issued_in_the_future_is_refused(store: KeyStore, registry: StatusRegistry, ahead: int) -> None:
    """Ten years ahead would switch the verifier's staleness check off for ten years."""
    future = build_bundle(store, registry, PASSPHRASE, now=NOW + ahead)
    assert codes(future, store.root_thumbprint, now=NOW) == ["bundle_not_yet_valid"]


def test_bundle_issued_within_the_clock_leeway_loads(store: KeyStore, registry: StatusRegistry) -> None:
    ahead = build_bundle(store, registry, PASSPHRASE, now=NOW + 60)
    assert load_bundle(ahead, store.root_thumbprint, now=NOW).issued_at == NOW + 60
