"""`POST /revocations` through HTTP, on SQLite and on PostgreSQL.

Whoever holds a batch's receipt can revoke that batch: the answer counts the
credentials newly revoked, and the very next trust bundle makes a verifier
refuse a real presentation from that batch with `revoked`, while other batches
still verify. Forged, foreign, malformed and oversized receipts are refused
with a stable code, and nothing is revoked.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from citykey.main import app as cli_app
from issuer.app import create_app
from issuer.batch import Batch, issue_batch
from issuer.db import status_lists
from issuer.receipts import MAX_RECEIPT_CHARS, make_receipt
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from issuer.statuslists import StatusRef
from keys import KeyStore
from verifier import Policy, verify
from wallet.model import Wallet
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.profile import Resident

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
AUD = "https://library.springfield.example"
RESIDENT = Resident(
    given_name="Dolores", family_name="Sample", birthdate=dt.date(1957, 4, 2), resident_of="Springfield"
)


@dataclass
class Service:
    client: TestClient
    state: IssuerState
    keys_dir: Path

    @property
    def store(self) -> KeyStore:
        return KeyStore.open(self.keys_dir)

    def bundle(self) -> TrustBundle:
        text = self.client.get("/trust-bundle").text
        return load_bundle(text, self.store.root_thumbprint, now=int(time.time()))

    def issue(self, n: int) -> tuple[Batch, Wallet]:
        wallet = Wallet()
        batch = issue_batch(RESIDENT, wallet.new_holder_keys(n), store=self.store, registry=self.state.registry,
                            passphrase=PASSPHRASE.encode(), now=int(time.time()))
        for credential in batch.credentials:
            wallet.import_credential(credential)
        return batch, wallet

    def revoked_bits(self) -> int:
        with self.state.engine.connect() as conn:
            rows = conn.execute(select(status_lists.c.status)).scalars().all()
        return sum(int.from_bytes(bits, "little").bit_count() for bits in rows)


@pytest.fixture
def service(tmp_path: Path, db_url: str) -> Iterator[Service]:
    KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    settings = IssuerSettings(data_dir=tmp_path / "data", keys_dir=tmp_path / "keys", db_url=db_url,
                              key_passphrase=PASSPHRASE)
    application = create_app(settings)
    state: IssuerState = application.state.issuer
    yield Service(TestClient(application), state, tmp_path / "keys")
    state.engine.dispose()


def present_and_verify(wallet: Wallet, bundle: TrustBundle) -> None:
    text, _ = wallet.present([("resident_of",)], nonce="n-1", aud=AUD)
    verify(text, bundle, Policy(required=(("resident_of",),), nonce="n-1", aud=AUD))


def codes(failed: pytest.ExceptionInfo[VerificationFailed]) -> set[str]:
    return {e.code for e in failed.value.errors}


# --- revoking ------------------------------------------------------------------------------------------------


def test_revoking_by_receipt_makes_the_next_bundle_refuse_the_batch(service: Service) -> None:
    lost, lost_wallet = service.issue(3)
    _, kept_wallet = service.issue(2)
    service.state.republish()
    present_and_verify(lost_wallet, service.bundle())  # valid before

    response = service.client.post("/revocations", json={"receipt": lost.receipt})
    assert response.status_code == 200
    body = response.json()
    assert body["revoked"] == 3
    assert abs(body["published_at"] - time.time()) < 30

    bundle = service.bundle()
    assert bundle.issued_at == body["published_at"]
    for _ in range(3):  # every credential of the batch
        with pytest.raises(VerificationFailed) as failed:
            present_and_verify(lost_wallet, bundle)
        assert codes(failed) == {"revoked"}
    present_and_verify(kept_wallet, bundle)  # another resident's batch is untouched
    assert service.revoked_bits() == 3


def test_revoking_again_is_harmless_and_counts_nothing(service: Service) -> None:
    batch, _ = service.issue(2)
    assert service.client.post("/revocations", json={"receipt": batch.receipt}).json()["revoked"] == 2
    again = service.client.post("/revocations", json={"receipt": batch.receipt})
    assert again.status_code == 200
    assert again.json()["revoked"] == 0
    assert service.revoked_bits() == 2


def test_surrounding_whitespace_of_a_typed_or_scanned_receipt_is_ignored(service: Service) -> None:
    batch, _ = service.issue(1)
    response = service.client.post("/revocations", json={"receipt": f"  {batch.receipt}\n"})
    assert response.json()["revoked"] == 1


def test_a_revocation_is_committed_even_when_re_signing_must_wait_for_the_root(
    service: Service, tmp_path: Path
) -> None:
    batch, wallet = service.issue(2)
    store = service.store
    offline = tmp_path / "root.pem"
    shutil.move(store.key_file(store.root_thumbprint), offline)
    rotated = CliRunner().invoke(cli_app, ["keys", "rotate", "--dir", str(service.keys_dir)],
                                 env={"CITYKEY_KEY_PASSPHRASE": PASSPHRASE})
    assert rotated.exit_code == 0, rotated.output

    response = service.client.post("/revocations", json={"receipt": batch.receipt})
    assert response.status_code == 200
    assert response.json() == {"revoked": 2, "published_at": None}  # committed, not yet published
    assert "root" in service.client.get("/health").json()["republish_error"]

    shutil.move(offline, store.key_file(store.root_thumbprint))  # the root signs the new key list
    assert service.state.try_republish() is not None
    with pytest.raises(VerificationFailed) as failed:
        present_and_verify(wallet, service.bundle())
    assert codes(failed) == {"revoked"}


# --- refusals ------------------------------------------------------------------------------------------------


def test_a_receipt_with_a_forged_mac_is_refused(service: Service) -> None:
    batch, _ = service.issue(2)
    head, payload, mac = batch.receipt.split(".")
    forged = f"{head}.{payload}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    response = service.client.post("/revocations", json={"receipt": forged})
    assert response.status_code == 400
    assert response.json()["error"] == "receipt_invalid"
    assert service.revoked_bits() == 0


@pytest.mark.parametrize("receipt", ["", "hello", "ckr1.e30.AAAA", "ckr2.e30.AAAA", "ckr1..", "ckr1.é.x"])
def test_text_that_is_no_receipt_is_refused_with_receipt_invalid(service: Service, receipt: str) -> None:
    response = service.client.post("/revocations", json={"receipt": receipt})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "receipt_invalid"
    assert body["error_description"]


def test_a_receipt_of_another_city_is_refused(service: Service, tmp_path: Path) -> None:
    service.issue(2)
    other = KeyStore.init(tmp_path / "other", "https://id.shelbyville.example", PASSPHRASE.encode(),
                          now=int(time.time()))
    foreign = make_receipt(other.receipt_mac_key(PASSPHRASE.encode()), other.issuer_id,
                           [StatusRef(f"{ISSUER}/statuslists/1", 0)])
    response = service.client.post("/revocations", json={"receipt": foreign})
    assert response.status_code == 400
    assert response.json()["error"] == "receipt_invalid"
    assert service.revoked_bits() == 0


def test_a_genuine_receipt_naming_indices_never_handed_out_is_refused(service: Service) -> None:
    service.issue(1)
    store = service.store
    mac_key = store.receipt_mac_key(PASSPHRASE.encode())
    for refs in ([StatusRef(f"{ISSUER}/statuslists/7", 0)], [StatusRef("https://elsewhere.example/statuslists/1", 0)]):
        response = service.client.post("/revocations", json={"receipt": make_receipt(mac_key, ISSUER, refs)})
        assert response.status_code == 400
        assert response.json()["error"] == "status_ref_unknown"
    assert service.revoked_bits() == 0


def test_a_receipt_longer_than_any_real_one_is_refused_before_it_is_read(service: Service) -> None:
    too_long = "ckr1." + "A" * MAX_RECEIPT_CHARS
    assert service.client.post("/revocations", json={"receipt": too_long}).status_code == 422
    huge = service.client.post("/revocations", content=b'{"receipt": "' + b"A" * 100_000 + b'"}',
                               headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert huge.json()["error"] == "too_large"


@pytest.mark.parametrize("body", [b"[]", b'{"receipt": 1}', b'{"receipt": null}', b'{"token": "ckr1.a.b"}'])
def test_a_malformed_request_is_422(service: Service, body: bytes) -> None:
    response = service.client.post("/revocations", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("body", [b"", b"not json", b'{"receipt": NaN}'])
def test_a_body_that_is_not_strict_json_is_400_malformed(service: Service, body: bytes) -> None:
    response = service.client.post("/revocations", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "malformed"


def test_revocation_accepts_only_post(service: Service) -> None:
    assert service.client.get("/revocations").status_code == 405
