"""Expired offers, tokens and nonces are deleted by the issuer's timer, not only when a request comes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from citykey_io import pem
from issuer import app as app_module
from issuer.db import nonces, pending_offers, write_transaction
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore

PASSPHRASE = "passphrase 123456"


def test_the_timer_sweeps_expired_offers_and_nonces_without_a_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pem, "DEFAULT_COST", pem.ScryptCost(n=16, r=8, p=1))
    KeyStore.init(tmp_path / "keys", "https://id.example", PASSPHRASE.encode(), now=int(time.time()))
    settings = IssuerSettings(data_dir=tmp_path, keys_dir=tmp_path / "keys", key_passphrase=PASSPHRASE)  # type: ignore[arg-type]
    state = IssuerState.open(settings)
    past, future = int(time.time()) - 10, int(time.time()) + 600
    with write_transaction(state.engine) as conn:
        conn.execute(insert(pending_offers), [{"code_hash": b"a" * 32, "sealed": b"x", "expires": past},
                                              {"code_hash": b"b" * 32, "sealed": b"x", "expires": future}])
        conn.execute(insert(nonces), [{"nonce_hash": b"n" * 32, "expires": past}])
    app_module._sweep(state)
    with state.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(pending_offers)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(nonces)).scalar_one() == 0
    state.engine.dispose()
