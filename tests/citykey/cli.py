"""What the command-line tests of verifiers and wallets share: a city made with the issuer library at the real
clock (key store, issuer database, bundles), and the commands run in process (typer's CliRunner)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from citykey import verifier as verifier_cli
from citykey import wallet as wallet_cli
from citykey.main import app
from issuer.batch import issue_batch
from issuer.db import create_schema, make_engine, sqlite_url
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle, status_base_uri
from keys import KeyStore
from wallet_spec.profile import Address, Resident

ISSUER = "https://id.springfield.example"
KEY_PASSPHRASE = b"correct horse battery staple"
WALLET_PASSPHRASE = "wallet passphrase, test only"
VERIFIER_PASSPHRASE = "verifier passphrase, test only"
BUS = "https://bus.springfield.example"
REGISTERED = frozenset({"iss", "iat", "exp", "vct", "cnf", "status"})
RESIDENT = Resident("Dolores", "Sample", dt.date(1957, 4, 2), "Springfield",
                    Address("100 Example Ave", "Springfield", "00000"))
ENV: dict[str, str | None] = {
    "COLUMNS": "200",
    "NO_COLOR": "1",
    wallet_cli.PASSPHRASE_ENV: WALLET_PASSPHRASE,
    verifier_cli.PASSPHRASE_ENV: VERIFIER_PASSPHRASE,
    "CITYKEY_ROOT": None,
}


def citykey(*args: object, stdin: str | None = None, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin, env={**ENV, **(env or {})})


def ok(*args: object, stdin: str | None = None) -> str:
    result = citykey(*args, stdin=stdin)
    assert result.exit_code == 0, f"{args}: {result.stdout}{result.stderr}"
    out: str = result.stdout
    return out


@dataclass
class City:
    tmp: Path
    store: KeyStore
    registry: StatusRegistry

    @property
    def keys(self) -> Path:
        return self.store.directory

    @property
    def root(self) -> str:
        return self.store.root_thumbprint

    def bundle(self, name: str = "bundle.jwt") -> Path:
        path = self.tmp / name
        path.write_text(build_bundle(self.store, self.registry, KEY_PASSPHRASE, now=int(time.time())))
        return path

    def wallet(self, name: str = "w", count: int = 4) -> Path:
        directory = self.tmp / name
        ok("wallet", "init", "--dir", directory)
        holders = json.loads(ok("wallet", "keys", "--dir", directory, "--count", count))
        batch = issue_batch(RESIDENT, holders, registry=self.registry,
                            keys=SigningKeys.open(self.store, KEY_PASSPHRASE), now=int(time.time()))
        (self.tmp / f"{name}-batch.json").write_text(json.dumps(batch.to_json()))
        ok("wallet", "import", "--dir", directory, self.tmp / f"{name}-batch.json")
        return directory

    def verify(self, *args: object, stdin: str | None = None, bundle: Path | None = None) -> tuple[int, Any]:
        result = citykey("verify", "--bundle", bundle or self.bundle(), "--root", self.root, "--json", *args,
                         stdin=stdin)
        assert result.stdout, result.stderr
        return result.exit_code, json.loads(result.stdout)


def make_city(tmp_path: Path) -> Iterator[City]:
    engine = make_engine(sqlite_url(tmp_path / "issuer.db"))
    create_schema(engine)
    store = KeyStore.init(tmp_path / "keys", ISSUER, KEY_PASSPHRASE, now=int(time.time()))
    yield City(tmp_path, store, StatusRegistry(engine, status_base_uri(ISSUER), list_size=1024))
    engine.dispose()
