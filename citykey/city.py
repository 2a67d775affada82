"""The city's offline commands: `citykey issue`, `citykey revoke`, `citykey bundle`.

They work on the issuer's home (`--home`, `CITYKEY_DATA_DIR`, default `citykey-data`): its key
store `keys/` and SQLite database `issuer.db`, the same ones `citykey issuer serve` uses, with no
server, so a city can run citykey from a terminal before any web page exists. `--keys DIR` and
`--db URL` (a SQLAlchemy URL or a file path for SQLite) name either elsewhere. A database belongs
to one key store (`issuer.db.bind_key_store`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from citykey.keys import read_passphrase
from citykey.output import EXIT_OK, fail_usage, print_json, reported
from citykey_io.files import atomic_write
from issuer.batch import issue_batch, revoke_with_receipt
from issuer.db import bind_key_store, create_schema, make_engine
from issuer.settings import DB_ENV, DEFAULT_HOME, HOME_ENV, KEYS_ENV, home_database_url, home_keys
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle, status_base_uri
from keys import KeyStore
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError
from wallet_spec.profile import resident_from_json

HomeOption = Annotated[
    Path,
    typer.Option(
        "--home", envvar=HOME_ENV, show_envvar=True, help="The issuer's home: keys/ and issuer.db, as the service uses."
    ),
]
KeysOption = Annotated[
    Path | None,
    typer.Option("--keys", envvar=KEYS_ENV, show_envvar=True, show_default=False,
                 help="The key store directory [default: HOME/keys]."),
]
DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar=DB_ENV, show_envvar=True, show_default=False,
                 help="Issuer database: a SQLAlchemy URL, or a path for SQLite [default: HOME/issuer.db]."),
]
OutOption = Annotated[Path, typer.Option("--out", help="Where to write the result.")]


def open_home(home: Path, keys: Path | None, db: str | None) -> tuple[KeyStore, StatusRegistry]:
    """The key store and the status lists of the issuer's home, checked to belong together."""
    store = KeyStore.open(home_keys(home, keys))
    url = home_database_url(home, db)
    if db is None:  # the default SQLite file next to the keys
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        engine = make_engine(url)
        create_schema(engine)
    except Exception as exc:  # SQLAlchemy raises many kinds; the operator needs the message
        fail_usage(f"cannot open the issuer database {db or url}: {exc}")
    bind_key_store(engine, store.issuer_id, store.root_thumbprint)
    return store, StatusRegistry(engine, status_base_uri(store.issuer_id))


def read_json(path: Path, what: str) -> Any:
    try:
        return json_loads(path.read_bytes(), what=what)
    except OSError as exc:
        fail_usage(f"cannot read {what} from {path}: {exc.strerror or exc}")
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")


def write_out(path: Path, text: str, *, private: bool) -> None:
    try:
        atomic_write(path, text.encode("utf-8"), mode=0o600 if private else 0o644)
    except OSError as exc:
        fail_usage(f"cannot write {path}: {exc.strerror or exc}")


def issue(
    claims: Annotated[Path, typer.Option("--claims", help="The attributes the clerk verified (JSON).")],
    holder_keys: Annotated[
        Path, typer.Option("--holder-keys", help="Holder public JWKs: a list, or lists by credential type.")
    ],
    out: OutOption,
    home: HomeOption = DEFAULT_HOME,
    keys: KeysOption = None,
    db: DbOption = None,
) -> None:
    """Issue a batch, one credential per holder key, plus a revocation receipt, to OUT (mode 0600).

    The attributes are read, signed and forgotten: nothing about the resident is stored.
    """
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        fail_usage(f"cannot write {out}: its directory is missing or not writable")  # before any index is used
    attributes = read_json(claims, "the resident's attributes")
    jwks = read_json(holder_keys, "the holder keys")
    if not isinstance(jwks, list | dict) or (isinstance(jwks, dict) and "kty" in jwks):
        fail_usage("the holder keys must be a JSON list of public JWKs, or an object of lists by credential type")
    now = int(time.time())
    with reported():
        resident = resident_from_json(attributes, today=dt.datetime.fromtimestamp(now, dt.UTC).date())
        store, registry = open_home(home, keys, db)
        signing_keys = SigningKeys.open(store, read_passphrase())
        batch = issue_batch(resident, jwks, keys=signing_keys, registry=registry, now=now)
    write_out(out, json.dumps(batch.to_json(), indent=2) + "\n", private=True)
    typer.echo(f"issued {len(batch.credentials)} credentials to {out}, with a revocation receipt")
    raise typer.Exit(EXIT_OK)


def revoke(
    receipt: Annotated[
        Path, typer.Option("--receipt", help="The batch's revocation receipt, several a line each, or the issued "
                           "batch file.")
    ],
    home: HomeOption = DEFAULT_HOME,
    keys: KeysOption = None,
    db: DbOption = None,
) -> None:
    """Revoke the batch a receipt names. The revocation is on disk before this command returns."""
    try:
        text = receipt.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        fail_usage(f"cannot read the receipt {receipt}: {exc}")
    if text.startswith("{"):
        batch = read_json(receipt, "the batch")
        texts = [batch.get("receipt", "") if isinstance(batch, dict) else ""]
    else:  # one receipt, or several a line each (`citykey wallet receipts`)
        texts = [line.strip() for line in text.splitlines() if line.strip()]
    count = 0
    with reported():
        store, registry = open_home(home, keys, db)
        signing_keys = SigningKeys.open(store, read_passphrase())
        for one in texts:
            count += revoke_with_receipt(one, keys=signing_keys, registry=registry)
    typer.echo(f"revoked: {count} credential(s) newly marked; verifiers see it after their next sync")
    raise typer.Exit(EXIT_OK)


def bundle(
    out: OutOption,
    home: HomeOption = DEFAULT_HOME,
    keys: KeysOption = None,
    db: DbOption = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Write the trust bundle verifiers carry offline: the key list and fresh status lists, signed."""
    now = int(time.time())
    with reported():
        store, registry = open_home(home, keys, db)
        text = build_bundle(store, registry, read_passphrase(), now=now)
    write_out(out, text, private=False)
    if json_output:
        print_json({"out": str(out), "root": store.root_thumbprint, "issued_at": now, "chars": len(text)})
    else:
        typer.echo(f"wrote the trust bundle to {out} ({len(text):,} characters); verifiers pin the root "
                   f"{store.root_thumbprint}")
    raise typer.Exit(EXIT_OK)
