"""`citykey verifier …`: a verifier's own key, the city's list of verifiers, and challenge QR codes.

A verifier directory (`--dir V`, 0700) holds:

    verifier.json   its audience id, display name and public JWK (nothing secret)
    verifier.pem    its private key, encrypted PKCS#8 (scrypt, as the city's keys; `citykey_io/pem.py`)

The passphrase comes from `CITYKEY_VERIFIER_PASSPHRASE`, or a hidden prompt
(`citykey_io.passphrase`); with neither (a script with no terminal) the command
stops with exit 2.
The city lists a verifier with `citykey verifier register --keys DIR`, and the
next trust bundle carries it, so wallets can show who signed a request.
Every failure prints `error: <code>: <message>` and exits 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from citykey.output import EXIT_OK, ask_passphrase, fail_usage, print_json, reported, show_qr
from citykey_io import pem
from citykey_io.clock import now as read_clock
from citykey_io.files import atomic_write, make_private_dir
from citykey_io.passphrase import VERIFIER_PASSPHRASE_ENV as PASSPHRASE_ENV
from keys import KeyStore
from wallet_spec.encoding import json_dumps, json_loads
from wallet_spec.errors import CitykeyError, KeyStoreError
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk, thumbprint
from wallet_spec.request import (
    DEFAULT_TTL,
    MAX_TTL,
    ListedVerifier,
    check_verifier,
    encode_request,
    make_request,
    sign_request,
)

app = typer.Typer(help="A verifier's key, the city's list of verifiers, and challenge QR codes.",
                  no_args_is_help=True)

PUBLIC_FILE = "verifier.json"
KEY_FILE = "verifier.pem"

VerifierDir = Annotated[Path, typer.Option("--dir", help="The verifier's directory.")]
KeysOption = Annotated[Path, typer.Option("--keys", help="The city's key store directory.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def read_passphrase(*, confirm: bool = False) -> bytes:
    """The verifier key's passphrase; `confirm` when choosing one (asked twice, at least 12 bytes)."""
    return ask_passphrase(PASSPHRASE_ENV, "Verifier key passphrase", interactive=sys.stdin.isatty(), new=confirm)


def read_identity(directory: Path) -> ListedVerifier:
    """The verifier's public identity from `verifier.json`."""
    path = directory / PUBLIC_FILE
    try:
        obj = json_loads(path.read_bytes(), what=str(path))
    except FileNotFoundError:
        fail_usage(f"no verifier in {directory}; run `citykey verifier init --dir {directory} ...`")
    except OSError as exc:
        fail_usage(f"cannot read {path}: {exc.strerror or exc}")
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    with reported():
        return ListedVerifier.from_json(obj)


def load_key(directory: Path, identity: ListedVerifier, passphrase: bytes) -> PrivateKey:
    path = directory / KEY_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail_usage(f"cannot read the verifier key {path}: {exc.strerror or exc}")
    with reported():
        key = pem.decrypt(data, passphrase, what=str(path))
        if not isinstance(key, PrivateKey) or thumbprint(key) != identity.kid:
            raise KeyStoreError(f"{path} does not hold the key {PUBLIC_FILE} names")
    return key


@app.command()
def init(
    directory: VerifierDir,
    aud: Annotated[str, typer.Option("--aud", help="This verifier's audience id, e.g. https://bus.example.")],
    name: Annotated[str, typer.Option("--name", help="The name wallets show, e.g. 'Springfield Transit'.")],
    json_output: JsonFlag = False,
) -> None:
    """Make the verifier's signing key; print its public JWK for the city to register."""
    with reported():
        check_verifier(aud, name)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        fail_usage(f"usage: {directory} exists and is not an empty directory")
    secret = read_passphrase(confirm=True)
    key = generate_private_key()
    identity = ListedVerifier.create(aud, name, public_jwk(key))
    try:
        make_private_dir(directory)
        atomic_write(directory / KEY_FILE, pem.encrypt(key, secret))
        public = {**identity.to_json(), "kid": identity.kid}
        atomic_write(directory / PUBLIC_FILE, (json_dumps(public) + "\n").encode("utf-8"), mode=0o644)
    except OSError as exc:
        fail_usage(f"cannot create the verifier in {directory}: {exc.strerror or exc}")
    if json_output:
        print_json({"dir": str(directory), "aud": aud, "name": name, "kid": identity.kid, "jwk": identity.jwk})
    else:
        print_json(dict(identity.jwk))
        typer.echo(f"verifier key {identity.kid} made in {directory}; the city lists it with: citykey verifier "
                   f"register --keys DIR --aud {aud} --name '{name}' --jwk FILE (FILE: the JWK above)", err=True)
    raise typer.Exit(EXIT_OK)


