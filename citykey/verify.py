"""`citykey verify`: a verifier's yes or no, offline, from a presentation and the trust bundle.

The presentation comes from standard input, or from a photo of its QR code
(`--image`); either the `CK2:` QR text or a plain compact SD-JWT. Challenge
mode checks the nonce this verifier showed (`--nonce` and `--aud`, or the
request it printed, `--request`); one-way mode (`--one-way --aud A
--replay-db FILE`) checks no nonce but accepts each presentation once. One of
the two is required (the rule is `verifier.policy.Policy`'s; this module only
maps options to it). `--accept-paper` also accepts paper cards, which carry no
key binding (docs/decisions.md 28).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from citykey.output import EXIT_OK, echo_refusal, error_list, exit_code_for, fail_usage, print_json, read_stdin_text
from citykey_io.clock import now as read_clock
from verifier import Policy, ReplayCache, verify
from verifier.policy import ONE_WAY_KB_MAX_AGE
from wallet_spec import qr
from wallet_spec.bundle import load_bundle
from wallet_spec.encoding import json_loads
from wallet_spec.errors import ChallengeMissing, CitykeyError
from wallet_spec.jwk import thumbprint
from wallet_spec.present import parse_claim_path
from wallet_spec.request import parse_request

THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")
"""An RFC 7638 SHA-256 thumbprint, base64url without padding: what `--root` pins."""

RootOption = Annotated[
    str | None,
    typer.Option(
        "--root",
        envvar="CITYKEY_ROOT",
        help="The city's root key: its RFC 7638 thumbprint, or a file with its public JWK.",
    ),
]


def root_thumbprint(value: str | None) -> str:
    """The pinned trust anchor. Without one a verifier cannot know whose bundle it holds."""
    if not value:
        fail_usage("no trust anchor: pass --root THUMBPRINT (or a JWK file) or set CITYKEY_ROOT")
    path = Path(value)
    if path.is_file():
        try:
            return thumbprint(json_loads(path.read_bytes(), what="root JWK"))
        except (OSError, CitykeyError) as exc:
            fail_usage(f"cannot read the root JWK from {value}: {exc}")
    if not THUMBPRINT.fullmatch(value):
        fail_usage(f"usage: --root {value} is neither the root key's thumbprint (43 characters, printed by "
                   "`citykey keys init` and `citykey bundle`) nor a file holding its public JWK")
    return value


def _reject(exc: CitykeyError, json_output: bool) -> NoReturn:
    errors = error_list(exc)
    if json_output:
        print_json({"valid": False, "claims": {}, "errors": errors, "warnings": []})
    else:
        echo_refusal(exc)
    raise typer.Exit(exit_code_for(exc)) from None


def run(
    bundle: Annotated[Path, typer.Option("--bundle", help="The trust bundle file synced from the city.")],
    root: RootOption = None,
    nonce: Annotated[str | None, typer.Option(help="The nonce this verifier issued.")] = None,
    aud: Annotated[str | None, typer.Option(help="This verifier's audience id.")] = None,
    request: Annotated[
        str | None,
        typer.Option("--request", help="The request this verifier showed (`verifier challenge`): its nonce, "
                     "aud and claims are checked, and it must not have expired."),
    ] = None,
    require: Annotated[str, typer.Option(help="Claims that must be disclosed, e.g. resident_of,age_over_65.")] = "",
    accept_paper: Annotated[
        bool, typer.Option("--accept-paper", help="Also accept paper cards (no key binding; a photocopy passes too).")
    ] = False,
    one_way: Annotated[
        bool, typer.Option("--one-way", help="No challenge (turnstile): needs --aud and --replay-db; no nonce.")
    ] = False,
    replay_db: Annotated[
        Path | None, typer.Option("--replay-db", help="Replay cache (SQLite file): accept each presentation once.")
    ] = None,
    kb_max_age: Annotated[
        int | None,
        typer.Option("--kb-max-age", min=1, help="Oldest key binding accepted, seconds (default 300; one-way 60)."),
    ] = None,
    image: Annotated[
        Path | None, typer.Option("--image", help="Read the presentation from a photo of its QR code.")
    ] = None,
    max_bundle_age_days: Annotated[int, typer.Option(help="Refuse to decide with an older bundle.")] = 7,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Verify a presentation (stdin or --image) against the trust bundle. Exit 0 valid, 1 rejected, 2 unreadable."""
    pin = root_thumbprint(root)
    if request is not None and (nonce is not None or aud is not None):
        fail_usage("usage: --request already names the nonce and aud; do not also give --nonce or --aud")
    if one_way and (nonce is not None or request is not None):
        fail_usage("usage: --one-way checks no nonce; it excludes --nonce and --request")
    if one_way and (aud is None or replay_db is None):
        fail_usage("usage: --one-way needs --aud (this verifier) and --replay-db (to accept each QR code once)")
    try:
        required = tuple(parse_claim_path(p.strip()) for p in require.split(",") if p.strip())
    except CitykeyError as exc:
        fail_usage(exc.message)
    now = read_clock()
    if request is not None:
        try:
            asked = parse_request(request, now=now)  # our own request: its nonce is what we check
        except CitykeyError as exc:
            _reject(exc, json_output)
        nonce, aud = asked.nonce, asked.aud
        required = (*asked.paths, *(p for p in required if p not in asked.paths))
    try:  # the policy decides whether these options make a challenge (verifier.policy)
        policy = Policy(
            required=required, nonce=nonce, aud=aud, require_key_binding=not accept_paper, one_way=one_way,
            kb_max_age=kb_max_age or (ONE_WAY_KB_MAX_AGE if one_way else 300),
            max_bundle_age=max_bundle_age_days * 86_400,
        )
    except ChallengeMissing as exc:
        fail_usage(f"{exc.code}: {exc.message}; give --nonce and --aud, or --request, or --one-way with --aud")
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    try:
        bundle_text = bundle.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        fail_usage(f"cannot read the trust bundle {bundle}: {exc}")
    text = None if image is not None else read_stdin_text("presentation")
    try:
        cache = ReplayCache(replay_db) if replay_db is not None else None
    except (sqlite3.Error, OSError) as exc:
        fail_usage(f"cannot open the replay cache {replay_db}: {exc}")
    try:
        if image is not None:
            from verifier.scan import read_qr  # zxing-cpp and Pillow: loaded only to read photos

            text = read_qr(image)
        assert text is not None
        trust = load_bundle(bundle_text, pin, now=now)
        accepted = verify(qr.decode(text), trust, policy, now=now, replay=cache)
    except CitykeyError as exc:
        _reject(exc, json_output)
    finally:
        if cache is not None:
            cache.close()
    if json_output:
        print_json({"valid": True, "claims": accepted.claims, "errors": [], "warnings": list(accepted.warnings)})
    else:
        typer.echo("VALID")
        for warning in accepted.warnings:
            typer.echo(f"warning: {warning}", err=True)
        for name, value in accepted.claims.items():
            if name not in {"iss", "iat", "exp", "vct", "cnf", "status"}:
                typer.echo(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    raise typer.Exit(EXIT_OK)
