"""The issuer over HTTP on loopback: a wallet receiving its standard batch by OpenID4VCI.

The real service (`issuer.app.create_app`) under uvicorn on 127.0.0.1, on SQLite or on a fresh
PostgreSQL database. Each batch is what `citykey wallet receive` does after the clerk made the
offer: fetch the offer, redeem the pre-authorized code, and for each of the twelve standard
configurations of its resident, who is over 65 (three residency passes, the identity credential
and the eight fact passes) get a `c_nonce` and request one credential with a key proof. The
offers are made beforehand, in process (the clerk's part); a batch's latency runs from fetching
the offer to the last credential. The client is on the same (shared) machine, so it competes
with the server for the cores.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from benchmarks.verification import RESIDENT
from issuer.app import create_app
from issuer.db import sqlite_url
from issuer.offers import Offer, create_offer
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore
from wallet.oid4vci import make_proof
from wallet_spec.jwk import generate_private_key
from wallet_spec.oid4vci import PRE_AUTHORIZED_GRANT
from wallet_spec.profile import STANDARD_TYPES

ISSUER = "https://id.springfield.example"
PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throw-away key store
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class HttpFigures:
    database: str
    batches: int
    credentials_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    """Processor time per batch, client and server together (one process): what the load cannot inflate."""


@contextmanager
def fresh_postgresql() -> Iterator[str | None]:
    """A fresh database's SQLAlchemy URL, dropped afterwards; None when no server answers."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception:  # any failure means: no PostgreSQL here, skip it
        yield None
        return
    name = f"citykey_bench_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@contextmanager
def _serving(tmp: Path, db_url: str) -> Iterator[tuple[str, IssuerState]]:
    keys_dir = tmp / "keys"
    if not keys_dir.exists():
        KeyStore.init(keys_dir, ISSUER, PASSPHRASE.encode(), now=int(time.time()) - 3600)
    # One client on loopback stands for many wallets: the per-address rate limits would measure themselves.
    settings = IssuerSettings(data_dir=tmp, keys_dir=keys_dir, db_url=db_url, rate_limits=False,
                              key_passphrase=PASSPHRASE, session_secret=secrets.token_urlsafe(32),  # type: ignore[arg-type]
                              city_name="Springfield")
    app = create_app(settings)
    state: IssuerState = app.state.issuer
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        state.engine.dispose()


def _receive(client: httpx.Client, offer: Offer) -> int:
    """One wallet's batch: offer, token, then a nonce and a credential per standard configuration."""
    client.get(f"/offers/{offer.offer_id}").raise_for_status()
    token = client.post("/token", data={"grant_type": PRE_AUTHORIZED_GRANT,
                                        "pre-authorized_code": offer.pre_authorized_code})
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    received = 0
    for kind in STANDARD_TYPES:
        answer = client.post("/nonce")
        answer.raise_for_status()
        nonce = answer.json()["c_nonce"]
        proof = make_proof(generate_private_key(), aud=ISSUER, nonce=nonce, iat=int(time.time()))
        response = client.post("/credential", headers=headers,
                               json={"credential_configuration_id": kind.name, "proofs": {"jwt": [proof]}})
        response.raise_for_status()
        received += len(response.json()["credentials"])
    return received


def measure(database: str, db_url: str | None, tmp: Path, *, batches: int) -> HttpFigures:
    url = db_url or sqlite_url(tmp / "issuer.db")
    with _serving(tmp, url) as (base, state), httpx.Client(base_url=base, timeout=30) as client:
        offers = [create_offer(state, RESIDENT, now=int(time.time())) for _ in range(batches + 1)]
        _receive(client, offers.pop())  # warm up
        latencies: list[float] = []
        credentials = 0
        cpu = time.process_time()
        start = time.perf_counter()
        for offer in offers:
            began = time.perf_counter()
            credentials += _receive(client, offer)
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return HttpFigures(database, batches, credentials / elapsed, statistics.median(latencies) * 1e3, cuts[98] * 1e3,
                       cpu / batches * 1e3)


def run(*, batches: int) -> list[HttpFigures | str]:
    """Figures on SQLite and PostgreSQL (or why PostgreSQL was skipped)."""
    found: list[HttpFigures | str] = []
    with tempfile.TemporaryDirectory(prefix="citykey-bench-") as tmp:
        found.append(measure("SQLite", None, Path(tmp), batches=batches))
        with fresh_postgresql() as pg:
            if pg is None:
                found.append(f"PostgreSQL: skipped, no server at {PG_ADMIN_URL}")
            else:
                found.append(measure("PostgreSQL", pg, Path(tmp), batches=batches))
    return found
