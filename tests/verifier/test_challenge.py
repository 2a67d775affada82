"""docs/security.md item 2: a verifier's policy always names its challenge.

The rule lives in `verifier.policy.Policy`, so every front end (the command line, a
scanner page) gets it: this verifier's `aud`, and its nonce or one-way mode with a
replay cache. A policy without them would accept a presentation made for another
verifier, and accept it again.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.verifier.springfield import AUD, NONCE, T0, City, Holder
from verifier import Policy, verify
from wallet_spec.errors import ChallengeMissing, UsageError, VerificationFailed
from wallet_spec.profile import Resident

OTHER = "https://library.springfield.example"


@pytest.fixture
def holder(city: City, erika: Resident) -> Holder:
    return city.enrol(erika, now=T0)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"aud": AUD},
        {"nonce": NONCE},
        {"nonce": "", "aud": AUD},
        {"nonce": NONCE, "aud": ""},
        {"require_key_binding": False},
        {"require_key_binding": False, "aud": AUD},
        {"one_way": True},
    ],
    ids=["nothing", "aud-alone", "nonce-alone", "empty-nonce", "empty-aud", "paper", "paper-aud-alone", "one-way"],
)
def test_a_policy_without_a_challenge_is_refused_when_it_is_made(options: dict[str, Any]) -> None:
    with pytest.raises(ChallengeMissing) as refused:
        Policy(required=(("resident_of",),), **options)
    assert refused.value.code == "challenge_missing"
    assert isinstance(refused.value, UsageError)


def test_a_presentation_for_another_verifier_is_refused_under_every_policy_that_can_be_made(
    city: City, holder: Holder
) -> None:
    made_for_the_library, _ = holder.wallet.present([("resident_of",)], nonce=NONCE, aud=OTHER, iat=T0)
    bundle = city.bundle(now=T0)
    for policy in (Policy(nonce=NONCE, aud=AUD), Policy(nonce=NONCE, aud=AUD, require_key_binding=False)):
        with pytest.raises(VerificationFailed) as refused:
            verify(made_for_the_library, bundle, policy, now=T0)
        assert refused.value.codes == ["aud_mismatch"]


def test_one_way_without_a_replay_cache_is_refused_as_a_missing_challenge(city: City, holder: Holder) -> None:
    shown, _ = holder.wallet.present([("resident_of",)], aud=AUD, iat=T0)
    with pytest.raises(ChallengeMissing, match="replay cache"):
        verify(shown, city.bundle(now=T0), Policy(aud=AUD, one_way=True), now=T0)
