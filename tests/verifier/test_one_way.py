"""Both ways to present: answering a verifier's request (challenge) and one-way (turnstiles, handhelds).

Springfield (springfield.py) issues real credentials; the verifier decides with
`verifier.verify`, in one-way mode with a persistent `ReplayCache`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from issuer.batch import revoke_with_receipt
from tests.verifier.springfield import (
    AUD,
    BUS,
    DAY,
    PASSPHRASE,
    SHOWN,
    T0,
    City,
    CityMaker,
    Holder,
    accept,
    refusal,
)
from verifier import Policy, ReplayCache, verify
from verifier.policy import ONE_WAY_KB_MAX_AGE
from wallet_spec import jws
from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.errors import ClaimNotFound, UsageError, VerificationFailed
from wallet_spec.jwk import public_key_from_jwk
from wallet_spec.profile import Address, Resident
from wallet_spec.request import encode_request, make_request, parse_request
from wallet_spec.sdjwt import SdJwt

NOW = T0 + 3600
GATE = Policy(required=(("resident_of",), ("age_over_65",)), aud=AUD, one_way=True, kb_max_age=ONE_WAY_KB_MAX_AGE)
"""A senior-fare turnstile: no challenge, a one-minute window, each QR code once."""
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@pytest.fixture
def holder(city: City, erika: Resident) -> Holder:
    return city.enrol(erika, now=T0)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ReplayCache]:
    with ReplayCache(tmp_path / "gate.db") as opened:
        yield opened


def revoke(city: City, holder: Holder) -> None:
    assert revoke_with_receipt(holder.batch.receipt, store=city.store, registry=city.registry,
                               passphrase=PASSPHRASE) == len(holder.batch.credentials)


def one_way(holder: Holder, *, now: int = NOW, aud: str = AUD) -> str:
    text, _ = holder.wallet.present(SHOWN, aud=aud, iat=now)
    return text


def gate(text: str, city: City, cache: ReplayCache, *, now: int = NOW) -> list[str]:
    """The turnstile's answer: [] for accepted, else the sorted codes."""
    try:
        verify(text, city.bundle(now=now), GATE, now=now, replay=cache)
    except VerificationFailed as exc:
        return sorted(exc.codes)
    return []


# --- answering a request ----------------------------------------------------------------------


def test_an_answer_discloses_exactly_the_requested_claims_bound_to_the_requests_nonce_and_aud(city: City) -> None:
    dolores = Resident("Dolores", "Sample", dt.date(1957, 4, 2), "Springfield",
                       Address("100 Example Ave", "Springfield", "00000"))
    holder = city.enrol(dolores, now=T0)
    wanted = ["age_over_65", "address.postal_code"]
    request = parse_request(encode_request(make_request(aud=AUD, claims=wanted, name="Bus", now=NOW)), now=NOW)
    text, used = holder.wallet.answer(request, iat=NOW)
    assert used.uses == 1

    sd_jwt = SdJwt.parse(text)
    assert sorted(d.name or "" for d in sd_jwt.disclosures) == ["address", "age_over_65", "postal_code"]
    kb = jws.parse(sd_jwt.kb_jwt or "").payload
    assert (kb["nonce"], kb["aud"], kb["iat"]) == (request.nonce, request.aud, NOW)

    policy = Policy(required=request.paths, nonce=request.nonce, aud=request.aud)
    accepted = accept(text, city.bundle(now=NOW), now=NOW, policy=policy)
    assert sorted(accepted.disclosed) == [("address",), ("address", "postal_code"), ("age_over_65",)]
    assert accepted.claims["address"] == {"postal_code": "00000"}  # the street and town stay hidden
    assert "given_name" not in accepted.claims

    other = make_request(aud=AUD, claims=wanted, name="Bus", now=NOW)
    assert refusal(text, city.bundle(now=NOW), now=NOW,
                   policy=Policy(required=other.paths, nonce=other.nonce, aud=AUD)) == ["nonce_mismatch"]


