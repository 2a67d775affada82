"""A persistent replay cache: each key-binding JWT is accepted once within its window.

One-way scanners (turnstiles, handhelds) show no challenge, so a copied QR code
would verify again until its KB-JWT grows too old. The cache remembers every
accepted KB-JWT until that moment and refuses it a second time (`replayed`).

    CREATE TABLE replay (key BLOB PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID

`key` is SHA-256 over the KB-JWT's signing input (`header.payload`), not over
its signature: an ECDSA signature (r, s) has a twin (r, n − s) that verifies
too, so anyone holding a copy could mint a second, different-looking token;
the signed bytes themselves cannot change without the holder's key, and a
wallet's random nonce makes them unique per presentation. `expires` is Unix
seconds; rows at or past it are purged by every write.

SQLite in WAL mode with `synchronous=FULL`: an acceptance is on disk before it
is reported, and a restart (or a second process on the same file) still knows
it. `check_and_remember` is one `BEGIN IMMEDIATE` transaction, so of two
threads or processes presenting the same key at once exactly one wins. The
table holds hashes and times only: nothing about the holder.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0


class ReplayCache:
    """A replay cache in one SQLite file, safe to share between threads and processes."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so the transaction is exactly ours.
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            with self._transaction():
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise sqlite3.DatabaseError(f"{self.path} is a replay cache of unknown version {version}")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS replay (key BLOB PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID"
                )
                self._db.execute("CREATE INDEX IF NOT EXISTS replay_expires ON replay (expires)")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            self._db.close()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """`BEGIN IMMEDIATE` … `COMMIT` (`ROLLBACK` on error), holding this object's lock throughout."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def check_and_remember(self, key: bytes, *, expires: int, now: int) -> bool:
        """Remember `key` until `expires`; False if it was already remembered and not yet expired.

        Atomic: purge, insert-if-absent and commit happen in one write transaction.
        """
        with self._transaction():
            self._db.execute("DELETE FROM replay WHERE expires <= ?", (now,))
            inserted = self._db.execute(
                "INSERT INTO replay (key, expires) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, expires)
            ).rowcount
        return inserted == 1

    def seen(self, key: bytes, *, now: int) -> bool:
        """Whether `key` is remembered and unexpired (read only; for reporting, not for deciding)."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM replay WHERE key = ? AND expires > ?", (key, now)).fetchone()
        return row is not None

    def purge(self, *, now: int) -> int:
        """Forget every key whose window has closed; return how many."""
        with self._transaction():
            return self._db.execute("DELETE FROM replay WHERE expires <= ?", (now,)).rowcount

    def __len__(self) -> int:
        with self._lock:
            count: int = self._db.execute("SELECT count(*) FROM replay").fetchone()[0]
        return count

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ReplayCache:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
