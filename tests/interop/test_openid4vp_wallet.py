"""A wallet built on other implementations answers the city's OpenID4VP verifier, and the page learns the answer.

The wallet is two scripts on the OpenWallet Foundation's libraries, which know nothing of citykey:
`openid4vci_receive.mjs` takes a desk's offer (oid4vc-ts's OpenID4VCI client; holder keys of its
own), and `openid4vp_wallet.mjs` answers a request link: oid4vc-ts's OpenID4VP client fetches and
checks the signed Request Object (its `verifier_attestation` prefix; the attestation itself the
script checks, trusting the city's keys from `/.well-known/jwt-vc-issuer`), dcql-ts picks the
credential that answers the DCQL query, sd-jwt-js makes the key-bound presentation, and oid4vc-ts
encrypts the `direct_post.jwt` answer (ECDH-ES) and posts it. The verifier is the city's own router
(`verifier.online`) on loopback, for a library the city lists; the page polls its result with its
result key. A presentation bound to another nonce or audience is refused by the city with its
stable code, and the wallet refuses a request that the city's attestation does not vouch for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.browser.support import free_port, serving
from tests.interop.city import RESIDENT, City, accepted, pinned, refused
from tests.support import WaitingPage
from verifier.online import openid4vp_router
from verifier.openid4vp import OnlineVerifier
from verifier.policies import load_policies
from verifier.transactions import MemoryTransactions
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk
from wallet_spec.openid4vp import client_id

WALLET = "openid4vp_wallet.mjs"
OID4VP = pinned("@openid4vc/openid4vp")
LIBRARY = "https://library.springfield.example"
CLIENT_ID = client_id(LIBRARY)
SCOPE = ["resident_of", "given_name", "family_name", "address", "age_over_21"]


@contextmanager
def serve(city: City, *, signing: PrivateKey, listed: PrivateKey) -> Iterator[WaitingPage]:
    """The router of a verifier that signs with `signing` and shows the city's attestation for `listed`."""
    kid = city.list_verifier(LIBRARY, "Springfield Public Library", public_jwk(listed), SCOPE)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    verifier = OnlineVerifier(
        aud=LIBRARY, key=signing, attestation=lambda: city.attestation(kid), bundle=lambda at: city.bundle(),
        policies=load_policies(), store=MemoryTransactions(), public_url=url,
    )
    app = FastAPI()
    app.include_router(openid4vp_router(verifier))
    with serving(app, port, what="the city's online verifier"), httpx.Client(timeout=10) as http:
        yield WaitingPage(url, http)


@pytest.fixture(scope="module")
def service(city: City) -> Iterator[WaitingPage]:
    key = generate_private_key()
    with serve(city, signing=key, listed=key) as service:
        yield service


@pytest.fixture(scope="module")
def wallet(city: City, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The other wallet's file: a batch from a desk's offer, one credential of each type, its own holder keys."""
    path = tmp_path_factory.mktemp("foreign-wallet") / "wallet.json"
    accepted("openid4vci_receive.mjs", "--offer", city.offer().offer_uri, "--wallet", str(path))
    return path


def answer(wallet: Path, city: City, started: dict[str, Any], *args: str) -> dict[str, Any]:
    return accepted(WALLET, "--wallet", str(wallet), "--link", started["invocation"], "--trust", city.url, *args)


def test_the_page_learns_exactly_the_claims_the_other_wallet_disclosed(
    city: City, service: WaitingPage, wallet: Path
) -> None:
    started = service.start("library-signup")
    sent = answer(wallet, city, started)
    assert (sent["library"], sent["version"]) == (OID4VP, 100)  # the library reads the request as 1.0
    assert (sent["client_id"], sent["prefix"], sent["verifier"]) == (CLIENT_ID, "verifier_attestation",
                                                                    "Springfield Public Library")
    assert sent["vct"] == "urn:citykey:identity:1"
    assert sent["shown"] == {"city": ["address", "family_name", "given_name"]}  # not the birthdate
    assert (sent["enc"], sent["response_status"]) == ("A128GCM", 200)

    decided = service.decided(started)
    assert (decided["status"], decided["accepted"], decided["codes"]) == ("done", True, []), decided
    assert {c["label"]: c["value"] for c in decided["claims"]} == {
        "Given name": RESIDENT.given_name,
        "Family name": RESIDENT.family_name,
        "Address": "1 Elm Row, 62704 Springfield",
    }


def test_an_answer_encrypted_with_a256gcm_is_read_too(city: City, service: WaitingPage, wallet: Path) -> None:
    started = service.start("library-card")
    assert answer(wallet, city, started, "--enc", "A256GCM")["enc"] == "A256GCM"
    decided = service.decided(started)
    assert (decided["accepted"], [c["label"] for c in decided["claims"]]) == (True, ["Resident of"]), decided


def test_an_age_check_is_answered_from_a_residency_pass(city: City, service: WaitingPage, wallet: Path) -> None:
    started = service.start("age-21")
    sent = answer(wallet, city, started)
    assert sent["vct"] == "urn:citykey:residency:1"  # dcql-ts's first match: the pass that holds age_over_21
    assert sent["shown"] == {"city": ["age_over_21", "resident_of"]}  # a pass always shows resident_of
    decided = service.decided(started)
    assert (decided["accepted"], decided["codes"]) == (True, []), decided


@pytest.mark.parametrize(
    ("bound_to", "code"),
    [
        (["--kb-nonce", "another-transactions-nonce"], "nonce_mismatch"),
        (["--kb-aud", LIBRARY], "aud_mismatch"),  # the client id without its prefix (§14.1.2: the full one)
        (["--kb-aud", "verifier_attestation:https://elsewhere.example"], "aud_mismatch"),
    ],
    ids=["another nonce", "the bare client identifier", "another verifier"],
)
def test_a_presentation_bound_to_another_transaction_or_verifier_is_refused(
    city: City, service: WaitingPage, wallet: Path, bound_to: list[str], code: str
) -> None:
    started = service.start("library-signup")
    answer(wallet, city, started, *bound_to)  # the wallet did its part: the city answers every answer alike
    decided = service.decided(started)
    assert (decided["accepted"], decided["codes"]) == (False, [code]), decided
    assert decided["claims"] == []


def test_the_other_wallet_refuses_a_verifier_its_trusted_city_does_not_vouch_for(
    city: City, service: WaitingPage, wallet: Path
) -> None:
    started = service.start("library-signup")
    verdict = refused(WALLET, "--wallet", str(wallet), "--link", started["invocation"],
                      "--trust", "https://id.shelbyville.example")
    assert (verdict["by"], verdict["rule"], verdict["wrapped_by"]) == (WALLET, "verifier-attestation", OID4VP)
    assert f"it is issued by \"{city.url}\", not by the trusted https://id.shelbyville.example" in verdict["error"]
    assert service.decided(started)["status"] == "pending"  # nothing was sent


def test_the_other_wallet_refuses_a_request_not_signed_by_the_attested_key(city: City, wallet: Path) -> None:
    """The city's attestation for the listed key, on a request signed by another key."""
    with serve(city, signing=generate_private_key(), listed=generate_private_key()) as impostor:
        started = impostor.start("library-signup")
        verdict = refused(WALLET, "--wallet", str(wallet), "--link", started["invocation"], "--trust", city.url)
        assert (verdict["by"], verdict["rule"], verdict["wrapped_by"]) == (WALLET, "request-signature", OID4VP)
        assert verdict["error"] == "the Request Object is not signed by the key its attestation names (cnf.jwk)"
        assert impostor.decided(started)["status"] == "pending"
