"""Fixtures shared by every test package: a throw-away PostgreSQL database.

Tests that need PostgreSQL take `postgresql_url`. The server is the one at
`CITYKEY_TEST_PG` (default: trust auth on 127.0.0.1:5432, maintenance database
`postgres`). Each test run creates its own database with a random name and
drops it at the end; if the server cannot be reached, those tests are skipped
with the reason shown in the summary.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

PG_ADMIN_URL = os.environ.get("CITYKEY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_configure(config: pytest.Config) -> None:
    # Show why tests were skipped (e.g. "PostgreSQL unreachable") without needing -rs.
    chars = config.option.reportchars
    if "s" not in chars and "a" not in chars.lower():
        config.option.reportchars = chars + "s"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A SQLAlchemy URL (`postgresql+psycopg://`) of a fresh database, dropped after the run."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {str(exc).strip()[:200]}")
    name = f"citykey_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base, _, _ = PG_ADMIN_URL.rpartition("/")
            yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
