"""The `/apply/` page (built by `make web` into `issuer/apply/web/dist`) and desk appointments.

    GET  /apply/                the page: static files, usable from any web server
    GET  /appointments/slots    the slots offered, with how many places are left
    POST /appointments          {"slot": start} → {"token", "slot", "end"}: a booking, no name

A booking carries the slot and nothing else; the issuer keeps a hash of the token and the slot
(`issuer.appointments`, docs/privacy.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from citykey_io.clock import now as clock
from issuer import appointments
from issuer.api import static_app
from issuer.api.bodies import Rules, json_body, request_body
from issuer.deps import State, throttled
from issuer.errors import error_responses
from wallet_spec.encoding import b64url_encode
from wallet_spec.oid4vci import JSON_MEDIA_TYPE

DIST = Path(__file__).resolve().parents[1] / "apply" / "web" / "dist"
HEADERS = {
    **static_app.HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "worker-src 'self'; manifest-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
"""`connect-src 'self'`: the page can reach this service only, and `form-action 'none'`: its form is never sent."""

# `clock` (citykey_io.clock.now) is the time as a dependency: tests override it to move the clock.
Now = Annotated[int, Depends(clock)]
router = APIRouter(tags=["appointments"])


class SlotOut(BaseModel):
    start: int = Field(description="The slot's start (Unix time).")
    end: int
    left: int = Field(description="Places still free.")


class Slots(BaseModel):
    timezone: str
    slots: list[SlotOut]


class Booking(BaseModel):
    slot: int = Field(ge=0, le=2**40, description="The start of a slot from `/appointments/slots`.")


class Booked(BaseModel):
    token: str = Field(description="base64url of the 16-octet token; the page puts it in the pre-application code.")
    slot: int
    end: int


@router.get("/appointments/slots")
def list_slots(state: State, now: Now) -> Slots:
    settings = state.settings
    found = appointments.slots(state.engine, settings, now=now)
    return Slots(timezone=settings.timezone, slots=[SlotOut(start=s.start, end=s.end, left=s.left) for s in found])


BOOKING = Rules(what="the booking", limit=1024)
BookingBody = Annotated[Booking, Depends(json_body(Booking, BOOKING))]


@router.post(
    "/appointments", status_code=201, dependencies=[throttled("bookings")], response_model=Booked,
    responses=error_responses(400, 409, 413, 422, 429),
    openapi_extra=request_body(JSON_MEDIA_TYPE, Booking.model_json_schema()),
)
async def book(body: BookingBody, state: State, now: Now) -> Booked:
    token = await run_in_threadpool(appointments.book, state.engine, state.settings, body.slot, now=now)
    end = body.slot + state.settings.appointment_minutes * 60
    return Booked(token=b64url_encode(token), slot=body.slot, end=end)


def install(app: FastAPI, directory: Path = DIST) -> None:
    """The booking routes, and the built page at `/apply/` (or a plain answer saying it was not built)."""
    app.include_router(router)
    static_app.mount(app, "/apply", directory, name="apply", what="the pre-application page", headers=HEADERS)
