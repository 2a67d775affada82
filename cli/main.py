"""The `citykey` entry point. Groups mirror the packages; see docs/ for each."""

from __future__ import annotations

import typer

from cli import demo, sdjwt

app = typer.Typer(
    help="citykey: privacy-first city ID credentials, verified offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sdjwt.app, name="sdjwt")
app.command("demo")(demo.run)
