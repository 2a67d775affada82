"""The issuer's SQLite files are private to its account (security issue 5)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from issuer.db import create_schema, loose_permissions, make_engine, sqlite_url


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """A permissive umask, as on many servers: the files must still come out private."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_issuer_database_and_its_wal_files_are_private_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "data" / "issuer.db"
    engine = make_engine(sqlite_url(db))
    create_schema(engine)
    with engine.connect() as conn:  # WAL and shared-memory files exist while a connection is open
        assert Path(f"{db}-wal").exists()
        assert Path(f"{db}-shm").exists()
        assert _mode(db.parent) == 0o700
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert _mode(path) == 0o600, f"{path.name} is {_mode(path):04o}"
        conn.close()
    engine.dispose()
    assert loose_permissions(db) == []


def test_a_world_readable_database_is_reported_with_the_fix(
    tmp_path: Path, open_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "issuer.db"
    db.write_bytes(b"")
    db.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="citykey.issuer.db"):
        make_engine(sqlite_url(db)).dispose()
    assert any("mode 0644" in r.getMessage() and f"chmod 0600 {db}" in r.getMessage() for r in caplog.records)
