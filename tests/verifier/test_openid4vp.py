"""OpenID4VP 1.0 end to end over loopback HTTP: a city web service asks, the Python wallet answers.

The verifier is the real router (`verifier.online`) served by uvicorn; the wallet is
`wallet.openid4vp` with httpx, fetching the Request Object and posting the encrypted
answer; the page's side polls with its result key. Nothing is faked but the clock.
"""

from __future__ import annotations

import html
import re
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.batch import revoke_with_receipt
from issuer.trust_bundle import verifier_attestations
from tests.browser.support import free_port, serving
from tests.support import WaitingPage
from tests.verifier.kiosk import resident
from tests.verifier.springfield import City, Holder
from verifier.online import openid4vp_router
from verifier.openid4vp import OnlineVerifier
from verifier.policies import load_policies
from verifier.transactions import MemoryTransactions, TransactionStore
from wallet.openid4vp import answer, decline, fetch_request
from wallet_spec import jwe, openid4vp
from wallet_spec.errors import VerificationFailed
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk, thumbprint
from wallet_spec.profile import Resident

LIBRARY = "https://library.springfield.example"
SCOPE = ["resident_of", "given_name", "family_name", "address", "age_over_65"]


@dataclass
class Service(WaitingPage):
    city: City
    verifier: OnlineVerifier
    key: PrivateKey


def now() -> int:
    return int(time.time())


def listed_city(city: City, key: PrivateKey, scope: list[str]) -> None:
    city.store.register_verifier(LIBRARY, "Springfield Public Library", public_jwk(key), scope)


def online_verifier(city: City, key: PrivateKey, url: str, store: TransactionStore) -> OnlineVerifier:
    def attestation() -> str:
        keys = city.signing_keys()
        bundle = city.bundle_text(now=now())
        return verifier_attestations(bundle, kid=keys.kid, key=keys.key, now=now())[thumbprint(key)]

    return OnlineVerifier(
        aud=LIBRARY, key=key, attestation=attestation, bundle=lambda at: city.bundle(now=at),
        policies=load_policies(), store=store, public_url=url,
    )


@pytest.fixture
def service(city: City) -> Iterator[Service]:
    key = generate_private_key()
    listed_city(city, key, SCOPE)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    verifier = online_verifier(city, key, url, MemoryTransactions())
    app = FastAPI()
    app.include_router(openid4vp_router(verifier))
    with serving(app, port, what="online verifier"), httpx.Client(timeout=10) as http:
        yield Service(url, http, city, verifier, key)


