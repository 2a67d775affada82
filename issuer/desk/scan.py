"""The desk reads a resident's pre-application, and sees the appointments booked.

    POST /desk/scan           code, csrf → the enrolment form, filled from the `CKA1:` code
    GET  /desk/appointments   booked places per slot, today and ahead (no names: there are none)

A handheld scanner in keyboard mode types the code into the enrolment page's
scan field and presses Enter, which posts it here. The code is decoded in this
request (`wallet_spec.preapplication.decode`, the desk's own field rules) and
dropped: it is never stored, logged or sent on, and the answer is the enrolment
form with the fields filled for the clerk to check against the documents, then
post as usual. A code that is cut short, changed or breaks a rule fills nothing
and says why; the log gets the error code only. A code's appointment token
checks the booking in (its row is deleted).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from citykey_io.i18n import N_, error_message
from issuer import appointments
from issuer.desk import i18n
from issuer.desk.forms import ResidentForm
from issuer.desk.routes import Now, _clerk, _desk, _enrol_page, _page, _posted, _redirect, _state
from wallet_spec import preapplication
from wallet_spec.attributes import FIELDS
from wallet_spec.errors import CitykeyError, PreapplicationInvalid

log = logging.getLogger("citykey.issuer.desk")
router = APIRouter(prefix="/desk", include_in_schema=False)

FIELD_LABELS = {
    "given_name": N_("Given name(s)"),
    "family_name": N_("Family name(s)"),
    "birthdate": N_("Date of birth"),
    "street_address": N_("Street and number"),
    "locality": N_("Town or city"),
    "postal_code": N_("Postal code"),
}


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What the scan part of the enrolment page shows (`templates/scan.html`)."""

    error: str | None = None
    fields: tuple[str, ...] = ()
    filled: bool = False
    appointment: str | None = None
    appointment_missing: bool = False


def _slot_text(start: int, zone: str) -> str:
    return dt.datetime.fromtimestamp(start, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


@router.post("/scan")
async def scan(request: Request, now: Now) -> Response:
    session = _desk(request).sessions.load(request, now)
    clerk = _clerk(request, session)
    session, posted, refusal = await _posted(request, now)
    if refusal is not None or posted is None:
        return refusal or _redirect(request, "/desk/login", session, now)
    if clerk is None:
        return _redirect(request, "/desk/login?m=ended", session, now)
    code = posted.pop("code", "")
    state = _state(request)
    _ = i18n.for_request(request)
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    try:
        read = preapplication.decode(code, today=today)
    except CitykeyError as exc:
        log.info("desk: pre-application refused: %s", exc.code)  # the code, never the text
        fields: list[str] = []
        if isinstance(exc, PreapplicationInvalid):
            fields = [_(FIELD_LABELS.get(name, name)) for name in FIELDS if name in exc.problems]
        refused = ScanResult(error=error_message(exc.code, _.lang), fields=tuple(fields))
        return _enrol_page(request, session, now, clerk, None, status=422, scan=refused)
    del code
    scan_state = ScanResult(filled=True)
    if read.token is not None:
        slot = await run_in_threadpool(appointments.check_in, state.engine, read.token, now=now)
        scan_state = ScanResult(
            filled=True,
            appointment=None if slot is None else _slot_text(slot, state.settings.timezone),
            appointment_missing=slot is None,
        )
    log.info("desk: pre-application read")
    form = ResidentForm(dict(read.values), {})
    return _enrol_page(request, session, now, clerk, form, scan=scan_state)


@router.get("/appointments")
def booked(request: Request, now: Now) -> Response:
    session = _desk(request).sessions.load(request, now)
    clerk = _clerk(request, session)
    if clerk is None:
        return _redirect(request, "/desk/login" + ("?m=ended" if session.ended else ""), session, now)
    state = _state(request)
    zone = state.settings.timezone
    rows = [
        {"time": _slot_text(s.start, zone), "booked": s.booked, "capacity": s.capacity}
        for s in appointments.booked_counts(state.engine, state.settings, now=now)
    ]
    return _page(
        request, "appointments.html", session, now, clerk=clerk, rows=rows,
        capacity=state.settings.appointment_capacity, timezone=zone,
    )


