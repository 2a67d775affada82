"""The `citykey` catalogues: complete, nothing stale, placeholders kept, every error code said plainly, JSON export.

"Used" is what `make i18n` extracts with `babel.cfg` from the code and the
pages; each check is also run once on a broken catalogue, so it is seen to fail.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import issuer.errors  # noqa: F401 - its error classes, if it declares any, are walked below
from citykey_io import i18n
from citykey_io.error_messages import ERROR_MESSAGES, GENERIC_ERROR
from wallet_spec.errors import all_error_classes

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "es")
"""The languages the city ships with; each must be complete."""


@cache
def used_messages() -> frozenset[str]:
    """Every message id the code and the pages use, extracted as `make i18n` does."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(REPO), method_map, options_map):
        if isinstance(message, str):
            found.add(message)
        else:  # a plural: singular and plural forms
            found.update(m for m in message if m)
    return frozenset(found)


def ids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.id and isinstance(m.id, str)}


def missing(used: frozenset[str], catalog: Catalog, *, source: bool) -> list[str]:
    """Used messages the catalogue lacks; outside the source language, also those without a usable translation."""
    have = ids(catalog) if source else set(i18n.translated(catalog))
    return sorted(used - have)


def unused(used: frozenset[str], catalog: Catalog) -> list[str]:
    return sorted(ids(catalog) - used)


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    return sorted(
        msgid for msgid, text in i18n.translated(catalog).items() if i18n.fields(text) != i18n.fields(msgid)
    )


def template() -> Catalog:
    with (i18n.LOCALE_DIR / "citykey.pot").open("rb") as f:
        return read_po(f)


# --- the catalogues --------------------------------------------------------


def test_extraction_finds_the_desk_and_the_error_messages() -> None:
    assert "Staff sign-in" in used_messages()  # a page
    assert "This field is required." in used_messages()  # the form, marked with N_
    assert "Credential offer QR code" in used_messages()  # a route
    assert ERROR_MESSAGES["replayed"] in used_messages()


def test_the_template_holds_exactly_what_the_code_uses() -> None:
    catalog = template()
    assert missing(used_messages(), catalog, source=True) == [], "run `make i18n`"
    assert unused(used_messages(), catalog) == [], "run `make i18n`"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_used_is_translated_in_every_language(lang: str) -> None:
    catalog = i18n.read_catalogue(lang)
    assert missing(used_messages(), catalog, source=lang == i18n.SOURCE) == [], f"translate these in {lang}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_catalogue_keeps_a_message_no_longer_used(lang: str) -> None:
    assert unused(used_messages(), i18n.read_catalogue(lang)) == [], "run `make i18n`"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_the_original(lang: str) -> None:
    assert placeholder_mismatches(i18n.read_catalogue(lang)) == []


def test_the_languages_shipped_are_the_catalogues_found() -> None:
    assert i18n.languages() == LANGUAGES


def test_the_checks_fail_on_a_broken_catalogue() -> None:
    broken = Catalog(locale="es")
    broken.add("Staff sign-in", "Acceso del personal")
    broken.add("Signed in as {name}", "Sesión iniciada como {nombre}")  # placeholder renamed
    broken.add("Sign out", "Cerrar sesión", flags=["fuzzy"])  # fuzzy: not used
    broken.add("Back", "")  # untranslated
    broken.add("A message nobody uses any more", "Un mensaje que ya nadie usa")
    used = frozenset({"Staff sign-in", "Signed in as {name}", "Sign out", "Back", "Print"})
    assert missing(used, broken, source=False) == ["Back", "Print", "Sign out"]
    assert missing(used, broken, source=True) == ["Print"]
    assert unused(used, broken) == ["A message nobody uses any more"]
    assert placeholder_mismatches(broken) == ["Signed in as {name}"]


# --- messages for people, per error code ----------------------------------


def error_codes() -> list[str]:
    return sorted({cls.code for cls in all_error_classes()})


def test_every_error_code_has_a_message() -> None:
    assert len(error_codes()) > 40
    assert [code for code in error_codes() if code not in ERROR_MESSAGES] == []
    assert [code for code in ERROR_MESSAGES if code not in error_codes()] == []  # no message for a code gone


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_error_code_reads_plainly_in_every_language(lang: str) -> None:
    catalog = i18n.read_catalogue(lang)
    listed = ids(catalog) if lang == i18n.SOURCE else set(i18n.translated(catalog))
    for code in error_codes():
        assert ERROR_MESSAGES[code] in listed, code
        text = i18n.error_message(code, lang)
        assert text != code, code
        assert text.endswith("."), code  # a sentence
        if lang != i18n.SOURCE:
            assert text != ERROR_MESSAGES[code], code


