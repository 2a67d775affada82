"""Fixtures of the command-line tests: a city made on demand (tests/citykey/cli.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.citykey.cli import City, make_city


@pytest.fixture
def city(tmp_path: Path) -> Iterator[City]:
    yield from make_city(tmp_path)
