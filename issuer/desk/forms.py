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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from citykey_io.i18n import N_
from wallet_spec.attributes import ADDRESS_FIELDS, FIELDS, MAX_LENGTH, Problem, check_fields, clean
from wallet_spec.errors import FormatError
from wallet_spec.profile import Resident, resident_from_json

__all__ = [
    "BAD_CHARACTERS", "BAD_DATE", "DATE_IN_FUTURE", "DATE_TOO_OLD", "MESSAGES", "REQUIRED", "TOO_LONG",
    "UNKNOWN_FIELD", "FieldError", "ResidentForm", "field_error", "parse_birthdate", "read_resident",
]

REQUIRED = N_("This field is required.")
BAD_DATE = N_("Enter a valid date as year-month-day (YYYY-MM-DD).")
DATE_IN_FUTURE = N_("The date of birth cannot be in the future.")
DATE_TOO_OLD = N_("The date of birth cannot be before 1900.")
TOO_LONG = N_("This field is too long (at most {max} characters).")
BAD_CHARACTERS = N_("This field contains characters that are not allowed.")
UNKNOWN_FIELD = N_("This field is not one the desk asks for.")
MESSAGES = {
    Problem.REQUIRED: REQUIRED,
    Problem.BAD_DATE: BAD_DATE,
    Problem.DATE_IN_FUTURE: DATE_IN_FUTURE,
    Problem.DATE_TOO_OLD: DATE_TOO_OLD,
    Problem.TOO_LONG: TOO_LONG,
    Problem.BAD_CHARACTERS: BAD_CHARACTERS,
    Problem.UNKNOWN_FIELD: UNKNOWN_FIELD,
}
"""The desk's words for each fault the contract's rules find (`wallet_spec.attributes`)."""


def field_error(name: str, problem: Problem) -> FieldError:
    params = {"max": MAX_LENGTH[name]} if problem is Problem.TOO_LONG and name in MAX_LENGTH else {}
    return FieldError(MESSAGES[problem], params)


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


_DATE = re.compile(r"([0-9]{4})[-/. ]([0-9]{1,2})[-/. ]([0-9]{1,2})|([0-9]{4})([0-9]{2})([0-9]{2})")
"""Year, month, day, as the hint says: 1961-04-23, also 1961-4-23, 1961/04/23, 1961.04.23, 1961 04 23
and 19610423 (a phone's numeric keypad may have no dash). Never day-first or month-first: 03/04 is
ambiguous, and the year first is the one order no one reads another way."""


def parse_birthdate(text: str) -> dt.date | None:
    """The date typed year first, in any of the forms `_DATE` accepts; None if it is not one."""
    found = _DATE.fullmatch(text)
    if found is None:
        return None
    year, month, day = (int(part) for part in (found.groups()[:3] if found[1] else found.groups()[3:]))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def read_resident(form: Mapping[str, Any], *, city: str, today: dt.date) -> ResidentForm:
    """Check every field and, if all pass, build the `Resident` (`resident_of` is the city's name)."""
    values = {name: clean(form.get(name)) for name in FIELDS}
    typed = parse_birthdate(values["birthdate"])
    if typed is not None:  # 1950-3-17, 1950/03/17, 19500317 ... become the one form the contract checks
        values["birthdate"] = typed.isoformat()
    # A refused value is shown back whole for correction, never cut (a clerk must see what was typed).
    errors = {name: field_error(name, problem) for name, problem in check_fields(values, today=today).items()}
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
