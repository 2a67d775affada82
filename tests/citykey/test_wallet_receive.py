"""`citykey wallet receive` and `citykey wallet renew`: the reference wallet's OpenID4VCI client, end to end.

The commands run in process (typer's CliRunner) against the real issuer app behind
FastAPI's TestClient, which `cli.wallet.http_client` is pointed at: every request the
client makes (offer, metadata, token, nonce, credential, renewal) goes through HTTP
routing, only without a socket. Credentials land in the sealed wallet file and are
checked by presenting them and verifying against the issuer's published trust bundle.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from citykey import wallet as wallet_cli
from citykey.main import app
from issuer.app import create_app
from issuer.batch import MAX_BATCH
from issuer.db import sqlite_url
from issuer.offers import Offer, create_offer
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore
from verifier import Policy, verify
from wallet import model as wallet_model
from wallet import oid4vci as oid4vci_client
from wallet_spec.bundle import load_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.profile import IDENTITY, RESIDENCY_VCT, RESIDENT_VCT, Address, Resident, standard_types

ISSUER = "https://id.springfield.example"
KEY_PASSPHRASE = "correct horse battery staple"
WALLET_PASSPHRASE = "wallet passphrase, test only"
RESIDENT = Resident("Dolores", "Sample", dt.date(1957, 4, 2), "Springfield", Address(None, "Springfield", "62704"))
OFFERED = [kind.name for kind in standard_types(RESIDENT, now=int(time.time()))]
BUS, NONCE = "https://bus.example", "bus-nonce-123456"


@dataclass
class City:
    client: TestClient
    state: IssuerState
    wallet_dir: Path

    def offer(self, tx_code_length: int | None = None, resident: Resident = RESIDENT) -> Offer:
        return create_offer(self.state, resident, now=int(time.time()), tx_code_length=tx_code_length)

    def wallet(self) -> wallet_model.Wallet:
        return wallet_model.unseal((self.wallet_dir / "wallet.ckw").read_bytes(), WALLET_PASSPHRASE.encode())

    def verify(self, vct: str, paths: list[Any]) -> dict[str, Any]:
        """Present from the wallet (`citykey wallet present`) and verify against the published bundle."""
        claims = ",".join(".".join(p) for p in paths)
        text = ok("present", "--dir", self.wallet_dir, "--claims", claims, "--nonce", NONCE, "--aud", BUS).strip()
        bundle = load_bundle(self.client.get("/trust-bundle").text, self.root, now=int(time.time()))
        claims_seen = verify(text, bundle, Policy(nonce=NONCE, aud=BUS), now=int(time.time())).claims
        assert claims_seen["vct"] == vct
        return claims_seen

    @property
    def root(self) -> str:
        return KeyStore.open(self.state.store.directory).root_thumbprint


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[City]:
    keys_dir = tmp_path / "keys"
    KeyStore.init(keys_dir, ISSUER, KEY_PASSPHRASE.encode(), now=int(time.time()) - 3600)
    settings = IssuerSettings(
        data_dir=tmp_path,
        keys_dir=keys_dir,
        db_url=sqlite_url(tmp_path / "issuer.db"),
        key_passphrase=KEY_PASSPHRASE,  # type: ignore[arg-type]  # pydantic makes the SecretStr
        city_name="Springfield",
    )
    application = create_app(settings)
    client = TestClient(application, base_url=ISSUER)
    monkeypatch.setattr(wallet_cli, "http_client", lambda: contextlib.nullcontext(client))
    made = City(client, application.state.issuer, tmp_path / "w")
    ok("init", "--dir", made.wallet_dir)
    yield made
    made.state.engine.dispose()


def wallet(*args: object) -> Any:
    env = {"COLUMNS": "200", "NO_COLOR": "1", wallet_cli.PASSPHRASE_ENV: WALLET_PASSPHRASE}
    return CliRunner().invoke(app, ["wallet", *map(str, args)], env=env)


def ok(*args: object) -> str:
    result = wallet(*args)
    assert result.exit_code == 0, f"{args}: {result.stderr}"
    out: str = result.stdout
    return out


def test_receive_runs_the_whole_flow_into_the_wallet(city: City) -> None:
    offer = city.offer(tx_code_length=6)
    out = ok("receive", "--dir", city.wallet_dir, offer.offer_uri, "--tx-code", offer.tx_code, "--json")
    assert json.loads(out) == {
        "issuer": ISSUER,
        "credentials": dict.fromkeys(OFFERED, 2),  # twelve types (she is 65 or over): the default two each fit
        "denied": [],
        "receipt": True,
        "revoked": 0,
    }
    held = city.wallet()
    assert len(held.credentials) == 24
    assert len(held.holder_keys) == 24  # one key per credential, none left over
    assert len(held.receipts) == 1  # the last answer's receipt covers the whole batch
    listed = json.loads(ok("list", "--dir", city.wallet_dir, "--json"))
    assert listed["receipts"] == 1

    assert city.verify(RESIDENT_VCT, [("resident_of",), ("age_over_65",)])["age_over_65"] is True  # its fact pass
    assert city.verify(RESIDENCY_VCT, [("age_over_13",)])["resident_of"] == "Springfield"  # no pass says 13+ alone
    identity = city.verify(IDENTITY.vct, [("family_name",), ("address", "postal_code")])
    assert identity["family_name"] == "Sample"
    assert identity["address"] == {"postal_code": "62704"}

    again = wallet("receive", "--dir", city.wallet_dir, offer.offer_uri, "--tx-code", offer.tx_code)
    assert again.exit_code == 1  # redeemed: the issuer no longer has the offer
    assert "invalid_request: no such offer" in again.stderr


def test_a_younger_resident_gets_the_passes_that_are_true_and_the_wallet_keeps_no_key_for_the_others(
    city: City,
) -> None:
    twenty = dataclasses.replace(RESIDENT, birthdate=dt.date(dt.date.today().year - 20, 7, 1))  # 19 or 20
    out = ok("receive", "--dir", city.wallet_dir, city.offer(resident=twenty).offer_uri, "--json")
    got = json.loads(out)
    held_types = [kind.name for kind in standard_types(twenty, now=int(time.time()))]
    assert list(got["credentials"]) == held_types
    assert got["denied"] == ["resident-21", "resident-55", "resident-62", "resident-65"]
    held = city.wallet()
    assert len(held.credentials) == len(held.holder_keys) == 2 * len(held_types)
    assert city.verify(RESIDENT_VCT, [("resident_of",), ("age_over_18",)])["age_over_18"] is True


def test_receive_with_more_per_type_and_plain_output(city: City) -> None:
    out = ok("receive", "--dir", city.wallet_dir, city.offer().offer_uri, "--per-type", "1")
    assert out.startswith(f"received 12 credentials from {ISSUER}")
    assert len(city.wallet().credentials) == 12
    assert f"revocation receipt is kept in the wallet ({city.wallet_dir / 'wallet.ckw'})" in out
    assert f"citykey wallet receipts --dir {city.wallet_dir} > receipt.txt" in out
    receipts = ok("receipts", "--dir", city.wallet_dir).split()
    assert receipts == city.wallet().receipts
    assert len(receipts) == 1


def test_more_than_the_batch_is_refused_before_the_offer_is_redeemed(city: City) -> None:
    offer = city.offer()
    result = wallet("receive", "--dir", city.wallet_dir, offer.offer_uri, "--per-type", "4")
    assert result.exit_code == 2
    assert f"exceed the issuer's batch of {MAX_BATCH}" in result.stderr  # 12 types x 4
    assert city.wallet().holder_keys == {}
    ok("receive", "--dir", city.wallet_dir, offer.offer_uri)  # the offer is still good


def test_a_wrong_transaction_code_is_the_issuers_refusal_and_a_missing_one_a_usage_error(city: City) -> None:
    offer = city.offer(tx_code_length=6)
    assert offer.tx_code is not None
    result = wallet("receive", "--dir", city.wallet_dir, offer.offer_uri)  # no terminal to ask on
    assert result.exit_code == 2
    assert "--tx-code" in result.stderr
    wrong = f"{(int(offer.tx_code) + 1) % 10**6:06d}"
    result = wallet("receive", "--dir", city.wallet_dir, offer.offer_uri, "--tx-code", wrong)
    assert result.exit_code == 1
    assert "invalid_grant: wrong transaction code; 4 attempt(s) left" in result.stderr
    ok("receive", "--dir", city.wallet_dir, offer.offer_uri, "--tx-code", offer.tx_code)


def test_plain_http_issuers_are_refused_except_on_this_machine(city: City) -> None:
    for uri in (
        "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fid.springfield.example%2Foffers%2Fabc",
        "openid-credential-offer://?credential_offer_uri=ftp%3A%2F%2Fexample.org%2Fx",
        "openid-credential-offer://?nothing=here",
    ):
        result = wallet("receive", "--dir", city.wallet_dir, uri)
        assert result.exit_code == 2, uri
    result = wallet("renew", "--dir", city.wallet_dir, "--issuer", "http://id.springfield.example")
    assert result.exit_code == 2
    assert "https" in result.stderr
    assert oid4vci_client.check_url("http://127.0.0.1:8080", what="x") == "http://127.0.0.1:8080"
    assert oid4vci_client.check_url("http://localhost/", what="x") == "http://localhost/"
    with pytest.raises(oid4vci_client.ClientError):
        oid4vci_client.check_url("https://user:pw@id.example", what="x")
    assert oid4vci_client.well_known("https://a.example/tenant/", "openid-credential-issuer") == (
        "https://a.example/.well-known/openid-credential-issuer/tenant"
    )


def test_an_offer_by_value_works_too(city: City) -> None:
    offer = city.offer()
    document = city.client.get(f"/offers/{offer.offer_id}").json()
    uri = "openid-credential-offer://?credential_offer=" + quote(json.dumps(document), safe="")
    ok("receive", "--dir", city.wallet_dir, uri, "--per-type", "1")
    assert len(city.wallet().credentials) == 12


def test_renew_replaces_the_batch_and_revokes_the_old_one(city: City) -> None:
    ok("receive", "--dir", city.wallet_dir, city.offer().offer_uri)
    before = city.wallet()
    out = json.loads(ok("renew", "--dir", city.wallet_dir, "--issuer", ISSUER, "--json"))
    assert out["revoked"] == 24
    assert out["credentials"] == dict.fromkeys(OFFERED, 2)
    after = city.wallet()
    assert len(after.credentials) == 24
    assert not {c.sd_jwt for c in before.credentials} & {c.sd_jwt for c in after.credentials}
    assert set(after.holder_keys) == {c.holder_kid for c in after.credentials}
    assert len(after.receipts) == 1
    assert after.receipts != before.receipts
    assert city.verify(IDENTITY.vct, [("given_name",)])["given_name"] == "Dolores"

    old = before.credentials[0]
    text, _ = before.present([], nonce=NONCE, aud=BUS, vct=old.vct)
    bundle = load_bundle(city.client.get("/trust-bundle").text, city.root, now=int(time.time()))
    with pytest.raises(VerificationFailed) as refused:
        verify(text, bundle, Policy(nonce=NONCE, aud=BUS), now=int(time.time()))
    assert "revoked" in refused.value.codes


def test_renew_keep_old_adds_a_batch_beside_the_old_one(city: City) -> None:
    ok("receive", "--dir", city.wallet_dir, city.offer().offer_uri, "--per-type", "1")
    out = ok("renew", "--dir", city.wallet_dir, "--issuer", ISSUER, "--keep-old", "--per-type", "1")
    assert out.startswith(f"renewed: 12 credentials from {ISSUER}")
    held = city.wallet()
    assert len(held.credentials) == 24
    assert len(held.receipts) == 2
    city.verify(RESIDENT_VCT, [("resident_of",), ("age_over_62",)])


def test_renew_needs_an_identity_credential(city: City) -> None:
    result = wallet("renew", "--dir", city.wallet_dir, "--issuer", ISSUER)
    assert result.exit_code == 2
    assert "no identity credential" in result.stderr


def present_and_verify(city: City, directory: Path) -> dict[str, Any]:
    """`citykey wallet present` from `directory`, verified against the published bundle (raises if refused)."""
    text = ok("present", "--dir", directory, "--claims", "resident_of", "--nonce", NONCE, "--aud", BUS).strip()
    bundle = load_bundle(city.client.get("/trust-bundle").text, city.root, now=int(time.time()))
    return verify(text, bundle, Policy(nonce=NONCE, aud=BUS), now=int(time.time())).claims


def test_thief_renews_a_copied_wallet_then_resident_revokes_the_thiefs_batch_is_revoked(city: City) -> None:
    ok("receive", "--dir", city.wallet_dir, city.offer().offer_uri, "--per-type", "1")
    thief_dir = city.wallet_dir.parent / "thief"
    shutil.copytree(city.wallet_dir, thief_dir)
    ok("renew", "--dir", thief_dir, "--issuer", ISSUER, "--keep-old", "--per-type", "1")
    assert present_and_verify(city, thief_dir)["resident_of"] == "Springfield"

    response = city.client.post("/revocations", json={"receipt": city.wallet().receipts[0]})
    assert response.status_code == 200, response.text
    assert response.json()["revoked"] == 24  # her 12 and the thief's 12
    with pytest.raises(VerificationFailed) as refused:
        present_and_verify(city, thief_dir)
    assert "revoked" in refused.value.codes
    again = wallet("renew", "--dir", thief_dir, "--issuer", ISSUER, "--per-type", "1")
    assert again.exit_code == 1
    assert "revoked" in again.stderr


def test_resident_revokes_then_a_copied_wallet_cannot_renew(city: City) -> None:
    ok("receive", "--dir", city.wallet_dir, city.offer().offer_uri, "--per-type", "1")
    thief_dir = city.wallet_dir.parent / "thief"
    shutil.copytree(city.wallet_dir, thief_dir)
    response = city.client.post("/revocations", json={"receipt": city.wallet().receipts[0]})
    assert response.status_code == 200, response.text
    result = wallet("renew", "--dir", thief_dir, "--issuer", ISSUER, "--keep-old", "--per-type", "1")
    assert result.exit_code == 1
    assert "invalid_grant" in result.stderr
    assert "revoked" in result.stderr


def test_a_copied_wallet_cannot_renew_what_the_resident_already_renewed(city: City) -> None:
    ok("receive", "--dir", city.wallet_dir, city.offer().offer_uri, "--per-type", "1")
    thief_dir = city.wallet_dir.parent / "thief"
    shutil.copytree(city.wallet_dir, thief_dir)
    ok("renew", "--dir", city.wallet_dir, "--issuer", ISSUER, "--keep-old", "--per-type", "1")
    result = wallet("renew", "--dir", thief_dir, "--issuer", ISSUER, "--keep-old", "--per-type", "1")
    assert result.exit_code == 1
    assert "already_renewed" in result.stderr
