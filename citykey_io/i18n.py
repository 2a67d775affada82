"""Every party's messages, in one gettext catalogue per language (docs/translating.md).

The catalogues are the `citykey` domain under `citykey_io/locale/`: the
template `citykey.pot` and one `<lang>/LC_MESSAGES/citykey.po` per language,
read with Babel when first used (no compiled `.mo` to keep in step). A message
id is the English text as written in the code, with `{name}` placeholders
(Python's `str.format`); a language is available as soon as its `.po` file is
there. In English an empty translation means "as written in the code".

In Python, `_("Text {name}", name=value)` on a `Translations` (or
`translate(lang, ...)`); a message that is chosen at one place and shown at
another is marked with `N_("...")` where it is written, so extraction finds it.
Browser pages get the catalogue as JSON, `{"msgid": "translation"}`
(`catalogue_json`, `citykey i18n export`).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

DOMAIN = "citykey"
SOURCE = "en"
"""The language the message ids are written in."""
LOCALE_DIR = Path(__file__).parent / "locale"
MAX_ACCEPT_LANGUAGE_ITEMS = 20
"""Items of an `Accept-Language` header looked at; the rest is ignored."""


def N_(message: str) -> str:
    """Mark a message for extraction where it is written; it is translated where it is shown."""
    return message


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def languages() -> tuple[str, ...]:
    """The languages with a catalogue: English first, then the others by code."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return (SOURCE, *sorted(found - {SOURCE}))


def read_catalogue(lang: str) -> Catalog:
    """The `.po` file of a language, as Babel reads it (tests and tools; pages use `translations`)."""
    with catalogue_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def translated(catalog: Catalog) -> dict[str, str]:
    """Message id → translation, for the entries that are translated and not marked fuzzy."""
    out: dict[str, str] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str) or not isinstance(message.string, str):
            continue  # the header, and plural entries (none so far)
        if message.string and not message.fuzzy:
            out[message.id] = message.string
    return out


def fields(text: str) -> frozenset[str]:
    """The named placeholders of a message: `{name}` → "name"."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


@dataclass(frozen=True, slots=True)
class Translations:
    """One language's messages; call it as `_`: `_("Signed in as {name}", name=clerk)`."""

    lang: str
    messages: Mapping[str, str]

    def __call__(self, msgid: str, **values: object) -> str:
        text = self.messages.get(msgid, msgid)
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation with a wrong placeholder: the original
            return msgid.format(**values)

    gettext = __call__


def translations(lang: str) -> Translations:
    """The messages of `lang` (English for a language without a catalogue), read once per process."""
    return _translations(lang if lang in languages() else SOURCE)


@cache
def _translations(lang: str) -> Translations:  # cached per available language only, whatever callers pass
    return Translations(lang, translated(read_catalogue(lang)))


def reload() -> None:
    """Forget the catalogues read so far: the next use reads the `.po` files again."""
    for cached in (languages, _translations, message_ids):
        cached.cache_clear()


def translate(lang: str, msgid: str, **values: object) -> str:
    return translations(lang)(msgid, **values)


def error_message(code: str, lang: str) -> str:
    """What a person reads for an error code (`CitykeyError.code`); an unknown code gets the generic one."""
    from citykey_io.error_messages import ERROR_MESSAGES, GENERIC_ERROR  # the table marks its messages with N_

    return translate(lang, ERROR_MESSAGES.get(code, GENERIC_ERROR))


def language_name(lang: str) -> str:
    """The language's own name for itself, as a language switch shows it: "English", "Español"."""
    try:
        name = Locale.parse(lang).get_display_name(lang) or lang
    except (ValueError, UnknownLocaleError):
        name = lang
    return name[:1].upper() + name[1:]


def from_accept_language(header: str | None) -> str:
    """The available language the browser prefers most (q-values honoured, first among equals), else English."""
    available = languages()
    best, best_q = SOURCE, -1.0
    for position, item in enumerate((header or "").split(",")[:MAX_ACCEPT_LANGUAGE_ITEMS]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # earlier wins among equals
        if primary in available and q > 0 and q > best_q:
            best, best_q = primary, q
    return best


def negotiate(accept_language: str | None, choice: str | None = None) -> str:
    """An explicit choice (a cookie, a setting) if it names an available language, else `Accept-Language`."""
    if choice is not None and choice in languages():
        return choice
    return from_accept_language(accept_language)


@cache
def message_ids() -> frozenset[str]:
    """Every message of the template `citykey.pot`: what the code and the templates use."""
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as f:
        return frozenset(m.id for m in read_po(f, domain=DOMAIN) if m.id and isinstance(m.id, str))


def catalogue_dict(lang: str) -> dict[str, str]:
    """Every message of the template → its text in `lang` (the original where it is not translated)."""
    t = translations(lang)
    return {msgid: t(msgid) for msgid in sorted(message_ids())}


def catalogue_json(lang: str) -> str:
    """The catalogue of `lang` for a browser page: `{"msgid": "translation"}`, keys sorted."""
    return json.dumps(catalogue_dict(lang), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def error_messages_json() -> str:
    """Error code → message id, the same for every language: a page shows `catalogue[errors[code]]`."""
    from citykey_io.error_messages import ERROR_MESSAGES

    table = {code: ERROR_MESSAGES[code] for code in sorted(ERROR_MESSAGES)}
    return json.dumps(table, ensure_ascii=False, indent=1) + "\n"


def export(out: Path) -> list[Path]:
    """Write `<lang>.json` for every language and `errors.json` into `out` (public files, not private ones)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in languages():
        path = out / f"{lang}.json"
        path.write_text(catalogue_json(lang), encoding="utf-8")
        written.append(path)
    errors = out / "errors.json"
    errors.write_text(error_messages_json(), encoding="utf-8")
    return [*written, errors]
