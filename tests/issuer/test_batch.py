"""Issuing a batch and revoking it by receipt (`issuer.batch`), on SQLite and PostgreSQL.

A batch is one credential per holder key, each with its own status index; its
receipt carries exactly those indices under the city's MAC, so the city can
revoke the batch later without having stored anything about the resident.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from citykey.demo import DOLORES
from issuer.batch import MAX_BATCH, issue_batch, revoke_with_receipt
from issuer.db import status_lists
from issuer.receipts import make_receipt, open_receipt
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRef, StatusRegistry
from issuer.trust_bundle import build_bundle, status_base_uri
from keys import KeyStore
from verifier import Policy, verify
from wallet.model import Wallet
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.errors import (
    CitykeyError,
    KeyInvalid,
    PassphraseInvalid,
    ReceiptInvalid,
    StatusRefUnknown,
    UsageError,
)
from wallet_spec.jwk import generate_private_key, private_jwk, public_jwk
from wallet_spec.profile import Resident
from wallet_spec.sdjwt import SdJwt

NOW = 1_767_225_600 + 37_000
"""2026-01-01T10:16:40Z."""
ISSUER = "https://id.springfield.example"
PASSPHRASE = b"correct horse battery staple"
AUD = "https://library.springfield.example"
RESIDENT = DOLORES
"""The demo's resident (`citykey demo`): a full address, born 1957."""


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE, now=NOW)


@pytest.fixture
def registry(engine: Engine) -> StatusRegistry:
    return StatusRegistry(engine, status_base_uri(ISSUER), list_size=256)


def issue(store: KeyStore, registry: StatusRegistry, holders: list[dict[str, Any]], **kwargs: Any) -> Any:
    return issue_batch(kwargs.pop("resident", RESIDENT), holders, registry=registry,
                       keys=SigningKeys.open(store, kwargs.pop("passphrase", PASSPHRASE)), now=NOW, **kwargs)


def ref_of(credential: str) -> StatusRef:
    status = SdJwt.parse(credential).payload()["status"]["status_list"]
    return StatusRef(status["uri"], status["idx"])


def bits(engine: Engine, column: str) -> set[tuple[int, int]]:
    """(list_id, index) of every set bit of the `status` or `allocated` bitmaps."""
    with engine.connect() as conn:
        rows = conn.execute(select(status_lists.c.list_id, status_lists.c[column])).all()
    return {(row[0], i) for row in rows for i in range(len(row[1]) * 8) if row[1][i >> 3] & (1 << (i & 7))}


def revoked(registry: StatusRegistry) -> set[StatusRef]:
    return {StatusRef(registry.uri(list_id), idx) for list_id, idx in bits(registry.engine, "status")}


def trust(store: KeyStore, registry: StatusRegistry) -> TrustBundle:
    return load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW), store.root_thumbprint, now=NOW)


def test_a_batch_is_one_verifying_credential_per_holder_key_each_with_its_own_index(
    store: KeyStore, registry: StatusRegistry
) -> None:
    wallet = Wallet()
    holders = wallet.new_holder_keys(5)
    batch = issue(store, registry, holders)
    assert len(batch.credentials) == 5
    payloads = [SdJwt.parse(c).payload() for c in batch.credentials]
    assert [p["cnf"]["jwk"] for p in payloads] == holders  # in order, one key each
    assert len({ref_of(c) for c in batch.credentials}) == 5
    assert len(bits(registry.engine, "allocated")) == 5
    assert len({c.split(".")[2] for c in batch.credentials}) == 5  # five signatures, nothing shared
    for credential in batch.credentials:
        wallet.import_credential(credential)
    bundle = trust(store, registry)
    seen = set()
    for i in range(5):
        text, used = wallet.present([("given_name",), ("age_over_65",)], nonce=f"n-{i}", aud=AUD, iat=NOW)
        accepted = verify(text, bundle, Policy(required=(("given_name",),), nonce=f"n-{i}", aud=AUD), now=NOW)
        assert (accepted.claims["given_name"], accepted.claims["age_over_65"]) == ("Dolores", True)
        seen.add(used.holder_kid)
    assert len(seen) == 5


def test_the_receipt_opens_to_exactly_the_batch_s_references(store: KeyStore, registry: StatusRegistry) -> None:
    batch = issue(store, registry, Wallet().new_holder_keys(MAX_BATCH))
    refs = open_receipt(store.receipt_mac_key(PASSPHRASE), batch.receipt)
    assert sorted(refs, key=lambda r: (r.uri, r.idx)) == sorted({ref_of(c) for c in batch.credentials},
                                                                key=lambda r: (r.uri, r.idx))
    assert len(refs) == MAX_BATCH
    payload = b64url_decode(batch.receipt.split(".")[1], what="receipt payload").decode()
    assert set(json.loads(payload)) == {"iss", "lists"}
    assert "Dolores" not in payload


