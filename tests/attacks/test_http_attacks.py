"""The HTTP cases of the attack corpus, run against the real issuer app (FastAPI TestClient).

Each case file under tests/attacks/corpus/ with kind `http` names its source and expected code; the
scenario of the same name below performs the attack and checks the answer a client would see: the HTTP
status and the `error` of the body (OAuth endpoints, revocation) or the page (the desk).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from issuer import clerks
from issuer.batch import issue_batch
from issuer.offers import TX_CODE_ATTEMPTS
from issuer.oid4vci import batch_size
from tests.attacks.corpus import cases
from tests.issuer.desk.desk_support import CLERK, PASSWORD, RESIDENT, Desk, csrf_of, make_desk
from tests.issuer.oid4vci_kit import ISSUER, Kit, proof, service
from tests.issuer.oid4vci_kit import RESIDENT as OFFER_RESIDENT
from wallet.model import Wallet
from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.jwk import generate_private_key, private_jwk, public_jwk

HTTP = {c["name"]: c for c in cases() if c["kind"] == "http"}
Scenario = Callable[[Kit, Desk], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]
    return code


def expected(name: str) -> str:
    code: str = HTTP[name]["expected"]["codes"][0]
    return code


# --- OpenID4VCI ---------------------------------------------------------------------------------------


@scenario
def offer_code_reused(kit: Kit, desk: Desk) -> None:
    offer = kit.offer()
    assert kit.token(offer.pre_authorized_code, offer.tx_code).status_code == 200
    assert error_of(kit.token(offer.pre_authorized_code, offer.tx_code), 400) == expected("offer-code-reused")


@scenario
def offer_expired(kit: Kit, desk: Desk) -> None:
    offer = kit.offer()
    kit.now += kit.state.settings.offer_ttl
    assert error_of(kit.token(offer.pre_authorized_code, offer.tx_code), 400) == expected("offer-expired")


@scenario
def offer_tx_code_guessing(kit: Kit, desk: Desk) -> None:
    offer = kit.offer(tx_code_length=6)
    assert offer.tx_code is not None
    wrong = "000000" if offer.tx_code != "000000" else "111111"
    for _ in range(TX_CODE_ATTEMPTS):
        assert error_of(kit.token(offer.pre_authorized_code, wrong), 400) == expected("offer-tx-code-guessing")
    assert error_of(kit.token(offer.pre_authorized_code, offer.tx_code), 400) == "invalid_grant"  # withdrawn


@scenario
def proof_nonce_reused(kit: Kit, desk: Desk) -> None:
    token = kit.access_token()
    nonce = kit.nonce()
    assert kit.request(token, "residency", kit.proofs(1, nonce=nonce)[1]).status_code == 200
    again = kit.request(token, "residency", kit.proofs(1, nonce=nonce)[1])
    assert error_of(again, 400) == expected("proof-nonce-reused")


def one_proof(kit: Kit, **kwargs: Any) -> httpx.Response:
    token = kit.access_token()
    return kit.request(token, "residency", [proof(generate_private_key(), nonce=kit.nonce(), iat=kit.now, **kwargs)])


@scenario
def proof_alg_none(kit: Kit, desk: Desk) -> None:
    assert error_of(one_proof(kit, header={"alg": "none"}), 400) == expected("proof-alg-none")


@scenario
def proof_signed_by_other_key(kit: Kit, desk: Desk) -> None:
    other = public_jwk(generate_private_key())
    assert error_of(one_proof(kit, header={"jwk": other}), 400) == expected("proof-signed-by-other-key")


@scenario
def proof_private_key_in_header(kit: Kit, desk: Desk) -> None:
    key = generate_private_key()
    token = kit.access_token()
    text = proof(key, nonce=kit.nonce(), iat=kit.now, header={"jwk": private_jwk(key)})
    assert error_of(kit.request(token, "residency", [text]), 400) == expected("proof-private-key-in-header")


@scenario
def proof_wrong_audience(kit: Kit, desk: Desk) -> None:
    assert error_of(one_proof(kit, aud="https://id.shelbyville.example"), 400) == expected("proof-wrong-audience")


@scenario
def proof_stale(kit: Kit, desk: Desk) -> None:
    token = kit.access_token()
    text = proof(generate_private_key(), nonce=kit.nonce(), iat=kit.now - 3600)
    assert error_of(kit.request(token, "residency", [text]), 400) == expected("proof-stale")


@scenario
def batch_overflow(kit: Kit, desk: Desk) -> None:
    token = kit.access_token()
    _, proofs = kit.proofs(batch_size(kit.state) + 1)
    assert error_of(kit.request(token, "residency", proofs), 400) == expected("batch-overflow")


@scenario
def credential_without_token(kit: Kit, desk: Desk) -> None:
    _, proofs = kit.proofs(1)
    body = {"credential_configuration_id": "residency", "proofs": {"jwt": proofs}}
    assert error_of(kit.credential(None, body), 401) == expected("credential-without-token")


@scenario
def credential_duplicate_json_names(kit: Kit, desk: Desk) -> None:
    token = kit.access_token()
    _, proofs = kit.proofs(1)
    body = ('{"credential_configuration_id":"residency","credential_configuration_id":"city_id",'
            f'"proofs":{{"jwt":{json.dumps(proofs)}}}}}')
    response = kit.client.post("/credential", content=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert error_of(response, 400) == expected("credential-duplicate-json-names")


@scenario
def credential_oversize_body(kit: Kit, desk: Desk) -> None:
    token = kit.access_token()
    body = b'{"pad":"' + b"x" * (2 << 20) + b'"}'
    response = kit.client.post("/credential", content=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert error_of(response, 413) == expected("credential-oversize-body")


# --- revocation receipts -----------------------------------------------------------------------------


def real_receipt(kit: Kit) -> str:
    state = kit.state
    batch = issue_batch(OFFER_RESIDENT, Wallet().new_holder_keys(2), keys=state.keys, registry=state.registry,
                        now=kit.now)
    return batch.receipt


@scenario
def receipt_forged(kit: Kit, desk: Desk) -> None:
    real = real_receipt(kit)
    prefix, body, _ = real.split(".")
    claims = json.loads(b64url_decode(body))
    # the neighbours' credentials
    claims["lists"] = [[uri, [idx + 1 for idx in indices]] for uri, indices in claims["lists"]]
    forged_body = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(b"the attacker's own key, 32 bytes", f"{prefix}.{forged_body}".encode(), "sha256").digest()
    forged = f"{prefix}.{forged_body}.{b64url_encode(mac)}"
    response = kit.client.post("/revocations", json={"receipt": forged})
    assert error_of(response, 400) == expected("receipt-forged")


@scenario
def receipt_edited(kit: Kit, desk: Desk) -> None:
    real = real_receipt(kit)
    middle = len(real) // 2
    edited = real[:middle] + ("A" if real[middle] != "A" else "B") + real[middle + 1:]
    response = kit.client.post("/revocations", json={"receipt": edited})
    assert error_of(response, 400) == expected("receipt-edited")
    assert kit.client.post("/revocations", json={"receipt": real}).json()["revoked"] == 2  # the real one works


@scenario
def receipt_deeply_nested_body(kit: Kit, desk: Desk) -> None:
    body = "[" * 5000 + "]" * 5000
    response = kit.client.post("/revocations", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    if response.status_code == 400:
        assert response.json()["error"] == expected("receipt-deeply-nested-body")


# --- the desk ---------------------------------------------------------------------------------------------


def enrol_post(desk: Desk, data: dict[str, str], **headers: str) -> httpx.Response:
    return desk.client.post("/desk/enrol", data=data, headers=headers, follow_redirects=False)


def no_offer_made(kit: Kit, desk: Desk) -> bool:
    return "openid-credential-offer://" not in desk.client.get("/desk/enrol").text


@scenario
def desk_csrf_missing_token(kit: Kit, desk: Desk) -> None:
    assert desk.login().status_code == 303
    response = enrol_post(desk, dict(RESIDENT))
    assert response.status_code == 403  # expected: "csrf", a refusal before anything is issued
    assert "Request refused" in response.text


@scenario
def desk_csrf_cross_origin(kit: Kit, desk: Desk) -> None:
    assert desk.login().status_code == 303
    token = desk.csrf("/desk/enrol")
    response = enrol_post(desk, {**RESIDENT, "csrf": token}, origin="https://evil.example")
    assert response.status_code == 403
    assert "Request refused" in response.text


@scenario
def desk_session_fixation(kit: Kit, desk: Desk) -> None:
    attacker = TestClient(desk.app)
    csrf = csrf_of(attacker.get("/desk/login").text)
    planted = attacker.cookies.get("citykey_desk")
    assert planted, "the sign-in page sets a session cookie to fix"
    victim = TestClient(desk.app, cookies={"citykey_desk": planted})
    signed = victim.post("/desk/login", data={"csrf": csrf, "name": CLERK, "password": PASSWORD},
                         follow_redirects=False)
    assert signed.status_code == 303
    issued = signed.cookies.get("citykey_desk")
    assert issued
    assert issued != planted
    assert TestClient(desk.app, cookies={"citykey_desk": issued}).get(
        "/desk/enrol", follow_redirects=False).status_code == 200
    # the attacker's copy of the planted cookie is not signed in
    assert attacker.get("/desk/enrol", follow_redirects=False).status_code == 303


@scenario
def desk_password_guessing(kit: Kit, desk: Desk) -> None:
    statuses = []
    for i in range(40):
        client = TestClient(desk.app, client=(f"127.0.3.{i + 1}", 40000))
        token = csrf_of(client.get("/desk/login").text)
        statuses.append(client.post("/desk/login", data={"csrf": token, "name": CLERK,
                                                          "password": f"guess {i}"}).status_code)
    assert set(statuses) <= {401, 429}
    assert 429 in statuses
    assert statuses.index(429) <= clerks.MAX_FAILURES * 2
    assert desk.login().status_code != 303  # the right password, during the lock: refused


# --- running them ---------------------------------------------------------------------------------------


@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clerks, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def kit_and_desk(tmp_path: Path, cheap_argon2: None) -> Iterator[tuple[Kit, Desk]]:
    with service(tmp_path / "oid4vci") as kit:
        desk = make_desk(tmp_path / "desk")
        clerks.add_clerk(desk.state.engine, CLERK, PASSWORD, "clerk")
        try:
            yield kit, desk
        finally:
            desk.state.engine.dispose()


def test_every_http_case_has_its_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(HTTP)
    assert ISSUER.startswith("https://")


@pytest.mark.parametrize("name", sorted(HTTP))
def test_the_issuer_refuses_the_attack(name: str, kit_and_desk: tuple[Kit, Desk]) -> None:
    SCENARIOS[name](*kit_and_desk)