def test_a_library_web_page_learns_only_the_disclosed_claims(service: Service) -> None:
    person = resident(7)
    holder = service.city.enrol(person, now=now())
    started = service.start("library-signup")
    assert started["invocation"].startswith("openid4vp://?client_id=verifier_attestation%3A")
    assert service.result(started).json()["status"] == "pending"

    asked = fetch_request(started["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    assert asked.verifier.name == "Springfield Public Library"
    assert asked.request.dcql.claim_names == ("given_name", "family_name", "address")
    sent = answer(asked, holder.wallet, http=service.http, now=now())
    assert len(sent.shown) == 1

    decided = service.result(started).json()
    assert decided["status"] == "done"
    assert decided["accepted"] is True, decided
    labels = {c["label"]: c["value"] for c in decided["claims"]}
    assert set(labels) == {"Given name", "Family name", "Address"}
    assert labels["Given name"] == person.given_name
    assert person.birthdate.isoformat() not in str(decided)  # not asked for, so not disclosed
    assert service.result(started).status_code == 404  # read once, then gone


def test_the_answer_is_bound_to_the_full_client_id_and_the_transactions_nonce(
    service: Service, erika: Resident
) -> None:
    holder = service.city.enrol(erika, now=now())
    first, second = service.start("library-card"), service.start("library-card")
    asked = fetch_request(first["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    text, _ = holder.wallet.present(asked.request.dcql.credentials[0].claims, nonce=asked.request.nonce,
                                    aud=asked.request.client_id, iat=now())
    other = fetch_request(second["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    # The first transaction's presentation, sent (correctly encrypted) as the answer to the second.
    sealed = jwe.encrypt(openid4vp.response_payload({"city": [text]}, other.request.state),
                         other.request.encryption_jwk)
    posted = service.http.post(other.request.response_uri, data={"response": sealed})
    assert posted.status_code == 200
    refused = service.result(second).json()
    assert refused["accepted"] is False
    assert refused["codes"] == ["nonce_mismatch"]


def test_a_declined_request_tells_the_page_at_once_and_only_that(service: Service, erika: Resident) -> None:
    service.city.enrol(erika, now=now())
    started = service.start("library-signup")
    asked = fetch_request(started["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    uri = asked.request.response_uri
    # Another transaction's state, a repeated field, another error, or both fields: refused, the request stays open.
    for form in ({"error": "access_denied", "state": "someone-elses"},
                 [("error", "access_denied"), ("error", "access_denied"), ("state", asked.request.state)],
                 {"error": "invalid_request", "state": asked.request.state},
                 {"error": "access_denied", "response": "x.y.z.w.v", "state": asked.request.state}):
        refused = service.http.post(uri, content=urllib.parse.urlencode(form),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert refused.status_code == 400, refused.text
    assert service.result(started).json()["status"] == "pending"

    decline(asked, http=service.http)
    decided = service.result(started).json()
    assert decided["status"] == "done"
    assert decided["accepted"] is False
    assert (decided["outcome"], decided["title"], decided["codes"]) == ("declined", "Declined", ["declined"])
    assert decided["claims"] == []
    assert "The person declined: nothing was shared." in str(decided)
    assert service.http.post(uri, data=openid4vp.decline_form(asked.request.state)).status_code == 404  # once


def test_a_page_without_the_result_key_learns_nothing(service: Service, erika: Resident) -> None:
    holder = service.city.enrol(erika, now=now())
    started = service.start("library-card")
    asked = fetch_request(started["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    answer(asked, holder.wallet, http=service.http, now=now())
    stranger = service.start("library-card")["result_key"]
    assert service.result(started, key=stranger).status_code == 404
    assert service.result(started).json()["accepted"] is True  # the real page still gets it


def test_an_answer_is_read_once_and_a_replayed_answer_is_refused(service: Service, erika: Resident) -> None:
    holder = service.city.enrol(erika, now=now())
    started = service.start("library-card")
    asked = fetch_request(started["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    text, _ = holder.wallet.present(asked.request.dcql.credentials[0].claims, nonce=asked.request.nonce,
                                    aud=asked.request.client_id, iat=now())
    sealed = jwe.encrypt(openid4vp.response_payload({"city": [text]}, asked.request.state),
                         asked.request.encryption_jwk)
    assert service.http.post(asked.request.response_uri, data={"response": sealed}).status_code == 200
    again = service.http.post(asked.request.response_uri, data={"response": sealed})
    assert again.status_code == 404
    assert again.json()["error"] == "transaction_unknown"
    assert service.result(started).json()["accepted"] is True


def test_a_wallet_refuses_a_request_outside_the_verifiers_registered_scope(city: City, erika: Resident) -> None:
    key = generate_private_key()
    listed_city(city, key, ["resident_of"])  # the city lets the library ask for residency only
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = FastAPI()
    app.include_router(openid4vp_router(online_verifier(city, key, url, MemoryTransactions())))
    with serving(app, port, what="online verifier"), httpx.Client(timeout=10) as http:
        started = http.post(f"{url}/openid4vp/transactions", json={"policy": "library-signup"}).json()
        with pytest.raises(VerificationFailed) as refused:
            fetch_request(started["invocation"], http=http, bundle=city.bundle(now=now()), now=now())
    assert refused.value.codes == ["request_out_of_scope"]


def test_a_wallet_refuses_a_verifier_the_city_does_not_list(service: Service, new_city: Any) -> None:
    elsewhere = new_city("shelbyville", issuer="https://id.shelbyville.example")
    started = service.start("library-card")
    with pytest.raises(VerificationFailed) as refused:
        fetch_request(started["invocation"], http=service.http, bundle=elsewhere.bundle(now=now()), now=now())
    assert set(refused.value.codes) >= {"verifier_unknown"}


def test_a_revoked_credential_is_refused_online_as_at_the_counter(service: Service, erika: Resident) -> None:
    holder: Holder = service.city.enrol(erika, now=now())
    revoke_with_receipt(holder.batch.receipt, keys=service.city.signing_keys(), registry=service.city.registry)
    started = service.start("library-card")
    asked = fetch_request(started["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    answer(asked, holder.wallet, http=service.http, now=now())
    assert service.result(started).json()["codes"] == ["revoked"]


def test_transactions_live_in_redis_for_several_verifier_processes(city: City, erika: Resident) -> None:
    from verifier.transactions import RedisTransactions

    key = generate_private_key()
    listed_city(city, key, SCOPE)
    holder = city.enrol(erika, now=now())
    prefix = f"citykey:test:{time.monotonic_ns()}:"
    ports = free_port(), free_port()
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    apps = []
    for _ in ports:
        app = FastAPI()  # two processes' worth of verifier, one public URL (a load balancer's)
        app.include_router(openid4vp_router(online_verifier(city, key, urls[0], RedisTransactions(
            "redis://127.0.0.1:6379/0", prefix=prefix))))
        apps.append(app)
    with serving(apps[0], ports[0], what="verifier A"), serving(apps[1], ports[1], what="verifier B"), \
            httpx.Client(timeout=10) as http:
        started = http.post(f"{urls[1]}/openid4vp/transactions", json={"policy": "library-card"}).json()
        asked = fetch_request(started["invocation"], http=http, bundle=city.bundle(now=now()), now=now())
        answer(asked, holder.wallet, http=http, now=now())  # posted to A, started on B
        decided = http.get(f"{urls[1]}/openid4vp/transactions/{started['id']}",
                           headers={"X-Result-Key": started["result_key"]}).json()
    assert decided["accepted"] is True


def test_an_answer_that_does_not_decrypt_is_refused_and_leaves_the_request_open(
    service: Service, erika: Resident
) -> None:
    """A stray or damaged post to the answer address does not end the request."""
    holder = service.city.enrol(erika, now=now())
    started = service.start("library-card")
    asked = fetch_request(started["invocation"], http=service.http, bundle=service.city.bundle(now=now()), now=now())
    forged = jwe.encrypt(openid4vp.response_payload({"city": ["x~"]}, asked.request.state),
                         jwe.encryption_jwk(generate_private_key(), kid=asked.request.encryption_jwk["kid"]))
    refused = service.http.post(asked.request.response_uri, data={"response": forged})
    assert refused.status_code == 400
    assert refused.json()["error"] == "decryption_failed"
    garbage = service.http.post(asked.request.response_uri, data={"response": "not.a.jwe"})
    assert garbage.status_code == 400
    answer(asked, holder.wallet, http=service.http, now=now())
    assert service.result(started).json()["accepted"] is True


def test_the_waiting_page_links_to_the_citys_web_wallet_only_when_given_its_address(city: City) -> None:
    key = generate_private_key()
    listed_city(city, key, SCOPE)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    verifier = online_verifier(city, key, url, MemoryTransactions())
    plain, linked = FastAPI(), FastAPI()
    plain.include_router(openid4vp_router(verifier))
    linked.include_router(openid4vp_router(verifier, web_wallet="https://id.springfield.example/wallet/"))
    with TestClient(plain) as client:
        assert "same-device-web" not in client.get("/openid4vp/?policy=library-card").text
    with serving(linked, port, what="online verifier"), httpx.Client(timeout=10) as http:
        page = http.get(f"{url}/openid4vp/?policy=library-card").text
        link = re.search(r'id="same-device-web" href="([^"]+)"', page)
        assert link is not None
        same_device = html.unescape(link.group(1))
        assert same_device.startswith("https://id.springfield.example/wallet/#client_id=verifier_attestation%3A")
        assert openid4vp.parse_invocation(same_device)[0] == openid4vp.client_id(LIBRARY)  # as the web wallet reads it
        asked = fetch_request(same_device, http=http, bundle=city.bundle(now=now()), now=now())
        assert asked.request.dcql.claim_names == ("resident_of",)


def test_a_wallet_stops_reading_a_request_larger_than_the_limit(city: City) -> None:
    """A hostile service's endless answer is cut at the Request Object's limit, never read whole."""
    from fastapi.responses import StreamingResponse

    from wallet_spec.errors import TooLarge

    def endless() -> Iterator[bytes]:
        for _ in range(10_000):  # 10 MB if read to the end
            yield b"e" * 1024

    app = FastAPI()
    app.get("/big")(lambda: StreamingResponse(endless(), media_type=openid4vp.REQUEST_MEDIA_TYPE))
    port = free_port()
    link = openid4vp.invocation_url(openid4vp.client_id(LIBRARY), f"http://127.0.0.1:{port}/big")
    with serving(app, port, what="a hostile service"), httpx.Client(timeout=10) as http, \
            pytest.raises(TooLarge) as refused:
        fetch_request(link, http=http, bundle=city.bundle(now=now()), now=now())
    assert refused.value.code == "too_large"
