"""The trust bundle (`issuer.trust_bundle.build_bundle`) and the root kept offline.

The root signs the key list; the store keeps the signed list and the bundle
reuses it while it is current, so the root key file can live on offline media.
When the list must change (a rotation, a revocation, an expiry close at hand)
the root must come back, and without it building a bundle fails with a
KeyStoreError that says so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from issuer.db import create_schema, make_engine
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import BUNDLE_INTERVAL, STATUS_LIFETIME, STATUS_TTL, build_bundle, status_base_uri
from keys import KeyStore
from keys.store import DEFAULT_KEY_LIST_RENEWAL, DEFAULT_KEY_LIST_VALIDITY
from wallet_spec import jws
from wallet_spec.bundle import load_bundle
from wallet_spec.errors import KeyStoreError

NOW = 1_767_225_600 + 37_000
"""2026-01-01T10:16:40Z."""
DAY = 86_400
ISSUER = "https://id.springfield.example"
PASSPHRASE = b"correct horse battery staple"


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE, now=NOW)


@pytest.fixture
def registry(sqlite_db_url: str) -> Iterator[StatusRegistry]:
    engine = make_engine(sqlite_db_url)
    create_schema(engine)
    yield StatusRegistry(engine, status_base_uri(ISSUER), list_size=8)
    engine.dispose()


def key_list_token(bundle: str) -> str:
    token: str = jws.parse(bundle).payload["key_list"]
    return token


def take_root_offline(store: KeyStore, tmp_path: Path) -> Path:
    offline = tmp_path / "offline" / "root.pem"
    offline.parent.mkdir()
    shutil.move(store.key_file(store.root_thumbprint), offline)
    return offline


def test_the_bundle_carries_the_key_list_and_a_fresh_token_per_status_list(
    store: KeyStore, registry: StatusRegistry
) -> None:
    registry.allocate(10)  # lists of 8 entries: two lists
    text = build_bundle(store, registry, PASSPHRASE, now=NOW)
    bundle = load_bundle(text, store.root_thumbprint, now=NOW)
    assert (bundle.issuer, bundle.issued_at, bundle.next_update) == (ISSUER, NOW, NOW + BUNDLE_INTERVAL)
    assert jws.parse(text).header["kid"] == store.active().kid
    assert [k.kid for k in bundle.key_list.keys] == [store.active().kid]
    assert set(bundle.status_lists) == {registry.uri(1), registry.uri(2)}
    for token in jws.parse(text).payload["status_lists"]:
        claims = jws.parse(token).payload
        assert (claims["iat"], claims["exp"], claims["ttl"]) == (NOW, NOW + STATUS_LIFETIME, STATUS_TTL)
    assert store.published_key_list_file.read_text() == key_list_token(text)


def test_the_saved_key_list_is_reused_while_current_so_the_root_can_stay_offline(
    store: KeyStore, registry: StatusRegistry, tmp_path: Path
) -> None:
    first = build_bundle(store, registry, PASSPHRASE, now=NOW)
    take_root_offline(store, tmp_path)
    last_day = NOW + DEFAULT_KEY_LIST_VALIDITY - DEFAULT_KEY_LIST_RENEWAL - 1
    for now in (NOW + 3600, NOW + 10 * DAY, last_day):
        later = build_bundle(store, registry, PASSPHRASE, now=now)
        assert key_list_token(later) == key_list_token(first)
        assert load_bundle(later, store.root_thumbprint, now=now).issued_at == now


def test_the_root_re_signs_the_key_list_after_a_rotation(store: KeyStore, registry: StatusRegistry) -> None:
    first = build_bundle(store, registry, PASSPHRASE, now=NOW)
    old = store.active().kid
    new = store.rotate(PASSPHRASE, now=NOW + 3600, max_credential_lifetime=365 * DAY).kid
    text = build_bundle(store, registry, PASSPHRASE, now=NOW + 3600)
    assert key_list_token(text) != key_list_token(first)
    bundle = load_bundle(text, store.root_thumbprint, now=NOW + 3600)
    assert [k.kid for k in bundle.key_list.keys] == [old, new]  # the old key still verifies its credentials
    assert jws.parse(text).header["kid"] == new  # and only the new one signs
    assert store.published_key_list_file.read_text() == key_list_token(text)


def test_the_root_re_signs_a_key_list_close_to_expiry(store: KeyStore, registry: StatusRegistry) -> None:
    first = build_bundle(store, registry, PASSPHRASE, now=NOW)
    renew_at = NOW + DEFAULT_KEY_LIST_VALIDITY - DEFAULT_KEY_LIST_RENEWAL
    text = build_bundle(store, registry, PASSPHRASE, now=renew_at)
    assert key_list_token(text) != key_list_token(first)
    assert load_bundle(text, store.root_thumbprint, now=renew_at).key_list.iat == renew_at


def test_with_the_root_offline_a_saved_key_list_close_to_expiry_is_used_until_it_expires(
    store: KeyStore, registry: StatusRegistry, tmp_path: Path
) -> None:
    """An offline root must not stop publication early: /health counts down, the city runs its ceremony."""
    first = build_bundle(store, registry, PASSPHRASE, now=NOW)
    take_root_offline(store, tmp_path)
    late = NOW + DEFAULT_KEY_LIST_VALIDITY - DEFAULT_KEY_LIST_RENEWAL + DAY
    text = build_bundle(store, registry, PASSPHRASE, now=late)
    assert key_list_token(text) == key_list_token(first)
    assert load_bundle(text, store.root_thumbprint, now=late).key_list.exp > late


@pytest.mark.parametrize("change", ["rotate", "revoke", "expiry", "damaged", "first-bundle"])
def test_without_the_root_a_key_list_that_must_be_re_signed_is_a_keystore_error(
    store: KeyStore, registry: StatusRegistry, tmp_path: Path, change: str
) -> None:
    if change != "first-bundle":
        build_bundle(store, registry, PASSPHRASE, now=NOW)
    offline = take_root_offline(store, tmp_path)
    when = NOW + 3600
    if change == "rotate":
        store.rotate(PASSPHRASE, now=when, max_credential_lifetime=365 * DAY)
    elif change == "revoke":
        store.revoke(store.active().kid, reason="compromised", now=when, passphrase=PASSPHRASE)
    elif change == "expiry":
        when = NOW + DEFAULT_KEY_LIST_VALIDITY  # the saved list has expired
    elif change == "damaged":
        store.published_key_list_file.write_text("not a key list")
    saved = store.published_key_list_file.read_text() if store.published_key_list_file.exists() else None
    with pytest.raises(KeyStoreError, match="root") as refused:
        build_bundle(store, registry, PASSPHRASE, now=when)
    assert "offline" in refused.value.message
    assert refused.value.code == "keystore_error"
    now_saved = store.published_key_list_file.read_text() if store.published_key_list_file.exists() else None
    assert now_saved == saved
    shutil.move(offline, store.key_file(store.root_thumbprint))  # the ceremony: root back, sign, root away
    text = build_bundle(store, registry, PASSPHRASE, now=when)
    assert load_bundle(text, store.root_thumbprint, now=when).issued_at == when
