"""`citykey i18n …`: the message catalogues for browser pages (docs/translating.md).

    citykey i18n export --out DIR   writes DIR/<lang>.json ({"msgid": "translation"}, one per language)
                                    and DIR/errors.json (error code → msgid, the same for every language)
    citykey i18n languages          the languages with a catalogue, each named in itself
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from citykey.output import print_json

app = typer.Typer(help="Message catalogues: languages, and JSON for browser pages.", no_args_is_help=True)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Directory to write <lang>.json and errors.json into.")],
) -> None:
    """Write every language's catalogue as JSON for the web wallet and the scanner page."""
    from citykey_io import i18n  # Babel is imported by the commands that need it, not by every `citykey` run

    for path in i18n.export(out):
        typer.echo(str(path))


@app.command("languages")
def languages() -> None:
    """Print {code: name} of every language with a catalogue."""
    from citykey_io import i18n

    print_json({code: i18n.language_name(code) for code in i18n.languages()})
