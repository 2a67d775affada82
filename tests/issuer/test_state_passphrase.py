"""The service opens its key store with the passphrase variable's exact bytes, UTF-8 or not."""

from __future__ import annotations

import os
from pathlib import Path

from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore

NOW = 1_767_225_600
LATIN1 = b"caf\xe9 au lait, sans sucre"
"""Not UTF-8: what a Latin-1 terminal puts into CITYKEY_KEY_PASSPHRASE."""


def test_a_passphrase_variable_that_is_not_utf8_opens_the_key_store(tmp_path: Path) -> None:
    store = KeyStore.init(tmp_path / "keys", "https://id.springfield.example", LATIN1, now=NOW)
    variable = os.fsdecode(LATIN1)  # what os.environ (and so the settings) hold for those bytes
    settings = IssuerSettings(data_dir=tmp_path, keys_dir=store.directory, key_passphrase=variable)  # type: ignore[arg-type]
    state = IssuerState.open(settings)
    try:
        assert state.passphrase == LATIN1
        assert state.keys.kid == store.active().kid
        assert state.republish(now=NOW).bundle
    finally:
        state.engine.dispose()
