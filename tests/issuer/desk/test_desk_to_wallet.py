"""The issue's acceptance path: a clerk signs in, enrols a resident, and `citykey wallet receive` redeems the offer."""

from __future__ import annotations

import contextlib
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from citykey import wallet as wallet_cli
from citykey.main import app
from tests.issuer.desk.desk_support import ISSUER, RESIDENT, Desk, offer_uri_in
from verifier import Policy, verify
from wallet_spec.bundle import load_bundle

WALLET_PASSPHRASE = "wallet passphrase, test only"


def citykey(*args: object) -> str:
    result = CliRunner().invoke(app, [*map(str, args)], env={wallet_cli.PASSPHRASE_ENV: WALLET_PASSPHRASE})
    assert result.exit_code == 0, f"{args}: {result.stderr}"
    out: str = result.stdout
    return out


def test_a_clerk_enrols_a_resident_and_their_wallet_receives_a_batch_that_verifies(
    signed_in: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer_page = signed_in.enrol()
    assert offer_page.status_code == 200
    uri = offer_uri_in(offer_page.text)
    assert uri.startswith("openid-credential-offer://?credential_offer_uri=")

    # The resident's phone talks to the issuer's public URL, not to the desk's session.
    phone = TestClient(signed_in.app, base_url=ISSUER)
    monkeypatch.setattr(wallet_cli, "http_client", lambda: contextlib.nullcontext(phone))
    wallet_dir = signed_in.state.settings.data_dir / "phone"
    citykey("wallet", "init", "--dir", wallet_dir)
    citykey("wallet", "receive", "--dir", wallet_dir, uri)

    now = int(time.time())
    bundle = load_bundle(phone.get("/trust-bundle").text, signed_in.state.store.root_thumbprint, now=now)
    shown = citykey("wallet", "present", "--dir", wallet_dir, "--claims", "given_name,address.postal_code",
                    "--nonce", "library-nonce-0001", "--aud", "https://library.example").strip()
    claims = verify(shown, bundle, Policy(nonce="library-nonce-0001", aud="https://library.example"), now=now).claims
    assert claims["given_name"] == RESIDENT["given_name"]
    assert claims["address"] == {"postal_code": RESIDENT["postal_code"]}
    assert "family_name" not in claims

    again = CliRunner().invoke(app, ["wallet", "receive", "--dir", str(wallet_dir), uri],
                               env={wallet_cli.PASSPHRASE_ENV: WALLET_PASSPHRASE})
    assert again.exit_code != 0  # an offer works once
