"""Every command's help, as a person reads it at 80 columns: whole option names, plain value names (FILE, N)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperGroup

from citykey.main import app, plain_metavars

COMMAND = typer.main.get_command(app)
plain_metavars(COMMAND)


def paths(command: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from paths(sub, (*prefix, name))


@pytest.mark.parametrize("path", list(paths(COMMAND)), ids=" ".join)
def test_help_at_80_columns_names_every_option_whole_without_type_noise(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    COMMAND.main([*path, "--help"], prog_name="citykey", standalone_mode=False)  # what the console script runs
    output = capsys.readouterr().out
    assert output.startswith("Usage: citykey")
    options = output.split("\nOptions:\n", 1)[1]  # arguments keep typer's own style: `KID <str>`
    assert not re.search(r"<(bool|str|path|int|int range)>", options)
    assert "…" not in output
    assert max(len(line) for line in output.splitlines()) <= 80
    command: object = COMMAND
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    for param in getattr(command, "params", ()):
        for opt in param.opts:
            if opt.startswith("--"):
                assert re.search(rf"(^|[\s,/]){re.escape(opt)}(\s|$|,)", output, re.M), opt
