"""`citykey wallet …`: the reference holder wallet on the command line.

The wallet lives in one sealed file, `DIR/wallet.ckw` (scrypt + AES-GCM under
the holder's passphrase, from `CITYKEY_WALLET_PASSPHRASE` or a prompt).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

from citykey.output import EXIT_REJECTED, ask_passphrase, error_list, exit_code_for, fail_usage, print_json, show_qr
from citykey.verify import RootOption, root_thumbprint
from citykey_io.clock import now as read_clock
from citykey_io.files import atomic_write, make_private_dir
from citykey_io.passphrase import MIN_WALLET_PASSPHRASE_BYTES
from citykey_io.passphrase import WALLET_PASSPHRASE_ENV as PASSPHRASE_ENV
from wallet import oid4vci as oid4vci_client
from wallet.model import Wallet, seal, unseal
from wallet.openid4vp import answer, decline, fetch_request
from wallet_spec import qr
from wallet_spec.bundle import load_bundle
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError
from wallet_spec.present import parse_claim_path
from wallet_spec.profile import BASE_TYPES, CREDENTIAL_TYPES, RESIDENT_PASS
from wallet_spec.request import Request, check_answerable, parse_request

app = typer.Typer(help="The reference holder wallet.", no_args_is_help=True)

WalletDir = Annotated[Path, typer.Option("--dir", help="The wallet's directory.")]
FILENAME = "wallet.ckw"


def passphrase(*, confirm: bool = False) -> bytes:
    """The wallet's passphrase; `confirm` when choosing one (asked twice, at least 8 bytes)."""
    return ask_passphrase(
        PASSPHRASE_ENV, "Wallet passphrase", interactive=sys.stdin.isatty(), new=confirm,
        minimum=MIN_WALLET_PASSPHRASE_BYTES,
    )


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
def keys(
    directory: WalletDir,
    count: Annotated[int, typer.Option(help="How many keys (per type, with --types).")] = 4,
    types: Annotated[
        str | None,
        typer.Option(
            help="Credential types to ask for, e.g. residency,identity,resident-65, or 'standard' for the set "
            "every resident is issued (an age pass is named, and issued only to someone that old)."
        ),
    ] = None,
) -> None:
    """Make fresh holder keys and print their public JWKs (JSON) for the issuer.

    Without --types: a list of COUNT keys (one `full` credential each). With --types: an
    object mapping each type to COUNT keys, so the batch holds small credentials that fit
    small QR codes (docs/credential.md).
    """
    wallet, secret = load(directory)
    names = [t.name for t in (*BASE_TYPES, RESIDENT_PASS)] if types == "standard" else (types or "").split(",")
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in CREDENTIAL_TYPES]
    if unknown:
        fail_usage(f"unknown credential type(s) {', '.join(unknown)}; known: {', '.join(CREDENTIAL_TYPES)}")
    try:
        publics: Any = (
            {name: wallet.new_holder_keys(count) for name in names} if names else wallet.new_holder_keys(count)
        )
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


def _describe(request: Request) -> str:
    if request.signer is not None:
        who = f"{request.signer.name} ({request.aud}), a verifier the city lists"
    elif request.signed:
        who = (f"UNKNOWN ASKER {request.name!r} ({request.aud}), signed but not checked: "
               "give --bundle and --root to check")
    else:
        who = f"UNKNOWN ASKER {request.name!r} ({request.aud}), unsigned: the name is the asker's own claim"
    return f"request from {who}; it asks for: {', '.join(request.claims) or 'no claims'}"


def _read_request(text: str, bundle: Path | None, root: str | None, allow_unsigned: bool) -> Request:
    """Parse and check a verifier's request before the wallet is opened; refusals exit 1, unreadable 2.

    A listed verifier is answered within its scope; an unknown asker only with --allow-unsigned."""
    now = read_clock()
    verifiers = None
    if bundle is not None:
        pin = root_thumbprint(root)
        try:
            verifiers = load_bundle(bundle.read_text(encoding="ascii"), pin, now=now).verifiers
        except (OSError, UnicodeDecodeError) as exc:
            fail_usage(f"cannot read the trust bundle {bundle}: {exc}")
        except CitykeyError as exc:
            refuse(exc, what="the trust bundle")
    try:
        asked = parse_request(text, now=now, verifiers=verifiers)
        check_answerable(asked, allow_unsigned=allow_unsigned)
    except CitykeyError as exc:
        unknown = any(e["code"] == "request_unsigned" for e in error_list(exc))
        refuse(exc, what="the request" + ("; if you trust it, answer with --allow-unsigned" if unknown else ""))
    typer.echo(_describe(asked), err=True)
    return asked


def refuse(exc: CitykeyError, *, what: str) -> NoReturn:
    """`error: <code>: <message>` for each reason; exit 1 for a refusal, 2 for unreadable input."""
    for e in error_list(exc):
        typer.echo(f"error: {e['code']}: {e['message']} ({what})", err=True)
    raise typer.Exit(exit_code_for(exc))


