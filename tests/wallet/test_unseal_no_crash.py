"""`unseal` on any bytes, and on any sealed JSON: a wallet or a typed CitykeyError (docs/security.md item 12).

A wallet file may be damaged on disk or replaced; opening it must say so in plain words, not
escape as ValueError or KeyError, and not fail later at first use. Bounded and fast: the
scrypt cost is the tests' (N = 2**10).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallet import model as wallet_module
from wallet.model import Wallet, seal, unseal
from wallet_spec.errors import CitykeyError
from wallet_spec.jwk import PrivateKey, public_key_from_jwk
from wallet_spec.keylist import signing_kid
from wallet_spec.profile import Resident, issue_credential

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])
PASSPHRASE = b"five random words for my wallet"
NOW = 1_767_225_600 + 37_000

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(
    max_size=10
)
_json = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallet_module, "_SCRYPT_LOG_N", 10)


@pytest.fixture(scope="module")
def wallet_json(resident: Resident, issuer_key: PrivateKey) -> dict[str, Any]:
    wallet = Wallet()
    for idx, jwk in enumerate(wallet.new_holder_keys(2)):
        wallet.import_credential(issue_credential(
            resident, issuer="https://id.example", signing_key=issuer_key, kid=signing_kid(issuer_key),
            holder_key=public_key_from_jwk(jwk), status_idx=idx, status_uri="https://id.example/status/1", now=NOW,
        ).serialize())
    wallet.receipts.append("ckr1.payload.mac")
    result: dict[str, Any] = json.loads(json.dumps(wallet.to_json()))
    return result


class Sealed:
    """Anything with `to_json`, so `seal` writes exactly the JSON we choose, authenticated."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def to_json(self) -> Any:
        return self.obj


def opens_or_typed(blob: bytes) -> Wallet | CitykeyError:
    try:
        return unseal(blob, PASSPHRASE)
    except CitykeyError as exc:
        return exc


@FUZZ
@given(blob=st.binary(max_size=120) | st.binary(max_size=80).map(lambda b: b"ckw1" + b))
def test_any_bytes_open_or_are_a_typed_error(blob: bytes) -> None:
    assert isinstance(opens_or_typed(blob), CitykeyError)  # nothing random authenticates


@FUZZ
@given(obj=_json)
def test_any_sealed_json_opens_or_is_a_typed_error(obj: Any) -> None:
    opens_or_typed(seal(Sealed(obj), PASSPHRASE))  # type: ignore[arg-type]


@FUZZ
@given(data=st.data(), value=_json)
def test_a_sealed_wallet_with_any_one_field_replaced_opens_or_is_a_typed_error(
    wallet_json: dict[str, Any], data: st.DataObject, value: Any
) -> None:
    obj = json.loads(json.dumps(wallet_json))
    node: Any = obj
    path = []
    while isinstance(node, dict | list) and node and data.draw(st.booleans(), label="deeper"):
        key = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))), label="key")
        path.append(key)
        if not isinstance(node[key], dict | list) or not node[key]:
            break
        node = node[key]
    if path:
        parent = obj
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    result = opens_or_typed(seal(Sealed(obj), PASSPHRASE))  # type: ignore[arg-type]
    if isinstance(result, Wallet):
        # What opens is usable at once: choosing and presenting raise nothing untyped.
        for stored in result.credentials:
            with contextlib.suppress(CitykeyError):
                result.present([("resident_of",)], aud="https://gate.example", vct=stored.vct)