def test_an_answer_picks_a_credential_that_holds_the_requested_claims(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    request = make_request(aud=AUD, claims=["resident_of", "shoe_size"], name="Bus", now=NOW)
    with pytest.raises(ClaimNotFound):
        holder.wallet.answer(request, iat=NOW)
    assert [c.uses for c in holder.wallet.credentials] == [0, 0, 0, 0]


# --- one-way -------------------------------------------------------------------------------------


def test_a_one_way_presentation_is_accepted_once_and_then_replayed(city: City, holder: Holder,
                                                                   cache: ReplayCache) -> None:
    text = one_way(holder)
    assert gate(text, city, cache) == []
    assert gate(text, city, cache, now=NOW + 1) == ["replayed"]
    assert gate(one_way(holder, now=NOW + 2), city, cache, now=NOW + 2) == []  # a fresh one passes


def test_a_restarted_verifier_still_refuses_the_replay(city: City, holder: Holder, tmp_path: Path) -> None:
    text = one_way(holder)
    with ReplayCache(tmp_path / "gate.db") as before:
        assert gate(text, city, before) == []
    with ReplayCache(tmp_path / "gate.db") as after:
        assert gate(text, city, after, now=NOW + 5) == ["replayed"]


def test_two_validators_scanning_one_code_at_once_accept_it_exactly_once(
    city: City, holder: Holder, tmp_path: Path
) -> None:
    text = one_way(holder)
    bundle = city.bundle(now=NOW)
    caches = [ReplayCache(tmp_path / "gate.db") for _ in range(2)]
    barrier = threading.Barrier(len(caches))
    outcomes: list[str] = []

    def scan(cache: ReplayCache) -> None:
        barrier.wait()
        try:
            verify(text, bundle, GATE, now=NOW, replay=cache)
            outcomes.append("accepted")
        except VerificationFailed as exc:
            outcomes.append(",".join(exc.codes))

    workers = [threading.Thread(target=scan, args=(c,)) for c in caches]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for c in caches:
        c.close()
    assert sorted(outcomes) == ["accepted", "replayed"]


def test_the_window_is_kb_max_age_plus_a_minute_of_clock_leeway(city: City, holder: Holder,
                                                                cache: ReplayCache) -> None:
    made = NOW - ONE_WAY_KB_MAX_AGE - 60
    assert gate(one_way(holder, now=made), city, cache) == []  # just inside
    late = one_way(holder, now=made - 1)
    assert gate(late, city, cache) == ["kb_iat_invalid"]
    assert gate(late, city, cache, now=made + 5) == []  # not burnt by the rejection above


def test_remembered_presentations_are_forgotten_when_their_window_closes(city: City, holder: Holder,
                                                                         cache: ReplayCache) -> None:
    text = one_way(holder)
    assert gate(text, city, cache) == []
    assert len(cache) == 1
    after = NOW + ONE_WAY_KB_MAX_AGE + 60 + 1
    assert gate(text, city, cache, now=after) == ["kb_iat_invalid"]  # too old now, whatever the cache says
    assert gate(one_way(holder, now=after), city, cache, now=after) == []
    assert len(cache) == 1  # the first row was purged by the second acceptance


def test_a_rejected_presentation_is_not_remembered(new_city: CityMaker, erika: Resident, cache: ReplayCache) -> None:
    # The city has signed bundles for a month, so its key may have signed the stale one below (a bundle
    # dated before its signing key existed is refused as bundle_key_not_valid, docs/security.md item 9).
    city = new_city("springfield-for-a-month", now=T0 - 30 * DAY)
    holder = city.enrol(erika, now=T0)
    text = one_way(holder)
    stale = city.bundle(now=NOW - 8 * DAY + 3600, loaded_at=NOW)  # a verifier that missed its syncs
    with pytest.raises(VerificationFailed) as info:
        verify(text, stale, GATE, now=NOW, replay=cache)
    assert "bundle_stale" in info.value.codes
    assert len(cache) == 0
    assert gate(text, city, cache) == []  # once synced, the resident's same code still works

    revoke(city, holder)
    revoked = one_way(holder, now=NOW + 1)
    assert gate(revoked, city, cache, now=NOW + 1) == ["revoked"]
    assert len(cache) == 1  # only the accepted one


def test_a_replay_is_reported_with_every_other_reason(city: City, holder: Holder, cache: ReplayCache) -> None:
    text = one_way(holder)
    assert gate(text, city, cache) == []
    revoke(city, holder)
    assert gate(text, city, cache, now=NOW + 1) == ["replayed", "revoked"]


def test_a_malleated_kb_signature_is_still_the_same_presentation(city: City, holder: Holder,
                                                                 cache: ReplayCache) -> None:
    """ECDSA (r, s) and (r, n − s) both verify: the cache keys on the signed bytes, not on the signature."""
    text = one_way(holder)
    assert gate(text, city, cache) == []
    sd_jwt = SdJwt.parse(text)
    head, payload, signature = (sd_jwt.kb_jwt or "").split(".")
    raw = b64url_decode(signature)
    twin_s = P256_ORDER - int.from_bytes(raw[32:], "big")
    twin = f"{head}.{payload}.{b64url_encode(raw[:32] + twin_s.to_bytes(32, 'big'))}"
    holder_jwk = sd_jwt.payload()["cnf"]["jwk"]
    assert jws.signature_valid(jws.parse(twin), public_key_from_jwk(holder_jwk))  # a different, valid token
    assert gate(sd_jwt.sd_part + twin, city, cache, now=NOW + 1) == ["replayed"]


def test_one_way_binds_to_this_verifier_and_needs_key_binding(city: City, holder: Holder,
                                                              cache: ReplayCache) -> None:
    assert gate(one_way(holder, aud="https://library.springfield.example"), city, cache) == ["aud_mismatch"]
    unbound, _ = holder.wallet.present(SHOWN)
    assert gate(unbound, city, cache) == ["kb_missing"]
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (Policy(aud=None, one_way=True), "aud"),
        (Policy(aud=AUD, nonce="a-nonce-from-somewhere", one_way=True), "nonce"),
        (Policy(aud=AUD, require_key_binding=False, one_way=True), "key binding"),
    ],
)
def test_a_one_way_policy_that_cannot_stop_replays_is_a_usage_error(
    city: City, holder: Holder, cache: ReplayCache, policy: Policy, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        verify(one_way(holder), city.bundle(now=NOW), policy, now=NOW, replay=cache)


def test_one_way_without_a_replay_cache_is_a_usage_error(city: City, holder: Holder) -> None:
    with pytest.raises(UsageError, match="replay cache"):
        verify(one_way(holder), city.bundle(now=NOW), GATE, now=NOW)


def test_in_challenge_mode_a_cache_also_catches_a_reused_nonce(city: City, holder: Holder,
                                                               cache: ReplayCache) -> None:
    """Harmless there and cheap: a verifier that shows the same nonce twice still accepts each answer once."""
    text = holder.present(now=NOW)
    assert accept(text, city.bundle(now=NOW), now=NOW).claims["age_over_65"] is True
    verify(text, city.bundle(now=NOW), BUS, now=NOW, replay=cache)
    with pytest.raises(VerificationFailed) as info:
        verify(text, city.bundle(now=NOW), BUS, now=NOW + 1, replay=cache)
    assert info.value.codes == ["replayed"]
