"""An OpenID4VCI client built on another implementation receives a desk's offer: the city's credentials.

`openid4vci_receive.mjs` runs the OpenWallet Foundation's oid4vc-ts client (`@openid4vc/openid4vci`,
pinned in package-lock.json) against the real issuer on loopback: it resolves the offer the desk
made (`create_offer`, what the desk's enrol page calls), the issuer's and authorization server's
metadata, redeems the pre-authorized code (with the transaction code the desk shows, when the offer
has one), fetches a `c_nonce`, signs a key proof per credential with a holder key of its own and
asks for one credential per configuration. Each credential must verify from what the city publishes
(sd-jwt-js, in the script) and, here, under the city's signing key, hold the resident's claims, and
be bound to the key that asked for it. A wrong or missing transaction code and a redeemed offer are
refused, each by the rule that says so: the city's OAuth error code, or the library's own check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.interop.city import RESIDENT, City, accepted, now, pinned, refused
from wallet_spec import jws
from wallet_spec.profile import IDENTITY, RESIDENCY_VCT, STANDARD_TYPES, standard_types
from wallet_spec.sdjwt import SdJwt

SCRIPT = "openid4vci_receive.mjs"
LIBRARY = pinned("@openid4vc/openid4vci")


def signed_by_the_city(city: City, credential: str) -> bool:
    return jws.signature_valid(jws.parse(SdJwt.parse(credential).jwt), city.signing_key().key.public_key())


def check_batch(city: City, verdict: dict[str, Any], wallet: Path) -> None:
    assert verdict["library"] == LIBRARY
    assert (verdict["issuer"], verdict["version"]) == (city.url, "V1")  # the library reads the metadata as 1.0
    received = verdict["credentials"]
    assert [c["configuration"] for c in received] == [kind.name for kind in STANDARD_TYPES]
    assert verdict["denied"] == []
    assert {c["kid"] for c in received} == {city.signing_key().kid}
    for credential in received:
        assert credential["claims"]["iss"] == city.url
        assert credential["claims"]["cnf"]["jwk"] == credential["holder"]  # the key the script proved, its own
    assert len({json.dumps(c["holder"], sort_keys=True) for c in received}) == len(received)  # a key each
    held = json.loads(wallet.read_text())["credentials"]
    assert all(signed_by_the_city(city, c["credential"]) for c in held)

    (identity,) = [c["claims"] for c in received if c["vct"] == IDENTITY.vct]
    assert [identity[n] for n in ("given_name", "family_name", "birthdate")] == [
        RESIDENT.given_name, RESIDENT.family_name, RESIDENT.birthdate.isoformat()]
    assert identity["address"] == {"street_address": "1 Elm Row", "locality": "Springfield", "postal_code": "62704"}
    residency = [c["claims"] for c in received if c["vct"] == RESIDENCY_VCT]
    assert {c["resident_of"] for c in residency} == {RESIDENT.resident_of}
    ages = {n: v for claims in residency for n, v in claims.items() if n.startswith("age_")}
    assert ages == {f"age_over_{n}": True for n in (13, 16, 18, 21, 55, 62, 65)}


def test_an_offer_without_a_transaction_code_gives_the_residents_credentials(city: City, tmp_path: Path) -> None:
    offer = city.offer()
    verdict = accepted(SCRIPT, "--offer", offer.offer_uri, "--wallet", str(tmp_path / "wallet.json"))
    assert verdict["tx_code"] is None
    assert verdict["batch_size"] == city.state.settings.max_batch
    check_batch(city, verdict, tmp_path / "wallet.json")


def test_an_offer_with_a_transaction_code_gives_them_with_the_code_the_desk_shows(
    city: City, tmp_path: Path
) -> None:
    offer = city.offer(tx_code_length=6)
    assert offer.tx_code is not None
    verdict = accepted(SCRIPT, "--offer", offer.offer_uri, "--tx-code", offer.tx_code,
                       "--wallet", str(tmp_path / "wallet.json"))
    assert verdict["tx_code"] == {"input_mode": "numeric", "length": 6,
                                  "description": "The code the clerk shows you at the desk"}
    check_batch(city, verdict, tmp_path / "wallet.json")


def test_several_credentials_of_a_type_come_in_one_request_with_a_proof_each(city: City, tmp_path: Path) -> None:
    child = dataclasses.replace(RESIDENT, birthdate=dt.date(2016, 4, 2))  # five types: three of each fit the batch
    kinds = standard_types(child, now=now())
    verdict = accepted(SCRIPT, "--offer", city.offer(child).offer_uri, "--per-type", "3")
    assert [c["configuration"] for c in verdict["credentials"]] == [kind.name for kind in kinds for _ in range(3)]
    # Every offer names every type; the age passes not true for her are refused, and the library skips them.
    assert verdict["denied"] == [kind.name for kind in STANDARD_TYPES if kind not in kinds]
    assert len(verdict["denied"]) == 7
    assert len({json.dumps(c["holder"], sort_keys=True) for c in verdict["credentials"]}) == 3 * len(kinds)


@pytest.mark.parametrize(
    ("typed", "rule", "oauth_error", "words"),
    [
        ("wrong", "Oauth2ClientErrorResponseError", "invalid_grant", "wrong transaction code; 4 attempt(s) left"),
        (None, "Oauth2Error", None, "requires a 'tx_code' in the request, but the 'txCode' parameter was not provided"),
    ],
    ids=["wrong code: the city's invalid_grant", "no code: the library refuses to ask"],
)
def test_a_wrong_or_missing_transaction_code_is_refused(
    city: City, typed: str | None, rule: str, oauth_error: str | None, words: str
) -> None:
    offer = city.offer(tx_code_length=6)
    assert offer.tx_code is not None
    wrong = f"{(int(offer.tx_code) + 1) % 10**6:06d}"
    verdict = refused(SCRIPT, "--offer", offer.offer_uri, *(["--tx-code", wrong] if typed else []))
    assert (verdict["by"], verdict["rule"], verdict.get("oauth_error")) == (LIBRARY, rule, oauth_error)
    assert words in verdict["error"]
    if typed:  # the offer is still good: the resident types the right code
        assert accepted(SCRIPT, "--offer", offer.offer_uri, "--tx-code", offer.tx_code)["issuer"] == city.url


def test_an_offer_is_redeemed_once(city: City) -> None:
    offer = city.offer()
    accepted(SCRIPT, "--offer", offer.offer_uri)
    verdict = refused(SCRIPT, "--offer", offer.offer_uri)
    # The offer document is gone with the code: the library cannot even resolve it (the city's 404).
    assert (verdict["by"], verdict["rule"]) == (LIBRARY, "InvalidFetchResponseError")
    assert "no such offer: used, expired or never made" in verdict["error"]
