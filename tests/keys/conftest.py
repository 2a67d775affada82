"""Fixtures for the key store tests: a cheap KDF, a fixed clock, a fresh store per test.

The production scrypt cost (about 0.15 s per key file) would make these tests
slow without testing anything more, so every test here lowers it; one test
checks that files get the production cost by default.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citykey_io import pem
from keys import KeyStore

NOW = 1_767_225_600 + 37_000
"""2026-01-01T10:16:40Z: mid-morning, so the midnight rounding of not_before is visible."""
ISSUER = "https://id.springfield.example"
PASSPHRASE = b"correct horse battery staple"
FAST_COST = pem.ScryptCost(n=16, r=8, p=1)


@pytest.fixture
def now() -> int:
    return NOW


@pytest.fixture
def passphrase() -> bytes:
    return PASSPHRASE


@pytest.fixture
def issuer_id() -> str:
    return ISSUER


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "keystore"


@pytest.fixture
def store(store_dir: Path) -> KeyStore:
    return KeyStore.init(store_dir, ISSUER, PASSPHRASE, now=NOW)
