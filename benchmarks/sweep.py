"""The sweep at city scale: what each offer, nonce and token request pays to delete what has expired.

Every such request first deletes the expired pending rows, nonces and renewal links
(`issuer.offers.sweep`). The renewal links grow by one row per credential of every renewed
batch, so a city that renews yearly holds millions. The benchmark fills a fresh database with
`rows` unexpired links (the worst case: nothing to delete, everything to look past) and times the
sweep's transaction, the way a request runs it.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, text

from benchmarks.http_issuer import PG_ADMIN_URL, fresh_postgresql
from issuer.db import create_schema, make_engine, renewals, sqlite_url, write_transaction
from issuer.offers import sweep

_CHUNK = 50_000


@dataclass(frozen=True)
class SweepFigures:
    database: str
    rows: int
    median_ms: float


def measure(database: str, db_url: str, *, rows: int, sweeps: int) -> SweepFigures:
    engine = make_engine(db_url)
    try:
        create_schema(engine)
        later = int(time.time()) + 10**7
        with write_transaction(engine) as conn:
            for start in range(0, rows, _CHUNK):
                conn.execute(insert(renewals), [
                    {"from_list": 1, "from_idx": i, "to_list": 2, "to_idx": i, "expires": later}
                    for i in range(start, min(rows, start + _CHUNK))
                ])
        with engine.connect() as conn:  # fresh statistics, as autovacuum would have by then
            conn.execute(text("ANALYZE"))
            conn.commit()
        times = []
        for _ in range(sweeps):
            began = time.perf_counter()
            with write_transaction(engine) as conn:
                sweep(conn, now=int(time.time()))
            times.append(time.perf_counter() - began)
        return SweepFigures(database, rows, statistics.median(times) * 1e3)
    finally:
        engine.dispose()


def run(*, rows: int, sweeps: int) -> list[SweepFigures | str]:
    """Figures on SQLite and PostgreSQL (or why PostgreSQL was skipped)."""
    found: list[SweepFigures | str] = []
    with tempfile.TemporaryDirectory(prefix="citykey-sweep-") as tmp:
        found.append(measure("SQLite", sqlite_url(Path(tmp) / "sweep.db"), rows=rows, sweeps=sweeps))
    with fresh_postgresql() as pg:
        if pg is None:
            found.append(f"PostgreSQL: skipped, no server at {PG_ADMIN_URL}")
        else:
            found.append(measure("PostgreSQL", pg, rows=rows, sweeps=sweeps))
    return found
