"""`make load`: the issuer under load over loopback, on SQLite or PostgreSQL.

    .venv/bin/python -m benchmarks.load --seconds 60 --db sqlite [--concurrency 32]

A real `citykey issuer serve` on 127.0.0.1 (a fresh key store and database in a temporary
directory; for PostgreSQL a fresh database on the server at CITYKEY_TEST_PG, dropped afterwards),
and an asyncio httpx client of our own with `concurrency` workers, each sending its next request as
soon as the last one is answered (a closed loop: the rate it reaches is the highest the server
sustains at that concurrency). The mix, per worker turn:

* an OpenID4VCI issuance: token, nonce, credential (two key proofs) on an offer made beforehand;
* a status list fetch and a trust bundle fetch (what verifiers sync);
* a revocation, with the receipt of a batch issued beforehand.

Printed: per operation the count, rate, latency percentiles (p50/p95/p99, ms), 5xx and unanswered
requests (transport errors). `run` returns the same as a `Report`, which tests/issuer/test_load.py
checks on a short run: no 5xx, every request answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from issuer.app import create_app
from issuer.batch import issue_batch
from issuer.offers import create_offer
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore
from wallet.model import Wallet
from wallet.oid4vci import make_proof
from wallet_spec import jws
from wallet_spec.jwk import generate_private_key
from wallet_spec.profile import Resident

ISSUER = "https://id.springfield.example"
PASSPHRASE = "load test passphrase"  # noqa: S105 - a throw-away key store in a temporary directory
RESIDENT = Resident("Load", "Tester", dt.date(1950, 1, 1), "Springfield")
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PG_ADMIN_URL = os.environ.get("CITYKEY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CITYKEY = Path(sys.executable).with_name("citykey")
OPERATIONS = ("issuance", "status_list", "bundle", "revocation")


@dataclass
class Operation:
    latencies: list[float] = field(default_factory=list)
    server_errors: int = 0
    client_errors: int = 0
    unanswered: int = 0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class Report:
    db: str
    seconds: float
    concurrency: int
    operations: dict[str, Operation]

    @property
    def server_errors(self) -> int:
        return sum(o.server_errors for o in self.operations.values())

    @property
    def unanswered(self) -> int:
        return sum(o.unanswered for o in self.operations.values())

    @property
    def requests(self) -> int:
        return sum(len(o.latencies) + o.server_errors + o.client_errors + o.unanswered
                   for o in self.operations.values())

    def table(self) -> str:
        rows = [f"{self.db}, {self.seconds:.0f} s, {self.concurrency} concurrent clients",
                "",
                "| operation | done | per s | p50 ms | p95 ms | p99 ms | 4xx | 5xx | unanswered |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, op in self.operations.items():
            rows.append(f"| {name} | {len(op.latencies)} | {len(op.latencies) / self.seconds:.1f} | "
                        f"{op.percentile(0.5):.0f} | {op.percentile(0.95):.0f} | {op.percentile(0.99):.0f} | "
                        f"{op.client_errors} | {op.server_errors} | {op.unanswered} |")
        return "\n".join(rows)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"citykey_load_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base, _, _ = PG_ADMIN_URL.rpartition("/")
            yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def server(data: Path, db_url: str | None) -> Iterator[str]:
    """`citykey issuer serve` on a free loopback port, until /health answers; SIGTERM, then SIGKILL, after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYKEY_")}
    env.update(CITYKEY_DATA_DIR=str(data), CITYKEY_KEY_PASSPHRASE=PASSPHRASE, CITYKEY_RATE_LIMITS="false",
               CITYKEY_PUBLIC_URL=ISSUER)  # the proofs name the issuer id, as a wallet reads it from metadata
    if db_url is not None:
        env["CITYKEY_DB_URL"] = db_url
    port = free_port()
    log = (data / "server.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [str(CITYKEY), "issuer", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}; see {data / 'server.log'}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /health within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def prepare(state: IssuerState, *, offers: int, receipts: int) -> tuple[list[str], list[str]]:
    """Pre-authorized codes and revocation receipts, made in this process as the desk would."""
    now = int(time.time())
    codes = [create_offer(state, RESIDENT, now=now).pre_authorized_code for _ in range(offers)]
    made = [issue_batch(RESIDENT, Wallet().new_holder_keys(1), keys=state.keys, registry=state.registry,
                        now=now).receipt for _ in range(receipts)]
    return codes, made


async def timed(ops: dict[str, Operation], name: str, request: Any) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response: httpx.Response = await request
    except httpx.TransportError:
        ops[name].unanswered += 1
        return None
    elapsed = time.perf_counter() - start
    if response.status_code >= 500:
        ops[name].server_errors += 1
    elif response.status_code >= 400:
        ops[name].client_errors += 1
    else:
        ops[name].latencies.append(elapsed)
    return response


async def issuance(http: httpx.AsyncClient, code: str) -> httpx.Response:
    """The wallet's three requests, timed as one operation; the last response (or the first refusal)."""
    token = await http.post("/token", data={"grant_type": GRANT, "pre-authorized_code": code})
    if token.status_code != 200:
        return token
    nonce = await http.post("/nonce")
    if nonce.status_code != 200:
        return nonce
    proofs = [make_proof(generate_private_key(), aud=ISSUER, nonce=nonce.json()["c_nonce"], iat=int(time.time()))
              for _ in range(2)]
    return await http.post("/credential", json={"credential_configuration_id": "residency",
                                                "proofs": {"jwt": proofs}},
                           headers={"Authorization": f"Bearer {token.json()['access_token']}"})


async def load(base: str, *, seconds: float, concurrency: int, codes: list[str], receipts: list[str],
               status_path: str) -> dict[str, Operation]:
    ops = {name: Operation() for name in OPERATIONS}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

        async def worker(n: int) -> None:
            turn = n
            while time.monotonic() < deadline:
                kind = OPERATIONS[turn % len(OPERATIONS)]
                turn += 1
                if kind == "issuance" and codes:
                    await timed(ops, kind, issuance(http, codes.pop()))
                elif kind == "revocation" and receipts:
                    await timed(ops, kind, http.post("/revocations", json={"receipt": receipts.pop()}))
                elif kind == "status_list":
                    await timed(ops, kind, http.get(status_path))
                elif kind == "bundle":
                    await timed(ops, kind, http.get("/trust-bundle"))

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return ops


PREPARED_PER_SECOND = 40
"""Offers and receipts made beforehand per second of run (each pool)."""


def run(*, seconds: float, db: str = "sqlite", concurrency: int = 16, prepared: int | None = None) -> Report:
    """One load run on a fresh issuer; `prepared` offers and receipts (default: enough for 40/s each, more
    than this machine sustains, so no pool runs dry and every rate is the server's; a worker whose pool
    does run dry sends the other operations)."""
    count = prepared if prepared is not None else max(20, int(seconds * PREPARED_PER_SECOND))
    with tempfile.TemporaryDirectory(prefix="citykey-load-") as tmp, \
            (postgres_database() if db == "postgresql" else contextlib.nullcontext(None)) as pg_url:
        data = Path(tmp) / "data"
        data.mkdir(mode=0o700)
        KeyStore.init(data / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()) - 3600)
        config = IssuerSettings(data_dir=data, keys_dir=data / "keys", key_passphrase=PASSPHRASE,  # type: ignore[arg-type]
                                city_name="Springfield", db_url=pg_url)  # None: SQLite in data_dir, as the server
        state: IssuerState = create_app(config).state.issuer
        try:
            codes, receipts = prepare(state, offers=count, receipts=count)
        finally:
            state.engine.dispose()
        with server(data, pg_url) as base:
            bundle = httpx.get(f"{base}/trust-bundle", timeout=30).text
            first = jws.parse(bundle, what="trust bundle").payload["status_lists"][0]
            status_path = "/statuslists/" + jws.parse(first, what="status list").payload["sub"].rsplit("/", 1)[1]
            started = time.monotonic()
            ops = asyncio.run(load(base, seconds=seconds, concurrency=concurrency, codes=codes,
                                   receipts=receipts, status_path=status_path))
            elapsed = time.monotonic() - started
    return Report(db, elapsed, concurrency, ops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--prepared", type=int, default=None,
                        help=f"offers and receipts made beforehand (default: {PREPARED_PER_SECOND} per second of run)")
    args = parser.parse_args()
    report = run(seconds=args.seconds, db=args.db, concurrency=args.concurrency, prepared=args.prepared)
    print(report.table())
    total = sum(len(o.latencies) for o in report.operations.values())
    print(f"\n{total} requests answered 2xx ({total / report.seconds:.1f}/s), {report.server_errors} 5xx, "
          f"{report.unanswered} unanswered; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if report.server_errors or report.unanswered:
        sys.exit(1)


if __name__ == "__main__":
    main()
