"""Fixtures for the verifier tests: cities made on demand, two residents, cheap KDFs. See springfield.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from citykey_io import pem
from issuer.db import create_schema, make_engine, sqlite_url
from issuer.publish import status_base_uri
from issuer.statuslists import StatusRegistry
from keys import KeyStore
from tests.verifier.springfield import ISSUER, PASSPHRASE, T0, City, CityMaker
from wallet import model as wallet_module
from wallet_spec.profile import Resident


@pytest.fixture(autouse=True)
def fast_kdfs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pem, "DEFAULT_COST", pem.ScryptCost(n=16, r=8, p=1))
    monkeypatch.setattr(wallet_module, "_SCRYPT_LOG_N", 10)


@pytest.fixture
def new_city(tmp_path: Path) -> Iterator[CityMaker]:
    """Make a city in its own directory (`name`): its own root, keys and status database."""
    made: list[City] = []

    def make(name: str, *, issuer: str = ISSUER, list_size: int = 1024, now: int = T0) -> City:
        directory = tmp_path / name
        directory.mkdir()
        engine = make_engine(sqlite_url(directory / "issuer.db"))
        create_schema(engine)
        store = KeyStore.init(directory / "keys", issuer, PASSPHRASE, now=now)
        made.append(City(store, StatusRegistry(engine, status_base_uri(issuer), list_size=list_size), engine))
        return made[-1]

    yield make
    for city in made:
        city.engine.dispose()


@pytest.fixture
def city(new_city: CityMaker) -> City:
    return new_city("springfield")


@pytest.fixture
def erika() -> Resident:
    """65 or over."""
    return Resident("Erika", "Mustermann", dt.date(1958, 3, 15), "Springfield")


@pytest.fixture
def neighbour() -> Resident:
    """Another resident, under 65."""
    return Resident("Max", "Power", dt.date(1990, 7, 1), "Springfield")
