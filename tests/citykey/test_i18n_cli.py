"""`citykey i18n`: the catalogues as JSON files a browser page loads, and the languages offered."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from citykey.main import app
from citykey_io import i18n

runner = CliRunner()


def test_export_writes_one_json_catalogue_per_language_and_the_error_table(tmp_path: Path) -> None:
    out = tmp_path / "static" / "i18n"
    result = runner.invoke(app, ["i18n", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["en.json", "errors.json", "es.json"]
    spanish = json.loads((out / "es.json").read_text(encoding="utf-8"))
    errors = json.loads((out / "errors.json").read_text(encoding="utf-8"))
    assert spanish[errors["replayed"]] == "Este código ya se usó: pida uno nuevo."
    assert spanish == i18n.catalogue_dict("es")


def test_languages_names_each_in_itself() -> None:
    result = runner.invoke(app, ["i18n", "languages"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"en": "English", "es": "Español"}
