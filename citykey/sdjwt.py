"""`citykey sdjwt …`: a generic SD-JWT tool for integrators, independent of the city profile."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from citykey.output import (
    EXIT_OK,
    echo_refusal,
    error_list,
    exit_code_for,
    fail_usage,
    print_json,
    read_stdin_text,
)
from wallet_spec import jws
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError, FormatError, UnknownKey
from wallet_spec.jwk import PublicKey, public_key_from_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.sdjwt import SdJwt
from wallet_spec.verify import KeyResolver, verify

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


def issuer_keys(document: Any) -> PublicKey | KeyResolver:
    """The key of a JWK, or a resolver by `kid` over a JWK Set or SD-JWT VC issuer metadata (`keys jwks`).
"""
    if isinstance(document, dict) and isinstance(document.get("jwks"), dict):
        document = document["jwks"]  # issuer metadata: {"issuer": ..., "jwks": {"keys": [...]}}
    if not (isinstance(document, dict) and "keys" in document):
        return public_key_from_jwk(document)
    entries = document["keys"]
    if not isinstance(entries, list) or not entries:
        raise FormatError("the JWK Set has no keys")
    by_kid = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            raise FormatError("every key of a JWK Set needs a kid, to pick it by the token's kid")
        by_kid[entry["kid"]] = public_key_from_jwk(entry)

    def resolve(header: Mapping[str, Any], _payload: Mapping[str, Any]) -> PublicKey:
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise UnknownKey("the token names no key (kid), and the file holds several")
        if kid not in by_kid:
            raise UnknownKey(f"the token's key {kid} is not in the JWK Set")
        return by_kid[kid]

    return resolve


@app.command("verify")
def verify_command(
    issuer_jwk: Annotated[
        Path,
        typer.Option("--issuer-jwk", help="The issuer's public key: a JWK, a JWK Set, or `citykey keys jwks` output "
                     "(JSON file); a set's key is picked by the token's kid."),
    ],
    nonce: Annotated[str | None, typer.Option(help="Nonce the KB-JWT must carry; implies --require-kb.")] = None,
    aud: Annotated[str | None, typer.Option(help="Audience the KB-JWT must name; implies --require-kb.")] = None,
    require_kb: Annotated[bool, typer.Option("--require-kb", help="Reject without a KB-JWT.")] = False,
    typ: Annotated[str | None, typer.Option(help="Required typ header, e.g. dc+sd-jwt.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Verify an SD-JWT or SD-JWT+KB from stdin. Exit 0 valid, 1 invalid, 2 unreadable input."""
    try:
        key = issuer_keys(json_loads(issuer_jwk.read_bytes(), what="the issuer JWK"))
    except OSError as exc:
        fail_usage(f"cannot read the issuer JWK from {issuer_jwk}: {exc.strerror or exc}")
    except CitykeyError as exc:
        fail_usage(f"cannot read the issuer JWK from {issuer_jwk}: {exc.message}")
    text = read_stdin_text("SD-JWT")
    # A nonce or audience can only be checked in a KB-JWT: asking for one and accepting a
    # presentation without any would let a replayed, unbound SD-JWT through.
    required = require_kb or nonce is not None or aud is not None
    policy = KeyBindingPolicy(required=required, nonce=nonce, aud=aud)
    try:
        verified = verify(text, key, typ=typ, key_binding=policy)
    except CitykeyError as exc:
        if json_output:
            print_json({"valid": False, "claims": {}, "errors": error_list(exc)})
        else:
            echo_refusal(exc)
        raise typer.Exit(exit_code_for(exc)) from None
    if json_output:
        print_json({"valid": True, "claims": verified.claims, "errors": []})
    else:
        typer.echo("VALID")
        typer.echo(json.dumps(verified.claims, indent=2, ensure_ascii=False))
    raise typer.Exit(EXIT_OK)
