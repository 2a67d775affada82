"""The attributes the desk asks for, and the one set of rules every way of entering them follows.

The clerk's form (`issuer/desk/forms.py`), a resident's pre-application
(`wallet_spec.preapplication`, and the `/apply/` page through `rules()`) all
check a field here: the same limits, the same refused characters (the
profile's `attribute_text`), the same dates. A problem is a `Problem` code
naming the field's fault, never the value; each caller turns it into its own
words.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from wallet_spec.errors import FormatError
from wallet_spec.profile import REFUSED_CATEGORIES, attribute_text

NAME_FIELDS = ("given_name", "family_name")
ADDRESS_FIELDS = ("street_address", "locality", "postal_code")
FIELDS = (*NAME_FIELDS, "birthdate", *ADDRESS_FIELDS)
REQUIRED = (*NAME_FIELDS, "birthdate")
MAX_LENGTH: Mapping[str, int] = {
    "given_name": 100,
    "family_name": 100,
    "birthdate": 10,
    "street_address": 200,
    "locality": 100,
    "postal_code": 20,
}
"""Characters (code points, after NFC and trimming) a field may hold."""
EARLIEST_BIRTHDATE = dt.date(1900, 1, 1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class Problem(StrEnum):
    """What is wrong with one field (the page and the desk word it in the resident's language)."""

    REQUIRED = "required"
    BAD_DATE = "bad_date"
    DATE_IN_FUTURE = "date_in_future"
    DATE_TOO_OLD = "date_too_old"
    TOO_LONG = "too_long"
    BAD_CHARACTERS = "bad_characters"
    UNKNOWN_FIELD = "unknown_field"


def clean(value: object) -> str:
    """What a field holds once read: Unicode NFC, surrounding white space removed; not a string: empty."""
    text = value if isinstance(value, str) else ""
    return unicodedata.normalize("NFC", text).strip()


def birthdate_of(text: str) -> dt.date | None:
    """`YYYY-MM-DD` (ASCII digits, a real day) as a date, else None: the only spelling accepted."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _refused_characters(name: str, text: str) -> bool:
    try:
        attribute_text(name, text)
    except FormatError:
        return True
    return False


def check_fields(values: Mapping[str, str], *, today: dt.date) -> dict[str, Problem]:
    """The problem of each faulty field among `FIELDS` (values already `clean`); empty when all pass."""
    problems: dict[str, Problem] = {}
    for name in FIELDS:
        value = values.get(name, "")
        if len(value) > MAX_LENGTH[name]:
            problems[name] = Problem.TOO_LONG
        elif _refused_characters(name, value):
            problems[name] = Problem.BAD_CHARACTERS
        elif name in REQUIRED and not value:
            problems[name] = Problem.REQUIRED
    if "birthdate" not in problems:
        birthdate = birthdate_of(values.get("birthdate", ""))
        if birthdate is None:
            problems["birthdate"] = Problem.BAD_DATE
        elif birthdate > today:
            problems["birthdate"] = Problem.DATE_IN_FUTURE
        elif birthdate < EARLIEST_BIRTHDATE:
            problems["birthdate"] = Problem.DATE_TOO_OLD
    return problems


def rules() -> dict[str, Any]:
    """The rules as JSON for a page that checks fields in the browser (`citykey apply rules`)."""
    return {
        "fields": list(FIELDS),
        "required": list(REQUIRED),
        "max_length": dict(MAX_LENGTH),
        "earliest_birthdate": EARLIEST_BIRTHDATE.isoformat(),
        "refused_categories": sorted(REFUSED_CATEGORIES),
        "date_pattern": _ISO_DATE.pattern,
        "normalization": "NFC",
    }
