"""Desk appointments without names: a slot and a random token, nothing else.

A resident books a slot from the `/apply/` page (`POST /appointments`, which
carries the slot and nothing else); the issuer draws a 128-bit token, keeps its
SHA-256 and the slot's start, and hands the token to the page, which puts it in
the pre-application code (or shows it on its own). The desk sees how many are
booked per slot; scanning a code that carries the token checks the resident in
and deletes the row. Rows of slots that have passed are deleted by `sweep`.
So the table only ever says "so many bookings for 10:30 on Tuesday".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, delete, func, insert, select

from issuer.db import BOOKING_LOCK, appointments, serialized, write_transaction
from issuer.settings import IssuerSettings
from wallet_spec.errors import SlotUnavailable, UsageError
from wallet_spec.preapplication import TOKEN_BYTES

GRACE = 3600
"""A booking is kept this long after its slot starts (a resident running late), then swept."""


@dataclass(frozen=True, slots=True)
class Slot:
    """A desk time slot: when it starts and ends, and how many of its places are booked."""

    start: int
    end: int
    booked: int
    capacity: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.booked)


def _zone(settings: IssuerSettings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError("CITYKEY_TIMEZONE is not a known time zone name (for example America/Chicago)") from None


def offered(settings: IssuerSettings, *, now: int) -> list[tuple[int, int]]:
    """(start, end) of every slot from now to `appointment_days` ahead: weekdays, within opening hours."""
    if settings.appointment_capacity == 0:
        return []
    zone = _zone(settings)
    opens, closes = (dt.time.fromisoformat(t) for t in settings.appointment_hours.split("-"))
    step = dt.timedelta(minutes=settings.appointment_minutes)
    today = dt.datetime.fromtimestamp(now, zone).date()
    found = []
    for offset in range(settings.appointment_days + 1):
        day = today + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        start = dt.datetime.combine(day, opens, zone)
        close = dt.datetime.combine(day, closes, zone)
        while start + step <= close:
            if start.timestamp() > now:
                found.append((int(start.timestamp()), int((start + step).timestamp())))
            start += step
    return found


def _booked(conn: Connection, since: int) -> dict[int, int]:
    rows = conn.execute(
        select(appointments.c.slot, func.count()).where(appointments.c.slot >= since).group_by(appointments.c.slot)
    )
    return {int(slot): int(count) for slot, count in rows}


def slots(engine: Engine, settings: IssuerSettings, *, now: int) -> list[Slot]:
    """The slots offered, each with how many are booked."""
    with engine.connect() as conn:
        booked = _booked(conn, now - GRACE)
    capacity = settings.appointment_capacity
    return [Slot(start, end, booked.get(start, 0), capacity) for start, end in offered(settings, now=now)]


def token_hash(token: bytes) -> bytes:
    return hashlib.sha256(b"citykey-appointment:" + token).digest()


def book(engine: Engine, settings: IssuerSettings, slot: int, *, now: int) -> bytes:
    """Book `slot` (its start, as `slots` gives it); the token to carry, or `SlotUnavailable`."""
    if slot not in {start for start, _ in offered(settings, now=now)}:
        raise SlotUnavailable("that slot is not offered")
    token = secrets.token_bytes(TOKEN_BYTES)
    with write_transaction(engine) as conn:  # count and take a place as one step, whoever books at once
        serialized(conn, BOOKING_LOCK)
        sweep(conn, now=now)
        taken = conn.execute(
            select(func.count()).select_from(appointments).where(appointments.c.slot == slot)
        ).scalar_one()
        if taken >= settings.appointment_capacity:
            raise SlotUnavailable("that slot is fully booked")
        conn.execute(insert(appointments).values(token_hash=token_hash(token), slot=slot))
    return token


def check_in(engine: Engine, token: bytes, *, now: int) -> int | None:
    """The slot of the booking `token` names, deleting it; None if there is none (used, swept, or made up)."""
    with write_transaction(engine) as conn:
        sweep(conn, now=now)
        found = conn.execute(
            delete(appointments).where(appointments.c.token_hash == token_hash(token)).returning(appointments.c.slot)
        ).scalar_one_or_none()
    return None if found is None else int(found)


def sweep(conn: Connection, *, now: int) -> None:
    """Delete the bookings of slots that started more than `GRACE` ago."""
    conn.execute(delete(appointments).where(appointments.c.slot < now - GRACE))


def booked_counts(engine: Engine, settings: IssuerSettings, *, now: int) -> list[Slot]:
    """What the desk sees: today's and the coming slots that have bookings."""
    return [s for s in slots(engine, settings, now=now - GRACE) if s.booked]
