"""The replay cache on its own: remember once, persist, expire, purge, and stay atomic under contention."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from verifier.replay import ReplayCache

NOW = 1_767_225_600


def key(n: int) -> bytes:
    return hashlib.sha256(str(n).encode()).digest()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "replay.db"


def test_a_key_is_accepted_once_until_it_expires(path: Path) -> None:
    with ReplayCache(path) as cache:
        assert cache.check_and_remember(key(1), expires=NOW + 120, now=NOW)
        assert not cache.check_and_remember(key(1), expires=NOW + 500, now=NOW + 119)
        assert cache.seen(key(1), now=NOW + 119)
        assert not cache.seen(key(2), now=NOW)
        # Its window has closed: the row is gone, and the verifier's own iat check refuses the token anyway.
        assert not cache.seen(key(1), now=NOW + 120)
        assert cache.check_and_remember(key(1), expires=NOW + 240, now=NOW + 120)


def test_a_second_cache_on_the_same_file_remembers_what_the_first_accepted(path: Path) -> None:
    with ReplayCache(path) as first:
        assert first.check_and_remember(key(1), expires=NOW + 60, now=NOW)
    with ReplayCache(path) as restarted:
        assert not restarted.check_and_remember(key(1), expires=NOW + 60, now=NOW + 1)
        assert restarted.check_and_remember(key(2), expires=NOW + 60, now=NOW + 1)
        assert len(restarted) == 2


def test_every_write_purges_expired_rows(path: Path) -> None:
    with ReplayCache(path) as cache:
        for n in range(10):
            cache.check_and_remember(key(n), expires=NOW + n, now=NOW - 1)
        assert len(cache) == 10
        assert cache.check_and_remember(key(100), expires=NOW + 60, now=NOW + 5)
        assert len(cache) == 5  # expires 0..5 purged (at or before now), 6..9 kept, plus the new one
        assert cache.purge(now=NOW + 8) == 3
        assert len(cache) == 2
        assert cache.purge(now=NOW + 8) == 0


def test_the_file_is_wal_with_full_sync_and_versioned(path: Path) -> None:
    with ReplayCache(path) as cache:
        assert cache._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [(row[1], row[2]) for row in db.execute("PRAGMA table_info(replay)")]
        assert columns == [("key", "BLOB"), ("expires", "INTEGER")]
    finally:
        db.close()


def test_a_file_of_another_version_or_not_a_database_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    db = sqlite3.connect(newer)
    db.execute("PRAGMA user_version = 7")
    db.close()
    with pytest.raises(sqlite3.DatabaseError, match="unknown version 7"):
        ReplayCache(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database file, not even close" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        ReplayCache(junk)


@pytest.mark.parametrize("shared", [True, False], ids=["one-object", "object-per-thread"])
def test_of_many_threads_presenting_one_key_at_once_exactly_one_wins(path: Path, shared: bool) -> None:
    threads = 8
    one = ReplayCache(path)
    caches = [one if shared else ReplayCache(path) for _ in range(threads)]
    barrier = threading.Barrier(threads)
    results: list[bool] = []
    lock = threading.Lock()

    def scan(cache: ReplayCache) -> None:
        barrier.wait()
        won = cache.check_and_remember(key(1), expires=NOW + 60, now=NOW)
        with lock:
            results.append(won)

    workers = [threading.Thread(target=scan, args=(c,)) for c in caches]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for c in {id(c): c for c in caches}.values():
        c.close()
    assert sorted(results) == [False] * (threads - 1) + [True]


def _scan_in_process(path: str, barrier: Any, queue: Any) -> None:
    with ReplayCache(path) as cache:
        barrier.wait()
        queue.put(cache.check_and_remember(key(1), expires=NOW + 60, now=NOW))


def test_of_several_processes_on_one_file_exactly_one_wins(path: Path) -> None:
    """Two validators at one gate sharing a cache file: SQLite's write lock decides, not a Python lock."""
    context = multiprocessing.get_context("fork")
    processes = 4
    barrier = context.Barrier(processes)
    queue: multiprocessing.Queue[bool] = context.Queue()
    ReplayCache(path).close()  # create the schema first, so the racers only race on the key
    workers = [context.Process(target=_scan_in_process, args=(str(path), barrier, queue)) for _ in range(processes)]
    for w in workers:
        w.start()
    results = sorted(queue.get(timeout=30) for _ in workers)
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    assert results == [False] * (processes - 1) + [True]
