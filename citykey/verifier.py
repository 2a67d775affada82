"""`citykey verifier …`: a verifier's own key, the city's list of verifiers, and challenge QR codes.

A verifier directory (`--dir V`, 0700) holds:

    verifier.json   its audience id, display name and public JWK (nothing secret)
    verifier.pem    its private key, encrypted PKCS#8 (scrypt, as the city's keys; `citykey_io/pem.py`);
                    absent with `init --no-key`
    trust.json      the pinned root (`init --root`), and the bundle, its freshness and the
                    scanner's files (`sync`, `serve`; listed in `verifier/sync.py`)

The passphrase comes from `CITYKEY_VERIFIER_PASSPHRASE`, or a hidden prompt;
with neither (a script with no terminal) the command stops with exit 2.
The city lists a verifier with `citykey verifier register --keys DIR --may-ask
CLAIMS`; once the root signs the next key list, trust bundles carry it, so
wallets can show who signed a request and refuse what it may not ask for.
Every failure prints `error: <code>: <message>` and exits 2.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from citykey.output import EXIT_OK, EXIT_REJECTED, ask_passphrase, fail_usage, print_json, reported, show_qr
from citykey_io import pem
from citykey_io.clock import now as read_clock
from citykey_io.files import atomic_write, make_private_dir
from citykey_io.passphrase import VERIFIER_PASSPHRASE_ENV as PASSPHRASE_ENV
from keys import KeyStore
from verifier.sync import IDENTITY_FILE, Freshness, held_bundle, pin_root, read_pin
from verifier.sync import KEY_FILE as VERIFIER_KEY_FILE
from verifier.sync import sync as sync_bundle
from wallet_spec.encoding import json_dumps, json_loads
from wallet_spec.errors import CitykeyError, KeyStoreError, UsageError
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

if TYPE_CHECKING:
    from fastapi import APIRouter

    from verifier.scanner.gate import Gate

app = typer.Typer(help="A verifier's key, the city's list of verifiers, and challenge QR codes.",
                  no_args_is_help=True)

PUBLIC_FILE = IDENTITY_FILE
KEY_FILE = VERIFIER_KEY_FILE

VerifierDir = Annotated[Path, typer.Option("--dir", help="The verifier's directory.")]
KeysOption = Annotated[Path, typer.Option("--keys", help="The city's key store directory.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
AudOption = Annotated[str, typer.Option("--aud", help="The verifier's audience id, e.g. https://bus.example.")]
NameOption = Annotated[str, typer.Option("--name", help="The name wallets show for it, e.g. 'Springfield Transit'.")]


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
    aud: AudOption,
    name: NameOption,
    root: Annotated[
        str | None,
        typer.Option("--root", help="Pin the city's root key (its thumbprint, `citykey keys init` printed it); "
                     "needed by `sync` and `serve`."),
    ] = None,
    no_key: Annotated[
        bool, typer.Option("--no-key", help="Make no challenge-signing key (a gate the city does not list).")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Make the verifier's identity and signing key; print its public JWK for the city to register."""
    with reported():
        check_verifier(aud, name)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        fail_usage(f"usage: {directory} exists and is not an empty directory")
    identity: ListedVerifier | None = None
    key: PrivateKey | None = None
    secret = b""
    if not no_key:
        secret = read_passphrase(confirm=True)
        key = generate_private_key()
        identity = ListedVerifier.create(aud, name, public_jwk(key))
    try:
        make_private_dir(directory)
        if root is not None:
            with reported():
                pin_root(directory, root)
        if identity is not None and key is not None:
            atomic_write(directory / KEY_FILE, pem.encrypt(key, secret))
            public: dict[str, Any] = {**identity.to_json(), "kid": identity.kid}
        else:
            public = {"aud": aud, "name": name}
        atomic_write(directory / PUBLIC_FILE, (json_dumps(public) + "\n").encode("utf-8"), mode=0o644)
    except OSError as exc:
        fail_usage(f"cannot create the verifier in {directory}: {exc.strerror or exc}")
    if json_output:
        print_json({"dir": str(directory), "aud": aud, "name": name, "root": root,
                    "kid": identity.kid if identity else None, "jwk": identity.jwk if identity else None})
    elif identity is not None:
        print_json(dict(identity.jwk))
        typer.echo(f"verifier key {identity.kid} made in {directory}; the city lists it with: citykey verifier "
                   f"register --keys DIR --aud {aud} --name '{name}' --jwk FILE --may-ask CLAIMS "
                   "(FILE: the JWK above)", err=True)
    else:
        typer.echo(f"verifier {aud} made in {directory} (no signing key: its challenges go unsigned)")
    raise typer.Exit(EXIT_OK)


