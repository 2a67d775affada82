"""Renewal spends what it is shown, and a receipt keeps its power over every batch renewed from it.

The attack: a copy of a resident's wallet (a stolen phone, a backup) renews, then the
resident revokes with her receipt. The thief's batch must be revoked with hers, and so
must whatever the thief renewed from it; once she has revoked, the copy cannot renew at
all; and one credential renews once, however the requests race. Through HTTP (the
OpenID4VCI service) and at the status registry, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from issuer import renewal as renewal_logic
from issuer.db import renewals
from issuer.errors import OAuthError
from issuer.statuslists import StatusRef, StatusRegistry, sweep_renewals
from tests.issuer.oid4vci_kit import PERSONAL_VALUES, Kit, service
from tests.issuer.test_oid4vci_renewal import BUS, DAY, NONCE, enrol, error, everything, imported, renewal
from verifier import Policy, verify
from wallet.model import Wallet
from wallet_spec.errors import AlreadyRenewed, Revoked, VerificationFailed
from wallet_spec.profile import IDENTITY, RESIDENCY_VCT


def refused_as_revoked(kit: Kit, wallet: Wallet) -> None:
    """Every credential of `wallet`, presented to a bus, is refused as revoked by the published bundle."""
    bundle = kit.bundle()
    for credential in wallet.credentials:
        text, _ = wallet.present([], nonce=NONCE, aud=BUS, vct=credential.vct)
        with pytest.raises(VerificationFailed) as refused:
            verify(text, bundle, Policy(nonce=NONCE, aud=BUS), now=kit.now)
        assert "revoked" in refused.value.codes


def accepted(kit: Kit, wallet: Wallet) -> None:
    text, _ = wallet.present([("resident_of",)], nonce=NONCE, aud=BUS, vct=RESIDENCY_VCT)
    assert verify(text, kit.bundle(), Policy(nonce=NONCE, aud=BUS), now=kit.now).claims["resident_of"]


def revoke(kit: Kit, receipt: str) -> int:
    response = kit.client.post("/revocations", json={"receipt": receipt})
    assert response.status_code == 200, response.text
    revoked: int = response.json()["revoked"]
    return revoked


# --- through HTTP ----------------------------------------------------------------------------------------------


def test_thief_renews_then_resident_revokes_the_thiefs_batch_is_revoked(kit: Kit) -> None:
    resident = enrol(kit)
    thief = copy.deepcopy(resident)  # the copy: same credentials, same holder keys, same receipt
    stolen = imported(*renewal(kit, thief))  # like `citykey wallet renew --keep-old`: no receipt handed in
    accepted(kit, stolen)
    again = imported(*renewal(kit, stolen, wanted={"identity": 1, "residency": 1}))  # and renews what it renewed
    accepted(kit, again)

    assert revoke(kit, resident.receipts[0]) == 8 + 4 + 2  # her batch, the thief's, and the thief's renewal of it
    refused_as_revoked(kit, resident)
    refused_as_revoked(kit, stolen)
    refused_as_revoked(kit, again)
    assert "revoked" in error(renewal(kit, again)[0], 400, "invalid_grant")


def test_resident_revokes_then_thief_cannot_renew(kit: Kit) -> None:
    resident = enrol(kit)
    thief = copy.deepcopy(resident)
    assert revoke(kit, resident.receipts[0]) == 8
    description = error(renewal(kit, thief)[0], 400, "invalid_grant")
    assert "revoked" in description


def test_a_thief_that_hands_in_the_stolen_receipt_cannot_cut_the_residents_receipt_loose(kit: Kit) -> None:
    resident = enrol(kit)
    thief = copy.deepcopy(resident)
    response, fresh = renewal(kit, thief, receipts=thief.receipts)  # the default renew: revoke the old batch
    assert response.json()["revoked"] == 8
    stolen = imported(response, fresh)
    accepted(kit, stolen)
    revoke(kit, resident.receipts[0])
    refused_as_revoked(kit, stolen)


def test_a_credential_renews_once(kit: Kit) -> None:
    wallet = enrol(kit, per_type=1)  # one identity credential
    imported(*renewal(kit, wallet, wanted={"identity": 1}))
    description = error(renewal(kit, wallet, wanted={"identity": 1})[0], 400, "invalid_grant")
    assert "already_renewed" in description


def test_another_credential_of_the_same_batch_renews_too_and_stays_under_the_receipt(kit: Kit) -> None:
    wallet = enrol(kit)  # two identity credentials: each renews once
    first = imported(*renewal(kit, wallet, wanted={"identity": 1}))
    second = imported(*renewal(kit, wallet, wanted={"identity": 1}))
    assert "already_renewed" in error(renewal(kit, wallet, wanted={"identity": 1})[0], 400, "invalid_grant")
    revoke(kit, wallet.receipts[0])
    refused_as_revoked(kit, first)
    refused_as_revoked(kit, second)


def test_renewing_with_the_old_receipt_does_not_revoke_the_new_batch(kit: Kit) -> None:
    wallet = enrol(kit)
    response, fresh = renewal(kit, wallet, receipts=wallet.receipts)
    assert response.json()["revoked"] == 8
    new = imported(response, fresh)
    accepted(kit, new)
    assert imported(*renewal(kit, new, receipts=new.receipts)).credentials  # and it renews in turn


def test_two_renewals_racing_with_one_credential_exactly_one_wins(db_url: str, tmp_path: Path) -> None:
    with service(tmp_path, db_url=db_url) as kit:
        wallet = enrol(kit, per_type=1)
        chosen = wallet.pick(IDENTITY.vct)
        bodies = []
        for _ in range(4):
            nonce = kit.nonce()
            presentation, _ = wallet.present(everything(wallet), nonce=nonce, aud=kit.state.issuer_id, iat=kit.now,
                                             vct=IDENTITY.vct)
            assert wallet.pick(IDENTITY.vct) is chosen
            request_ = {"credential_configuration_id": "identity", "proofs": {"jwt": kit.proofs(1, nonce=nonce)[1]}}
            bodies.append({"presentation": presentation, "credential_requests": [request_]})
        results: list[Any] = []
        barrier = threading.Barrier(len(bodies))

        def run(body: dict[str, Any]) -> None:
            barrier.wait()
            try:
                results.append(renewal_logic.renew(kit.state, body, now=kit.now))
            except OAuthError as exc:
                results.append(exc)

        threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, OAuthError)]
        assert len(won) == 1, results
        assert len(lost) == len(bodies) - 1, results
        assert all(r.error == "invalid_grant" and "already_renewed" in r.description for r in lost)
        with kit.state.engine.connect() as conn:
            assert len(conn.execute(select(renewals)).all()) == 1  # one link: the winner's one credential


def test_the_renewals_table_holds_status_references_only(kit: Kit) -> None:
    wallet = enrol(kit)
    imported(*renewal(kit, wallet, wanted={"identity": 1, "residency": 2}))
    with kit.state.engine.connect() as conn:
        rows = conn.execute(select(renewals)).all()
    assert len(rows) == 3
    assert all(isinstance(value, int) for row in rows for value in row)
    assert len({(row.from_list, row.from_idx) for row in rows}) == 1
    assert not any(value in str(rows) for value in PERSONAL_VALUES)


# --- at the status registry, on SQLite and PostgreSQL -------------------------------------------------------------


def links(registry: StatusRegistry) -> int:
    with registry.engine.connect() as conn:
        return len(conn.execute(select(renewals)).all())


def bits(registry: StatusRegistry, refs: list[StatusRef]) -> list[int]:
    found = dict(registry.lists())
    return [found[ref.uri].get(ref.idx) for ref in refs]


def test_revocation_follows_renewals_transitively(make_registry: Callable[..., StatusRegistry]) -> None:
    registry = make_registry(list_size=64)
    first, unrelated = registry.allocate(3), registry.allocate(2)
    second = registry.allocate(3)
    third = registry.allocate(2)
    registry.renew(first[0], second, expires=2 * DAY)
    registry.renew(second[1], third, expires=3 * DAY)
    assert [registry.renewed(ref) for ref in (first[0], second[1], first[1])] == [True, True, False]
    assert registry.revoke(first) == 8
    assert bits(registry, first + second + third) == [1] * 8
    assert bits(registry, unrelated) == [0, 0]
    assert registry.revoke(second) == 0  # already revoked, all of it


def test_a_spent_or_revoked_credential_renews_no_more(make_registry: Callable[..., StatusRegistry]) -> None:
    registry = make_registry(list_size=64)
    batch = registry.allocate(2)
    registry.renew(batch[0], registry.allocate(1), expires=DAY)
    with pytest.raises(AlreadyRenewed):
        registry.renew(batch[0], registry.allocate(1), expires=DAY)
    registry.revoke([batch[1]])
    with pytest.raises(Revoked):
        registry.renew(batch[1], registry.allocate(1), expires=DAY)
    assert links(registry) == 1


def test_renewals_racing_at_the_registry_exactly_one_wins(make_registry: Callable[..., StatusRegistry]) -> None:
    registry = make_registry(list_size=256)
    spent = registry.allocate(1)[0]
    batches = [registry.allocate(2) for _ in range(6)]
    barrier = threading.Barrier(len(batches))
    outcomes: list[str] = []

    def run(successors: list[StatusRef]) -> None:
        barrier.wait()
        try:
            registry.renew(spent, successors, expires=DAY)
            outcomes.append("won")
        except AlreadyRenewed:
            outcomes.append("already_renewed")

    threads = [threading.Thread(target=run, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["already_renewed"] * 5 + ["won"]
    assert links(registry) == 2


def race_once(registry: StatusRegistry) -> tuple[str, list[StatusRef]]:
    """A renewal with a batch's credential and the revocation of that batch, started together."""
    batch, successors = registry.allocate(2), registry.allocate(3)
    barrier = threading.Barrier(2)
    outcome: list[str] = []

    def renew() -> None:
        barrier.wait()
        try:
            registry.renew(batch[0], successors, expires=DAY)
            outcome.append("renewed")
        except Revoked:
            outcome.append("refused")

    def revoke() -> None:
        barrier.wait()
        registry.revoke(batch)

    threads = [threading.Thread(target=renew), threading.Thread(target=revoke)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcome) == 1
    return outcome[0], successors


def test_a_renewal_racing_a_revocation_never_escapes_it(make_registry: Callable[..., StatusRegistry]) -> None:
    registry = make_registry(list_size=512)
    for _ in range(8):
        outcome, successors = race_once(registry)
        # Either way the successors are not usable: revoked with the batch, or never handed out.
        if outcome == "renewed":
            assert bits(registry, successors) == [1, 1, 1]
        else:
            assert outcome == "refused"


def test_a_chain_of_links_outlives_its_middle_batch(make_registry: Callable[..., StatusRegistry]) -> None:
    registry = make_registry(list_size=64)
    first, second, third = registry.allocate(1), registry.allocate(1), registry.allocate(1)
    registry.renew(first[0], second, expires=10 * DAY)
    registry.renew(second[0], third, expires=20 * DAY)
    with registry.engine.begin() as conn:
        sweep_renewals(conn, now=15 * DAY)  # the second batch has expired, the third has not
    assert registry.revoke(first) == 3
    with registry.engine.begin() as conn:
        sweep_renewals(conn, now=20 * DAY)
    assert links(registry) == 0
