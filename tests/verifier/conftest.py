"""Fixtures for the verifier tests: cities made on demand, two residents, cheap KDFs. See springfield.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from issuer.db import create_schema, make_engine, sqlite_url
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import status_base_uri
from keys import KeyStore
from tests.verifier.springfield import ISSUER, PASSPHRASE, T0, City, CityMaker
from wallet_spec.profile import Resident


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
