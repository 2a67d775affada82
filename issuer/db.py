"""The issuer's storage: one SQLAlchemy Core schema on SQLite (default) or PostgreSQL.

What may be stored is a short fixed list (docs: DESIGN.md, "What the issuer may
persist"); every table is declared here, in `metadata`, so a test can dump the
whole database and check that nothing else was written: the status lists and
their allocation bitmaps; pending offers (encrypted under a key only the
pre-authorized code gives, deleted on redemption or expiry); clerk accounts;
audit events (hour, office, event type, count); unexpired nonces; and the
renewal links (a renewed credential's status reference and those of the batch
issued for it). No row per resident or per credential issued at the desk, nothing
a subpoena could turn into a list of holders.

SQLite (``sqlite:///path/issuer.db``, the default) runs in WAL mode with
``synchronous=FULL`` (every commit is fsynced: a revocation survives a power
cut), a busy timeout, and write transactions opened with ``BEGIN IMMEDIATE``
so that concurrent writers, threads or processes, queue for the write lock
instead of failing on a read-to-write upgrade. PostgreSQL
(``postgresql+psycopg://user@host/db``) serves several issuer instances; its
writers lock the rows they change (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.types import TypeEngine

from wallet_spec.errors import KeyStoreMismatch

_log = logging.getLogger("citykey.issuer.db")

DEFAULT_URL = "sqlite:///issuer.db"
BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the write lock before giving up."""

_WRITE = "citykey_write"
_SCHEMA_LOCK = 0x636B_0001
"""PostgreSQL advisory lock id taken while creating the schema (two instances may start at once)."""
BOOKING_LOCK = 0x636B_0002
"""PostgreSQL advisory lock id held while a booking counts a slot's places and takes one."""

metadata = MetaData()


def _column(name: str, kind: type[TypeEngine[Any]], doc: str | None = None, **options: Any) -> Column[Any]:
    """A column that may not be NULL (none of ours may), with what it holds as its `doc`."""
    return Column(name, kind, nullable=False, doc=doc, **options)


status_lists = Table(
    "status_lists",
    metadata,
    _column("list_id", Integer, primary_key=True, autoincrement=False),
    _column("status", LargeBinary, "The published bits: one per entry, least significant bit first, 1 = revoked."),
    _column("allocated", LargeBinary, "Same layout, 1 = handed out; never cleared, so an index is never reused."),
    _column("unallocated", Integer, "Zero bits left in `allocated`: finds the lists with room without reading them."),
)

pending_offers = Table(
    "pending_offers",
    metadata,
    _column(
        "code_hash",
        LargeBinary,
        "SHA-256 of the row's secret (a pre-authorized code, an offer id, an access token): the row can be"
        " found by whoever holds the secret, and by no one else (`issuer.offers.row_key`).",
        primary_key=True,
    ),
    _column("sealed", LargeBinary, "The row's JSON, AES-GCM under a key derived from the secret (never stored)."),
    _column("expires", BigInteger, "An expired row is deleted on sight and by the sweeper."),
)

clerks = Table(
    "clerks",
    metadata,
    _column("name", Text, primary_key=True),
    _column("password_hash", Text, "argon2id"),
    _column("role", Text, '"clerk" or "admin"'),
    _column("failed_logins", Integer, default=0),
    _column("locked_until", BigInteger, default=0),
    _column(
        "session_generation",
        Integer,
        'Raised by sign-out and "end sessions": every session of the clerk ends (issuer/clerks.py).',
        default=0,
        server_default="0",
    ),
)

audit_events = Table(
    "audit_events",
    metadata,
    _column("id", Integer, primary_key=True, autoincrement=True),
    _column("hour", BigInteger, "The event's time rounded down to the hour."),
    _column("office", Text),
    _column("event", Text, 'e.g. "offer_created", "batch_issued", "revoked"'),
    _column("count", Integer),
)

nonces = Table(
    "nonces",
    metadata,
    _column("nonce_hash", LargeBinary, "SHA-256 of a c_nonce handed to a wallet.", primary_key=True),
    _column("expires", BigInteger),
)

renewals = Table(
    "renewals",
    metadata,
    # One row per credential of a renewed batch: status references only (list number and index).
    _column("from_list", Integer, "The credential presented for the renewal: spent, it cannot renew again."),
    _column("from_idx", Integer),
    _column(
        "to_list",
        Integer,
        "A credential of the batch issued for it: whoever can revoke `from` revokes this too.",
        primary_key=True,
        autoincrement=False,
    ),
    _column("to_idx", Integer, primary_key=True, autoincrement=False),
    _column("expires", BigInteger, "When the last credential reachable through this link expires; swept then."),
    Index("renewals_from", "from_list", "from_idx"),
)