@app.command()
def present(
    directory: WalletDir,
    claims: Annotated[str | None, typer.Option(help="Claims to disclose, e.g. resident_of,age_over_65.")] = None,
    request: Annotated[
        str | None, typer.Option("--request", help="A verifier's request (CKQ1: text): disclose exactly its claims.")
    ] = None,
    nonce: Annotated[str | None, typer.Option(help="The verifier's nonce.")] = None,
    aud: Annotated[
        str | None, typer.Option(help="The verifier's audience id; without --nonce, one-way (turnstiles).")
    ] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="The trust bundle: check who signed the request.")
    ] = None,
    root: RootOption = None,
    allow_unsigned: Annotated[
        bool, typer.Option("--allow-unsigned", help="Answer a request from an unknown asker (unsigned, or not "
                           "checked against --bundle): its name is its own claim.")
    ] = False,
    qr_file: Annotated[Path | None, typer.Option("--qr", help="Also write the QR code as a PNG.")] = None,
    terminal: Annotated[bool, typer.Option("--terminal", help="Also draw the QR code (on stderr).")] = False,
) -> None:
    """Print a presentation from a fresh credential: of CLAIMS, or answering a verifier's --request.

    With --nonce and --aud it is bound to that challenge; with --aud alone it is
    one-way (the wallet picks the nonce). With --qr or --terminal the printed text
    is the QR form (`CK2:`), otherwise the compact SD-JWT.
    """
    if (claims is None) == (request is None):
        fail_usage("usage: give either --claims or --request")
    if request is not None and (nonce is not None or aud is not None):
        fail_usage("usage: a request names its own nonce and aud; do not give --nonce or --aud with --request")
    if (bundle is not None or allow_unsigned) and request is None:
        fail_usage("usage: --bundle and --allow-unsigned check a --request")
    asked = _read_request(request, bundle, root, allow_unsigned) if request is not None else None
    wallet, secret = load(directory)
    try:
        if asked is not None:
            text, _ = wallet.answer(asked, allow_unsigned=allow_unsigned)
        else:
            assert claims is not None
            paths = [parse_claim_path(p.strip()) for p in claims.split(",") if p.strip()]
            text, _ = wallet.present(paths, nonce=nonce, aud=aud)
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    save(directory, wallet, secret)
    if qr_file is not None or terminal:
        text = qr.encode(text)
        show_qr(text, png=qr_file, on_terminal=terminal)
    sys.stdout.write(text + "\n")


def http_client() -> contextlib.AbstractContextManager[httpx.Client]:
    """The HTTP client `receive` and `renew` use; tests replace this with FastAPI's TestClient."""
    return httpx.Client(timeout=30.0, follow_redirects=False, headers={"User-Agent": "citykey-wallet/1"})


PerType = Annotated[
    int | None,
    typer.Option("--per-type", help="Credentials of each type (one holder key and proof each); "
                 "by default 2, or 1 when the offer holds more types than the batch has room for twice."),
]


