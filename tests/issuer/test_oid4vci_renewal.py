"""Renewal without a visit, through HTTP: `POST /renewal` with a fully disclosed, key-bound identity credential.

A fresh batch under the current signing key, with or without revoking the old one by
its receipt in the same request; and every refusal: a revoked or expired credential,
a residency pass, no key binding, the wrong audience, a spent or foreign nonce,
withheld claims, a forged receipt, too many proofs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from issuer.batch import issue_batch
from issuer.receipts import open_receipt
from keys import KeyStore
from tests.issuer.oid4vci_kit import CITY, ISSUER, PASSPHRASE, RESIDENT, STANDARD, Kit
from verifier import Policy, verify
from wallet.model import Wallet
from wallet_spec import jws
from wallet_spec.errors import VerificationFailed
from wallet_spec.jwk import private_jwk, thumbprint
from wallet_spec.profile import CITY_ID, IDENTITY, RESIDENCY_VCT, RESIDENT_VCT, Resident
from wallet_spec.sdjwt import SdJwt, unfold

BUS, NONCE = "https://bus.example", "bus-nonce-123456"
DAY = 86_400


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code, response.json()
    description: str = response.json()["error_description"]
    return description


def enrol(kit: Kit, per_type: int = 2, resident: Resident = RESIDENT) -> Wallet:
    """A wallet holding a batch from the OpenID4VCI flow, and its receipt."""
    wallet = Wallet()
    token = kit.access_token(kit.offer(resident=resident))
    for name in STANDARD:
        keys, proofs = kit.proofs(per_type)
        wallet.holder_keys.update({thumbprint(k): private_jwk(k) for k in keys})
        body = kit.request(token, name, proofs).json()
        for item in body["credentials"]:
            wallet.import_credential(item["credential"])
    wallet.receipts.append(body["citykey_receipt"])
    return wallet


def everything(wallet: Wallet, vct: str = IDENTITY.vct) -> list[tuple[str]]:
    chosen = wallet.pick(vct)
    sd_jwt = SdJwt.parse(chosen.sd_jwt)
    return [(name,) for name in unfold(sd_jwt.payload(), sd_jwt.disclosures).claims]


def renewal(
    kit: Kit,
    wallet: Wallet,
    *,
    wanted: dict[str, int] | None = None,
    nonce: str | None = None,
    proof_nonce: str | None = None,
    aud: str = ISSUER,
    paths: list[Any] | None = None,
    vct: str = IDENTITY.vct,
    receipts: list[str] | None = None,
) -> tuple[Any, Wallet]:
    """POST /renewal; returns the answer and a wallet holding the new holder keys (to import into)."""
    nonce = nonce or kit.nonce()
    presentation, _ = wallet.present(paths or everything(wallet, vct), nonce=nonce, aud=aud, iat=kit.now, vct=vct)
    fresh = Wallet()
    requests = []
    for name, count in (wanted or {"residency": 2, "identity": 2}).items():
        keys, proofs = kit.proofs(count, nonce=proof_nonce or nonce)
        fresh.holder_keys.update({thumbprint(k): private_jwk(k) for k in keys})
        requests.append({"credential_configuration_id": name, "proofs": {"jwt": proofs}})
    body = {"presentation": presentation, "credential_requests": requests, "revoke_receipts": receipts or []}
    return kit.client.post("/renewal", json=body), fresh


def imported(response: Any, fresh: Wallet) -> Wallet:
    assert response.status_code == 200, response.text
    for group in response.json()["credential_responses"]:
        for item in group["credentials"]:
            fresh.import_credential(item["credential"])
    fresh.receipts.append(response.json()["citykey_receipt"])
    return fresh


def accepted(kit: Kit, wallet: Wallet, paths: list[Any], **kwargs: Any) -> dict[str, Any]:
    text, _ = wallet.present(paths, nonce=NONCE, aud=BUS, **kwargs)
    return verify(text, kit.bundle(), Policy(nonce=NONCE, aud=BUS), now=kit.now).claims


def test_renewal_gives_a_fresh_batch_under_the_current_signing_key_and_leaves_the_old_one(kit: Kit) -> None:
    old = enrol(kit)
    store = KeyStore.open(kit.state.store.directory)
    new_key = store.rotate(PASSPHRASE.encode(), now=kit.now, max_credential_lifetime=365 * DAY)
    kit.state.republish(now=kit.now)

    response, fresh = renewal(kit, old, wanted={"residency": 3, "identity": 1, "residency-youth": 2})
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["revoked"] == 0
    assert [
        (g["credential_configuration_id"], len(g["credentials"])) for g in response.json()["credential_responses"]
    ] == [
        ("residency", 3),
        ("identity", 1),
        ("residency-youth", 2),
    ]
    new = imported(response, fresh)
    assert {jws.parse(SdJwt.parse(c.sd_jwt).jwt).header["kid"] for c in new.credentials} == {new_key.kid}

    identity = accepted(kit, new, [("given_name",), ("family_name",), ("birthdate",), ("address",)])
    assert identity["given_name"] == RESIDENT.given_name
    assert identity["birthdate"] == RESIDENT.birthdate.isoformat()
    assert identity["address"] == {
        "street_address": "742 Quillbrook Terrace",
        "locality": "Springfield",
        "postal_code": "99731",
    }
    pass_ = accepted(kit, new, [("resident_of",), ("age_over_65",)], vct=RESIDENCY_VCT)
    assert pass_ == {**pass_, "resident_of": CITY, "age_over_65": True}
    assert len(open_receipt(store.receipt_mac_key(PASSPHRASE.encode()), new.receipts[0])) == 6

    assert accepted(kit, old, [("resident_of",)], vct=RESIDENCY_VCT)["resident_of"] == CITY  # the old batch stays valid


def test_renewal_revokes_the_old_batch_with_its_receipt_in_the_same_request(kit: Kit) -> None:
    old = enrol(kit)
    response, fresh = renewal(kit, old, receipts=old.receipts)
    assert response.json()["revoked"] == 8
    new = imported(response, fresh)
    bundle = kit.bundle()  # re-signed at once
    for credential in old.credentials:
        text, _ = old.present([], nonce=NONCE, aud=BUS, vct=credential.vct)
        with pytest.raises(VerificationFailed) as refused:
            verify(text, bundle, Policy(nonce=NONCE, aud=BUS), now=kit.now)
        assert "revoked" in refused.value.codes
    assert accepted(kit, new, [("given_name",)])["given_name"] == RESIDENT.given_name
    error(renewal(kit, old)[0], 400, "invalid_grant")  # and the old identity credential cannot renew again


def test_a_renewed_credential_can_renew_in_turn(kit: Kit) -> None:
    first = imported(*renewal(kit, enrol(kit), receipts=None))
    second = imported(*renewal(kit, first, wanted={"identity": 1}))
    assert accepted(kit, second, [("family_name",)])["family_name"] == RESIDENT.family_name


def test_a_full_credential_renews_with_its_own_resident_of_and_extra_claims(kit: Kit) -> None:
    resident = Resident("Ona", "Quaile", dt.date(2001, 2, 3), "Shelbyville", extra={"library_card": "L-771"})
    wallet = Wallet()
    keys = wallet.new_holder_keys(1)
    state = kit.state
    batch = issue_batch(
        resident, keys, keys=state.keys, registry=state.registry, now=kit.now
    )
    wallet.import_credential(batch.credentials[0])
    state.republish(now=kit.now)
    new = imported(*renewal(kit, wallet, vct=CITY_ID.vct, wanted={"full": 1, "residency": 1}))
    claims = accepted(kit, new, [("library_card",), ("resident_of",)], vct=CITY_ID.vct)
    assert claims["library_card"] == "L-771"
    assert claims["resident_of"] == "Shelbyville"


def test_a_withheld_address_part_is_left_out_never_changed(kit: Kit) -> None:
    old = enrol(kit)
    paths = [("given_name",), ("family_name",), ("birthdate",), ("address", "locality"), ("address", "postal_code")]
    new = imported(*renewal(kit, old, paths=paths, wanted={"identity": 1}))
    assert accepted(kit, new, [("address",)])["address"] == {"locality": "Springfield", "postal_code": "99731"}


def test_a_revoked_or_expired_credential_cannot_renew(kit: Kit) -> None:
    wallet = enrol(kit)
    assert kit.client.post("/revocations", json={"receipt": wallet.receipts[0]}).status_code == 200
    assert "revoked" in error(renewal(kit, wallet)[0], 400, "invalid_grant")

    other = enrol(kit)
    kit.now += 366 * DAY
    kit.state.republish(now=kit.now)
    assert "expired" in error(renewal(kit, other)[0], 400, "invalid_grant")


def test_only_a_full_key_bound_identity_presentation_to_this_issuer_renews(kit: Kit) -> None:
    wallet = enrol(kit)
    assert "claim_invalid" in error(renewal(kit, wallet, vct=RESIDENCY_VCT)[0], 400, "invalid_grant")  # a pass
    assert "aud_mismatch" in error(renewal(kit, wallet, aud=BUS)[0], 400, "invalid_grant")
    assert "missing: birthdate" in error(
        renewal(kit, wallet, paths=[("given_name",), ("family_name",)])[0], 400, "invalid_grant"
    )
    nonce = kit.nonce()
    unbound, _ = wallet.present(everything(wallet), vct=IDENTITY.vct)  # no KB-JWT
    request = {"credential_configuration_id": "identity", "proofs": {"jwt": kit.proofs(1, nonce=nonce)[1]}}
    response = kit.client.post("/renewal", json={"presentation": unbound, "credential_requests": [request]})
    assert "kb_missing" in error(response, 400, "invalid_grant")
    forged = wallet.present(everything(wallet), nonce=nonce, aud=ISSUER, vct=IDENTITY.vct)[0][:-3] + "AAA"
    response = kit.client.post("/renewal", json={"presentation": forged, "credential_requests": [request]})
    assert "kb_signature_invalid" in error(response, 400, "invalid_grant")


def test_the_renewal_nonce_is_the_issuers_and_single_use(kit: Kit) -> None:
    wallet = enrol(kit, per_type=4)  # a credential renews once: each attempt presents a fresh identity credential
    nonce = kit.nonce()
    imported(*renewal(kit, wallet, nonce=nonce, wanted={"identity": 1}))
    error(renewal(kit, wallet, nonce=nonce)[0], 400, "invalid_nonce")
    error(renewal(kit, wallet, nonce="chosen-by-the-wallet")[0], 400, "invalid_nonce")
    error(renewal(kit, wallet, proof_nonce="chosen-by-the-wallet")[0], 400, "invalid_nonce")


def test_a_forged_receipt_is_refused_before_anything_is_issued_or_spent(kit: Kit) -> None:
    wallet = enrol(kit)
    nonce = kit.nonce()
    forged = wallet.receipts[0][:-2] + ("AA" if not wallet.receipts[0].endswith("AA") else "BB")
    assert "receipt_invalid" in error(renewal(kit, wallet, nonce=nonce, receipts=[forged])[0], 400, "invalid_request")
    response, fresh = renewal(kit, wallet, nonce=nonce)  # the nonce was not spent
    assert imported(response, fresh).credentials


def test_malformed_or_oversized_renewal_requests(kit: Kit) -> None:
    wallet = enrol(kit)
    error(renewal(kit, wallet, wanted={"residency": 9, "identity": 8})[0], 400, "invalid_credential_request")
    error(renewal(kit, wallet, wanted={"passport": 1})[0], 400, "unknown_credential_configuration")
    error(kit.client.post("/renewal", json=["x"]), 400, "invalid_request")
    error(kit.client.post("/renewal", json={"presentation": "x"}), 400, "invalid_credential_request")
    twice = {"credential_configuration_id": "identity", "proofs": {"jwt": kit.proofs(1)[1]}}
    response = kit.client.post("/renewal", json={"presentation": "x~", "credential_requests": [twice, twice]})
    assert "twice" in error(response, 400, "invalid_credential_request")
    response = kit.client.post("/renewal", json={"presentation": "not an sd-jwt", "credential_requests": [twice]})
    error(response, 400, "invalid_request")
    error(
        kit.client.post("/renewal", content=b"{", headers={"Content-Type": "application/json"}), 400, "invalid_request"
    )


def test_renewal_issues_the_fact_passes_that_hold_and_refuses_one_that_does_not_before_spending(kit: Kit) -> None:
    forty = Resident("Ana", "Ruiz", dt.date(1986, 5, 1), CITY)
    wallet = enrol(kit, resident=forty)
    refused, _ = renewal(kit, wallet, wanted={"identity": 1, "resident-21": 1, "resident-65": 1})
    assert "fact_not_held: resident-65" in error(refused, 400, "invalid_credential_request")

    response, fresh = renewal(kit, wallet, wanted={"identity": 1, "resident": 1, "resident-21": 1})
    new = imported(response, fresh)  # the refused request spent nothing: the same credential renews
    claims = accepted(kit, new, [("resident_of",), ("age_over_21",)], vct=RESIDENT_VCT)
    assert (claims["vct"], claims["resident_of"], claims["age_over_21"]) == (RESIDENT_VCT, CITY, True)
