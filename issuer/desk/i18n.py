"""The desk's language: which one a request gets, and how the switch in every page's header remembers it.

The language is the `citykey_desk_lang` cookie (set by the switch), else the
best of `Accept-Language`, else English. The messages themselves are the
shared `citykey` catalogue (`citykey_io.i18n`, docs/translating.md): a language
with a `.po` file there is offered by the switch, with nothing to change here.
"""

from __future__ import annotations

from starlette.requests import Request

from citykey_io import i18n
from citykey_io.i18n import from_accept_language

__all__ = ["LANG_COOKIE", "choose", "for_request", "from_accept_language", "switch"]

LANG_COOKIE = "citykey_desk_lang"


def __getattr__(name: str) -> dict[str, str]:
    """`EN`, `ES`: message → text in the two languages the desk ships with (read when first asked for)."""
    if name in ("EN", "ES"):
        return i18n.catalogue_dict(name.lower())
    raise AttributeError(name)


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language if there is a catalogue for it, else the browser's preference."""
    return i18n.negotiate(accept_language, cookie)


def for_request(request: Request) -> i18n.Translations:
    """The messages of the request's language, called as `_` in routes and pages."""
    return i18n.translations(choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")))


def switch() -> dict[str, str]:
    """Language code → its own name, for the switch: {"en": "English", "es": "Español"}."""
    return {code: i18n.language_name(code) for code in i18n.languages()}
