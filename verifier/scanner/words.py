"""A decision in the words of the kiosk's language: title, reasons, claims with labels. No value is logged.

Every message is in the shared `citykey` catalogue (`citykey_io.i18n`); the
reason for each error code is `citykey_io.i18n.error_message`, the same words
a wallet or the desk uses for that code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from citykey_io.i18n import N_, error_message, translations
from verifier.decision import Decision

ACCEPTED = N_("Accepted")
REFUSED = N_("Refused")
DECLINED = N_("Declined")  # the holder said no in their wallet (OpenID4VP access_denied)
TITLES = {"accepted": ACCEPTED, "paper": ACCEPTED, "refused": REFUSED, "declined": DECLINED}
"""The page's heading for each `Decision.outcome`."""
PAPER = N_("Paper card: compare the holder with a photo ID")
STALE = N_("The city's key list on this device is {days} days old. Connect it to the network to update.")
STALE_HOURS = N_("The city's key list on this device is {hours} hours old. Connect it to the network to update.")
TOO_OLD = N_("The city's key list is too old: this device refuses every code until it is updated.")
NO_BUNDLE = N_("This device has no list of the city's keys yet. Connect it to the network.")
OFFLINE = N_("No network: working offline with the list of keys it has.")
YES, NO = N_("yes"), N_("no")  # the desk's words for the paper card's ages
LABELS: dict[str, str] = {
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "birthdate": N_("Date of birth"),
    "address": N_("Address"),
    "resident_of": N_("Resident of"),
}
AGE_LABEL = N_("{age} or over")


def label(name: str, lang: str) -> str:
    _ = translations(lang)
    if name.startswith("age_over_") and name.removeprefix("age_over_").isdigit():
        return _(AGE_LABEL, age=name.removeprefix("age_over_"))
    return _(LABELS[name]) if name in LABELS else name.replace("_", " ")


def value_text(value: Any, lang: str) -> str:
    _ = translations(lang)
    if isinstance(value, bool):
        word = _(YES) if value else _(NO)
        return word[:1].upper() + word[1:]
    if isinstance(value, Mapping):
        street, locality, postal = (value.get(k) for k in ("street_address", "locality", "postal_code"))
        parts = [str(street or ""), " ".join(str(p) for p in (postal, locality) if p)]
        return ", ".join(p for p in parts if p) or ", ".join(str(v) for v in value.values())
    return str(value)


def decision_json(decision: Decision, lang: str) -> dict[str, Any]:
    """What the page shows for a decision, in `lang`: only the disclosed claims, reasons in plain words."""
    _ = translations(lang)
    return {
        "outcome": decision.outcome,
        "accepted": decision.accepted,
        "title": _(TITLES[decision.outcome]),
        "paper": _(PAPER) if decision.paper else None,
        "reasons": list(dict.fromkeys(error_message(code, lang) for code in decision.codes)),
        "codes": list(decision.codes),
        "claims": [{"label": label(k, lang), "value": value_text(v, lang)} for k, v in decision.claims],
    }


def banners(status: Mapping[str, Any], lang: str) -> list[str]:
    """The lines the page shows above the scanner about the bundle and the network."""
    _ = translations(lang)
    out = []
    bundle = status.get("bundle")
    if bundle is None:
        out.append(_(NO_BUNDLE))
    elif bundle["too_old"]:
        out.append(_(TOO_OLD))
    elif bundle["stale"]:
        age = dt.timedelta(seconds=int(bundle["age"]))
        out.append(_(STALE, days=age.days) if age.days >= 2 else _(STALE_HOURS, hours=int(age.total_seconds() // 3600)))
    if status.get("offline"):
        out.append(_(OFFLINE))
    return out
