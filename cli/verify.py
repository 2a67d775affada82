"""`citykey verify`: a verifier's yes or no, offline, from a presentation and the trust bundle."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.output import EXIT_OK, error_list, exit_code_for, fail_usage, print_json, read_stdin_text
from verifier import Policy, verify
from wallet_spec.bundle import load_bundle
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError
from wallet_spec.jwk import thumbprint
from wallet_spec.present import parse_claim_path

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
    return value


def run(
    bundle: Annotated[Path, typer.Option("--bundle", help="The trust bundle file synced from the city.")],
    root: RootOption = None,
    nonce: Annotated[str | None, typer.Option(help="The nonce this verifier issued.")] = None,
    aud: Annotated[str | None, typer.Option(help="This verifier's audience id.")] = None,
    require: Annotated[str, typer.Option(help="Claims that must be disclosed, e.g. resident_of,age_over_65.")] = "",
    require_kb: Annotated[bool, typer.Option("--require-kb/--no-require-kb", help="Demand key binding.")] = True,
    max_bundle_age_days: Annotated[int, typer.Option(help="Refuse to decide with an older bundle.")] = 7,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Verify a presentation from stdin against the trust bundle. Exit 0 valid, 1 rejected, 2 unreadable."""
    pin = root_thumbprint(root)
    try:
        required = tuple(parse_claim_path(p.strip()) for p in require.split(",") if p.strip())
    except CitykeyError as exc:
        fail_usage(exc.message)
    try:
        bundle_text = bundle.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        fail_usage(f"cannot read the trust bundle {bundle}: {exc}")
    text = read_stdin_text("presentation")
    now = int(time.time())
    policy = Policy(
        required=required, nonce=nonce, aud=aud, require_key_binding=require_kb,
        max_bundle_age=max_bundle_age_days * 86_400,
    )
    try:
        trust = load_bundle(bundle_text, pin, now=now)
        accepted = verify(text, trust, policy, now=now)
    except CitykeyError as exc:
        errors = error_list(exc)
        if json_output:
            print_json({"valid": False, "claims": {}, "errors": errors, "warnings": []})
        else:
            for e in errors:
                typer.echo(f"REJECTED {e['code']}: {e['message']}")
        raise typer.Exit(exit_code_for(exc)) from None
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
