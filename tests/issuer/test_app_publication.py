"""The issuer service's publication endpoints, through HTTP, on SQLite and on PostgreSQL.

`/.well-known/jwt-vc-issuer` (the JWKS), `/statuslists/{id}` (`statuslist+jwt`),
`/trust-bundle` (what verifiers sync) and `/health` (time left on everything
that expires). Tokens are re-signed on a timer and after every change, and a
rotation made on disk with `citykey keys rotate` shows up at the next
re-signing; when the root must sign again and is offline, the last good bundle
stays published and `/health` says why.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from citykey.main import app as cli_app
from issuer.app import create_app
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from issuer.trust_bundle import BUNDLE_INTERVAL, STATUS_LIFETIME, STATUS_TTL
from keys import KeyStore
from keys.store import DEFAULT_KEY_LIST_VALIDITY
from wallet_spec import jws
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.statuslist import verify_token

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
DAY = 86_400
SLACK = 30
"""Seconds a test may take between the server's clock reading and ours."""


@dataclass
class Service:
    client: TestClient
    state: IssuerState
    keys_dir: Path

    @property
    def store(self) -> KeyStore:
        return KeyStore.open(self.keys_dir)

    def bundle(self, now: int | None = None) -> TrustBundle:
        response = self.client.get("/trust-bundle")
        assert response.status_code == 200
        return load_bundle(response.text, self.store.root_thumbprint, now=now or int(time.time()))


def make_settings(tmp_path: Path, db_url: str, **extra: Any) -> IssuerSettings:
    return IssuerSettings(
        data_dir=tmp_path / "data", keys_dir=tmp_path / "keys", db_url=db_url, key_passphrase=PASSPHRASE, **extra
    )


@pytest.fixture
def service(tmp_path: Path, db_url: str) -> Iterator[Service]:
    KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    application = create_app(make_settings(tmp_path, db_url))
    state: IssuerState = application.state.issuer
    yield Service(TestClient(application), state, tmp_path / "keys")
    state.engine.dispose()


def with_lists(service: Service, n: int) -> None:
    """Hand out `n` status indices (as issuance would) and re-sign, so status lists exist."""
    service.state.registry.allocate(n)
    service.state.republish()


