"""The city's offline commands: `citykey issue`, `citykey revoke`, `citykey bundle`.

They work on the key store (`--keys DIR`) and the issuer database (`--db URL`,
a SQLAlchemy URL or a file path for SQLite), with no server, so a city can run
citykey from a terminal before any web page exists.
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
from issuer.db import create_schema, make_engine, sqlite_url
from issuer.publish import build_bundle, status_base_uri
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from keys import KeyStore
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError
from wallet_spec.profile import resident_from_json

KeysOption = Annotated[Path, typer.Option("--keys", help="The key store directory.")]
DbOption = Annotated[str, typer.Option("--db", help="Issuer database: a SQLAlchemy URL, or a path for SQLite.")]
OutOption = Annotated[Path, typer.Option("--out", help="Where to write the result.")]


def open_registry(db: str, store: KeyStore) -> StatusRegistry:
    url = db if "://" in db else sqlite_url(db)
    try:
        engine = make_engine(url)
        create_schema(engine)
    except Exception as exc:  # SQLAlchemy raises many kinds; the operator needs the message
        fail_usage(f"cannot open the issuer database {db}: {exc}")
    return StatusRegistry(engine, status_base_uri(store.issuer_id))


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
    keys: KeysOption,
    db: DbOption,
    claims: Annotated[Path, typer.Option("--claims", help="The attributes the clerk verified (JSON).")],
    holder_keys: Annotated[
        Path, typer.Option("--holder-keys", help="Holder public JWKs: a list, or lists by credential type.")
    ],
    out: OutOption,
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
        store = KeyStore.open(keys)
        registry = open_registry(db, store)
        signing_keys = SigningKeys.open(store, read_passphrase())
        batch = issue_batch(resident, jwks, keys=signing_keys, registry=registry, now=now)
    write_out(out, json.dumps(batch.to_json(), indent=2) + "\n", private=True)
    typer.echo(f"issued {len(batch.credentials)} credentials to {out}, with a revocation receipt")
    raise typer.Exit(EXIT_OK)


def revoke(
    keys: KeysOption,
    db: DbOption,
    receipt: Annotated[
        Path, typer.Option("--receipt", help="The batch's revocation receipt (or the issued batch file).")
    ],
) -> None:
    """Revoke the batch a receipt names. The revocation is on disk before this command returns."""
    try:
        text = receipt.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        fail_usage(f"cannot read the receipt {receipt}: {exc}")
    if text.startswith("{"):
        batch = read_json(receipt, "the batch")
        text = batch.get("receipt", "") if isinstance(batch, dict) else ""
    with reported():
        store = KeyStore.open(keys)
        signing_keys = SigningKeys.open(store, read_passphrase())
        count = revoke_with_receipt(text, keys=signing_keys, registry=open_registry(db, store))
    typer.echo(f"revoked: {count} credential(s) newly marked; verifiers see it after their next sync")
    raise typer.Exit(EXIT_OK)


def bundle(
    keys: KeysOption, db: DbOption, out: OutOption, json_output: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Write the trust bundle verifiers carry offline: the key list and fresh status lists, signed."""
    now = int(time.time())
    with reported():
        store = KeyStore.open(keys)
        text = build_bundle(store, open_registry(db, store), read_passphrase(), now=now)
    write_out(out, text, private=False)
    if json_output:
        print_json({"out": str(out), "root": store.root_thumbprint, "issued_at": now, "chars": len(text)})
    else:
        typer.echo(f"wrote the trust bundle to {out} ({len(text):,} characters); verifiers pin the root "
                   f"{store.root_thumbprint}")
    raise typer.Exit(EXIT_OK)