appointments = Table(
    "appointments",
    metadata,
    # One row per booked desk slot: SHA-256 of the random token handed to the booking page, and the
    # slot's start. No name, contact or attribute; deleted when the desk scans the token, or after the slot.
    Column("token_hash", LargeBinary, primary_key=True),
    Column("slot", BigInteger, nullable=False),
    Index("appointments_slot", "slot"),
)


key_store = Table(
    "key_store",
    metadata,
    # One row: the key store this database belongs to. Its status list URIs name that issuer, so a
    # second key store on the same database would publish the same lists under another root.
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("issuer_id", Text, nullable=False),
    Column("root_thumbprint", Text, nullable=False),
)


def bind_key_store(engine: Engine, issuer_id: str, root_thumbprint: str) -> None:
    """Record which key store this database belongs to; refuse a database made with another one.

    The first issuer to open an empty database writes the row; every later opening compares.
    """
    with write_transaction(engine) as conn:
        if is_postgresql(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        row = conn.execute(select(key_store.c.issuer_id, key_store.c.root_thumbprint)).first()
        if row is None:
            conn.execute(insert(key_store).values(id=1, issuer_id=issuer_id, root_thumbprint=root_thumbprint))
            return
    if (row.issuer_id, row.root_thumbprint) != (issuer_id, root_thumbprint):
        raise KeyStoreMismatch(
            f"this issuer database belongs to the key store of {row.issuer_id} with root {row.root_thumbprint}, "
            f"not to the one given ({issuer_id}, root {root_thumbprint}): use that key store, or a new "
            "database for this one (each key store has its own status lists)"
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
    path = _sqlite_path(url)
    if path is not None:
        _create_private(path)
        for warning in loose_permissions(path):
            _log.warning("%s", warning)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for in-memory databases and other engines."""
    if not url.startswith("sqlite:///"):
        return None
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if name in ("", ":memory:") else Path(name)


def _create_private(path: Path) -> None:
    """Create the database's folder (0700) and file (0600) before SQLite does.

    SQLite gives `-wal` and `-shm` the permissions of the database file, so all three
    stay private to the issuer's account whatever the umask: they hold clerks'
    password hashes and the sealed offers.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def loose_permissions(path: Path) -> list[str]:
    """Sentences for the operator about a SQLite database readable or writable by others."""
    found = []
    for candidate in (path.parent, path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            kind = "folder" if candidate.is_dir() else "file"
            wanted = "0700" if candidate.is_dir() else "0600"
            found.append(
                f"the issuer's database {kind} {candidate} has mode {mode:04o}: other accounts on this machine can "
                f"read it (it holds clerks' password hashes); run `chmod {wanted} {candidate}`"
            )
    return found


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


def serialized(conn: Connection, key: int) -> None:
    """Hold PostgreSQL's advisory lock `key` until this transaction ends, so that a read-then-write of
    rows that may not exist yet (a count, a table to create) runs one at a time across instances.
    SQLite needs none: a `write_transaction` holds the database's one write lock from its start."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def create_schema(engine: Engine) -> None:
    """Create every table that does not exist yet; safe to run again and from several instances at once."""
    with write_transaction(engine) as conn:
        serialized(conn, _SCHEMA_LOCK)
        metadata.create_all(conn, checkfirst=True)
        _add_missing_columns(conn)
        _widen_time_columns(conn)
        for index in _ADDED_INDEXES:
            index.create(conn, checkfirst=True)


_ADDED_COLUMNS = (("clerks", "session_generation", "INTEGER NOT NULL DEFAULT 0"),)
"""Columns added after a table's first release: databases made before get them at start-up."""


_ADDED_INDEXES = (
    Index("pending_offers_expires", pending_offers.c.expires),
    Index("nonces_expires", nonces.c.expires),
    Index("renewals_expires", renewals.c.expires),
)
"""Indexes added after their table's first release (`create_all` makes a table's indexes only with the
table, so databases made before get these at start-up): the sweep on every offer, nonce and token
request deletes expired rows by them instead of reading every row of three tables, one of which
grows with every renewed credential."""


TIME_COLUMNS = (
    ("pending_offers", "expires"),
    ("clerks", "locked_until"),
    ("audit_events", "hour"),
    ("nonces", "expires"),
    ("renewals", "expires"),
    ("appointments", "slot"),
)
"""Every column holding Unix seconds: 64-bit (`BIGINT`), as a 32-bit `INTEGER` ends on 19 January 2038
and, on PostgreSQL, refused every expiry after it (a renewal link outlives its credential by up to a
year). SQLite's integers are 64-bit already; PostgreSQL databases made before are widened at start-up."""


def _widen_time_columns(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return
    inspector = inspect(conn)
    for table, column in TIME_COLUMNS:
        kind = next(c["type"] for c in inspector.get_columns(table) if c["name"] == column)
        if not isinstance(kind, BigInteger):
            conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE BIGINT"))


def _add_missing_columns(conn: Connection) -> None:
    inspector = inspect(conn)
    for table, column, ddl in _ADDED_COLUMNS:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
