"""The `citykey` entry point. Groups mirror the packages; see docs/ for each."""

from __future__ import annotations

import logging
import sys

import typer

from citykey import city, demo, i18n, issuer, keys, sdjwt, verifier, verify, wallet

app = typer.Typer(
    help="citykey: privacy-first city ID credentials, verified offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class _StderrWarnings(logging.Handler):
    """Warnings of the parties' loggers (`citykey.*`) go to the operator as `warning: …` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"warning: {record.getMessage()}\n")


@app.callback()
def _main() -> None:
    logger = logging.getLogger("citykey")
    if not any(isinstance(h, _StderrWarnings) for h in logger.handlers):
        handler = _StderrWarnings(logging.WARNING)
        logger.addHandler(handler)


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