@app.command()
def sync(
    directory: VerifierDir,
    source: Annotated[
        str | None,
        typer.Argument(help="The bundle's URL (ending /trust-bundle) or a file; default: the last one synced."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Fetch the trust bundle, check it against the pinned root, keep it if valid and newer; say how fresh it is.

    Exit 0 when the verifier holds a valid bundle afterwards, 1 when the fetch failed or was refused
    (the held bundle is kept), 2 on usage errors.
    """
    now = read_clock()
    with reported():
        _, last = read_pin(directory)
    where = source or last
    if where is None:
        fail_usage("usage: give the bundle's URL or file (no bundle was synced before)")
    try:
        result = sync_bundle(directory, where, now=now)
    except CitykeyError as exc:
        held = held_bundle(directory, now=now)
        kept = f"; keeping the held bundle ({Freshness.of(held, now=now).describe()})" if held else \
            "; this verifier has no valid bundle yet"
        if json_output:
            print_json({"synced": False, "error": exc.as_dict(), "held": held is not None})
        else:
            typer.echo(f"not synced: {exc.code}: {exc.message}{kept}", err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    fresh = result.freshness
    if json_output:
        print_json({"synced": True, "outcome": result.outcome, "issued_at": fresh.issued_at,
                    "next_update": fresh.next_update, "age": fresh.age, "due": fresh.due,
                    "verifiers": len(result.bundle.verifiers), "status_lists": len(result.bundle.status_lists)})
    else:
        words = {"updated": "new bundle installed", "unchanged": "bundle unchanged",
                 "not_modified": "bundle unchanged (304)"}[result.outcome]
        typer.echo(f"{words}: {fresh.describe()}; next update due at {fresh.next_update}")
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
    aud: AudOption,
    name: NameOption,
    jwk: Annotated[Path, typer.Option("--jwk", help="The verifier's public JWK (what `verifier init` printed).")],
    may_ask: Annotated[
        str, typer.Option("--may-ask", help="The claims it may ask wallets for, e.g. resident_of,age_over_65.")
    ],
    json_output: JsonFlag = False,
) -> None:
    """The city vouches for a verifier key and its scope, once the root signs the next key list. No passphrase."""
    public = _jwk_from_file(jwk)
    scope = [c.strip() for c in may_ask.split(",") if c.strip()]
    with reported():
        entry = KeyStore.open(keys).register_verifier(aud, name, public, scope)
    if json_output:
        print_json({"kid": entry.kid, "aud": entry.aud, "name": entry.name, "may_ask": list(entry.may_ask)})
    else:
        typer.echo(f"registered verifier key {entry.kid} for {entry.aud} ({entry.name}), which may ask for "
                   f"{', '.join(entry.may_ask)}; wallets trust it once the root signs the next key list "
                   "(citykey keys keylist), from the next trust bundle on")
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
        typer.echo(f"removed verifier key {entry.kid} ({entry.aud}); wallets stop trusting it once the root "
                   "signs the next key list (citykey keys keylist)")
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
            typer.echo(f"{v.kid}  {v.aud}  {v.name}  may ask: {', '.join(v.may_ask) or '(nothing)'}")
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


@app.command()
def serve(
    directory: VerifierDir,
    policy: Annotated[
        str, typer.Option("--policy", help="The service: library-card, senior-fare, others: docs/verifier.md.")
    ],
    port: Annotated[int, typer.Option("--port", help="Port of the scanner page.")] = 8090,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (the kiosk itself).")] = "127.0.0.1",
    policies: Annotated[
        Path | None, typer.Option("--policies", help="A policy file of your own (default: the shipped one).")
    ] = None,
    replay: Annotated[
        str | None,
        typer.Option("--replay", help="Replay cache: a SQLite file or redis://host:6379/0 shared by the gates "
                     "(default: DIR/replay.db)."),
    ] = None,
    sync_every: Annotated[
        int, typer.Option("--sync-every", min=1, help="Minutes between re-syncs of the bundle from its URL.")
    ] = 60,
    online: Annotated[
        bool, typer.Option("--online", help="Also serve OpenID4VP for web services at /openid4vp/?policy=NAME "
                           "(needs this verifier's key, listed by the city, and a sync).")
    ] = False,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="The https address wallets reach this service at "
                                 "(default: http://HOST:PORT, for loopback).")
    ] = None,
    transactions: Annotated[
        str | None, typer.Option("--transactions", help="With --online: redis://host:6379/0 to share open "
                                 "requests between several processes (default: this process's memory).")
    ] = None,
) -> None:
    """Serve the scanner page for one service: camera, handheld scanner, challenge QR, plain-language results.

    With --online, the same process also answers city web services over OpenID4VP 1.0 (docs/openid4vp.md).
    """
    import threading

    import uvicorn

    from verifier.policies import policy_named
    from verifier.replay import open_replay_cache
    from verifier.scanner.app import create_app
    from verifier.scanner.gate import Gate
    from verifier.sync import REPLAY_FILE, is_url
    from verifier.sync import read_identity as read_gate_identity

    with reported():
        chosen = policy_named(policy, policies)
        identity = read_gate_identity(directory)
        _, source = read_pin(directory)
    key = None
    if online:
        if identity.kid is None or not (directory / KEY_FILE).exists():
            fail_usage("usage: --online needs this verifier's own key (`verifier init` without --no-key)")
        key = load_key(directory, read_identity(directory), read_passphrase())
    elif identity.kid is not None and (directory / KEY_FILE).exists() and chosen.mode == "challenge":
        if os.environ.get(PASSPHRASE_ENV) is None and not sys.stdin.isatty():
            typer.echo(f"warning: {PASSPHRASE_ENV} is not set: challenges go unsigned", err=True)
        else:
            key = load_key(directory, read_identity(directory), read_passphrase())
    try:
        cache = open_replay_cache(replay or directory / REPLAY_FILE)
    except (OSError, sqlite3.Error, ValueError) as exc:
        fail_usage(f"cannot open the replay cache: {exc}")
    gate = Gate(directory, chosen, identity, replay=cache, signing_key=key)
    stop = threading.Event()

    def background() -> None:
        minutes = 0
        while not stop.wait(60):
            minutes += 1
            gate.counts.flush()
            if source is not None and is_url(source) and minutes % sync_every == 0:
                with contextlib.suppress(CitykeyError):  # sync.json records it; the page says the network is gone
                    sync_bundle(directory, source, now=read_clock())

    if source is not None and is_url(source):
        try:
            sync_bundle(directory, source, now=read_clock())
        except CitykeyError as exc:
            typer.echo(f"warning: not synced ({exc.code}); using the held bundle", err=True)
    worker = threading.Thread(target=background, name="citykey-verifier-sync", daemon=True)
    worker.start()
    typer.echo(f"scanner for {chosen.name} ({chosen.mode}) at http://{host}:{port}/", err=True)
    app = create_app(gate)
    if online and key is not None:
        app.include_router(_online_router(directory, gate, key, public_url or f"http://{host}:{port}",
                                          policies, transactions, identity.aud))
        typer.echo(f"web services ask at {public_url or f'http://{host}:{port}'}/openid4vp/?policy={chosen.name}",
                   err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        gate.close()
    raise typer.Exit(EXIT_OK)


def _online_router(
    directory: Path, gate: Gate, key: PrivateKey, public_url: str, policies: Path | None, store: str | None, aud: str
) -> APIRouter:
    """The OpenID4VP routes beside the scanner page, on the gate's bundle and this verifier's key."""
    from verifier.online import openid4vp_router
    from verifier.openid4vp import OnlineVerifier
    from verifier.policies import load_policies
    from verifier.sync import held_attestation
    from verifier.transactions import open_transactions

    def attestation() -> str:
        now = read_clock()
        bundle = gate.bundle(now=now)
        if bundle is None:
            raise UsageError("this verifier has no trust bundle yet: run `citykey verifier sync`")
        return held_attestation(directory, bundle, now=now)

    with reported():
        verifier = OnlineVerifier(aud=aud, key=key, attestation=attestation, bundle=lambda now: gate.bundle(now=now),
                                  policies=load_policies(policies), store=open_transactions(store),
                                  public_url=public_url)
    return openid4vp_router(verifier, default_lang=gate.policy.language)
