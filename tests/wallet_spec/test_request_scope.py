"""docs/security.md item 3: verifiers are scoped by the city, and the root vouches for them.

A listed verifier may ask a wallet only for the claims the city registered for it
(`may_ask`); an unsigned request, whatever name it gives itself, is answered only
when the holder has accepted an unknown asker; and the list reaches wallets only
under the root's signature, so neither a signing key (which signs the bundle) nor
a writer of the key store's directory can add a verifier wallets trust.
"""

from __future__ import annotations

import json

import pytest

from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle
from keys import KeyStore
from keys.store import VERIFIERS_NAME
from tests.support import CITY_NOW, CITY_PASSPHRASE, SPRINGFIELD
from wallet.model import Wallet
from wallet_spec import jws
from wallet_spec.bundle import load_bundle, sign_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk
from wallet_spec.profile import Resident
from wallet_spec.request import (
    ListedVerifier,
    Request,
    check_answerable,
    encode_request,
    in_scope,
    make_request,
    parse_request,
    sign_request,
)

NOW = CITY_NOW
BUS = "https://bus.springfield.example"
ISSUER = SPRINGFIELD
PASSPHRASE = CITY_PASSPHRASE
TRANSIT_SCOPE = ["resident_of", "age_over_65"]
EVERYTHING = ["given_name", "family_name", "birthdate", "address"]


@pytest.fixture(scope="module")
def bus_key() -> PrivateKey:
    return generate_private_key()


@pytest.fixture
def transit(bus_key: PrivateKey) -> ListedVerifier:
    return ListedVerifier.create(BUS, "Springfield Transit", public_jwk(bus_key), TRANSIT_SCOPE)


def codes(action: object) -> list[str]:
    with pytest.raises(VerificationFailed) as info:
        action()  # type: ignore[operator]
    return info.value.codes


def signed(key: PrivateKey, claims: list[str], *, name: str = "Springfield Transit") -> str:
    return encode_request(sign_request(make_request(aud=BUS, claims=claims, name=name, now=NOW), key))


def test_a_listed_verifier_asking_for_name_birthdate_and_address_is_refused_as_out_of_scope(
    bus_key: PrivateKey, transit: ListedVerifier
) -> None:
    text = signed(bus_key, ["resident_of", *EVERYTHING])
    assert codes(lambda: parse_request(text, now=NOW, verifiers=[transit])) == ["request_out_of_scope"]
    with pytest.raises(VerificationFailed) as info:
        parse_request(text, now=NOW, verifiers=[transit])
    message = info.value.errors[0].message
    assert "resident_of, age_over_65" in message  # says what is allowed and what was asked, never a value
    assert "given_name" in message
    within = parse_request(signed(bus_key, ["age_over_65"]), now=NOW, verifiers=[transit])
    assert within.signer == transit


def test_a_scope_covers_the_parts_of_a_claim_but_not_the_whole_of_a_part() -> None:
    assert in_scope("address.postal_code", ["address"])
    assert in_scope("address", ["address"])
    assert not in_scope("address", ["address.postal_code"])
    assert not in_scope("address.locality", ["address.postal_code"])
    assert not in_scope("age_over_18", ["age_over_65"])


def test_the_wallet_refuses_an_out_of_scope_request_even_if_it_was_not_parsed_against_the_list(
    transit: ListedVerifier, erika_wallet: Wallet
) -> None:
    asked = make_request(aud=BUS, claims=["resident_of", "birthdate"], name="Springfield Transit", now=NOW)
    attributed = Request(asked.aud, asked.nonce, asked.claims, asked.exp, asked.name, signed=True, signer=transit)
    for allow_unsigned in (False, True):  # accepting unknown askers does not widen a listed one's scope
        with pytest.raises(VerificationFailed) as info:
            erika_wallet.answer(attributed, allow_unsigned=allow_unsigned, iat=NOW)
        assert info.value.codes == ["request_out_of_scope"]
    assert [c.uses for c in erika_wallet.credentials] == [0, 0]  # nothing was shown


