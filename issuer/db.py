"""The issuer's storage: one SQLAlchemy Core schema on SQLite (default) or PostgreSQL.

What may be stored is a short fixed list (docs: DESIGN.md, "What the issuer may
persist"); every table is declared here, in `metadata`, so a test can dump the
whole database and check that nothing else was written: the status lists and
their allocation bitmaps; pending offers (encrypted under a key only the
pre-authorized code gives, deleted on redemption or expiry); clerk accounts;
audit events (hour, office, event type, count); and unexpired nonces. No row
per resident or per credential, nothing a subpoena could turn into a list of
holders.

SQLite (``sqlite:///path/issuer.db``, the default) runs in WAL mode with
``synchronous=FULL`` (every commit is fsynced: a revocation survives a power
cut), a busy timeout, and write transactions opened with ``BEGIN IMMEDIATE``
so that concurrent writers, threads or processes, queue for the write lock
instead of failing on a read-to-write upgrade. PostgreSQL
(``postgresql+psycopg://user@host/db``) serves several issuer instances; its
writers lock the rows they change (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    text,
)

DEFAULT_URL = "sqlite:///issuer.db"
BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the write lock before giving up."""

_WRITE = "citykey_write"
_SCHEMA_LOCK = 0x636B_0001
"""PostgreSQL advisory lock id taken while creating the schema (two instances may start at once)."""

metadata = MetaData()

status_lists = Table(
    "status_lists",
    metadata,
    Column("list_id", Integer, primary_key=True, autoincrement=False),
    Column("status", LargeBinary, nullable=False),
    # The published bits: one per entry, least significant bit first, 1 = revoked.
    Column("allocated", LargeBinary, nullable=False),
    # Same layout, 1 = handed out; never cleared, so an index is never reused.
    Column("unallocated", Integer, nullable=False),
    # Zero bits left in `allocated`: finds the lists with room without reading them.
)


pending_offers = Table(
    "pending_offers",
    metadata,
    Column("code_hash", LargeBinary, primary_key=True),
    # SHA-256 of the pre-authorized code: the row can be found by whoever holds the code, and by no one else.
    Column("sealed", LargeBinary, nullable=False),
    # The clerk-entered attributes, AES-GCM under a key derived from the code itself (never stored).
    Column("expires", Integer, nullable=False),
    # Minutes after the offer was made; an expired row is deleted on sight and by the sweeper.
)

clerks = Table(
    "clerks",
    metadata,
    Column("name", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("role", Text, nullable=False),  # "clerk" or "admin"
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", Integer, nullable=False, default=0),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hour", Integer, nullable=False),  # the event's time rounded down to the hour
    Column("office", Text, nullable=False),
    Column("event", Text, nullable=False),  # e.g. "offer_created", "batch_issued", "revoked"
    Column("count", Integer, nullable=False),
)

nonces = Table(
    "nonces",
    metadata,
    Column("nonce_hash", LargeBinary, primary_key=True),  # SHA-256 of a c_nonce handed to a wallet
    Column("expires", Integer, nullable=False),
)


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path)}"


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, full fsync, a busy timeout and `BEGIN IMMEDIATE` writers."""
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module so that _sqlite_on_begin decides its kind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        # Zero freed pages, so superseded bitmaps do not linger in the file's free list.
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: committed when the block ends, rolled back on an exception.

    On SQLite it holds the database's write lock from its first statement
    (`BEGIN IMMEDIATE`), so read-modify-write is safe across threads and
    processes. On PostgreSQL callers lock the rows they change with
    `SELECT ... FOR UPDATE`.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction: one consistent snapshot, no write lock."""
    with engine.connect() as conn, conn.begin():
        yield conn


def create_schema(engine: Engine) -> None:
    """Create every table that does not exist yet; safe to run again and from several instances at once."""
    with write_transaction(engine) as conn:
        if is_postgresql(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        metadata.create_all(conn, checkfirst=True)
