"""`citykey keys …`: create the city's key store, rotate and revoke keys, publish the key list.

The passphrase comes from `CITYKEY_KEY_PASSPHRASE`, or else a hidden prompt
(`citykey_io.passphrase`); with neither (a script with no terminal) the command
stops with exit 2 rather than hang. Every failure prints `error: <code>: <message>`
and exits 2.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from citykey.output import EXIT_OK, ask_passphrase, fail_usage, print_json, reported
from citykey_io.clock import now as _now
from citykey_io.files import atomic_write
from citykey_io.passphrase import KEY_PASSPHRASE_ENV as PASSPHRASE_ENV
from keys import REASONS, KeyRecord, KeyStore
from keys.store import DAY, DEFAULT_KEY_LIST_VALIDITY

app = typer.Typer(help="The city's key store: root, signing keys, rotation, the signed key list.",
                  no_args_is_help=True)

DirOption = Annotated[Path, typer.Option("--dir", help="The key store directory.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def read_passphrase(*, confirm: bool = False) -> bytes:
    """The key store's passphrase; `confirm` when choosing one (asked twice, at least 12 bytes)."""
    return ask_passphrase(PASSPHRASE_ENV, "Key store passphrase", interactive=_stdin_is_tty(), new=confirm)


def _day(ts: int | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _date(ts: int | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")


def _open(directory: Path) -> KeyStore:
    """Open the store and retire keys that are due, so what is shown or published is current."""
    store = KeyStore.open(directory)
    for kid in store.refresh(_now()):
        typer.echo(f"retired {kid}: its last credentials have expired; its private key file is deleted", err=True)
    for path in store.loose_permissions():
        typer.echo(f"warning: {path} is accessible to group or others; chmod it 0700 (directory) or 0600 (file)",
                   err=True)
    return store


def _record_json(record: KeyRecord) -> dict[str, Any]:
    return {k: v for k, v in record.to_json().items() if k != "jwk"}


@app.command()
def init(
    directory: DirOption,
    issuer_id: Annotated[str, typer.Option("--issuer-id", help="The issuer URL credentials name in `iss`.")],
    json_output: JsonFlag = False,
) -> None:
    """Create a key store: a root key, a first signing key and the receipt MAC key."""
    with reported():
        KeyStore.check_init(directory, issuer_id)
    passphrase = read_passphrase(confirm=True)
    with reported():
        store = KeyStore.init(directory, issuer_id, passphrase, now=_now())
    result = {
        "dir": str(directory),
        "issuer": store.issuer_id,
        "root_thumbprint": store.root_thumbprint,
        "active_kid": store.active().kid,
        "receipt_mac_id": store.receipt_mac_id,
    }
    if json_output:
        print_json(result)
    else:
        typer.echo(f"created a key store in {directory}")
        typer.echo(f"root thumbprint (verifiers pin this): {store.root_thumbprint}")
        typer.echo(f"active signing key: {result['active_kid']}")
        typer.echo(f"move the root key file {store.root_thumbprint}.pem offline after `citykey keys keylist`")
    raise typer.Exit(EXIT_OK)


@app.command()
def rotate(
    directory: DirOption,
    max_lifetime_days: Annotated[
        int, typer.Option("--max-lifetime-days", min=1, help="Longest lifetime of a credential the old key signed.")
    ] = 365,
    json_output: JsonFlag = False,
) -> None:
    """Make a new active signing key; the old one verifies until its credentials have expired."""
    with reported():
        store = _open(directory)
        passphrase = read_passphrase()
        old = store.active()
        new = store.rotate(passphrase, now=_now(), max_credential_lifetime=max_lifetime_days * DAY)
        retiring = store.record(old.kid)
    if json_output:
        print_json({"active": _record_json(new), "retiring": _record_json(retiring)})
    else:
        typer.echo(f"new active signing key: {new.kid}")
        typer.echo(f"{old.kid} is retiring: it verifies until {_day(retiring.retire_after)} UTC")
        typer.echo("publish the change: citykey keys keylist (needs the root key)")
    raise typer.Exit(EXIT_OK)


@app.command()
def revoke(
    kid: Annotated[str, typer.Argument(help="The kid of the signing key to revoke (after `--` if it starts with -).")],
    directory: DirOption,
    reason: Annotated[str, typer.Option("--reason", help=f"One of: {', '.join(REASONS)}.")],
    json_output: JsonFlag = False,
) -> None:
    """Revoke a signing key at once; revoking the active key also makes its replacement."""
    if reason not in REASONS:
        fail_usage(f"usage: --reason must be one of {', '.join(REASONS)}")
    with reported():
        store = _open(directory)
        passphrase = read_passphrase()
        replacement = store.revoke(kid, reason=reason, now=_now(), passphrase=passphrase)
    if json_output:
        print_json({"revoked": kid, "reason": reason,
                    "new_active": _record_json(replacement) if replacement else None})
    else:
        typer.echo(f"revoked {kid} ({reason})")
        if replacement is not None:
            typer.echo(f"new active signing key: {replacement.kid}")
        typer.echo("publish the revocation now: citykey keys keylist (needs the root key)")
    raise typer.Exit(EXIT_OK)


@app.command("list")
def list_keys(directory: DirOption, json_output: JsonFlag = False) -> None:
    """Show every signing key and its state. Needs no passphrase."""
    with reported():
        store = _open(directory)
    if json_output:
        print_json({
            "issuer": store.issuer_id,
            "root_thumbprint": store.root_thumbprint,
            "root_key_present": store.key_file(store.root_thumbprint).exists(),
            "receipt_mac_id": store.receipt_mac_id,
            "keys": [_record_json(k) for k in store.records()],
        })
        raise typer.Exit(EXIT_OK)
    table = Table(title=f"signing keys of {store.issuer_id}", caption=f"root thumbprint: {store.root_thumbprint}")
    table.add_column("kid", overflow="fold")
    for name in ("state", "signs iat from", "to", "verifies until"):
        table.add_column(name, no_wrap=True)
    for k in store.records():
        until = f"revoked {_date(k.revoked_at)} ({k.reason})" if k.state == "revoked" else _date(k.retire_after)
        table.add_row(k.kid, k.state, _date(k.not_before), _date(k.not_after) or "now", until)
    console = Console()
    console.print(table)
    if not store.key_file(store.root_thumbprint).exists():
        console.print("root key file: offline (not in the directory)")
    raise typer.Exit(EXIT_OK)


@app.command()
def jwks(directory: DirOption) -> None:
    """Print the SD-JWT VC issuer metadata (for /.well-known/jwt-vc-issuer)."""
    with reported():
        store = _open(directory)
    print_json(store.jwks())
    raise typer.Exit(EXIT_OK)


@app.command()
def keylist(
    directory: DirOption,
    out: Annotated[Path, typer.Option("--out", help="Where to write the signed key list.")],
    validity_days: Annotated[
        int, typer.Option("--validity-days", min=1, help="How long verifiers accept this list.")
    ] = DEFAULT_KEY_LIST_VALIDITY // DAY,
    json_output: JsonFlag = False,
) -> None:
    """Sign the list of active and retiring keys (and revoked kids) with the root key.

    The list is also saved in the store (keylist.jwt), where `citykey bundle` finds it,
    so the root can go back offline.
    """
    now = _now()
    with reported():
        store = _open(directory)
        passphrase = read_passphrase()
        token = store.signed_key_list(passphrase, now=now, validity=validity_days * DAY)
        key_list = store.key_list(now, validity=validity_days * DAY)
        atomic_write(store.published_key_list_file, token.encode("ascii"))
    try:
        atomic_write(out, token.encode("ascii"), mode=0o644)  # no newline: the file is the token
    except OSError as exc:
        fail_usage(f"usage: cannot write {out}: {exc.strerror or exc}")
    summary = {"out": str(out), "keys": [k.kid for k in key_list.keys], "revoked": sorted(key_list.revoked),
               "expires": key_list.exp}
    if json_output:
        print_json(summary)
    else:
        typer.echo(f"wrote the key list to {out}: {len(key_list.keys)} key(s), {len(key_list.revoked)} revoked, "
                   f"valid until {_day(key_list.exp)} UTC")
    raise typer.Exit(EXIT_OK)
