"""`citykey issuer …`: run the city's issuing service and see what it stores."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, make_url

from citykey.output import fail_usage, print_json, reported
from citykey_io import clock
from citykey_io.files import atomic_write
from issuer.app import create_app
from issuer.db import make_engine
from issuer.inventory import StoredFile, database_files, database_tables, key_store_files, other_files
from issuer.settings import SETTINGS_FILE_ENV, IssuerSettings, start_up_public_url
from issuer.state import IssuerState
from issuer.trust_bundle import static_files
from keys import KeyStore

app = typer.Typer(help="The city's issuer service: serve it, list what it stores.", no_args_is_help=True)


UNUSED_PASSPHRASE = "not needed by this command"  # noqa: S105 - a stand-in for commands that open no key


def settings(*, passphrase: bool = True) -> IssuerSettings:
    """The settings from CITYKEY_* variables and the file CITYKEY_SETTINGS_FILE names; exit 2 if incomplete.

    Commands that open no private key (`inventory`, `clerk …`) pass `passphrase=False`: they neither
    ask for `CITYKEY_KEY_PASSPHRASE` nor read it.
    """
    from pydantic import SecretStr

    given: dict[str, Any] = {} if passphrase else {"key_passphrase": SecretStr(UNUSED_PASSPHRASE)}
    with reported():
        try:
            found = IssuerSettings(**given)
        except ValidationError as exc:
            missing = ["CITYKEY_" + str(e["loc"][0]).upper() for e in exc.errors() if e["type"] == "missing"]
            invalid = [
                f"CITYKEY_{str(e['loc'][0]).upper()} ({e['msg']})" for e in exc.errors() if e["type"] != "missing"
            ]
            problems = ([f"set {', '.join(missing)}"] if missing else []) + (
                [f"fix {'; '.join(invalid)}"] if invalid else []
            )
            fail_usage(f"usage: {' and '.join(problems)} (in the environment or {SETTINGS_FILE_ENV}; "
                       "see docs/operations.md)")
    named = os.environ.get(SETTINGS_FILE_ENV)
    if named and Path(named).stat().st_mode & 0o077:
        typer.echo(f"warning: {named} holds the key passphrase and is accessible to group or others; "
                   "chmod it 0600", err=True)
    return found


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve the issuer (configured by CITYKEY_* variables: data dir, database URL, key passphrase)."""
    configured = settings()  # fail early, with a usage message, when the configuration is incomplete
    with reported():
        issuer_id = KeyStore.open(configured.keys_path).issuer_id
        public_url, notes = start_up_public_url(configured.public_url, issuer_id, host, port)
        configured = configured.model_copy(update={"public_url": public_url})
        if configured.city_name is None:
            notes.append(f"CITYKEY_CITY_NAME is not set: the desk issues credentials as resident of "
                         f"{urlsplit(issuer_id).hostname}; set it to the city's name")
        for note in notes:
            typer.echo(f"note: {note}", err=True)
        application = create_app(configured)
    # The app object, not an import string: uvicorn would put the working directory on sys.path,
    # where a key store folder named `keys` could shadow the `keys` package.
    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command()
def publish(
    to: Annotated[Path, typer.Option("--to", help="Directory to write into (a static web host's document root).")],
) -> None:
    """Sign a fresh bundle and write `trust-bundle` and `statuslists/{id}` for static hosting."""
    configured = settings()
    with reported():
        state = IssuerState.open(configured)
        try:
            published = state.republish()
            files = static_files(published.bundle, published.attestations)
        finally:
            state.engine.dispose()
    try:
        for name, token in files.items():
            path = to / name
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, token.encode("ascii") + b"\n", mode=0o644)
    except OSError as exc:
        fail_usage(f"cannot write into {to}: {exc.strerror or exc}")
    typer.echo(f"wrote {len(files)} files to {to}: serve them at the issuer's URL "
               "(/trust-bundle, /statuslists/ID); re-run daily, before next_update")


