"""An acknowledged revocation survives `kill -9` of the server, on SQLite and on PostgreSQL.

A real `citykey issuer serve` (the installed console script, configured by
environment variables, on a free port of 127.0.0.1) answers a revocation; the
moment its 200 arrives the process is killed with SIGKILL, so nothing after
the answer (no shutdown, no flush, no lifespan) runs. A new process on the
same data directory or database then publishes a bundle in which that batch is
revoked and another batch is not.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from issuer.batch import Batch, issue_batch
from issuer.db import create_schema, make_engine, metadata, sqlite_url
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import status_base_uri
from keys import KeyStore
from verifier import Policy, verify
from wallet.model import Wallet
from wallet_spec.bundle import load_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.profile import Resident

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
AUD = "https://library.springfield.example"
CITYKEY = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "citykey"
STARTUP_TIMEOUT = 30.0
RESIDENT = Resident(
    given_name="Dolores", family_name="Sample", birthdate=dt.date(1957, 4, 2), resident_of="Springfield"
)

pytestmark = pytest.mark.skipif(not CITYKEY.exists(), reason=f"{CITYKEY} is not installed (make installs it)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A `citykey issuer serve` process, once `/health` answers; killed (SIGKILL) on the way out, always."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            [str(CITYKEY), "issuer", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no /health within {STARTUP_TIMEOUT} s:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


def issue(keys_dir: Path, db_url: str, n: int) -> tuple[Batch, Wallet]:
    """Issue a batch into the service's database, in this process (as the desk would)."""
    store = KeyStore.open(keys_dir)
    engine = make_engine(db_url)
    try:
        create_schema(engine)
        registry = StatusRegistry(engine, status_base_uri(store.issuer_id))
        wallet = Wallet()
        batch = issue_batch(RESIDENT, wallet.new_holder_keys(n), registry=registry,
                            keys=SigningKeys.open(store, PASSPHRASE.encode()), now=int(time.time()))
    finally:
        engine.dispose()
    for credential in batch.credentials:
        wallet.import_credential(credential)
    return batch, wallet


def verify_with(wallet: Wallet, bundle_text: str, root: str) -> None:
    bundle = load_bundle(bundle_text, root, now=int(time.time()))
    text, _ = wallet.present([("resident_of",)], nonce="n", aud=AUD)
    verify(text, bundle, Policy(nonce="n", aud=AUD))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data" / "issuer.db")
    url: str = request.getfixturevalue("postgresql_url")  # the run's database, shared: start from no tables
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    return url


def test_an_acknowledged_revocation_survives_kill_9(tmp_path: Path, database: str) -> None:
    data, keys_dir = tmp_path / "data", tmp_path / "data" / "keys"
    data.mkdir(mode=0o700)
    store = KeyStore.init(keys_dir, ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    lost, lost_wallet = issue(keys_dir, database, 3)
    _, kept_wallet = issue(keys_dir, database, 2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYKEY_")}
    env.update(CITYKEY_DATA_DIR=str(data), CITYKEY_KEY_PASSPHRASE=PASSPHRASE)
    if not database.startswith("sqlite"):
        env["CITYKEY_DB_URL"] = database  # SQLite: the default file in the data directory
    log = tmp_path / "server.log"

    with serving(env, log) as (proc, base):
        verify_with(lost_wallet, httpx.get(f"{base}/trust-bundle", timeout=5).text, store.root_thumbprint)
        response = httpx.post(f"{base}/revocations", json={"receipt": lost.receipt}, timeout=10)
        proc.send_signal(signal.SIGKILL)  # the instant the answer is in: no shutdown runs
        assert response.status_code == 200, response.text
        assert response.json()["revoked"] == 3
        assert proc.wait(timeout=10) == -signal.SIGKILL

    with serving(env, log) as (_, base):
        bundle = httpx.get(f"{base}/trust-bundle", timeout=5).text
        again = httpx.post(f"{base}/revocations", json={"receipt": lost.receipt}, timeout=10)
    for _ in range(3):
        with pytest.raises(VerificationFailed) as failed:
            verify_with(lost_wallet, bundle, store.root_thumbprint)
        assert {e.code for e in failed.value.errors} == {"revoked"}
    verify_with(kept_wallet, bundle, store.root_thumbprint)
    assert again.json()["revoked"] == 0  # the new process found the bits already set
