"""A verifier built on another SD-JWT VC library accepts the city's credentials from what the city publishes.

The city's real issuer app listens on loopback; its issuer id is that loopback URL, so a credential's
`iss` leads to the city itself. The reference wallet receives a batch over OpenID4VCI (HTTP), and each
credential goes to `sd_jwt_vc_verify.mjs`: a verifier on the OpenWallet Foundation's sd-jwt-js
(`package-lock.json` pins it), which knows nothing of citykey. It resolves the issuer's keys from
`/.well-known/jwt-vc-issuer`, picks the JWK whose `kid` is the header's, and has the library check the
signature, the disclosures, `exp`, the key binding and the status (it fetches the `statuslist+jwt`
itself). It accepts the city's credentials with the claims the city's own code reads from them, and
refuses a revoked one, one whose `kid` the city does not publish, and one with a tampered disclosure.

The city and the way scripts are run are in city.py and conftest.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.interop.city import City, pinned, run
from wallet.model import StoredCredential, Wallet
from wallet_spec import jws
from wallet_spec.disclosure import Disclosure
from wallet_spec.jwk import generate_private_key, thumbprint
from wallet_spec.keylist import signing_kid
from wallet_spec.profile import AGE_THRESHOLDS, IDENTITY, RESIDENCY_VCT, RESIDENT_VCT, STANDARD_TYPES
from wallet_spec.sdjwt import SdJwt, unfold

LIBRARY = pinned("@sd-jwt/sd-jwt-vc")
ME = "sd_jwt_vc_verify.mjs"
BUS, NONCE = "https://bus.example", "bus-nonce-123456"


@pytest.fixture(scope="module")
def batch(city: City) -> Wallet:
    return city.receive()


def foreign_verify(text: str, *args: str) -> tuple[int, dict[str, Any]]:
    """The other library's verdict on `text`: its exit code and the JSON it printed."""
    return run(ME, *args, stdin=text)


def refused(text: str, *args: str) -> dict[str, Any]:
    code, result = foreign_verify(text, *args)
    assert (code, result["accepted"]) == (1, False), result
    return result


def why(result: dict[str, Any]) -> tuple[str, str, str]:
    """Who refused (the library or the script), by which rule (the library's exception class), and its words."""
    return result["by"], result["rule"], result["error"]


def of_type(wallet: Wallet, vct: str) -> StoredCredential:
    return next(c for c in wallet.credentials if c.vct == vct)


REGISTERED = {"iss", "iat", "exp", "vct", "cnf", "status"}


def claims_the_city_signed(text: str) -> dict[str, Any]:
    """What the city's own code reads from a credential: every disclosure unfolded into the payload."""
    parsed = SdJwt.parse(text)
    claims = unfold(parsed.payload(), parsed.disclosures).claims
    claims.pop("_sd_alg", None)
    return claims


# --- accepted ------------------------------------------------------------------------------------------------


def test_every_city_credential_is_accepted_with_the_claims_the_city_signed(city: City, batch: Wallet) -> None:
    published = httpx.get(f"{city.url}/.well-known/jwt-vc-issuer").json()
    assert len(batch.credentials) == len(STANDARD_TYPES)  # one of each standard type (Dolores holds every pass)
    seen: dict[str, list[dict[str, Any]]] = {}
    for credential in batch.credentials:
        code, result = foreign_verify(credential.sd_jwt, "--vct", credential.vct)
        assert code == 0, result
        assert result["accepted"] is True
        assert result["library"] == LIBRARY
        assert result["metadata"] == f"{city.url}/.well-known/jwt-vc-issuer"
        assert result["issuer"] == city.url
        assert result["kid"] in {k["kid"] for k in published["jwks"]["keys"]}
        assert result["status_uri"].startswith(f"{city.url}/statuslists/")
        assert result["status"] == 0
        assert result["key_binding"] is False
        assert result["claims"] == claims_the_city_signed(credential.sd_jwt)
        seen.setdefault(result["claims"]["vct"], []).append(result["claims"])
    (identity,) = seen[IDENTITY.vct]
    assert [identity[n] for n in ("given_name", "family_name", "birthdate")] == ["Dolores", "Sample", "1957-04-02"]
    assert identity["address"] == {"street_address": "1 Elm Row", "locality": "Springfield", "postal_code": "62704"}
    ages = {name: value for claims in seen[RESIDENCY_VCT] for name, value in claims.items() if name.startswith("age_")}
    assert ages == {f"age_over_{n}": True for n in (13, 16, 18, 21, 55, 62, 65)}
    facts = sorted(tuple(sorted(set(claims) - REGISTERED)) for claims in seen[RESIDENT_VCT])  # fact passes, no _sd
    assert facts == sorted([("resident_of",), *(("age_over_" + str(n), "resident_of") for n in AGE_THRESHOLDS)])


