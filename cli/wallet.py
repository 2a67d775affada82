"""`citykey wallet …`: the reference holder wallet on the command line.

The wallet lives in one sealed file, `DIR/wallet.ckw` (scrypt + AES-GCM under
the holder's passphrase, from `CITYKEY_WALLET_PASSPHRASE` or a prompt).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.output import fail_usage, print_json
from keys.files import atomic_write, make_private_dir
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError
from wallet_spec.present import parse_claim_path
from wallet_spec.wallet import Wallet, seal, unseal

app = typer.Typer(help="The reference holder wallet.", no_args_is_help=True)

WalletDir = Annotated[Path, typer.Option("--dir", help="The wallet's directory.")]
FILENAME = "wallet.ckw"
PASSPHRASE_ENV = "CITYKEY_WALLET_PASSPHRASE"  # noqa: S105 - the variable name, not a secret


def passphrase(*, confirm: bool = False) -> bytes:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        if not sys.stdin.isatty():
            fail_usage(f"no passphrase: set {PASSPHRASE_ENV} or run in a terminal")
        value = typer.prompt("Wallet passphrase", hide_input=True, confirmation_prompt=confirm)
    if len(value) < 8:
        fail_usage("the wallet passphrase must have at least 8 characters")
    return value.encode("utf-8")


def load(directory: Path) -> tuple[Wallet, bytes]:
    path = directory / FILENAME
    if not path.is_file():
        fail_usage(f"no wallet in {directory}; run `citykey wallet init --dir {directory}`")
    secret = passphrase()
    try:
        return unseal(path.read_bytes(), secret), secret
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")


def save(directory: Path, wallet: Wallet, secret: bytes) -> None:
    atomic_write(directory / FILENAME, seal(wallet, secret))


@app.command()
def init(directory: WalletDir) -> None:
    """Create an empty wallet."""
    if (directory / FILENAME).exists():
        fail_usage(f"{directory} already holds a wallet")
    make_private_dir(directory)
    save(directory, Wallet(), passphrase(confirm=True))
    typer.echo(f"wallet created in {directory}")


@app.command()
def keys(directory: WalletDir, count: Annotated[int, typer.Option(help="How many keys.")] = 4) -> None:
    """Make COUNT fresh holder keys and print their public JWKs (JSON) for the issuer."""
    wallet, secret = load(directory)
    try:
        publics = wallet.new_holder_keys(count)
    except CitykeyError as exc:
        fail_usage(exc.message)
    save(directory, wallet, secret)
    print_json(publics)


@app.command("import")
def import_(directory: WalletDir, file: Annotated[Path, typer.Argument(help="The issued batch (JSON).")]) -> None:
    """Import an issued batch: `{"credentials": [...], "receipt": "..."}`."""
    wallet, secret = load(directory)
    try:
        batch: Any = json_loads(file.read_bytes(), what="batch")
        credentials, receipt = batch["credentials"], batch.get("receipt")
        if not isinstance(credentials, list) or not credentials:
            fail_usage("the batch holds no credentials")
        for text in credentials:
            wallet.import_credential(str(text))
        if isinstance(receipt, str):
            wallet.receipts.append(receipt)
    except OSError as exc:
        fail_usage(f"cannot read {file}: {exc}")
    except (KeyError, TypeError):
        fail_usage("the batch must be a JSON object with a credentials list")
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    save(directory, wallet, secret)
    typer.echo(f"imported {len(credentials)} credentials")


@app.command("list")
def list_(directory: WalletDir, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the credentials held and how often each was presented. Claim values stay hidden."""
    wallet, _ = load(directory)
    rows: list[dict[str, Any]] = [
        {"index": i, "vct": c.vct, "holder_kid": c.holder_kid, "uses": c.uses}
        for i, c in enumerate(wallet.credentials)
    ]
    if json_output:
        print_json({"credentials": rows, "receipts": len(wallet.receipts)})
        return
    table = Table("#", "type", "holder key", "uses", title=f"{len(rows)} credentials, {len(wallet.receipts)} receipts")
    for r in rows:
        table.add_row(str(r["index"]), r["vct"], r["holder_kid"][:12] + "…", str(r["uses"]))
    Console().print(table)


@app.command()
def present(
    directory: WalletDir,
    claims: Annotated[str, typer.Option(help="Claims to disclose, e.g. resident_of,age_over_65.")],
    nonce: Annotated[str | None, typer.Option(help="The verifier's nonce.")] = None,
    aud: Annotated[str | None, typer.Option(help="The verifier's audience id.")] = None,
) -> None:
    """Print a presentation of CLAIMS from a fresh credential (key-bound with --nonce and --aud)."""
    wallet, secret = load(directory)
    try:
        paths = [parse_claim_path(p.strip()) for p in claims.split(",") if p.strip()]
        text, _ = wallet.present(paths, nonce=nonce, aud=aud)
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    save(directory, wallet, secret)
    sys.stdout.write(text + "\n")