def _run_flow(directory: Path, flow: Any, json_output: bool, verb: str) -> None:
    """Open the wallet, run an OpenID4VCI flow on it, save it (also after a partial failure), report."""
    wallet, secret = load(directory)
    try:
        with http_client() as http:
            result: oid4vci_client.Received = flow(wallet, http)
    except oid4vci_client.IssuerRefused as exc:
        save(directory, wallet, secret)  # keeps what a partial run imported
        typer.echo(f"error: {exc.error}: {exc.description} (the issuer refused)", err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    except oid4vci_client.ClientError as exc:
        save(directory, wallet, secret)
        fail_usage(str(exc))
    except httpx.HTTPError as exc:
        save(directory, wallet, secret)
        fail_usage(f"cannot reach the issuer: {exc}")
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    save(directory, wallet, secret)
    if json_output:
        print_json(
            {
                "issuer": result.issuer,
                "credentials": result.credentials,
                "denied": result.denied,
                "receipt": result.receipt,
                "revoked": result.revoked,
            }
        )
        return
    kinds = ", ".join(f"{name} {count}" for name, count in result.credentials.items())
    typer.echo(f"{verb} {result.total} credentials from {result.issuer} ({kinds})")
    if result.revoked:
        typer.echo(f"revoked the old batch ({result.revoked} credentials)")
    if result.receipt:
        typer.echo(receipt_note(directory))


def receipt_note(directory: Path) -> str:
    """Where a batch's revocation receipt went, and how to get it out to keep apart from the wallet."""
    return (
        f"the batch's revocation receipt is kept in the wallet ({directory / FILENAME}); keep a copy apart "
        f"from it (printed, or on another device): `citykey wallet receipts --dir {directory} > receipt.txt` "
        "(or --qr receipt.png to print). With it a lost wallet's batch is revoked: "
        "`citykey revoke --receipt receipt.txt` at the city, or POST /revocations"
    )


@app.command()
def receipts(
    directory: WalletDir,
    qr_file: Annotated[
        Path | None, typer.Option("--qr", help="Also write the newest receipt as a QR code (PNG) to print.")
    ] = None,
) -> None:
    """Print the revocation receipts the wallet keeps, newest last, one a line: keep a copy apart from it."""
    wallet, _ = load(directory)
    if not wallet.receipts:
        fail_usage(f"the wallet in {directory} holds no revocation receipt")
    if qr_file is not None:
        show_qr(wallet.receipts[-1], png=qr_file)
    for receipt in wallet.receipts:
        sys.stdout.write(receipt + "\n")


@app.command()
def receive(
    directory: WalletDir,
    offer: Annotated[
        str, typer.Argument(help="The credential offer, e.g. openid-credential-offer://?credential_offer_uri=...")
    ],
    tx_code: Annotated[
        str | None, typer.Option("--tx-code", help="The transaction code shown at the desk, if the offer needs one.")
    ] = None,
    per_type: PerType = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Redeem a credential offer (OpenID4VCI, pre-authorized code) and import the batch and its receipt.

    One credential request per offered type, PER_TYPE credentials each, each bound to a new
    holder key. Without --tx-code, an offer that needs one asks for it on the terminal.
    """

    def ask(spec: Mapping[str, Any]) -> str | None:
        if tx_code is not None:
            return tx_code
        if not sys.stdin.isatty():
            return None
        prompt = str(spec.get("description") or "Transaction code")
        answer: str = typer.prompt(prompt)
        return answer.strip()

    _run_flow(
        directory,
        lambda wallet, http: oid4vci_client.receive(wallet, offer, http=http, tx_code=ask, per_type=per_type),
        json_output,
        "received",
    )


@app.command()
def renew(
    directory: WalletDir,
    issuer: Annotated[str, typer.Option("--issuer", help="The credential issuer id, e.g. https://id.city.example")],
    per_type: PerType = None,
    revoke_old: Annotated[
        bool,
        typer.Option("--revoke-old/--keep-old", help="Revoke the old batch with its receipts in the same request."),
    ] = True,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Renew without a visit: present the identity credential (fully disclosed) for a fresh batch.

    By default the old batch is revoked in the same request and leaves the wallet; with
    --keep-old it stays, valid until it expires.
    """
    _run_flow(
        directory,
        lambda wallet, http: oid4vci_client.renew(
            wallet, issuer, http=http, per_type=per_type, revoke_old=revoke_old
        ),
        json_output,
        "renewed:",
    )


@app.command()
def respond(
    directory: WalletDir,
    link: Annotated[
        str, typer.Argument(help="The service's request: its openid4vp:// link, or the text of its QR code.")
    ],
    bundle: Annotated[Path, typer.Option("--bundle", help="The trust bundle: which services the city lists.")],
    root: RootOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Share without asking (the request is still checked).")] = False,
) -> None:
    """Answer a city web service's OpenID4VP request: check who asks and for what, then share (docs/openid4vp.md).

    Exit 0 when the answer was sent, 1 when the request is refused (an unlisted service, a request outside
    what the city lets it ask, an expired one) or the holder declines, 2 on usage errors.
    """
    now = read_clock()
    pin = root_thumbprint(root)
    try:
        trusted = load_bundle(bundle.read_text(encoding="ascii"), pin, now=now)
    except (OSError, UnicodeDecodeError) as exc:
        fail_usage(f"cannot read the trust bundle {bundle}: {exc}")
    except CitykeyError as exc:
        refuse(exc, what="the trust bundle")
    with http_client() as http:
        try:
            asked = fetch_request(link, http=http, bundle=trusted, now=now)
        except CitykeyError as exc:
            refuse(exc, what="the request")
        claims = ", ".join(asked.request.dcql.claim_names)
        typer.echo(f"{asked.verifier.name} ({asked.verifier.aud}), a service the city lists, asks for: {claims}",
                   err=True)
        if not yes:
            if not sys.stdin.isatty():
                fail_usage("usage: give --yes to share without a terminal to ask on")
            if not typer.confirm("Share these with it?", default=False, err=True):
                try:
                    decline(asked, http=http)
                    told = "the service was told no"
                except CitykeyError:
                    told = "the service could not be told"
                typer.echo(f"declined: nothing was shared ({told})", err=True)
                raise typer.Exit(EXIT_REJECTED)
        wallet, secret = load(directory)
        try:
            answer(asked, wallet, http=http, now=now)
        except CitykeyError as exc:
            refuse(exc, what="the answer")
        save(directory, wallet, secret)
    typer.echo(f"shared {claims} with {asked.verifier.name}", err=True)
