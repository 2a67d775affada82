"""OpenID4VCI 1.0, pre-authorized code flow, through HTTP: metadata, offer, token, nonce, credential.

Every endpoint and every refusal the specification names, with its status and
`error` code; the batch rules (one credential per proof, at most `batch_size`, a
larger request refused whole, one receipt for all the token's credentials); and
what the database holds meanwhile: sealed rows only, none of them readable or
left behind once the wallet has its batch.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import update

from issuer import offers, tokens
from issuer.db import status_lists
from issuer.offers import TX_CODE_ATTEMPTS, row_key
from issuer.oid4vci import NONCE_TTL, PROOF_MAX_AGE
from issuer.receipts import open_receipt
from issuer.tokens import TOKEN_TTL
from keys import KeyStore
from tests.issuer.oid4vci_kit import (
    CITY,
    GRANT,
    ISSUER,
    OFFERED,
    PASSPHRASE,
    PERSONAL_VALUES,
    RESIDENT,
    STANDARD,
    Kit,
    proof,
    service,
)
from verifier import Policy, verify
from wallet.model import Wallet
from wallet_spec.errors import UsageError
from wallet_spec.jwk import generate_private_key, private_jwk, public_jwk, thumbprint
from wallet_spec.profile import RESIDENT_VCT, Resident
from wallet_spec.sdjwt import SdJwt


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    assert response.headers["cache-control"] == "no-store"
    description: str = body["error_description"]
    assert description.isascii()
    assert '"' not in description
    assert "\\" not in description
    return description


def mac_key(kit: Kit) -> bytes:
    return KeyStore.open(kit.state.store.directory).receipt_mac_key(PASSPHRASE.encode())


# --- metadata ------------------------------------------------------------------------


def test_credential_issuer_metadata_names_endpoints_batch_size_and_configurations(kit: Kit) -> None:
    response = kit.client.get("/.well-known/openid-credential-issuer")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    meta = response.json()
    assert meta["credential_issuer"] == ISSUER
    assert meta["credential_endpoint"] == f"{ISSUER}/credential"
    assert meta["nonce_endpoint"] == f"{ISSUER}/nonce"
    assert meta["citykey_renewal_endpoint"] == f"{ISSUER}/renewal"
    assert meta["batch_credential_issuance"] == {"batch_size": 16}
    assert meta["display"] == [{"name": CITY, "locale": "en"}]
    configurations = meta["credential_configurations_supported"]
    assert set(STANDARD) <= set(configurations)
    residency = configurations["residency"]
    assert residency["format"] == "dc+sd-jwt"
    assert residency["vct"] == "urn:citykey:residency:1"
    assert residency["cryptographic_binding_methods_supported"] == ["jwk"]
    assert residency["proof_types_supported"] == {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
    assert configurations["identity"]["vct"] == "urn:citykey:identity:1"
    paths = [c["path"] for c in configurations["identity"]["credential_metadata"]["claims"]]
    assert ["address", "postal_code"] in paths
    assert ["given_name"] in paths

    authorization = kit.client.get("/.well-known/oauth-authorization-server").json()
    assert authorization["issuer"] == ISSUER
    assert authorization["token_endpoint"] == f"{ISSUER}/token"
    assert authorization["grant_types_supported"] == [GRANT]
    assert authorization["pre-authorized_grant_anonymous_access_supported"] is True
    assert kit.client.get("/.well-known/openid-credential-issuer/tenant").status_code == 404


# --- offers -------------------------------------------------------------------------


def test_an_offer_is_by_reference_and_its_document_is_served_until_redeemed(kit: Kit) -> None:
    offer = kit.offer()
    assert offer.offer_uri.startswith("openid-credential-offer://?credential_offer_uri=")
    reference = unquote(parse_qs(urlsplit(offer.offer_uri).query)["credential_offer_uri"][0])
    assert reference == f"{ISSUER}/offers/{offer.offer_id}"
    assert len(base64.urlsafe_b64decode(offer.offer_id + "==")) == 16
    assert len(base64.urlsafe_b64decode(offer.pre_authorized_code + "=")) == 32
    assert offer.pre_authorized_code not in repr(offer)

    response = kit.client.get(urlsplit(reference).path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": OFFERED,
        "grants": {GRANT: {"pre-authorized_code": offer.pre_authorized_code}},
    }
    assert kit.fetch_offer(offer).json() == response.json()  # a wallet may fetch it again (a lost answer)
    assert kit.token(offer.pre_authorized_code).status_code == 200
    error(kit.fetch_offer(offer), 404, "invalid_request")  # redeemed: a later photo of the QR finds nothing


def test_an_offer_with_a_transaction_code_says_so_but_does_not_carry_it(kit: Kit) -> None:
    offer = kit.offer(tx_code_length=6)
    assert offer.tx_code is not None
    assert len(offer.tx_code) == 6
    assert offer.tx_code.isdigit()
    document = kit.fetch_offer(offer).json()
    grant = document["grants"][GRANT]
    assert grant["tx_code"] == {"input_mode": "numeric", "length": 6, "description": grant["tx_code"]["description"]}
    assert offer.tx_code not in json.dumps(document)


def test_offers_refuse_bad_transaction_code_lengths_and_unissuable_attributes(kit: Kit) -> None:
    with pytest.raises(UsageError):
        kit.offer(tx_code_length=3)
    clash = Resident("A", "B", RESIDENT.birthdate, CITY, extra={"age_over_18": True})
    with pytest.raises(UsageError, match="clashes"):
        kit.offer(resident=clash)
    assert kit.pending_rows() == []


def test_an_expired_offer_is_gone_and_its_rows_deleted(kit: Kit) -> None:
    offer = kit.offer()
    kit.now += kit.state.settings.offer_ttl
    error(kit.fetch_offer(offer), 404, "invalid_request")
    assert "expired" in error(kit.token(offer.pre_authorized_code), 400, "invalid_grant")
    assert kit.pending_rows() == []


def test_expired_rows_are_swept_by_later_requests(kit: Kit) -> None:
    kit.offer()
    kit.nonce()
    kit.now += kit.state.settings.offer_ttl
    assert len(kit.pending_rows()) == 2
    assert len(kit.nonce_rows()) == 1
    kit.nonce()
    assert kit.pending_rows() == []
    assert len(kit.nonce_rows()) == 1  # only the fresh one


# --- token endpoint ---------------------------------------------------------------------


def test_redeeming_the_code_gives_a_bearer_token_and_deletes_the_offer(kit: Kit) -> None:
    offer = kit.offer()
    response = kit.token(offer.pre_authorized_code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == TOKEN_TTL
    assert body["citykey_credentials_allowed"] == 16
    assert len(base64.urlsafe_b64decode(body["access_token"] + "=")) == 32

    keys = {row.code_hash for row in kit.pending_rows()}
    assert row_key(offers.OFFER, offer.pre_authorized_code) not in keys  # the offer is gone
    assert row_key(offers.OFFER_DOCUMENT, offer.offer_id) not in keys  # and its document, never fetched
    assert keys == {row_key(tokens.ACCESS_TOKEN, body["access_token"])}
    assert "unknown, used or expired" in error(kit.token(offer.pre_authorized_code), 400, "invalid_grant")


def test_a_wrong_transaction_code_counts_and_the_last_attempt_withdraws_the_offer(kit: Kit) -> None:
    offer = kit.offer(tx_code_length=6)
    assert offer.tx_code is not None
    wrong = f"{(int(offer.tx_code) + 1) % 10**6:06d}"
    assert "needs its transaction code" in error(kit.token(offer.pre_authorized_code), 400, "invalid_request")
    for left in range(TX_CODE_ATTEMPTS - 1, 0, -1):
        assert f"{left} attempt(s) left" in error(kit.token(offer.pre_authorized_code, wrong), 400, "invalid_grant")
    assert "withdrawn" in error(kit.token(offer.pre_authorized_code, wrong), 400, "invalid_grant")
    assert kit.pending_rows() == []  # the offer and its document
    error(kit.token(offer.pre_authorized_code, offer.tx_code), 400, "invalid_grant")


def test_the_right_transaction_code_after_wrong_ones_redeems(kit: Kit) -> None:
    offer = kit.offer(tx_code_length=4)
    assert offer.tx_code is not None
    error(kit.token(offer.pre_authorized_code, "x"), 400, "invalid_grant")
    assert kit.token(offer.pre_authorized_code, offer.tx_code).status_code == 200


def test_token_requests_are_refused_with_the_oauth_codes(kit: Kit) -> None:
    offer = kit.offer()
    code = offer.pre_authorized_code
    assert "no transaction code" in error(kit.token(code, "123456"), 400, "invalid_request")
    error(kit.client.post("/token", data={"pre-authorized_code": code}), 400, "invalid_request")
    error(kit.client.post("/token", data={"grant_type": GRANT}), 400, "invalid_request")
    error(
        kit.client.post("/token", data={"grant_type": "authorization_code", "code": code}),
        400,
        "unsupported_grant_type",
    )
    error(kit.client.post("/token", json={"grant_type": GRANT, "pre-authorized_code": code}), 400, "invalid_request")
    repeated = f"grant_type={GRANT}&pre-authorized_code={code}&pre-authorized_code={code}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    error(kit.client.post("/token", content=repeated, headers=headers), 400, "invalid_request")
    error(kit.token("not-a-code"), 400, "invalid_grant")
    error(kit.token("é" * 10), 400, "invalid_grant")
    assert kit.token(code).status_code == 200  # none of the above used the offer up


# --- nonce endpoint -------------------------------------------------------------------------


def test_nonces_are_fresh_uncacheable_and_stored_only_as_hashes(kit: Kit) -> None:
    response = kit.client.post("/nonce")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    first = response.json()["c_nonce"]
    assert first != kit.nonce()
    rows = kit.nonce_rows()
    assert len(rows) == 2
    assert all(first.encode() not in bytes(row.nonce_hash) for row in rows)
    assert all(row.expires == kit.now + NONCE_TTL for row in rows)


# --- credential endpoint ---------------------------------------------------------------------


def test_one_credential_per_proof_bound_to_its_key_and_verifying_against_the_bundle(kit: Kit) -> None:
    token = kit.access_token()
    keys, proofs = kit.proofs(3)
    response = kit.request(token, "residency", proofs)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert len(body["credentials"]) == 3
    assert body["citykey_credentials_remaining"] == 13
    wallet = Wallet(holder_keys={thumbprint(k): private_jwk(k) for k in keys})
    bound = [wallet.import_credential(c["credential"]).holder_kid for c in body["credentials"]]
    assert bound == [thumbprint(k) for k in keys]
    bundle = kit.bundle()
    for _ in keys:
        text, _ = wallet.present(
            [("resident_of",), ("age_over_65",)], nonce="n-123456789012", aud="https://bus.example"
        )
        accepted = verify(text, bundle, Policy(nonce="n-123456789012", aud="https://bus.example"), now=kit.now)
        assert accepted.claims["resident_of"] == CITY
        assert accepted.claims["age_over_65"] is True
    refs = open_receipt(mac_key(kit), body["citykey_receipt"])
    assert sorted((r.uri, r.idx) for r in refs) == sorted(
        (p["status"]["status_list"]["uri"], p["status"]["status_list"]["idx"])
        for p in (SdJwt.parse(c["credential"]).payload() for c in body["credentials"])
    )


def test_the_first_credential_of_a_new_status_list_verifies_at_once(kit: Kit) -> None:
    """A list opened by issuance is published before the credential is returned, not at the next timer."""
    with kit.state.engine.begin() as conn:  # the one list is full: the next credential opens another
        conn.execute(update(status_lists).values(unallocated=0))
    assert len(kit.state.published.status_uris) == 1
    keys, proofs = kit.proofs(1)
    response = kit.request(kit.access_token(), "residency", proofs)
    assert response.status_code == 200, response.text
    uri = SdJwt.parse(response.json()["credentials"][0]["credential"]).payload()["status"]["status_list"]["uri"]
    assert uri.endswith("/2")
    assert uri in kit.state.published.status_uris
    wallet = Wallet(holder_keys={thumbprint(keys[0]): private_jwk(keys[0])})
    wallet.import_credential(response.json()["credentials"][0]["credential"])
    text, _ = wallet.present([("resident_of",)], nonce="n-123456789012", aud="https://bus.example")
    accepted = verify(text, kit.bundle(), Policy(nonce="n-123456789012", aud="https://bus.example"), now=kit.now)
    assert accepted.claims["resident_of"] == CITY  # not status_unknown


def test_a_token_serves_every_offered_type_then_is_spent_and_the_last_receipt_covers_all(kit: Kit) -> None:
    token = kit.access_token()
    receipts = []
    for name in STANDARD:
        response = kit.request(token, name, kit.proofs(4)[1])
        assert response.status_code == 200, response.text
        receipts.append(response.json()["citykey_receipt"])
        assert {SdJwt.parse(c["credential"]).payload()["vct"] for c in response.json()["credentials"]} == {
            kit.client.get("/.well-known/openid-credential-issuer").json()["credential_configurations_supported"][name][
                "vct"
            ]
        }
    assert [len(open_receipt(mac_key(kit), r)) for r in receipts] == [4, 8, 12, 16]
    assert kit.pending_rows() == []  # the allowance is spent: the token row is deleted
    assert kit.nonce_rows() == []  # every nonce used once
    error(kit.request(token, "residency", kit.proofs(1)[1]), 401, "invalid_token")


def test_a_holder_key_seen_earlier_in_the_batch_is_refused(kit: Kit) -> None:
    token = kit.access_token()
    key = generate_private_key()
    first = kit.request(token, "residency", [proof(key, nonce=kit.nonce(), iat=kit.now)])
    assert first.status_code == 200, first.text
    reused = [proof(key, nonce=kit.nonce(), iat=kit.now)]
    description = error(kit.request(token, "identity", reused), 400, "invalid_proof")
    assert "already used for another credential of this batch" in description
    nonce = kit.nonce()
    mixed = [proof(generate_private_key(), nonce=nonce, iat=kit.now), proof(key, nonce=nonce, iat=kit.now)]
    assert "already used" in error(kit.request(token, "residency", mixed), 400, "invalid_proof")
    response = kit.request(token, "identity", kit.proofs(1, nonce=nonce)[1])  # nothing was spent by the refusals
    assert response.status_code == 200, response.text
    assert len(open_receipt(mac_key(kit), response.json()["citykey_receipt"])) == 2


def test_more_proofs_than_the_batch_size_are_refused_not_truncated(kit: Kit) -> None:
    token = kit.access_token()
    nonce = kit.nonce()
    _, proofs = kit.proofs(17, nonce=nonce)
    assert "exceed the batch size of 16" in error(
        kit.request(token, "residency", proofs), 400, "invalid_credential_request"
    )
    assert kit.request(token, "residency", proofs[:16]).status_code == 200  # nothing was spent: nonce, allowance


def test_more_proofs_than_the_token_has_left_are_refused_whole(kit: Kit) -> None:
    token = kit.access_token()
    assert kit.request(token, "residency", kit.proofs(10)[1]).status_code == 200
    assert "allows 6 more" in error(kit.request(token, "identity", kit.proofs(7)[1]), 400, "invalid_credential_request")
    response = kit.request(token, "identity", kit.proofs(6)[1])
    assert response.status_code == 200
    assert len(response.json()["credentials"]) == 6


def test_the_configuration_must_be_known_and_offered(kit: Kit) -> None:
    token = kit.access_token()
    _, proofs = kit.proofs(1)
    error(kit.request(token, "passport", proofs), 400, "unknown_credential_configuration")
    assert "not offered" in error(kit.request(token, "full", proofs), 400, "invalid_credential_request")
    error(kit.credential(token, {"proofs": {"jwt": proofs}}), 400, "invalid_credential_request")
    body = {"credential_identifier": "x", "proofs": {"jwt": proofs}}
    error(kit.credential(token, body), 400, "invalid_credential_request")


@pytest.mark.parametrize(
    ("headers", "anonymous"),
    [({}, True), ({"Authorization": "Bearer nope"}, False), ({"Authorization": "Basic abc"}, False)],
)
def test_a_missing_or_unknown_access_token_is_401_with_a_bearer_challenge(
    kit: Kit, headers: dict[str, str], anonymous: bool
) -> None:
    body = {"credential_configuration_id": "residency", "proofs": {"jwt": kit.proofs(1)[1]}}
    response = kit.client.post("/credential", json=body, headers=headers)
    error(response, 401, "invalid_token")
    challenge = response.headers["www-authenticate"]
    assert challenge == "Bearer" if anonymous else challenge.startswith('Bearer error="invalid_token"')


def test_an_expired_access_token_is_refused(kit: Kit) -> None:
    token = kit.access_token()
    kit.now += TOKEN_TTL
    error(kit.request(token, "residency", kit.proofs(1)[1]), 401, "invalid_token")
    assert kit.pending_rows() == []


def test_malformed_credential_requests(kit: Kit) -> None:
    token = kit.access_token()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    error(kit.client.post("/credential", content=b"{", headers=headers), 400, "invalid_credential_request")
    error(kit.client.post("/credential", content=b'{"a":1,"a":2}', headers=headers), 400, "invalid_credential_request")
    error(kit.credential(token, ["residency"]), 400, "invalid_credential_request")
    form = {"Authorization": f"Bearer {token}"}
    error(kit.client.post("/credential", data={"a": "b"}, headers=form), 400, "invalid_credential_request")
    big = {"credential_configuration_id": "residency", "proofs": {"jwt": ["x" * 200_000]}}
    error(kit.credential(token, big), 413, "invalid_request")


@pytest.mark.parametrize(
    ("proofs", "message"),
    [
        (None, "proofs is missing"),
        ({"jwt": []}, "non-empty"),
        ({"jwt": "abc"}, "non-empty"),
        ({"di_vp": [{}]}, "unsupported proof type"),
        ({"jwt": ["a.b.c"], "attestation": ["x"]}, "exactly one proof type"),
        ({"jwt": ["not a jwt"]}, "compact JWS"),
        ({"jwt": [17]}, "compact JWT"),
    ],
)
def test_the_proofs_member_must_be_one_non_empty_jwt_array(kit: Kit, proofs: Any, message: str) -> None:
    token = kit.access_token()
    body: dict[str, Any] = {"credential_configuration_id": "residency"}
    if proofs is not None:
        body["proofs"] = proofs
    assert message in error(kit.credential(token, body), 400, "invalid_proof")


def _bad_proof(kit: Kit, case: str) -> list[str]:
    key, other = generate_private_key(), generate_private_key()
    nonce = kit.nonce()
    good = {"nonce": nonce, "iat": kit.now}
    if case == "signature":
        return [proof(other, **good, header={"jwk": public_jwk(key)})]
    if case == "aud":
        return [proof(key, **good, aud="https://other-city.example")]
    if case == "aud list":
        return [proof(key, **good, claims={"aud": [ISSUER]})]
    if case == "stale iat":
        return [proof(key, nonce=nonce, iat=kit.now - PROOF_MAX_AGE - 61)]
    if case == "future iat":
        return [proof(key, nonce=nonce, iat=kit.now + 61)]
    if case == "no iat":
        return [proof(key, **good, claims={"iat": None})]
    if case == "no nonce":
        return [proof(key, nonce=None, iat=kit.now)]
    if case == "typ":
        return [proof(key, **good, typ="JWT")]
    if case == "alg":
        return [proof(key, **good, header={"alg": "ES384"})]
    if case == "kid":
        return [proof(key, **good, header={"kid": "key-1"})]
    if case == "no jwk":
        return [proof(key, **good, header={"jwk": None})]
    if case == "private jwk":
        return [proof(key, **good, header={"jwk": private_jwk(key)})]
    if case == "rsa jwk":
        return [proof(key, **good, header={"jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}})]
    if case == "crit":
        return [proof(key, **good, header={"crit": ["x"], "x": 1})]
    if case == "same key twice":
        return [proof(key, **good), proof(key, **good)]
    if case == "one bad of two":
        return [proof(key, **good), proof(other, **good, aud="https://other-city.example")]
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "signature", "aud", "aud list", "stale iat", "future iat", "no iat", "no nonce", "typ", "alg", "kid",
        "no jwk", "private jwk", "rsa jwk", "crit", "same key twice", "one bad of two",
    ],
)  # fmt: skip
def test_an_invalid_key_proof_is_invalid_proof_and_spends_nothing(kit: Kit, case: str) -> None:
    token = kit.access_token()
    error(kit.request(token, "residency", _bad_proof(kit, case)), 400, "invalid_proof")
    assert len(kit.nonce_rows()) == 1  # the nonce is still there
    assert kit.request(token, "residency", kit.proofs(16)[1]).status_code == 200  # and the allowance whole


def test_a_nonce_is_single_use_and_must_be_ours_and_fresh(kit: Kit) -> None:
    token = kit.access_token()
    nonce = kit.nonce()
    assert kit.request(token, "residency", kit.proofs(2, nonce=nonce)[1]).status_code == 200
    assert "fresh one" in error(kit.request(token, "residency", kit.proofs(2, nonce=nonce)[1]), 400, "invalid_nonce")
    error(kit.request(token, "residency", kit.proofs(1, nonce="made-up-by-the-wallet")[1]), 400, "invalid_nonce")
    stale = kit.nonce()
    kit.now += NONCE_TTL
    error(kit.request(token, "residency", kit.proofs(1, nonce=stale)[1]), 400, "invalid_nonce")
    fresh = kit.nonce()
    mixed = [kit.proofs(1, nonce=fresh)[1][0], kit.proofs(1, nonce="made-up")[1][0]]
    error(kit.request(token, "residency", mixed), 400, "invalid_nonce")
    assert kit.request(token, "residency", kit.proofs(1, nonce=fresh)[1]).status_code == 200  # fresh was not spent


# --- what is stored -----------------------------------------------------------------------------


def _every_byte(kit: Kit) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(kit.data_dir.glob("issuer.db*")))


def test_pending_rows_hold_no_personal_value_in_clear_and_none_remains_after_issuance(kit: Kit) -> None:
    offer = kit.offer(tx_code_length=6)
    assert offer.tx_code is not None
    rows = kit.pending_rows()
    assert len(rows) == 2
    for row in rows:
        sealed = bytes(row.sealed)
        assert (len(sealed) - 29) % offers.PAD == 0  # version, nonce, tag around padded JSON
        for value in (*PERSONAL_VALUES, offer.pre_authorized_code, offer.offer_id, offer.tx_code):
            assert value.encode() not in sealed
            assert value.encode() not in bytes(row.code_hash)

    assert kit.fetch_offer(offer).status_code == 200
    token = kit.access_token(offer)
    (token_row,) = kit.pending_rows()
    assert token.encode() not in bytes(token_row.sealed)
    for name in STANDARD:
        assert kit.request(token, name, kit.proofs(4)[1]).status_code == 200
    assert kit.pending_rows() == []
    assert kit.nonce_rows() == []
    everything = _every_byte(kit)
    for value in PERSONAL_VALUES:  # the database files, their WAL included, never saw a value in clear
        assert value.encode() not in everything, value


def test_a_sealed_row_opens_only_with_its_own_secret(kit: Kit) -> None:
    offer = kit.offer()
    by_key = {bytes(row.code_hash): bytes(row.sealed) for row in kit.pending_rows()}
    sealed = by_key[row_key(offers.OFFER, offer.pre_authorized_code)]
    opened = offers.unseal(offers.OFFER, offer.pre_authorized_code, sealed)
    assert opened["resident"]["given_name"] == RESIDENT.given_name
    assert opened["attempts"] == 0
    assert offers.unseal(offers.OFFER, offer.offer_id, sealed) is None
    assert offers.unseal(tokens.ACCESS_TOKEN, offer.pre_authorized_code, sealed) is None
    moved = by_key[row_key(offers.OFFER_DOCUMENT, offer.offer_id)]
    assert offers.unseal(offers.OFFER, offer.pre_authorized_code, moved) is None
    assert offers.unseal(offers.OFFER, offer.pre_authorized_code, sealed[:-1] + bytes([sealed[-1] ^ 1])) is None


def test_the_whole_flow_on_both_databases(tmp_path: Path, db_url: str) -> None:
    with service(tmp_path, db_url=db_url) as kit:
        offer = kit.offer(tx_code_length=6)
        assert kit.fetch_offer(offer).status_code == 200
        token = kit.access_token(offer)
        for name in STANDARD:
            response = kit.request(token, name, kit.proofs(2)[1])
            assert response.status_code == 200, response.text
        assert len(open_receipt(mac_key(kit), response.json()["citykey_receipt"])) == 8
        assert len(kit.pending_rows()) == 1  # 8 of 16 used: the token row waits for its expiry
        kit.now += TOKEN_TTL
        kit.nonce()  # any later request sweeps it
        assert kit.pending_rows() == []


def test_the_whole_flow_works_after_2038_on_both_databases(tmp_path: Path, db_url: str) -> None:
    """Expiry times are Unix seconds: past 2**31 (19 January 2038) they must still fit every column."""
    with service(tmp_path, db_url=db_url) as kit:
        kit.now = 2**31 + 86_400 * 400  # February 2039
        offer = kit.offer(tx_code_length=6)
        token = kit.access_token(offer)
        response = kit.request(token, "residency", kit.proofs(2)[1])
        assert response.status_code == 200, response.text
        assert [SdJwt.parse(c["credential"]).payload()["iat"] > 2**31 for c in response.json()["credentials"]] == [
            True, True
        ]
        kit.now += TOKEN_TTL
        kit.nonce()  # swept by a later request, as before 2038
        assert kit.pending_rows() == []


def test_every_offer_names_the_same_types_whatever_the_residents_age(kit: Kit) -> None:
    # A photographed QR code leads to the offer document: it must not say which age passes hold.
    forty, seventy = (Resident("Ana", "Ruiz", dt.date(year, 5, 1), CITY) for year in (1986, 1956))
    documents = [kit.fetch_offer(kit.offer(resident=r)).json() for r in (forty, seventy)]
    assert [d["credential_configuration_ids"] for d in documents] == [list(offers.OFFERED)] * 2
    assert "resident-65" in offers.OFFERED
    # Nor may the sealed rows' lengths (same names, different ages): offer and document rows each.
    sizes = sorted(len(row.sealed) for row in kit.pending_rows())
    assert sizes[0::2] == sizes[1::2]


def test_a_fact_pass_that_is_not_true_is_denied_to_the_wallet_before_anything_is_spent(kit: Kit) -> None:
    forty = Resident("Ana", "Ruiz", dt.date(1986, 5, 1), CITY)
    token = kit.access_token(kit.offer(resident=forty))
    _, proofs = kit.proofs(2)
    description = error(kit.request(token, "resident-55", proofs), 400, "credential_request_denied")
    assert description == "a resident-55 pass states a fact that is not true for you today"
    response = kit.request(token, "resident-21", proofs)  # the same proofs: their nonce is still unspent
    assert response.status_code == 200, response.text
    payloads = [SdJwt.parse(c["credential"]).payload() for c in response.json()["credentials"]]
    assert [(p["vct"], p["resident_of"], p["age_over_21"], "_sd" in p) for p in payloads] == [
        (RESIDENT_VCT, CITY, True, False)
    ] * 2
    assert len(open_receipt(mac_key(kit), response.json()["citykey_receipt"])) == 2  # the denial took none


def test_the_metadata_lists_every_fact_pass_with_its_plain_claims(kit: Kit) -> None:
    supported = kit.client.get("/.well-known/openid-credential-issuer").json()["credential_configurations_supported"]
    assert supported["resident"]["vct"] == RESIDENT_VCT
    assert [c["path"] for c in supported["resident"]["credential_metadata"]["claims"]] == [["resident_of"]]
    assert [c["path"] for c in supported["resident-65"]["credential_metadata"]["claims"]] == [
        ["age_over_65"], ["resident_of"]
    ]
