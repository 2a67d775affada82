"""Issuer fixtures: every storage test runs on SQLite and on PostgreSQL.

`db_url` is a fresh, empty database (a SQLite file in tmp_path, or the run's
PostgreSQL database with its tables dropped and re-created); `engine` is an
engine on it with the schema in place; `make_registry` builds registries on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from issuer.db import create_schema, make_engine, metadata, sqlite_url
from issuer.statuslists import StatusRegistry

BASE_URI = "https://city.example/status"
ISSUER = "https://city.example"
MAC_KEY = bytes(range(32))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("db") / "issuer.db")
        return
    url: str = request.getfixturevalue("postgresql_url")
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    yield url
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def sqlite_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return sqlite_url(tmp_path_factory.mktemp("db") / "issuer.db")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def make_registry(engine: Engine) -> Callable[..., StatusRegistry]:
    def make(list_size: int = 64, base_uri: str = BASE_URI) -> StatusRegistry:
        return StatusRegistry(engine, base_uri, list_size=list_size)

    return make


@pytest.fixture(autouse=True)
def fast_key_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key stores made by these tests encrypt their PEMs with a cheap scrypt cost (production's is ~0.15 s a file)."""
    from citykey_io import pem

    monkeypatch.setattr(pem, "DEFAULT_COST", pem.ScryptCost(n=16, r=8, p=1))


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[Any]:
    """A running issuer service for the OpenID4VCI tests (tests/issuer/oid4vci_kit.py)."""
    from tests.issuer.oid4vci_kit import service

    with service(tmp_path) as made:
        yield made
