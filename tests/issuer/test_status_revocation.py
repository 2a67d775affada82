"""Revocation sets exactly the named bits, durably; status list tokens carry them, signed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from issuer.db import make_engine
from issuer.statuslists import StatusRef, StatusRegistry
from wallet_spec.errors import StatusRefUnknown, UsageError
from wallet_spec.jwk import generate_private_key
from wallet_spec.statuslist import StatusList, verify_token

Registry = Callable[..., StatusRegistry]
NOW = 1_767_225_600


def revoked_refs(registry: StatusRegistry) -> set[StatusRef]:
    return {StatusRef(uri, i) for uri, sl in registry.lists() for i in range(sl.size) if sl.get(i)}


def test_revoking_sets_exactly_those_bits_and_they_survive_reopening(make_registry: Registry, db_url: str) -> None:
    registry = make_registry(list_size=64)
    refs = registry.allocate(100)  # spans two lists
    chosen = set(refs[::7])
    assert registry.revoke(chosen) == len(chosen)
    assert revoked_refs(registry) == chosen
    registry.engine.dispose()

    reopened = make_engine(db_url)
    try:
        again = StatusRegistry(reopened, registry.base_uri, list_size=64)
        assert revoked_refs(again) == chosen
        assert [uri for uri, _ in again.lists()] == [again.uri(1), again.uri(2)]
    finally:
        reopened.dispose()


def test_revoking_twice_changes_nothing(make_registry: Registry) -> None:
    registry = make_registry()
    refs = registry.allocate(5)
    assert registry.revoke(refs[:3]) == 3
    assert registry.revoke(refs[:3]) == 0
    assert registry.revoke(refs) == 2
    assert revoked_refs(registry) == set(refs)
    assert registry.revoke([]) == 0


@pytest.mark.parametrize(
    "bad",
    [
        StatusRef("https://elsewhere.example/status/1", 0),  # another issuer's list
        StatusRef("https://city.example/status/99", 0),  # a list that does not exist
        StatusRef("https://city.example/status/01", 0),  # not the canonical spelling of list 1
        StatusRef("https://city.example/status/", 0),
        StatusRef("https://city.example/status/1", 64),  # beyond the list
        StatusRef("https://city.example/status/1", -1),
        StatusRef("https://city.example/status/1", True),  # type: ignore[arg-type]
        StatusRef("https://city.example/status/1", "3"),  # type: ignore[arg-type]
    ],
)
def test_revoking_an_unknown_reference_fails_typed_and_changes_nothing(make_registry: Registry, bad: StatusRef) -> None:
    registry = make_registry(list_size=64)
    good = registry.allocate(2)
    with pytest.raises(StatusRefUnknown) as caught:
        registry.revoke([*good, bad])
    assert caught.value.code == "status_ref_unknown"
    assert revoked_refs(registry) == set()


def test_revoking_an_index_that_was_never_allocated_fails(make_registry: Registry) -> None:
    registry = make_registry(list_size=64)
    taken = {ref.idx for ref in registry.allocate(10)}
    free = next(i for i in range(64) if i not in taken)
    with pytest.raises(StatusRefUnknown):
        registry.revoke([StatusRef(registry.uri(1), free)])
    assert revoked_refs(registry) == set()


def test_revoked_index_is_never_handed_out_again(make_registry: Registry) -> None:
    registry = make_registry(list_size=64)
    first = registry.allocate(10)
    registry.revoke(first)
    later = registry.allocate(54) + registry.allocate(1)
    assert not set(first) & set(later)
    assert later[-1].uri == registry.uri(2)


def test_signed_status_list_tokens_verify_and_carry_the_revocations(make_registry: Registry) -> None:
    key = generate_private_key()
    registry = make_registry(list_size=64)
    refs = registry.allocate(70)
    registry.revoke(refs[:4])
    tokens = registry.sign_tokens(key, "city-2026", now=NOW, ttl=3600, lifetime=86_400)
    assert len(tokens) == 2

    seen: dict[str, StatusList] = {}
    for token in tokens:
        verified = verify_token(token, lambda header, _payload: key.public_key(), now=NOW + 60)
        assert (verified.iat, verified.exp, verified.ttl) == (NOW, NOW + 86_400, 3600)
        assert verified.status_list.size == 64
        seen[verified.uri] = verified.status_list
    assert set(seen) == {registry.uri(1), registry.uri(2)}
    assert {StatusRef(uri, i) for uri, sl in seen.items() for i in range(64) if sl.get(i)} == set(refs[:4])


def test_signing_needs_a_positive_ttl_and_lifetime(make_registry: Registry) -> None:
    with pytest.raises(UsageError):
        make_registry().sign_tokens(generate_private_key(), "k", now=NOW, ttl=0, lifetime=10)


def test_registry_needs_a_base_uri(engine: Engine) -> None:
    with pytest.raises(UsageError):
        StatusRegistry(engine, "/")
