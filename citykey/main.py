"""The `citykey` entry point. Groups mirror the packages; see docs/ for each."""

from __future__ import annotations

import logging
import sys

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from citykey import city, demo, i18n, issuer, keys, sdjwt, verifier, verify, wallet

app = typer.Typer(
    help="citykey: privacy-first city ID credentials, verified offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: option names whole at 80 columns, no `<bool>` column
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


DIRECTORY_OPTIONS = frozenset({"--dir", "--keys", "--home"})


def plain_metavars(command: object) -> None:
    """Name each option's value as people write it (`--bundle FILE`, `--dir DIR`, `--count N`, `--nonce TEXT`)
    instead of typer's `<path>`, `<str>`, `<int range>`, and arguments by name (`KID`), everywhere."""
    for param in getattr(command, "params", ()):
        if isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
            if param.opts[0] in DIRECTORY_OPTIONS:
                param.metavar = "DIR"
            else:
                param.metavar = {"Path": "FILE", "int": "N", "float": "N"}.get(param.bare_type(), "TEXT")
        elif isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper()
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            plain_metavars(sub)


def main() -> None:
    """The console script: the command tree with plain option names in its help."""
    command = typer.main.get_command(app)
    plain_metavars(command)
    command(prog_name="citykey")


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
