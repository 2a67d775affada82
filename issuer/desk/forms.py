"""The enrolment form: what the clerk typed, checked field by field, then read by `resident_from_json`.

Errors are messages of the `citykey` catalogue (marked with `N_` here,
translated by the page with their `params`), never the values: a value is
shown back only inside the re-rendered form (`Cache-Control: no-store`), and
never reaches a log, a URL, the session or an exception message. A new check
adds its message below, then `make i18n` and a translation in every `.po` file
(docs/translating.md).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from citykey_io.i18n import N_
from wallet_spec.errors import FormatError
from wallet_spec.profile import Resident, attribute_text, resident_from_json

NAME_FIELDS = ("given_name", "family_name")
ADDRESS_FIELDS = ("street_address", "locality", "postal_code")
FIELDS = (*NAME_FIELDS, "birthdate", *ADDRESS_FIELDS)
MAX_LENGTH = {
    "given_name": 100,
    "family_name": 100,
    "birthdate": 10,
    "street_address": 200,
    "locality": 100,
    "postal_code": 20,
}
EARLIEST_BIRTHDATE = dt.date(1900, 1, 1)

REQUIRED = N_("This field is required.")
BAD_DATE = N_("Enter a valid date as year-month-day (YYYY-MM-DD).")
DATE_IN_FUTURE = N_("The date of birth cannot be in the future.")
DATE_TOO_OLD = N_("The date of birth cannot be before 1900.")
TOO_LONG = N_("This field is too long (at most {max} characters).")
BAD_CHARACTERS = N_("This field contains characters that are not allowed.")


@dataclass(frozen=True, slots=True)
class FieldError:
    message: str
    """A message id of the catalogue; `params` fill its `{name}` placeholders."""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResidentForm:
    values: dict[str, str]
    errors: dict[str, FieldError]
    resident: Resident | None = None
    refused: bool = False
    """`resident_from_json` refused what passed the field checks (shown as one message for the form)."""

    @property
    def ok(self) -> bool:
        return self.resident is not None


def _clean(value: object) -> str:
    text = value if isinstance(value, str) else ""
    return unicodedata.normalize("NFC", text).strip()


def _has_refused_characters(name: str, text: str) -> bool:
    """The contract's rule (`attribute_text`): controls, bidi and zero-width characters, surrogates."""
    try:
        attribute_text(name, text)
    except FormatError:
        return True
    return False


def read_resident(form: Mapping[str, Any], *, city: str, today: dt.date) -> ResidentForm:
    """Check every field and, if all pass, build the `Resident` (`resident_of` is the city's name)."""
    values = {name: _clean(form.get(name)) for name in FIELDS}
    errors: dict[str, FieldError] = {}
    for name, value in values.items():
        if len(value) > MAX_LENGTH[name]:
            errors[name] = FieldError(TOO_LONG, {"max": MAX_LENGTH[name]})
            values[name] = value[: MAX_LENGTH[name]]
        elif _has_refused_characters(name, value):
            errors[name] = FieldError(BAD_CHARACTERS)
    for name in (*NAME_FIELDS, "birthdate"):
        if not values[name] and name not in errors:
            errors[name] = FieldError(REQUIRED)
    if "birthdate" not in errors:
        try:
            birthdate = dt.date.fromisoformat(values["birthdate"])
            if len(values["birthdate"]) != 10:
                raise ValueError
        except ValueError:
            errors["birthdate"] = FieldError(BAD_DATE)
        else:
            if birthdate > today:
                errors["birthdate"] = FieldError(DATE_IN_FUTURE)
            elif birthdate < EARLIEST_BIRTHDATE:
                errors["birthdate"] = FieldError(DATE_TOO_OLD)
    if errors:
        return ResidentForm(values, errors)
    attributes: dict[str, Any] = {
        "given_name": values["given_name"],
        "family_name": values["family_name"],
        "birthdate": values["birthdate"],
        "resident_of": city,
    }
    address = {name: values[name] for name in ADDRESS_FIELDS if values[name]}
    if address:
        attributes["address"] = address
    try:
        resident = resident_from_json(attributes)
    except FormatError:
        return ResidentForm(values, errors, refused=True)
    return ResidentForm(values, errors, resident)
