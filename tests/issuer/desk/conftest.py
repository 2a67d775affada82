"""Fixtures of the desk tests: a desk with one clerk (`desk`), signed in (`signed_in`).

argon2 runs with cheap parameters here (the production ones are checked in
test_desk_clerks.py), and the key store's KDF is cheap as in tests/keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from citykey_io import pem
from issuer import clerks
from tests.issuer.desk.desk_support import CLERK, PASSWORD, Desk, make_desk


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pem, "DEFAULT_COST", pem.ScryptCost(n=16, r=8, p=1))


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clerks, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    made = make_desk(tmp_path)
    clerks.add_clerk(made.state.engine, CLERK, PASSWORD, "clerk")
    yield made
    made.state.engine.dispose()


@pytest.fixture
def signed_in(desk: Desk) -> Desk:
    assert desk.login().status_code == 303
    return desk
