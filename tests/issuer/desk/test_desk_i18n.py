"""The desk's two dictionaries: same keys, same placeholders, and how a language is chosen."""

from __future__ import annotations

import html
import re
import string

import pytest

from issuer.desk import i18n, routes
from tests.issuer.desk.desk_support import Desk
from wallet_spec.errors import KeyStoreError


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


@pytest.mark.parametrize(
    ("lang", "plain"),
    [
        ("en", "The city's keys cannot be used right now. Call support."),
        ("es", "Las claves del ayuntamiento no se pueden usar ahora. Llame a soporte."),
    ],
)
def test_a_failed_offer_tells_the_clerk_what_happened_in_plain_words(
    signed_in: Desk, monkeypatch: pytest.MonkeyPatch, lang: str, plain: str
) -> None:
    def unusable_keys(*_: object, **__: object) -> None:
        raise KeyStoreError("the signing key's file is damaged")

    monkeypatch.setattr(routes, "create_offer", unusable_keys)
    signed_in.client.get(f"/desk/lang/{lang}")
    page = signed_in.enrol()
    assert page.status_code == 500
    detail = re.search(r'<p id="error-detail">([^<]*)</p>', page.text)
    assert detail is not None
    assert html.unescape(detail.group(1)) == plain
    assert "damaged" not in page.text  # the exception's own text is for developers, not shown
    assert "keystore_error" not in page.text


def test_the_language_switch_lists_every_catalogue_in_its_own_name(desk: Desk) -> None:
    page = desk.client.get("/desk/login").text
    assert '<span class="current" aria-current="true" lang="en">English</span>' in page
    assert '<a href="/desk/lang/es" lang="es" hreflang="es">Español</a>' in page