def _jwk_from_file(path: Path) -> Any:
    try:
        obj = json_loads(path.read_bytes(), what=str(path))
    except OSError as exc:
        fail_usage(f"cannot read the verifier's JWK from {path}: {exc.strerror or exc}")
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    if isinstance(obj, dict) and "jwk" in obj and "kty" not in obj:
        return obj["jwk"]  # a verifier.json handed over whole
    return obj


@app.command()
def register(
    keys: KeysOption,
    aud: Annotated[str, typer.Option("--aud", help="The verifier's audience id.")],
    name: Annotated[str, typer.Option("--name", help="The name wallets will show for it.")],
    jwk: Annotated[Path, typer.Option("--jwk", help="The verifier's public JWK (what `verifier init` printed).")],
    json_output: JsonFlag = False,
) -> None:
    """The city vouches for a verifier key: it goes into the next trust bundle. Needs no passphrase."""
    public = _jwk_from_file(jwk)
    with reported():
        entry = KeyStore.open(keys).register_verifier(aud, name, public)
    if json_output:
        print_json({"kid": entry.kid, "aud": entry.aud, "name": entry.name})
    else:
        typer.echo(f"registered verifier key {entry.kid} for {entry.aud} ({entry.name}); "
                   "wallets see it in the next trust bundle (citykey bundle)")
    raise typer.Exit(EXIT_OK)


@app.command()
def remove(
    kid: Annotated[str, typer.Argument(help="The verifier key's kid (after `--` if it starts with -).")],
    keys: KeysOption,
    json_output: JsonFlag = False,
) -> None:
    """Stop vouching for a verifier key (lost, retired); from the next trust bundle on."""
    with reported():
        entry = KeyStore.open(keys).remove_verifier(kid)
    if json_output:
        print_json({"removed": entry.kid, "aud": entry.aud, "name": entry.name})
    else:
        typer.echo(f"removed verifier key {entry.kid} ({entry.aud}); publish a new trust bundle")
    raise typer.Exit(EXIT_OK)


@app.command("list")
def list_(keys: KeysOption, json_output: JsonFlag = False) -> None:
    """The verifiers the city vouches for."""
    with reported():
        listed = KeyStore.open(keys).verifiers()
    if json_output:
        print_json({"verifiers": [{**v.to_json(), "kid": v.kid} for v in listed]})
    else:
        for v in listed:
            typer.echo(f"{v.kid}  {v.aud}  {v.name}")
    raise typer.Exit(EXIT_OK)


@app.command()
def challenge(
    claims: Annotated[str, typer.Option("--claims", help="Claims to ask for, e.g. resident_of,age_over_65.")],
    aud: Annotated[str | None, typer.Option("--aud", help="This verifier's audience id (default: --dir's).")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The name wallets show (default: --dir's, or aud).")
    ] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Sign the request with this verifier's key (see `init`).")
    ] = None,
    ttl: Annotated[int, typer.Option("--ttl", min=1, max=MAX_TTL, help="Seconds the request stays valid.")] = (
        DEFAULT_TTL
    ),
    qr: Annotated[Path | None, typer.Option("--qr", help="Also write the request as a QR code PNG.")] = None,
    terminal: Annotated[bool, typer.Option("--terminal", help="Also draw the QR code (on stderr).")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Print a presentation request (`CKQ1:` text) with a fresh nonce; verify answers with `verify --request`."""
    identity = read_identity(directory) if directory is not None else None
    if identity is not None and aud is not None and aud != identity.aud:
        fail_usage(f"usage: --aud {aud} is not the aud of the verifier in {directory} ({identity.aud}); "
                   "wallets would refuse the request")
    aud = aud if aud is not None else identity.aud if identity is not None else None
    if aud is None:
        fail_usage("usage: give --aud, or --dir of a verifier made with `citykey verifier init`")
    shown = name or (identity.name if identity is not None else aud)
    wanted = [c.strip() for c in claims.split(",") if c.strip()]
    with reported():
        request = make_request(aud=aud, claims=wanted, name=shown, now=read_clock(), ttl=ttl)
    if identity is not None and directory is not None:
        key = load_key(directory, identity, read_passphrase())
        text = encode_request(sign_request(request, key))
    else:
        text = encode_request(request)
    if qr is not None or terminal:
        show_qr(text, png=qr, on_terminal=terminal)
    if json_output:
        print_json({"request": text, **request.to_json(), "signed": identity is not None,
                    "qr": str(qr) if qr is not None else None})
    else:
        sys.stdout.write(text + "\n")
    raise typer.Exit(EXIT_OK)