def test_a_key_bound_presentation_is_accepted_with_only_what_it_discloses(batch: Wallet) -> None:
    text, _ = batch.present([("resident_of",), ("age_over_65",)], nonce=NONCE, aud=BUS, vct=RESIDENCY_VCT)
    code, result = foreign_verify(text, "--nonce", NONCE, "--aud", BUS, "--vct", RESIDENCY_VCT)
    assert code == 0, result
    assert result["key_binding"] is True
    assert result["claims"]["resident_of"] == "Springfield"
    assert result["claims"]["age_over_65"] is True
    assert "given_name" not in result["claims"]
    assert "birthdate" not in result["claims"]

    other_nonce = refused(text, "--nonce", "another-nonce-000", "--aud", BUS)
    assert (other_nonce["by"], other_nonce["error"]) == (LIBRARY, "Verify Error: Invalid Nonce")
    other_aud = refused(text, "--nonce", NONCE, "--aud", "https://elsewhere.example")
    assert (other_aud["by"], other_aud["rule"]) == (ME, "key-binding")


# --- refused -------------------------------------------------------------------------------------------------


def test_a_revoked_credential_is_refused_for_its_status(city: City) -> None:
    wallet = city.receive()
    credential = of_type(wallet, IDENTITY.vct).sd_jwt
    assert foreign_verify(credential)[0] == 0

    answer = httpx.post(f"{city.url}/revocations", json={"receipt": wallet.receipts[-1]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked"] == len(wallet.credentials)

    for held in wallet.credentials:
        result = refused(held.sd_jwt)
        assert why(result) == (LIBRARY, "SDJWTException", "Status is not valid")


@pytest.mark.parametrize("signer", ["the city's key under its whole thumbprint", "a key the city never published"])
def test_a_credential_whose_kid_names_no_published_key_is_refused(city: City, batch: Wallet, signer: str) -> None:
    """The credential as the city issued it, re-signed under a header `kid` the metadata does not list."""
    original = SdJwt.parse(of_type(batch, IDENTITY.vct).sd_jwt)
    signed = jws.parse(original.jwt)
    if signer.startswith("the city's"):
        key = city.signing_key().key
        kid = thumbprint(key)  # the defect before the fix: 43 characters where the JWKS says 8
    else:
        key = generate_private_key()
        kid = signing_kid(key)
    jwt = jws.sign({**signed.header, "kid": kid}, signed.payload, key)
    result = refused(SdJwt(jwt, original.disclosures).serialize())
    assert (result["by"], result["rule"]) == (ME, "kid")
    assert f'no key with kid "{kid}" in the issuer metadata at {city.url}/.well-known/jwt-vc-issuer' in result["error"]


def test_a_tampered_disclosure_is_refused(batch: Wallet) -> None:
    original = SdJwt.parse(of_type(batch, IDENTITY.vct).sd_jwt)
    family = next(d for d in original.disclosures if d.name == "family_name")
    forged = Disclosure.create(family.salt, "family_name", "Mallory")  # same salt, another name: another digest
    disclosures = tuple(forged if d is family else d for d in original.disclosures)
    result = refused(SdJwt(original.jwt, disclosures).serialize())
    assert (result["by"], result["rule"]) == (ME, "disclosure")
    assert '"family_name"' in result["error"]


def test_an_expired_credential_and_an_unexpected_type_are_refused(batch: Wallet) -> None:
    credential = of_type(batch, IDENTITY.vct).sd_jwt
    exp = SdJwt.parse(credential).payload()["exp"]
    expired = refused(credential, "--now", str(exp + 1))
    assert why(expired) == (LIBRARY, "SDJWTException", "Verify Error: JWT is expired")
    wrong_type = refused(credential, "--vct", RESIDENCY_VCT)
    assert (wrong_type["by"], wrong_type["rule"]) == (ME, "vct")
