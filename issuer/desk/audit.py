"""Audit counts: how many of each desk event happened per hour per office; never who, never about whom.

A row of `audit_events` is (hour, office, event, count). An event adds one to
its hour's row (or starts it). Two instances racing on PostgreSQL may start
two rows for one hour; `counts` sums them, so the totals stay right.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select, update

from issuer.db import audit_events, read_transaction, write_transaction

EVENTS = ("offer_created", "paper_card_printed", "login_failed")
HOUR = 3600


def record(engine: Engine, office: str, event: str, *, now: int) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    hour = now - now % HOUR
    where = (audit_events.c.hour == hour, audit_events.c.office == office, audit_events.c.event == event)
    with write_transaction(engine) as conn:
        changed = conn.execute(update(audit_events).where(*where).values(count=audit_events.c.count + 1)).rowcount
        if not changed:
            conn.execute(insert(audit_events).values(hour=hour, office=office, event=event, count=1))


@dataclass(frozen=True, slots=True)
class Count:
    hour: int
    office: str
    event: str
    count: int


def counts(engine: Engine) -> list[Count]:
    total = func.sum(audit_events.c.count)
    keys = (audit_events.c.hour, audit_events.c.office, audit_events.c.event)
    with read_transaction(engine) as conn:
        rows = conn.execute(select(*keys, total).group_by(*keys).order_by(*keys)).all()
    return [Count(int(h), str(o), str(e), int(n)) for h, o, e, n in rows]
