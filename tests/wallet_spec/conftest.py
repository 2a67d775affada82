"""The city's key store and status registry for the contract's tests that need a real bundle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from issuer.db import create_schema, make_engine, sqlite_url
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import status_base_uri
from keys import KeyStore
from tests.support import CITY_NOW, CITY_PASSPHRASE, SPRINGFIELD


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore.init(tmp_path / "keys", SPRINGFIELD, CITY_PASSPHRASE, now=CITY_NOW)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[StatusRegistry]:
    engine = make_engine(sqlite_url(tmp_path / "issuer.db"))
    create_schema(engine)
    yield StatusRegistry(engine, status_base_uri(SPRINGFIELD), list_size=1024)
    engine.dispose()