def test_revoking_by_receipt_revokes_exactly_that_batch(store: KeyStore, registry: StatusRegistry) -> None:
    lost = issue(store, registry, Wallet().new_holder_keys(3))
    kept = issue(store, registry, Wallet().new_holder_keys(2))
    assert revoke_with_receipt(lost.receipt, keys=SigningKeys.open(store, PASSPHRASE), registry=registry) == 3
    assert revoked(registry) == {ref_of(c) for c in lost.credentials}
    assert revoke_with_receipt(lost.receipt, keys=SigningKeys.open(store, PASSPHRASE), registry=registry) == 0
    bundle = trust(store, registry)
    assert [bundle.status(ref_of(c).uri, ref_of(c).idx, now=NOW) for c in lost.credentials] == [1, 1, 1]
    assert [bundle.status(ref_of(c).uri, ref_of(c).idx, now=NOW) for c in kept.credentials] == [0, 0]


def _with_payload(receipt: str, change: Any) -> str:
    version, payload, mac = receipt.split(".")
    body = json.loads(b64url_decode(payload, what="payload"))
    change(body)
    return ".".join([version, b64url_encode(json.dumps(body, separators=(",", ":")).encode()), mac])


def test_a_bad_receipt_raises_receipt_invalid_and_revokes_nothing(
    store: KeyStore, registry: StatusRegistry, tmp_path: Path
) -> None:
    batch = issue(store, registry, Wallet().new_holder_keys(2))
    other_store = KeyStore.init(tmp_path / "other", ISSUER, PASSPHRASE, now=NOW)
    foreign = make_receipt(other_store.receipt_mac_key(PASSPHRASE), ISSUER, [ref_of(batch.credentials[0])])
    bad = [
        _with_payload(batch.receipt, lambda body: body["lists"][0][1].__setitem__(0, body["lists"][0][1][0] + 1)),
        _with_payload(batch.receipt, lambda body: body["lists"][-1][1].pop()),
        batch.receipt[:-4],
        batch.receipt.replace("ckr2.", "ckr1.", 1),
        foreign,  # well formed, naming our indices, but MACed by another city's key
        "",
        "ckr1..",
        "x" * 10_000,
        None,
    ]
    for receipt in bad:
        with pytest.raises(ReceiptInvalid):
            revoke_with_receipt(receipt, keys=SigningKeys.open(store, PASSPHRASE), registry=registry)  # type: ignore[arg-type]
    assert revoked(registry) == set()


def test_a_receipt_naming_an_index_never_handed_out_revokes_nothing(
    store: KeyStore, registry: StatusRegistry
) -> None:
    batch = issue(store, registry, Wallet().new_holder_keys(2))
    allocated = {idx for _, idx in bits(registry.engine, "allocated")}
    never = next(i for i in range(registry.list_size) if i not in allocated)
    receipt = make_receipt(store.receipt_mac_key(PASSPHRASE), ISSUER,
                           [ref_of(batch.credentials[0]), StatusRef(registry.uri(1), never)])
    with pytest.raises(StatusRefUnknown):
        revoke_with_receipt(receipt, keys=SigningKeys.open(store, PASSPHRASE), registry=registry)
    assert revoked(registry) == set()  # all or nothing


def _holders(kind: str) -> list[dict[str, Any]]:
    if kind == "duplicate":
        jwk = public_jwk(generate_private_key())
        return [jwk, jwk]
    if kind == "too-many":
        return Wallet().new_holder_keys(MAX_BATCH + 1)
    if kind == "none":
        return []
    if kind == "not-a-key":
        return [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}]
    if kind == "private":
        return [private_jwk(generate_private_key())]
    return Wallet().new_holder_keys(2)


@pytest.mark.parametrize(
    ("holders", "change", "error"),
    [
        pytest.param("duplicate", {}, UsageError, id="duplicate-holder-keys"),
        pytest.param("too-many", {}, UsageError, id="more-than-16-keys"),
        pytest.param("none", {}, UsageError, id="no-keys"),
        pytest.param("not-a-key", {}, KeyInvalid, id="not-a-public-key"),
        pytest.param("private", {}, KeyInvalid, id="a-private-key"),
        pytest.param("good", {"passphrase": b"not the store's passphrase"}, PassphraseInvalid, id="wrong-passphrase"),
        pytest.param("good", {"resident": Resident("A", "B", dt.date(1990, 1, 1), "S", extra={"age_over_18": 1})},
                     UsageError, id="extra-claim-clashes-with-the-profile"),
        pytest.param("good", {"resident": Resident("A", "B", dt.date(1990, 1, 1), "S", extra={"cnf": 1})},
                     UsageError, id="extra-claim-clashes-with-a-registered-claim"),
        pytest.param("good", {"resident": Resident("A", "B", dt.date(1990, 1, 1), "S",
                                                    extra={f"x{i}": i for i in range(6)})},
                     UsageError, id="more-claims-than-digests"),
    ],
)
def test_a_refused_batch_allocates_no_index(
    store: KeyStore, registry: StatusRegistry, holders: str, change: dict[str, Any], error: type[CitykeyError]
) -> None:
    issue(store, registry, Wallet().new_holder_keys(1))
    before = bits(registry.engine, "allocated")
    with pytest.raises(error) as refused:
        issue(store, registry, _holders(holders), **change)
    if holders == "good" and "passphrase" in change:
        assert isinstance(refused.value, PassphraseInvalid)
    assert bits(registry.engine, "allocated") == before
