"""Constants and helpers shared by the test packages; their fixtures live in the conftest.py files.

* The city every test package uses (`CITY`, `PASSPHRASE`), a fixed clock (`NOW`, `DAY`).
* `cheap_kdfs`: the key store's and the wallet's scrypt cost, lowered for tests. The root
  conftest applies it to every test (autouse); a fixture of wider scope calls it itself, and a
  test marked `production_kdf` keeps the production cost.
* `vector`: the one loader of every vector directory (`RFC9901`, `STATUS_LIST`, `CONFORMANCE`).
* `with_payload`: a token re-encoded with another payload under its original signature.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from keys import pem
from wallet import model as wallet_model
from wallet_spec import profile
from wallet_spec.encoding import b64url_encode

NOW = 1_767_225_600 + 37_000
"""2026-01-01T10:16:40Z: a fixed clock, mid-morning so midnight rounding is visible."""
DAY = 86_400

CITY = "https://id.springfield.example"
"""The city's issuer id."""
PASSPHRASE = "correct horse battery staple"
"""The key store's passphrase in tests (`.encode()` where bytes are wanted)."""

FAST_KEY_COST = pem.ScryptCost(n=16, r=8, p=1)
"""The key store's scrypt cost in tests; production's (`pem.PRODUCTION_COST`) takes ~0.15 s a file."""
FAST_WALLET_LOG_N = 10
"""log2 of the wallet file's scrypt N in tests; production's is at least 15."""


def cheap_kdfs(patch: pytest.MonkeyPatch) -> None:
    """Lower the key store's and the wallet's scrypt cost until `patch` is undone."""
    patch.setattr(pem, "DEFAULT_COST", FAST_KEY_COST)
    patch.setattr(wallet_model, "_SCRYPT_LOG_N", FAST_WALLET_LOG_N)


# --- vectors -------------------------------------------------------------------------------------------------

VECTORS = Path(__file__).resolve().parent / "vectors"
RFC9901 = VECTORS / "rfc9901"
"""RFC 9901's own examples (see its README)."""
STATUS_LIST = VECTORS / "status_list"
"""The Token Status List draft's vectors (see its README)."""
CONFORMANCE = Path(profile.__file__).parent / "vectors"
"""The city profile's conformance vectors, shipped with the package (wallet_spec/vectors/)."""


def vector_names(directory: Path) -> list[str]:
    """The names (without `.json`) of the vectors in one directory, sorted."""
    return sorted(p.stem for p in directory.glob("*.json"))


@cache
def _vector_text(directory: Path, name: str) -> str:
    return (directory / f"{name.removesuffix('.json')}.json").read_text(encoding="utf-8")


def vector(directory: Path, name: str) -> Any:
    """A fresh copy of the vector `name` (with or without `.json`) of `directory`: no test can disturb another."""
    return json.loads(_vector_text(directory, name))


# --- tokens --------------------------------------------------------------------------------------------------


def with_payload(token: str, payload: dict[str, Any]) -> str:
    """The compact JWS re-encoded with another payload but the original signature (no re-signing)."""
    head, _, sig = token.split(".")
    return f"{head}.{b64url_encode(json.dumps(payload, separators=(',', ':')).encode())}.{sig}"
