"""The desk's two dictionaries: same keys, same placeholders, and how a language is chosen."""

from __future__ import annotations

import string

import pytest

from issuer.desk import i18n


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_english_and_spanish_have_the_same_keys() -> None:
    assert set(i18n.EN) == set(i18n.ES)


def test_each_string_has_the_same_placeholders_in_both_languages() -> None:
    for key, english in i18n.EN.items():
        assert fields(english) == fields(i18n.ES[key]), key


def test_no_string_is_empty_or_left_untranslated_by_accident() -> None:
    same = {k for k in i18n.EN if i18n.EN[k] == i18n.ES[k]}
    assert all(i18n.EN[k] and i18n.ES[k] for k in i18n.EN)
    assert same <= {"no"}  # "no" is "no" in both


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("es", "es"),
        ("es-AR,es;q=0.9", "es"),
        ("fr-FR,fr;q=0.9,es;q=0.8,en;q=0.7", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("de, es;q=0", "en"),
        ("es;q=0.5, en;q=0.6", "en"),
        ("es;q=bogus, en", "en"),
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert i18n.from_accept_language(header) == expected


def test_the_cookie_wins_when_it_names_a_language_we_have() -> None:
    assert i18n.choose("es", "en") == "es"
    assert i18n.choose("fr", "es") == "es"
    assert i18n.choose(None, None) == "en"
