"""The `citykey` entry point. Groups mirror the packages; see docs/ for each."""

from __future__ import annotations

import typer

from citykey import city, demo, i18n, issuer, keys, sdjwt, verifier, verify, wallet

app = typer.Typer(
    help="citykey: privacy-first city ID credentials, verified offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sdjwt.app, name="sdjwt")
app.add_typer(keys.app, name="keys")
app.add_typer(issuer.app, name="issuer")
app.add_typer(wallet.app, name="wallet")
app.add_typer(verifier.app, name="verifier")
app.add_typer(i18n.app, name="i18n")
app.command("issue")(city.issue)
app.command("revoke")(city.revoke)
app.command("bundle")(city.bundle)
app.command("verify")(verify.run)
app.command("demo")(demo.run)
