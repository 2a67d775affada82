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

Gates that share one cache (the turnstiles of a station, the scanners of a
library's branches) use Redis instead: `open_replay_cache("redis://host:6379/0")`
gives a `RedisReplayCache`, where remembering is one atomic `SET key 1 NX EX
seconds` (of two gates scanning the same code at once exactly one wins) and
Redis forgets each key when its window closes. Keys are `prefix` + the hex of
the hash; the prefix (`?prefix=…` in the URL, default `citykey:replay:`) keeps
services apart on one server. `open_replay_cache` takes a URL or a SQLite path.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from wallet_spec.errors import ReplayUnavailable

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


DEFAULT_PREFIX = "citykey:replay:"


class RedisReplayCache(ReplayCache):
    """The replay cache on a Redis server, shared by every gate that names the same URL and prefix."""

    def __init__(self, url: str, *, prefix: str | None = None, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        self.prefix = prefix if prefix is not None else query.pop("prefix", DEFAULT_PREFIX)
        query.pop("prefix", None)
        self.url = urlunsplit(parts._replace(query=urlencode(query)))
        self._redis = redis.Redis.from_url(self.url, socket_timeout=timeout, socket_connect_timeout=timeout)

    def _name(self, key: bytes) -> str:
        return self.prefix + key.hex()

    def check_and_remember(self, key: bytes, *, expires: int, now: int) -> bool:
        """`SET NX EX`: atomic on the server; the key lives until the window closes (at least a second)."""
        try:
            return bool(self._redis.set(self._name(key), b"1", nx=True, ex=max(1, expires - now)))
        except redis.RedisError as exc:
            raise ReplayUnavailable(f"the shared replay cache does not answer ({type(exc).__name__})") from None

    def seen(self, key: bytes, *, now: int) -> bool:
        try:
            return bool(self._redis.exists(self._name(key)))
        except redis.RedisError as exc:
            raise ReplayUnavailable(f"the shared replay cache does not answer ({type(exc).__name__})") from None

    def purge(self, *, now: int) -> int:
        return 0  # Redis expires every key itself

    def __len__(self) -> int:
        return sum(1 for _ in self._redis.scan_iter(match=self.prefix + "*", count=1000))

    def close(self) -> None:
        self._redis.close()


def open_replay_cache(location: str | os.PathLike[str]) -> ReplayCache:
    """A replay cache from a `redis://` / `rediss://` / `unix://` URL, or a SQLite file path."""
    text = os.fspath(location)
    if text.startswith(("redis://", "rediss://", "unix://")):
        return RedisReplayCache(text)
    return ReplayCache(text)
