"""The root-signed key list: pinned root, tampering, expiry, and which key may have signed what."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import with_payload as resign_payload
from wallet_spec import jws
from wallet_spec.errors import FormatError, VerificationError, VerificationFailed
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk, thumbprint
from wallet_spec.keylist import KEY_LIST_TYP, KeyList, ListedKey, sign_key_list, signing_kid, verify_key_list

NOW = 1_767_225_600 + 37_000
DAY = 86_400
ISSUER = "https://id.springfield.example"


@pytest.fixture(scope="module")
def root() -> PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def other_root() -> PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {name: generate_private_key() for name in ("retiring", "active", "revoked", "stranger")}


def listed(key: PrivateKey, not_before: int, not_after: int | None = None) -> ListedKey:
    return ListedKey(signing_kid(key), public_jwk(key), not_before, not_after)


@pytest.fixture(scope="module")
def key_list(keys: dict[str, PrivateKey]) -> KeyList:
    """A rotation seen from the outside: one retiring key, one active, one revoked."""
    return KeyList(
        issuer=ISSUER,
        iat=NOW,
        exp=NOW + 30 * DAY,
        keys=(
            listed(keys["retiring"], NOW - 400 * DAY, NOW - 10 * DAY),
            listed(keys["active"], NOW - 10 * DAY),
        ),
        revoked=frozenset({signing_kid(keys["revoked"])}),
    )


def codes(token: str, pin: str, *, now: int = NOW) -> list[str]:
    with pytest.raises(VerificationFailed) as info:
        verify_key_list(token, pin, now=now)
    return sorted(info.value.codes)


# --- signing and pinning --------------------------------------------------------------


def test_list_signed_by_the_root_verifies_with_the_pinned_thumbprint(root: PrivateKey, key_list: KeyList) -> None:
    token = sign_key_list(key_list, root)
    assert verify_key_list(token, thumbprint(root), now=NOW) == key_list
    assert jws.parse(token).header == {"alg": "ES256", "typ": KEY_LIST_TYP, "kid": thumbprint(root)}


def test_list_carries_only_public_keys(root: PrivateKey, key_list: KeyList) -> None:
    payload = jws.parse(sign_key_list(key_list, root)).payload
    assert "d" not in payload["root"]
    assert all("d" not in k["jwk"] for k in payload["keys"])


def test_list_from_another_root_is_bundle_invalid(root: PrivateKey, other_root: PrivateKey, key_list: KeyList) -> None:
    assert codes(sign_key_list(key_list, other_root), thumbprint(root)) == ["bundle_invalid"]


def test_list_naming_the_pinned_root_but_signed_by_another_key_is_bundle_invalid(
    root: PrivateKey, other_root: PrivateKey, key_list: KeyList
) -> None:
    # The attacker copies the real root's public key into the list and signs with their own.
    claims = {**key_list.to_claims(), "root": public_jwk(root)}
    token = jws.sign({"typ": KEY_LIST_TYP, "kid": thumbprint(root)}, claims, other_root)
    assert codes(token, thumbprint(root)) == ["bundle_invalid"]


def test_list_with_a_tampered_payload_is_bundle_invalid(
    root: PrivateKey, key_list: KeyList, keys: dict[str, PrivateKey]
) -> None:
    token = sign_key_list(key_list, root)
    payload = jws.parse(token).payload
    payload["keys"].append(listed(keys["stranger"], 0).to_json())  # slip in a key of the attacker's
    assert codes(resign_payload(token, payload), thumbprint(root)) == ["bundle_invalid"]
    payload = jws.parse(token).payload
    payload["revoked"] = []  # un-revoke a compromised key
    assert codes(resign_payload(token, payload), thumbprint(root)) == ["bundle_invalid"]
    payload = jws.parse(token).payload
    payload["exp"] += 365 * DAY  # keep an old list alive
    assert codes(resign_payload(token, payload), thumbprint(root)) == ["bundle_invalid"]


def test_list_without_a_usable_root_key_is_bundle_invalid(root: PrivateKey, key_list: KeyList) -> None:
    token = sign_key_list(key_list, root)
    payload = jws.parse(token).payload
    del payload["root"]
    assert codes(resign_payload(token, payload), thumbprint(root)) == ["bundle_invalid"]


def test_list_with_the_wrong_typ_is_refused(root: PrivateKey, key_list: KeyList) -> None:
    claims = {**key_list.to_claims(), "root": public_jwk(root)}
    token = jws.sign({"typ": "jwt"}, claims, root)
    assert codes(token, thumbprint(root)) == ["typ_invalid"]


@pytest.mark.parametrize(("offset", "stale"), [(-1, False), (0, True), (DAY, True)])
def test_expired_list_is_bundle_stale(root: PrivateKey, key_list: KeyList, offset: int, stale: bool) -> None:
    token = sign_key_list(key_list, root)
    now = key_list.exp + offset
    if stale:
        assert codes(token, thumbprint(root), now=now) == ["bundle_stale"]
    else:
        assert verify_key_list(token, thumbprint(root), now=now).exp == key_list.exp


@pytest.mark.parametrize("revoked", ["abc", {"kid": 1}, [1], 5], ids=repr)
def test_revoked_that_is_not_a_list_of_kids_is_malformed(root: PrivateKey, key_list: KeyList, revoked: Any) -> None:
    claims = {**key_list.to_claims(), "root": public_jwk(root), "revoked": revoked}
    token = jws.sign({"typ": KEY_LIST_TYP}, claims, root)
    with pytest.raises(FormatError):
        verify_key_list(token, thumbprint(root), now=NOW)


@pytest.mark.parametrize("missing", ["iss", "iat", "exp", "keys"])
def test_list_missing_a_claim_is_malformed(root: PrivateKey, key_list: KeyList, missing: str) -> None:
    claims = {**key_list.to_claims(), "root": public_jwk(root)}
    del claims[missing]
    with pytest.raises(FormatError):
        verify_key_list(jws.sign({"typ": KEY_LIST_TYP}, claims, root), thumbprint(root), now=NOW)


# --- entries -------------------------------------------------------------------------------


def test_entry_whose_kid_is_not_its_keys_thumbprint_is_malformed(keys: dict[str, PrivateKey]) -> None:
    entry = {**listed(keys["active"], NOW).to_json(), "kid": signing_kid(keys["stranger"])}
    with pytest.raises(FormatError, match="thumbprint"):
        ListedKey.from_json(entry)


def test_signed_list_with_a_mislabelled_entry_is_malformed(
    root: PrivateKey, key_list: KeyList, keys: dict[str, PrivateKey]
) -> None:
    # Even the root's signature does not make a kid point at someone else's key.
    claims = {**key_list.to_claims(), "root": public_jwk(root)}
    claims["keys"][1]["kid"] = signing_kid(keys["stranger"])
    with pytest.raises(FormatError):
        verify_key_list(jws.sign({"typ": KEY_LIST_TYP}, claims, root), thumbprint(root), now=NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"kid": None},
        {"jwk": None},
        {"jwk": "x"},
        {"jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}},
        {"not_before": None},
        {"not_before": "2026-01-01"},
        {"not_before": True},
        {"not_after": 1.5},
    ],
    ids=repr,
)
def test_entry_with_a_missing_or_mistyped_field_is_malformed(
    keys: dict[str, PrivateKey], change: dict[str, Any]
) -> None:
    entry = {**listed(keys["active"], NOW).to_json(), **change}
    with pytest.raises(FormatError):
        ListedKey.from_json(entry)


def test_entry_round_trips_through_json(keys: dict[str, PrivateKey]) -> None:
    for entry in (listed(keys["active"], NOW), listed(keys["retiring"], NOW - DAY, NOW)):
        assert ListedKey.from_json(entry.to_json()) == entry


# --- key_for: which key may have signed a credential with this kid and iat --------------------


def key_for_code(key_list: KeyList, kid: Any, iat: Any) -> str:
    with pytest.raises(VerificationError) as info:
        key_list.key_for(kid, iat)
    return info.value.code


def test_key_for_returns_the_listed_public_key(key_list: KeyList, keys: dict[str, PrivateKey]) -> None:
    for name, iat in (("active", NOW), ("retiring", NOW - 100 * DAY)):
        found = key_list.key_for(signing_kid(keys[name]), iat)
        assert found.public_numbers() == keys[name].public_key().public_numbers()


def test_key_for_an_unlisted_kid_is_unknown_key(key_list: KeyList, keys: dict[str, PrivateKey]) -> None:
    assert key_for_code(key_list, signing_kid(keys["stranger"]), NOW) == "unknown_key"
    assert key_for_code(key_list, None, NOW) == "unknown_key"
    assert key_for_code(key_list, ["not", "a", "kid"], NOW) == "unknown_key"


def test_key_for_a_revoked_kid_is_key_revoked_whatever_the_iat(
    key_list: KeyList, keys: dict[str, PrivateKey]
) -> None:
    for iat in (NOW, NOW - 1000 * DAY, None):
        assert key_for_code(key_list, signing_kid(keys["revoked"]), iat) == "key_revoked"


def test_revocation_wins_over_a_listed_entry_for_the_same_kid(keys: dict[str, PrivateKey]) -> None:
    both = KeyList(ISSUER, NOW, NOW + DAY, (listed(keys["active"], 0),), frozenset({signing_kid(keys["active"])}))
    assert key_for_code(both, signing_kid(keys["active"]), NOW) == "key_revoked"


@pytest.mark.parametrize(
    ("name", "iat", "ok"),
    [
        ("retiring", NOW - 400 * DAY, True),  # not_before, inclusive
        ("retiring", NOW - 400 * DAY - 1, False),
        ("retiring", NOW - 10 * DAY, True),  # not_after, inclusive
        ("retiring", NOW - 10 * DAY + 1, False),
        ("retiring", NOW, False),  # credentials dated after rotation cannot come from the old key
        ("active", NOW - 10 * DAY, True),
        ("active", NOW - 10 * DAY - 1, False),  # before the key existed
        ("active", NOW + 10_000 * DAY, True),  # no not_after while active
        ("active", None, False),
        ("active", "2026-01-01", False),
        ("active", True, False),
    ],
)
def test_key_for_an_iat_outside_the_keys_window_is_key_not_valid(
    key_list: KeyList, keys: dict[str, PrivateKey], name: str, iat: Any, ok: bool
) -> None:
    if ok:
        key_list.key_for(signing_kid(keys[name]), iat)
    else:
        assert key_for_code(key_list, signing_kid(keys[name]), iat) == "key_not_valid"


def test_a_key_has_one_kid_the_whole_thumbprint_names_nothing(key_list: KeyList, keys: dict[str, PrivateKey]) -> None:
    """Credentials, status lists, the key list and the published JWKS name a key by one kid (issue 13)."""
    assert signing_kid(keys["active"]) == thumbprint(keys["active"])[:8]
    assert key_for_code(key_list, thumbprint(keys["active"]), NOW) == "unknown_key"