def keys_cli(*args: str) -> None:
    result = CliRunner().invoke(cli_app, ["keys", *args], env={"CITYKEY_KEY_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output


# --- /.well-known/jwt-vc-issuer ----------------------------------------------------------------------------


def test_the_issuer_metadata_lists_the_public_signing_keys(service: Service) -> None:
    response = service.client.get("/.well-known/jwt-vc-issuer")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"issuer", "jwks"}
    assert body["issuer"] == ISSUER
    (key,) = body["jwks"]["keys"]
    assert key["kid"] == service.store.active().kid
    assert (key["use"], key["alg"], key["kty"], key["crv"]) == ("sig", "ES256", "EC", "P-256")
    assert set(key) == {"kid", "use", "alg", "kty", "crv", "x", "y"}  # no "d", nothing private


def test_an_issuer_id_with_a_path_has_its_metadata_where_sd_jwt_vc_puts_it(tmp_path: Path, sqlite_db_url: str) -> None:
    """`https://host/city` -> `https://host/.well-known/jwt-vc-issuer/city` (SD-JWT VC, JWT VC Issuer Metadata)."""
    KeyStore.init(tmp_path / "keys", f"{ISSUER}/city", PASSPHRASE.encode(), now=int(time.time()))
    application = create_app(make_settings(tmp_path, sqlite_db_url))
    client = TestClient(application)
    found = client.get("/.well-known/jwt-vc-issuer/city")
    assert found.status_code == 200
    assert found.json()["issuer"] == f"{ISSUER}/city"
    assert client.get("/.well-known/jwt-vc-issuer/town").status_code == 404
    application.state.issuer.engine.dispose()


# --- /statuslists/{id} -------------------------------------------------------------------------------------


def test_a_status_list_is_served_as_a_token_that_verifies_with_the_key_list(service: Service) -> None:
    with_lists(service, 5)
    response = service.client.get("/statuslists/1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/statuslist+jwt"
    now = int(time.time())
    key_list = service.bundle(now).key_list
    listed = verify_token(response.text, lambda h, p: key_list.key_for(h.get("kid"), p.get("iat")), now=now)
    assert listed.uri == f"{ISSUER}/statuslists/1"
    assert listed.ttl == STATUS_TTL
    assert listed.exp - listed.iat == STATUS_LIFETIME
    assert abs(listed.iat - now) < SLACK
    assert jws.parse(response.text).header["kid"] == service.store.active().kid
    assert all(listed.status_list.get(i) == 0 for i in range(64))
    assert response.text in jws.parse(service.client.get("/trust-bundle").text).payload["status_lists"]


@pytest.mark.parametrize("path", ["/statuslists/2", "/statuslists/0", "/statuslists/-1", "/statuslists/99999999"])
def test_an_unknown_status_list_is_404(service: Service, path: str) -> None:
    with_lists(service, 1)
    response = service.client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "error_description": "no such status list"}


def test_a_status_list_id_that_is_not_a_number_is_422(service: Service) -> None:
    assert service.client.get("/statuslists/one").status_code == 422


def test_before_any_issuance_the_first_status_list_is_already_published(service: Service) -> None:
    """A verifier that syncs before the first enrolment must know the list the first credentials point into."""
    assert service.client.get("/statuslists/1").status_code == 200
    assert service.client.get("/statuslists/2").status_code == 404
    assert list(service.bundle().status_lists) == [f"{ISSUER}/statuslists/1"]


# --- /trust-bundle -----------------------------------------------------------------------------------------


def test_the_trust_bundle_loads_against_the_pinned_root(service: Service) -> None:
    with_lists(service, 3)
    response = service.client.get("/trust-bundle")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    now = int(time.time())
    bundle = load_bundle(response.text, service.store.root_thumbprint, now=now)
    assert bundle.issuer == ISSUER
    assert abs(bundle.issued_at - now) < SLACK
    assert bundle.next_update == bundle.issued_at + BUNDLE_INTERVAL
    assert [k.kid for k in bundle.key_list.keys] == [service.store.active().kid]
    assert set(bundle.status_lists) == {f"{ISSUER}/statuslists/1"}
    assert jws.parse(response.text).header["kid"] == service.store.active().kid


def test_a_bundle_does_not_load_against_another_root(service: Service, tmp_path: Path) -> None:
    other = KeyStore.init(tmp_path / "other", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    with pytest.raises(VerificationFailed, match="root"):
        load_bundle(service.client.get("/trust-bundle").text, other.root_thumbprint, now=int(time.time()))


# --- /health -----------------------------------------------------------------------------------------------


def test_health_reports_the_time_left_on_everything_that_expires(service: Service) -> None:
    with_lists(service, 2)
    response = service.client.get("/health")
    assert response.status_code == 200
    health = response.json()
    assert set(health) == {
        "issuer", "bundle", "key_list_expires_in", "status_lists_expire_in", "signing_keys", "republish_error"
    }
    assert health["issuer"] == ISSUER
    assert health["republish_error"] is None
    assert 0 <= health["bundle"]["age"] < SLACK
    assert abs(health["bundle"]["next_update_in"] - BUNDLE_INTERVAL) < SLACK
    assert abs(health["key_list_expires_in"] - DEFAULT_KEY_LIST_VALIDITY) < SLACK
    assert list(health["status_lists_expire_in"]) == [f"{ISSUER}/statuslists/1"]
    assert abs(health["status_lists_expire_in"][f"{ISSUER}/statuslists/1"] - STATUS_LIFETIME) < SLACK
    (key,) = health["signing_keys"]
    assert (key["kid"], key["state"], key["verifies_for"]) == (service.store.active().kid, "active", None)
    assert 0 <= key["age"] < SLACK


def test_health_counts_down_and_a_retiring_key_shows_how_long_it_still_verifies(service: Service) -> None:
    old = service.store.active().kid
    keys_cli("rotate", "--dir", str(service.keys_dir), "--max-lifetime-days", "30")
    service.state.republish(now=int(time.time()) - 2 * 3600)  # as if last re-signed two hours ago
    health = service.client.get("/health").json()
    assert abs(health["bundle"]["age"] - 2 * 3600) < SLACK
    assert abs(health["bundle"]["next_update_in"] - (BUNDLE_INTERVAL - 2 * 3600)) < SLACK
    by_kid = {k["kid"]: k for k in health["signing_keys"]}
    assert by_kid[old]["state"] == "retiring"
    assert abs(by_kid[old]["verifies_for"] - 30 * DAY) < SLACK
    assert by_kid[service.store.active().kid]["state"] == "active"


# --- re-signing --------------------------------------------------------------------------------------------


def test_every_republish_signs_a_newer_bundle_and_newer_status_lists(service: Service) -> None:
    with_lists(service, 1)
    now = int(time.time())
    first = service.bundle(now)
    service.state.republish(now=now + 3600)
    later = service.bundle(now + 3600)
    assert later.issued_at == now + 3600 > first.issued_at
    assert later.next_update == now + 3600 + BUNDLE_INTERVAL
    uri = f"{ISSUER}/statuslists/1"
    assert later.status_lists[uri].iat == now + 3600
    assert later.status_lists[uri].exp > first.status_lists[uri].exp


def test_the_timer_re_signs_while_the_service_runs(tmp_path: Path, sqlite_db_url: str) -> None:
    KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    application = create_app(make_settings(tmp_path, sqlite_db_url, republish_every=1))
    first = application.state.issuer.published.issued_at
    with TestClient(application) as client:  # runs the lifespan, which starts the timer
        deadline = time.monotonic() + 10
        while application.state.issuer.published.issued_at == first and time.monotonic() < deadline:
            time.sleep(0.1)
        text = client.get("/trust-bundle").text
    assert jws.parse(text).payload["issued_at"] > first


def test_a_rotation_made_on_disk_is_picked_up_by_the_next_republish(service: Service) -> None:
    old = service.store.active().kid
    keys_cli("rotate", "--dir", str(service.keys_dir))
    new = service.store.active().kid
    assert new != old
    jwks = service.client.get("/.well-known/jwt-vc-issuer").json()
    assert [k["kid"] for k in jwks["jwks"]["keys"]] == [old]  # not yet: the service re-reads when it re-signs

    service.state.republish()
    jwks = service.client.get("/.well-known/jwt-vc-issuer").json()
    assert sorted(k["kid"] for k in jwks["jwks"]["keys"]) == sorted([old, new])
    text = service.client.get("/trust-bundle").text
    assert jws.parse(text).header["kid"] == new
    bundle = load_bundle(text, service.store.root_thumbprint, now=int(time.time()))
    assert [k.kid for k in bundle.key_list.keys] == [old, new]  # the old key still verifies what it signed


def test_with_the_root_offline_a_rotation_waits_for_the_key_list_and_health_says_so(
    service: Service, tmp_path: Path
) -> None:
    store = service.store
    offline = tmp_path / "offline.pem"
    shutil.move(store.key_file(store.root_thumbprint), offline)
    before = service.client.get("/trust-bundle").text
    old = store.active().kid
    keys_cli("rotate", "--dir", str(service.keys_dir))

    assert service.state.try_republish() is None  # the new key is in no signed key list yet
    assert service.client.get("/trust-bundle").text == before  # the last good bundle stays published
    assert service.state.store.active().kid == old  # and credentials are not signed by an unlisted key
    jwks = service.client.get("/.well-known/jwt-vc-issuer").json()
    assert [k["kid"] for k in jwks["jwks"]["keys"]] == [old]
    health = service.client.get("/health").json()
    assert health["republish_error"].startswith("keystore_error: ")
    assert "root" in health["republish_error"]

    shutil.move(offline, store.key_file(store.root_thumbprint))  # the ceremony: root back, sign the list
    keys_cli("keylist", "--dir", str(service.keys_dir), "--out", str(tmp_path / "keylist.jwt"))
    store.key_file(store.root_thumbprint).unlink()  # and the root goes offline again
    assert service.state.try_republish() is not None
    assert service.client.get("/health").json()["republish_error"] is None
    assert jws.parse(service.client.get("/trust-bundle").text).header["kid"] == service.store.active().kid


def test_a_database_failure_while_re_signing_is_reported_not_raised(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = service.client.get("/trust-bundle").text

    def outage(*_: Any, **__: Any) -> list[str]:
        raise OperationalError("SELECT status FROM status_lists", {"secret": "bits"}, Exception("server closed"))

    with monkeypatch.context() as patched:
        patched.setattr(service.state.registry, "sign_tokens", outage)
        assert service.state.try_republish() is None
    error = service.client.get("/health").json()["republish_error"]
    assert error.startswith("OperationalError: ")
    assert "bits" not in error  # the first line only: no SQL parameters in health or logs
    assert service.client.get("/trust-bundle").text == before
    assert service.state.try_republish() is not None
    assert service.client.get("/health").json()["republish_error"] is None
