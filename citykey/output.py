"""Shared output conventions: `--json` objects and the exit codes every command uses."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from citykey_io.passphrase import MIN_PASSPHRASE_BYTES, read_passphrase
from wallet_spec.errors import CitykeyError, FormatError, VerificationFailed

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def read_stdin_text(what: str) -> str:
    """Read one token from standard input; surrounding whitespace is a transport artefact."""
    try:
        data = sys.stdin.buffer.read()
        text = data.decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        fail_usage(f"{what} on standard input is not ASCII text")
    if not text:
        fail_usage(f"no {what} on standard input")
    return text


def fail_usage(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def error_list(exc: CitykeyError) -> list[dict[str, str]]:
    errors = exc.errors if isinstance(exc, VerificationFailed) else (exc,)
    return [e.as_dict() for e in errors]


def exit_code_for(exc: CitykeyError) -> int:
    """Unreadable input is a usage problem (2); a readable but bad token is a rejection (1)."""
    return EXIT_USAGE if isinstance(exc, FormatError) else EXIT_REJECTED


def ask_passphrase(
    variable: str, prompt_text: str, *, interactive: bool, new: bool = False, minimum: int = MIN_PASSPHRASE_BYTES
) -> bytes:
    """`citykey_io.passphrase.read_passphrase` with a hidden prompt; its refusals exit 2 (`error: usage: …`)."""

    def hidden(confirm: bool) -> str:
        entered: str = typer.prompt(prompt_text, hide_input=True, confirmation_prompt=confirm)
        return entered

    with reported():
        return read_passphrase(variable, hidden if interactive else None, new=new, minimum=minimum)
    raise AssertionError("unreachable")  # pragma: no cover - reported() exits


@contextmanager
def reported() -> Iterator[None]:
    """Every citykey error raised inside becomes `error: <code>: <message>` and exit 2."""
    try:
        yield
    except CitykeyError as exc:
        fail_usage(f"{exc.code}: {exc.message}")


def show_qr(text: str, *, png: os.PathLike[str] | str | None = None, on_terminal: bool = False) -> None:
    """What `--qr FILE` and `--terminal` do for every command: a PNG file, a code on stderr, or both.

    Errors come out the CLI's way (`error: …`, exit 2), never as a traceback.
    """
    from citykey_io import qrimage  # rendering needs segno; loaded only when a picture is asked for

    with reported():
        if png is not None:
            try:
                qrimage.write_png(text, png)
            except OSError as exc:
                fail_usage(f"cannot write {png}: {exc.strerror or exc}")
        if on_terminal:
            typer.echo(qrimage.terminal(text), err=True)