@app.command()
def inventory(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Everything the issuer stores, read from disk and database: for a city's lawyers.

    Reads only: a database that does not exist yet is reported as such, not created. Opens no
    private key, so it needs no passphrase.
    """
    configured = settings(passphrase=False)
    with reported():
        store = KeyStore.open(configured.keys_path)
    files = key_store_files(store)
    url = configured.database_url
    db_path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    tables = []
    db_files: list[StoredFile] = []
    if db_path is None or db_path.exists():
        engine: Engine = make_engine(url)
        try:
            tables = database_tables(engine)
        finally:
            engine.dispose()
    if db_path is not None:
        db_files = database_files(db_path)
    known = {configured.keys_path, *((db_path.parent / f.name for f in db_files) if db_path else ())}
    others = other_files(configured.data_dir, known)
    database = make_url(url).get_backend_name()
    if json_output:
        result: dict[str, Any] = {
            "key_store": [vars_of(f) for f in files],
            "database": database,
            "database_files": [vars_of(f) for f in db_files],
            "tables": [{"name": t.name, "columns": list(t.columns), "rows": t.rows} for t in tables],
            "other_files": [vars_of(f) for f in others],
        }
        print_json(result)
        return
    table = Table("stored", "size / rows", "holds", title="what the issuer stores (docs/privacy.md)")
    for f in files:
        table.add_row(f"keys/{f.name}", f"{f.size:,} B", f.holds)
    for f in db_files:
        table.add_row(f.name, f"{f.size:,} B", f.holds)
    if db_path is not None and not db_files:
        table.add_row(db_path.name, "-", "no database yet (the issuer has not run)")
    for t in tables:
        table.add_row(f"table {t.name}", f"{t.rows} rows", ", ".join(t.columns))
    for f in others:
        table.add_row(f.name, f"{f.size:,} B", f.holds)
    Console().print(table)


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}


# --- citykey issuer clerk … ---------------------------------------------------------------

CLERK_PASSWORD_ENV = "CITYKEY_CLERK_PASSWORD"  # noqa: S105  # the variable's name, not a password
clerk_app = typer.Typer(help="Desk accounts: who may sign in to the clerk desk (/desk).", no_args_is_help=True)
app.add_typer(clerk_app, name="clerk")


@contextmanager
def clerk_database() -> Iterator[Engine]:
    """The issuer's database, schema in place, closed at the end. Managing clerks needs no key passphrase."""

    from issuer.db import create_schema

    configured = settings(passphrase=False)
    if configured.db_url is None:  # the default SQLite file: its folder holds the password hashes
        configured.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with reported():
        engine = make_engine(configured.database_url)
        create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def clerk_password() -> str:
    """From CITYKEY_CLERK_PASSWORD, else a hidden prompt typed twice."""
    from issuer.clerks import MIN_PASSWORD_LENGTH

    password = os.environ.get(CLERK_PASSWORD_ENV)
    if password is None:
        try:
            password = typer.prompt(
                f"Password for the clerk (at least {MIN_PASSWORD_LENGTH} characters)",
                hide_input=True,
                confirmation_prompt=True,
            )
        except typer.Abort:  # no terminal (a script, a pipe at its end) or Ctrl-D
            typer.echo("", err=True)
            fail_usage(f"no password: set {CLERK_PASSWORD_ENV} (at least {MIN_PASSWORD_LENGTH} characters), "
                       "or run this in a terminal to type it twice")
    return str(password)


@clerk_app.command("add")
def clerk_add(
    name: Annotated[str, typer.Argument(help="The sign-in name (letters, digits, '.', '_', '@', '-').")],
    role: Annotated[
        str, typer.Option(help="clerk or admin. Both issue at the desk; admin is kept for desk administration.")
    ] = "clerk",
) -> None:
    """Create a desk account; the password comes from CITYKEY_CLERK_PASSWORD or a hidden prompt."""
    from issuer import clerks

    with reported():
        clerks.check_name(name)
        clerks.check_role(role)
    password = clerk_password()
    with clerk_database() as engine, reported():
        clerks.add_clerk(engine, name, password, role)
    typer.echo(f"added {role} {name}")


@clerk_app.command("list")
def clerk_list(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Desk accounts with their role and lock state (never their password hashes)."""
    from issuer import clerks

    with clerk_database() as engine:
        accounts = clerks.list_clerks(engine)
    now = clock.now()
    rows: list[dict[str, Any]] = [
        {"name": a.name, "role": a.role, "locked_for": max(0, a.locked_until - now), "failed_logins": a.failed_logins}
        for a in accounts
    ]
    if json_output:
        print_json(rows)
        return
    table = Table("name", "role", "locked for", "failed sign-ins", title="desk accounts")
    for row in rows:
        table.add_row(row["name"], row["role"], f"{row['locked_for']} s" if row["locked_for"] else "-",
                      str(row["failed_logins"]))
    Console().print(table)


@clerk_app.command("remove")
def clerk_remove(name: Annotated[str, typer.Argument(help="The account to delete; its sessions end at once.")]) -> None:
    """Delete a desk account."""
    from issuer import clerks

    _change_clerk(name, clerks.remove_clerk, "removed")


@clerk_app.command("unlock")
def clerk_unlock(name: Annotated[str, typer.Argument(help="The account locked by failed sign-ins.")]) -> None:
    """End a lockout before its 15 minutes are up (after checking who was guessing)."""
    from issuer import clerks

    _change_clerk(name, clerks.unlock_clerk, "unlocked")


def _change_clerk(name: str, change: Callable[[Engine, str], bool], done: str) -> None:
    """Apply `change` to the account `name`: say `done`, or fail if there is no such account."""
    with clerk_database() as engine:
        changed = change(engine, name)
    if not changed:
        fail_usage(f"no clerk named {name}")
    typer.echo(f"{done} {name}")
