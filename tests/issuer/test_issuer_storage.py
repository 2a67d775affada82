"""Storage: the schema, SQLite's durability settings, and what the database holds (nothing personal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, LargeBinary, event, inspect, select, text

from issuer.db import TIME_COLUMNS, create_schema, make_engine, metadata, write_transaction
from issuer.statuslists import StatusRegistry

Registry = Callable[..., StatusRegistry]

EXPECTED_SCHEMA = {
    "status_lists": {"list_id", "status", "allocated", "unallocated"},
    "pending_offers": {"code_hash", "sealed", "expires"},
    "clerks": {"name", "password_hash", "role", "failed_logins", "locked_until", "session_generation"},
    "audit_events": {"id", "hour", "office", "event", "count"},
    "nonces": {"nonce_hash", "expires"},
    "renewals": {"from_list", "from_idx", "to_list", "to_idx", "expires"},
    "appointments": {"token_hash", "slot"},
    "key_store": {"id", "issuer_id", "root_thumbprint"},
}
"""Every table the issuer may have and its columns (DESIGN.md, "What the issuer may persist")."""
INDEXES = {
    "pending_offers": [("pending_offers_expires", ["expires"])],
    "nonces": [("nonces_expires", ["expires"])],
    "renewals": [("renewals_expires", ["expires"]), ("renewals_from", ["from_list", "from_idx"])],
    "appointments": [("appointments_slot", ["slot"])],
}


def test_create_schema_is_idempotent(engine: Engine) -> None:
    create_schema(engine)
    create_schema(engine)
    assert set(inspect(engine).get_table_names()) == set(EXPECTED_SCHEMA)


def test_a_database_made_before_the_sweepers_indexes_gets_them_and_the_sweep_uses_them(engine: Engine) -> None:
    create_schema(engine)
    with write_transaction(engine) as conn:
        for name in ("pending_offers_expires", "nonces_expires", "renewals_expires"):
            conn.execute(text(f"DROP INDEX {name}"))
    create_schema(engine)  # start-up
    swept = ("pending_offers", "nonces", "renewals")
    names = {i["name"] for table in swept for i in inspect(engine).get_indexes(table)}
    assert {"pending_offers_expires", "nonces_expires", "renewals_expires"} <= names
    if engine.dialect.name == "sqlite":  # every expired row found by the index, none by reading the table
        with engine.connect() as conn:
            for table in swept:
                query = f"EXPLAIN QUERY PLAN DELETE FROM {table} WHERE expires <= 5"  # noqa: S608 - our table names
                plan = conn.execute(text(query)).all()
                assert [row[-1] for row in plan] == [f"SEARCH {table} USING INDEX {table}_expires (expires<?)"]


def test_every_time_column_holds_times_after_2038_also_in_a_database_made_before(engine: Engine) -> None:
    create_schema(engine)
    if engine.dialect.name == "postgresql":  # as the issuer made them before: 32-bit, full on 19 January 2038
        with write_transaction(engine) as conn:
            for table, column in TIME_COLUMNS:
                conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE INTEGER"))
        create_schema(engine)  # start-up widens them
    later = 2**31 + 3600  # 2038-01-19T04:14:08Z
    with write_transaction(engine) as conn:
        for table, column in TIME_COLUMNS:
            row = {c.name: b"x" * 32 if isinstance(c.type, LargeBinary) else 1 if c.type.python_type is int else "x"
                   for c in metadata.tables[table].columns if c.autoincrement is not True}
            conn.execute(metadata.tables[table].insert().values({**row, column: later}))
    with engine.connect() as conn:
        for table, column in TIME_COLUMNS:
            found = conn.execute(select(metadata.tables[table].c[column])).scalars().all()
            assert found == [later], (table, column)


def test_sqlite_runs_in_wal_with_full_fsync_secure_delete_and_a_busy_timeout(sqlite_db_url: str) -> None:
    engine = make_engine(sqlite_db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
            assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_writers_take_the_write_lock_at_begin(sqlite_db_url: str) -> None:
    engine = make_engine(sqlite_db_url)
    create_schema(engine)
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    try:
        StatusRegistry(engine, "https://city.example/status", list_size=64).allocate(2)
        assert statements[0] == "BEGIN IMMEDIATE"
        statements.clear()
        StatusRegistry(engine, "https://city.example/status").lists()
        assert statements[0] == "BEGIN"

        def delete_then_fail() -> None:
            with write_transaction(engine) as conn:
                conn.execute(text("DELETE FROM status_lists"))
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            delete_then_fail()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM status_lists")).scalar() == 1
    finally:
        engine.dispose()


def test_the_database_holds_only_bitmaps_and_counts(make_registry: Registry, engine: Engine) -> None:
    """Dump every table after allocations and revocations: nothing per credential, no timestamps."""
    registry = make_registry(list_size=64)
    refs = [ref for _ in range(30) for ref in registry.allocate(3)]
    registry.revoke(refs[::5])
    registry.revoke(refs[:2])

    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    assert tables == set(EXPECTED_SCHEMA)
    assert set(metadata.tables) == set(EXPECTED_SCHEMA)
    for name in tables:
        columns = inspector.get_columns(name)
        assert {c["name"] for c in columns} == EXPECTED_SCHEMA[name]
        for column in columns:
            assert not any(word in str(column["type"]).upper() for word in ("DATE", "TIME", "INTERVAL"))
        # Nothing beside the primary key, but the renewal links' lookup from a spent credential,
        # the bookings' count per slot, and the sweeper's way to what has expired.
        found = sorted((i["name"], i["column_names"]) for i in inspector.get_indexes(name))
        assert found == INDEXES.get(name, [])

    with engine.connect() as conn:
        rows = conn.execute(select(metadata.tables["status_lists"])).all()
    assert len(rows) == len(registry.lists()) == 2  # 90 entries in lists of 64: one row per list
    for row in rows:
        assert isinstance(row.list_id, int)
        assert isinstance(row.status, bytes)
        assert isinstance(row.allocated, bytes)
        assert len(row.status) == len(row.allocated) == 8  # always the full list, whatever was issued
        set_bits = sum(bin(b).count("1") for b in row.allocated)
        assert row.unallocated == 64 - set_bits
        # Revoked implies allocated: the status bits are a subset of the allocation bitmap.
        assert all(s & ~a == 0 for s, a in zip(row.status, row.allocated, strict=True))
