"""Desk appointments: slots offered by the settings, bookings of a slot and a hashed token, nothing else."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from issuer import appointments
from issuer.api import apply
from issuer.db import appointments as appointments_table
from issuer.ratelimit import LIMITS
from issuer.settings import IssuerSettings
from tests.issuer.desk.desk_support import make_desk
from wallet_spec.encoding import b64url_decode
from wallet_spec.errors import SlotUnavailable

MONDAY_8AM = int(dt.datetime(2030, 1, 7, 8, 0, tzinfo=dt.UTC).timestamp())


def settings(**overrides: object) -> IssuerSettings:
    return IssuerSettings(key_passphrase="unused", **overrides)  # type: ignore[arg-type]


def test_slots_are_weekdays_within_opening_hours_in_the_city_s_zone() -> None:
    offered = appointments.offered(
        settings(timezone="America/Chicago", appointment_hours="09:00-12:00", appointment_days=6), now=MONDAY_8AM
    )
    starts = [dt.datetime.fromtimestamp(s, ZoneInfo("America/Chicago")) for s, _ in offered]
    assert {d.weekday() for d in starts} == {0, 1, 2, 3, 4}
    assert {d.strftime("%H:%M") for d in starts} == {"09:00", "09:30", "10:00", "10:30", "11:00", "11:30"}
    assert all(end - start == 1800 for start, end in offered)
    assert appointments.offered(settings(appointment_capacity=0), now=MONDAY_8AM) == []


def test_a_booking_stores_a_slot_and_a_token_hash_only_until_full(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, appointment_capacity=2)
    desk.now = MONDAY_8AM
    desk.app.dependency_overrides[apply.clock] = lambda: desk.now
    slot = desk.client.get("/appointments/slots").json()["slots"][0]
    assert slot["left"] == 2
    tokens = []
    for _ in range(2):
        answer = desk.client.post("/appointments", json={"slot": slot["start"]})
        assert answer.status_code == 201, answer.text
        tokens.append(b64url_decode(answer.json()["token"]))
    full = desk.client.post("/appointments", json={"slot": slot["start"]})
    assert full.status_code == 409
    assert full.json()["error"] == "slot_unavailable"
    assert desk.client.get("/appointments/slots").json()["slots"][0]["left"] == 0
    with desk.state.engine.connect() as conn:
        rows = conn.execute(select(appointments_table)).all()
    assert sorted(r.slot for r in rows) == [slot["start"]] * 2
    assert all(len(t) == 16 for t in tokens)
    assert {r.token_hash for r in rows} == {appointments.token_hash(t) for t in tokens}
    assert not {r.token_hash for r in rows} & set(tokens)
    desk.state.engine.dispose()


def test_concurrent_bookings_never_exceed_a_slots_capacity(engine: Engine) -> None:
    """Sixteen residents press "Book" for the last places at once: three get them, the rest are told it is full."""
    config = settings(appointment_capacity=3)
    slot = appointments.offered(config, now=MONDAY_8AM)[0][0]
    start = threading.Barrier(16)
    booked: list[bytes] = []
    full: list[str] = []

    def press() -> None:
        start.wait()
        try:
            booked.append(appointments.book(engine, config, slot, now=MONDAY_8AM))
        except SlotUnavailable as exc:
            full.append(exc.code)

    threads = [threading.Thread(target=press) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(booked), full) == (3, ["slot_unavailable"] * 13)
    with engine.connect() as conn:
        assert len(conn.execute(select(appointments_table)).all()) == 3


def test_a_slot_not_offered_or_a_flood_of_bookings_is_refused(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, appointment_capacity=100)
    desk.now = MONDAY_8AM
    desk.app.dependency_overrides[apply.clock] = lambda: desk.now
    assert desk.client.post("/appointments", json={"slot": MONDAY_8AM + 17}).status_code == 409
    assert desk.client.post("/appointments", json={"slot": "soon"}).status_code == 422
    start = desk.client.get("/appointments/slots").json()["slots"][0]["start"]
    codes = [
        desk.client.post("/appointments", json={"slot": start}).status_code
        for _ in range(LIMITS["bookings"][0] + 1)
    ]
    assert codes[-1] == 429
    desk.state.engine.dispose()


def test_bookings_of_past_slots_are_swept(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    engine = desk.state.engine
    first = appointments.offered(desk.state.settings, now=MONDAY_8AM)[0][0]
    token = appointments.book(engine, desk.state.settings, first, now=MONDAY_8AM)
    assert appointments.check_in(engine, b"x" * 16, now=MONDAY_8AM + 7 * 86_400) is None  # a week later: swept
    assert appointments.check_in(engine, token, now=MONDAY_8AM) is None
    engine.dispose()