def test_an_unsigned_request_naming_itself_city_hall_is_answered_only_after_the_holder_accepts_it(
    transit: ListedVerifier, erika_wallet: Wallet
) -> None:
    fake = make_request(aud="https://cityhall.springfield.example", claims=["given_name", "birthdate"],
                        name="Springfield City Hall", now=NOW)
    asked = parse_request(encode_request(fake), now=NOW, verifiers=[transit])
    assert asked.signer is None
    with pytest.raises(VerificationFailed) as info:
        erika_wallet.answer(asked, iat=NOW)
    assert info.value.codes == ["request_unsigned"]
    assert "unknown asker" in info.value.errors[0].message
    assert [c.uses for c in erika_wallet.credentials] == [0, 0]
    check_answerable(asked, allow_unsigned=True)  # the holder saw the warning and chose to answer
    text, _ = erika_wallet.answer(asked, allow_unsigned=True, iat=NOW)
    assert text


@pytest.fixture
def erika_wallet(store: KeyStore, registry: StatusRegistry) -> Wallet:
    import datetime as dt

    from issuer.batch import issue_batch
    from issuer.signing import SigningKeys

    wallet = Wallet()
    resident = Resident("Erika", "Mustermann", dt.date(1958, 3, 15), "Springfield")
    batch = issue_batch(resident, wallet.new_holder_keys(2), keys=SigningKeys.open(store, PASSPHRASE),
                        registry=registry, now=NOW)
    for credential in batch.credentials:
        wallet.import_credential(credential)
    return wallet




def test_a_verifier_added_by_a_signing_key_to_the_bundle_is_not_trusted(
    store: KeyStore, bus_key: PrivateKey, transit: ListedVerifier
) -> None:
    """The signing key lives on the online issuer machine; only the offline root may vouch for a verifier."""
    kid, key = store.active_signing_key(PASSPHRASE)
    claims = {"iss": ISSUER, "issued_at": NOW, "next_update": NOW + 86_400,
              "key_list": store.published_key_list(PASSPHRASE, now=NOW), "status_lists": [],
              "verifiers": [transit.to_json()]}
    text = jws.sign({"typ": "citykey-trust+jwt", "kid": kid}, claims, key)
    bundle = load_bundle(text, store.root_thumbprint, now=NOW)
    assert bundle.verifiers == ()
    assert codes(lambda: parse_request(signed(bus_key, ["resident_of"]), now=NOW, verifiers=bundle.verifiers)) == [
        "verifier_unknown"]


def test_a_verifier_written_into_the_key_store_reaches_wallets_only_when_the_root_signs_it(
    store: KeyStore, registry: StatusRegistry, bus_key: PrivateKey, transit: ListedVerifier
) -> None:
    store.published_key_list(PASSPHRASE, now=NOW)  # the ceremony: the root signs, then goes offline
    root_file = store.key_file(store.root_thumbprint)
    offline = root_file.with_suffix(".offline")
    root_file.rename(offline)
    # Someone who can write the directory, without the passphrase or the root, adds a verifier:
    (store.directory / VERIFIERS_NAME).write_text(json.dumps({"version": 1, "verifiers": [transit.to_json()]}))
    assert store.verifiers() == (transit,)
    bundle = load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW + 60), store.root_thumbprint,
                         now=NOW + 60)
    assert bundle.verifiers == ()
    # The next ceremony shows the list to the operator and signs it; from then on wallets trust it.
    offline.rename(root_file)
    bundle = load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW + 120), store.root_thumbprint,
                         now=NOW + 120)
    assert bundle.verifiers == (transit,)
    assert bundle.verifiers[0].may_ask == tuple(TRANSIT_SCOPE)  # the scope is under the root's signature too


def test_a_bundle_signed_before_the_root_signed_verifiers_still_loads(store: KeyStore) -> None:
    kid, key = store.active_signing_key(PASSPHRASE)
    text = sign_bundle(key_list_token=store.published_key_list(PASSPHRASE, now=NOW), status_list_tokens=[],
                       issuer=ISSUER, issued_at=NOW, next_update=NOW + 86_400, signing_key=key, kid=kid)
    assert load_bundle(text, store.root_thumbprint, now=NOW).verifiers == ()
