"""A verifier syncs its trust bundle: pinned root, conditional requests, and a bad download never wins.

The city runs the real issuer service (FastAPI, SQLite); the verifier's HTTP
client is the service's TestClient, so every request goes through the routes
with their ETag and Cache-Control headers. `citykey issuer publish --to DIR`
writes the same tokens for a static host, and a verifier syncs from those files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from citykey.main import app as cli_app
from issuer.app import create_app
from issuer.db import sqlite_url
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from issuer.trust_bundle import STATUS_TTL
from keys import KeyStore
from verifier.sync import BUNDLE_FILE, SYNC_FILE, held_bundle, pin_root, sync
from wallet_spec.errors import BundleOutdated, SyncFailed, VerificationFailed

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
URL = "http://testserver/trust-bundle"


@dataclass
class Service:
    client: TestClient
    state: IssuerState
    root: str
    settings: IssuerSettings


def _service(tmp_path: Path, name: str) -> Service:
    base = tmp_path / name
    store = KeyStore.init(base / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    settings = IssuerSettings(data_dir=base / "data", keys_dir=base / "keys", db_url=sqlite_url(base / "issuer.db"),
                              key_passphrase=PASSPHRASE)
    application = create_app(settings)
    state: IssuerState = application.state.issuer
    state.registry.allocate(3)
    state.republish()
    return Service(TestClient(application), state, store.root_thumbprint, settings)


@pytest.fixture
def city(tmp_path: Path) -> Iterator[Service]:
    service = _service(tmp_path, "springfield")
    yield service
    service.state.engine.dispose()


@pytest.fixture
def home(tmp_path: Path, city: Service) -> Path:
    directory = tmp_path / "gate"
    pin_root(directory, city.root)
    return directory


class Counting(httpx.Client):
    """The TestClient, remembering the If-None-Match each request carried and each status."""

    def __init__(self, inner: TestClient) -> None:
        self.inner, self.sent = inner, []
        super().__init__()

    def stream(self, method: str, url: str, **kwargs: object):  # type: ignore[no-untyped-def,override]
        self.sent.append(dict(kwargs.get("headers") or {}).get("If-None-Match"))  # type: ignore[call-overload]
        return self.inner.stream(method, url, **kwargs)  # type: ignore[arg-type]


def test_the_issuer_answers_with_etag_cache_control_and_304(city: Service) -> None:
    for path in ("/trust-bundle", "/statuslists/1"):
        first = city.client.get(path)
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert etag.startswith('"')
        assert etag.endswith('"')
        assert first.headers["cache-control"] == f"public, max-age={STATUS_TTL}"
        again = city.client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert city.client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    city.state.republish(now=int(time.time()) + 5)
    assert city.client.get("/trust-bundle", headers={"If-None-Match": etag}).status_code == 200


def test_sync_installs_then_asks_conditionally_then_takes_the_newer_bundle(city: Service, home: Path) -> None:
    client = Counting(city.client)
    now = int(time.time())
    first = sync(home, URL, now=now, client=client)
    assert first.outcome == "updated"
    assert first.freshness.age <= 30
    assert not first.freshness.due
    assert (home / BUNDLE_FILE).read_text().strip() == city.state.published.bundle
    second = sync(home, URL, now=now + 60, client=client)
    assert second.outcome == "not_modified"
    assert client.sent[0] is None
    assert client.sent[1] is not None
    city.state.republish(now=now + 120)
    third = sync(home, URL, now=now + 130, client=client)
    assert third.outcome == "updated"
    assert third.bundle.issued_at == now + 120
    held = held_bundle(home, now=now + 130)
    assert held is not None
    assert held.issued_at == now + 120


def test_a_bundle_from_another_root_never_replaces_the_held_one(tmp_path: Path, city: Service, home: Path) -> None:
    now = int(time.time())
    sync(home, URL, now=now, client=city.client)
    good = (home / BUNDLE_FILE).read_bytes()
    other = _service(tmp_path, "shelbyville")
    try:
        with pytest.raises(VerificationFailed) as info:
            sync(home, URL, now=now + 10, client=other.client)
        assert "bundle_invalid" in info.value.codes
    finally:
        other.state.engine.dispose()
    assert (home / BUNDLE_FILE).read_bytes() == good
    assert '"error":"verification_failed"' in (home / SYNC_FILE).read_text()


def test_an_older_bundle_never_replaces_a_newer_one(tmp_path: Path, city: Service, home: Path) -> None:
    now = int(time.time())
    old = city.state.published.bundle
    (tmp_path / "old.jwt").write_text(old)
    city.state.republish(now=now + 100)
    sync(home, URL, now=now + 110, client=city.client)
    newer = (home / BUNDLE_FILE).read_bytes()
    with pytest.raises(BundleOutdated):
        sync(home, str(tmp_path / "old.jwt"), now=now + 120)
    assert (home / BUNDLE_FILE).read_bytes() == newer


def test_an_unreachable_server_keeps_the_held_bundle_and_says_so(city: Service, home: Path) -> None:
    now = int(time.time())
    sync(home, URL, now=now, client=city.client)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("network is unreachable", request=request)

    with pytest.raises(SyncFailed), httpx.Client(transport=httpx.MockTransport(down)) as offline:
        sync(home, URL, now=now + 10, client=offline)
    assert held_bundle(home, now=now + 10) is not None
    assert '"error":"sync_failed"' in (home / SYNC_FILE).read_text()


def test_publish_writes_files_a_verifier_syncs_from_and_the_cli_reports_freshness(
    tmp_path: Path, city: Service
) -> None:
    runner = CliRunner()
    env = {"CITYKEY_KEYS_DIR": str(city.settings.keys_dir), "CITYKEY_DATA_DIR": str(city.settings.data_dir),
           "CITYKEY_DB_URL": city.settings.db_url or "", "CITYKEY_KEY_PASSPHRASE": PASSPHRASE}
    site = tmp_path / "site"
    published = runner.invoke(cli_app, ["issuer", "publish", "--to", str(site)], env=env)
    assert published.exit_code == 0, published.output
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        "statuslists/1", "trust-bundle"
    ]
    gate = tmp_path / "gate-cli"
    made = runner.invoke(cli_app, ["verifier", "init", "--dir", str(gate), "--aud", "https://gate.example",
                                   "--name", "Springfield Library", "--root", city.root, "--no-key"])
    assert made.exit_code == 0, made.output
    assert not (gate / "verifier.pem").exists()
    synced = runner.invoke(cli_app, ["verifier", "sync", "--dir", str(gate), str(site / "trust-bundle")])
    assert synced.exit_code == 0, synced.output
    assert "new bundle installed: signed by the city minutes ago" in synced.output
    again = runner.invoke(cli_app, ["verifier", "sync", "--dir", str(gate)])  # the last source by default
    assert again.exit_code == 0
    assert "bundle unchanged" in again.output
    (site / "trust-bundle").write_text("not a bundle")
    bad = runner.invoke(cli_app, ["verifier", "sync", "--dir", str(gate)])
    assert bad.exit_code == 1
    assert "keeping the held bundle" in bad.output
    assert os.stat(gate).st_mode & 0o777 == 0o700


def test_a_listed_verifier_syncs_the_citys_attestation_beside_the_bundle(city: Service, home: Path) -> None:
    """OpenID4VP (docs/openid4vp.md): the attestation is fetched from /verifier-attestations/KID and checked."""
    from verifier.sync import ATTESTATION_FILE, IDENTITY_FILE, held_attestation
    from wallet_spec.encoding import json_dumps
    from wallet_spec.jwk import generate_private_key, public_jwk
    from wallet_spec.request import ListedVerifier

    key = generate_private_key()
    listed = city.state.store.register_verifier("https://library.springfield.example", "Library", public_jwk(key),
                                                ["resident_of"])
    now = int(time.time())
    city.state.republish(now=now)
    (home / IDENTITY_FILE).write_text(json_dumps({"aud": listed.aud, "name": listed.name, "kid": listed.kid}))
    synced = sync(home, URL, now=now + 5, client=city.client)
    text = (home / ATTESTATION_FILE).read_text().strip()
    assert text == city.state.published.attestations[listed.kid]
    assert held_attestation(home, synced.bundle, now=now + 5) == text
    stranger = ListedVerifier.create("https://elsewhere.example", "Elsewhere", public_jwk(generate_private_key()))
    assert city.client.get(f"/verifier-attestations/{stranger.kid}").status_code == 404
    with pytest.raises(VerificationFailed) as expired:
        held_attestation(home, synced.bundle, now=now + 2 * 86_400)
    assert expired.value.codes == ["request_expired"]