def test_error_messages_in_both_languages() -> None:
    assert i18n.error_message("replayed", "en") == "This code was already used — ask for a new one."
    assert i18n.error_message("replayed", "es") == "Este código ya se usó: pida uno nuevo."
    assert i18n.error_message("expired", "es").startswith("Esta credencial ha caducado.")
    assert i18n.error_message("no_such_code", "es") == i18n.translate("es", GENERIC_ERROR)
    assert i18n.error_message("replayed", "xx") == i18n.error_message("replayed", "en")
    assert i18n.translations("xx") is i18n.translations("en")  # one cached catalogue, whatever is asked for


# --- formatting and choosing a language -----------------------------------


def test_named_placeholders_are_filled_in_the_language() -> None:
    assert i18n.translate("en", "Signed in as {name}", name="ana") == "Signed in as ana"
    assert i18n.translate("es", "Signed in as {name}", name="ana") == "Sesión iniciada como ana"
    assert i18n.translate("es", "This field is too long (at most {max} characters).", max=20) == (
        "Este campo es demasiado largo (máximo 20 caracteres)."
    )
    assert i18n.translate("es", "A message not in the catalogue") == "A message not in the catalogue"


def test_a_translation_with_a_wrong_placeholder_falls_back_to_the_original() -> None:
    t = i18n.Translations("es", {"Signed in as {name}": "Sesión iniciada como {nombre}"})
    assert t("Signed in as {name}", name="ana") == "Signed in as ana"


@pytest.mark.parametrize(
    ("accept_language", "choice", "expected"),
    [
        (None, None, "en"),
        ("es-AR,es;q=0.9", None, "es"),
        ("fr-FR,fr;q=0.9,es;q=0.8,en;q=0.7", None, "es"),
        ("es;q=0.5, en;q=0.6", None, "en"),
        ("es", "en", "en"),  # an explicit choice wins
        ("es", "fr", "es"),  # unless there is no catalogue for it
    ],
)
def test_negotiation(accept_language: str | None, choice: str | None, expected: str) -> None:
    assert i18n.negotiate(accept_language, choice) == expected


def test_each_language_is_named_in_itself() -> None:
    assert i18n.language_name("en") == "English"
    assert i18n.language_name("es") == "Español"
    assert i18n.language_name("zz") == "Zz"


# --- a new language is one file -------------------------------------------


@pytest.fixture
def locale_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The shipped catalogues copied to a folder the module reads instead (caches emptied before and after)."""
    target = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, target)
    monkeypatch.setattr(i18n, "LOCALE_DIR", target)
    i18n.reload()
    yield target
    monkeypatch.undo()
    i18n.reload()


def test_a_city_adds_a_language_with_one_po_file(locale_copy: Path) -> None:
    po = locale_copy / "de" / "LC_MESSAGES" / "citykey.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Signed in as {name}"\nmsgstr "Angemeldet als {name}"\n',
        encoding="utf-8",
    )
    assert i18n.languages() == ("en", "de", "es")
    assert i18n.negotiate("de-AT,de;q=0.9,en;q=0.8") == "de"
    assert i18n.translate("de", "Signed in as {name}", name="ana") == "Angemeldet als ana"
    assert i18n.translate("de", "Sign out") == "Sign out"  # not yet translated: the original
    assert i18n.language_name("de") == "Deutsch"


# --- browser pages: JSON ---------------------------------------------------


def test_the_json_export_round_trips(tmp_path: Path) -> None:
    written = i18n.export(tmp_path / "i18n")
    assert sorted(p.name for p in written) == ["en.json", "errors.json", "es.json"]
    errors = json.loads((tmp_path / "i18n" / "errors.json").read_text(encoding="utf-8"))
    assert errors == ERROR_MESSAGES
    for lang in LANGUAGES:
        exported = json.loads((tmp_path / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        assert exported == i18n.catalogue_dict(lang)
        assert set(exported) == used_messages()
        assert all(exported[msgid] == i18n.translate(lang, msgid) for msgid in exported)
        assert exported[errors["replayed"]] == i18n.error_message("replayed", lang)
    spanish = json.loads((tmp_path / "i18n" / "es.json").read_text(encoding="utf-8"))
    assert spanish["Staff sign-in"] == "Acceso del personal"
    assert i18n.catalogue_json("es") == (tmp_path / "i18n" / "es.json").read_text(encoding="utf-8")


def test_the_catalogues_are_in_the_package_data() -> None:
    """An installed wheel reads them too: every file under locale/ matches a package-data pattern."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["citykey_io"]
    files = [p.relative_to(i18n.LOCALE_DIR.parent).as_posix() for p in i18n.LOCALE_DIR.rglob("*") if p.is_file()]
    assert len(files) == 1 + len(LANGUAGES)
    assert [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)] == []
