"""`citykey sdjwt …`: a generic SD-JWT tool for integrators, independent of the city profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from citykey.output import (
    EXIT_OK,
    error_list,
    exit_code_for,
    fail_usage,
    print_json,
    read_stdin_text,
)
from wallet_spec import jws
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError
from wallet_spec.jwk import public_key_from_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.sdjwt import SdJwt
from wallet_spec.verify import verify

app = typer.Typer(help="Decode and verify any SD-JWT (RFC 9901).", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command()
def decode(json_output: JsonFlag = False) -> None:
    """Show the header, payload and each disclosure of an SD-JWT read from stdin. Checks nothing."""
    text = read_stdin_text("SD-JWT")
    try:
        sd_jwt = SdJwt.parse(text)
        token = jws.parse(sd_jwt.jwt, what="issuer-signed JWT")
        kb = jws.parse(sd_jwt.kb_jwt, what="KB-JWT") if sd_jwt.kb_jwt else None
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")
    disclosures = [
        {"digest": d.digest, "salt": d.salt, **({"name": d.name} if d.name is not None else {}), "value": d.value}
        for d in sd_jwt.disclosures
    ]
    result: dict[str, Any] = {"header": token.header, "payload": token.payload, "disclosures": disclosures}
    if kb is not None:
        result["kb_jwt"] = {"header": kb.header, "payload": kb.payload}
    if json_output:
        print_json(result)
        return
    console = Console()
    console.rule("issuer-signed JWT header")
    console.print_json(json.dumps(token.header))
    console.rule("payload")
    console.print_json(json.dumps(token.payload))
    table = Table("digest", "name", "value", title=f"{len(disclosures)} disclosures")
    for d in disclosures:
        table.add_row(d["digest"], d.get("name", "(array element)"), json.dumps(d["value"], ensure_ascii=False))
    console.print(table)
    if kb is not None:
        console.rule("KB-JWT")
        console.print_json(json.dumps(result["kb_jwt"]))


@app.command("verify")
def verify_command(
    issuer_jwk: Annotated[Path, typer.Option("--issuer-jwk", help="The issuer's public JWK (JSON file).")],
    nonce: Annotated[str | None, typer.Option(help="Nonce the KB-JWT must carry; implies --require-kb.")] = None,
    aud: Annotated[str | None, typer.Option(help="Audience the KB-JWT must name; implies --require-kb.")] = None,
    require_kb: Annotated[bool, typer.Option("--require-kb", help="Reject without a KB-JWT.")] = False,
    typ: Annotated[str | None, typer.Option(help="Required typ header, e.g. dc+sd-jwt.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Verify an SD-JWT or SD-JWT+KB from stdin. Exit 0 valid, 1 invalid, 2 unreadable input."""
    try:
        key = public_key_from_jwk(json_loads(issuer_jwk.read_bytes(), what="the issuer JWK"))
    except (OSError, CitykeyError) as exc:
        fail_usage(f"cannot read the issuer JWK from {issuer_jwk}: {exc}")
    text = read_stdin_text("SD-JWT")
    # A nonce or audience can only be checked in a KB-JWT: asking for one and accepting a
    # presentation without any would let a replayed, unbound SD-JWT through.
    required = require_kb or nonce is not None or aud is not None
    policy = KeyBindingPolicy(required=required, nonce=nonce, aud=aud)
    try:
        verified = verify(text, key, typ=typ, key_binding=policy)
    except CitykeyError as exc:
        errors = error_list(exc)
        if json_output:
            print_json({"valid": False, "claims": {}, "errors": errors})
        else:
            for e in errors:
                typer.echo(f"REJECTED {e['code']}: {e['message']}")
        raise typer.Exit(exit_code_for(exc)) from None
    if json_output:
        print_json({"valid": True, "claims": verified.claims, "errors": []})
    else:
        typer.echo("VALID")
        typer.echo(json.dumps(verified.claims, indent=2, ensure_ascii=False))
    raise typer.Exit(EXIT_OK)
