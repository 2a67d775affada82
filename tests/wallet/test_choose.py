"""A wallet with every standard credential type presents from the smallest one that holds the claims."""

from __future__ import annotations

import datetime as dt

import pytest

from wallet import model as wallet_module
from wallet.model import Wallet
from wallet_spec import jwk, qr
from wallet_spec.errors import ClaimNotFound
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import signing_kid
from wallet_spec.profile import (
    AGE_THRESHOLDS,
    BASE_TYPES,
    FACT_PASSES,
    RESIDENT_VCT,
    Address,
    Resident,
    issue_credential,
    verify_credential,
)
from wallet_spec.sdjwt import SdJwt

NOW = 1_767_225_600
ISSUER_KEY = jwk.generate_private_key()
ANA = Resident("Ana", "Ruiz", dt.date(1950, 2, 3), "Springfield", Address("1 Main St", "Springfield", "60613"))


@pytest.fixture
def wallet() -> Wallet:
    held = Wallet()
    for kind in BASE_TYPES:
        for holder in held.new_holder_keys(2):
            held.import_credential(
                issue_credential(
                    ANA, issuer="https://id.springfield.example", signing_key=ISSUER_KEY,
                    kid=signing_kid(ISSUER_KEY), holder_key=jwk.public_key_from_jwk(holder),
                    status_idx=len(held.credentials), status_uri="https://id.springfield.example/statuslists/1",
                    now=NOW, credential_type=kind,
                ).serialize()
            )
    return held


def _disclosed_names(text: str) -> set[str]:
    return {d.name for d in SdJwt.parse(text).disclosures if d.name is not None}


@pytest.mark.parametrize(
    ("age", "carried_alongside"),
    [(65, {"age_over_18", "age_over_21"}), (13, {"age_over_16"}), (62, {"age_over_55"})],
)
def test_an_age_check_uses_the_residency_pass_that_carries_that_age(
    wallet: Wallet, age: int, carried_alongside: set[str]
) -> None:
    text, used = wallet.present(
        [("resident_of",), (f"age_over_{age}",)], nonce="n" * 16, aud="https://bus.example", iat=NOW
    )
    assert used.vct == "urn:citykey:residency:1"
    assert _disclosed_names(text) == {f"age_over_{age}"}  # resident_of is in the clear in a pass
    payload = SdJwt.parse(used.sd_jwt).payload()
    assert len(payload["_sd"]) == 3
    assert carried_alongside <= {d.name for d in SdJwt.parse(used.sd_jwt).disclosures}
    verified = verify_credential(
        qr.decode(qr.encode(text)), ISSUER_KEY.public_key(),
        key_binding=KeyBindingPolicy(required=True, nonce="n" * 16, aud="https://bus.example"), now=NOW,
    )
    assert verified.claims["resident_of"] == "Springfield"
    assert verified.claims[f"age_over_{age}"] is True


def test_a_name_check_uses_the_identity_credential(wallet: Wallet) -> None:
    text, used = wallet.present([("given_name",), ("address", "postal_code")], nonce="n" * 16, aud="https://lib")
    assert used.vct == "urn:citykey:identity:1"
    assert _disclosed_names(text) == {"given_name", "postal_code"}


def test_consecutive_checks_use_fresh_passes_before_reusing_one(wallet: Wallet) -> None:
    used = [wallet.present([("age_over_65",)], aud="https://gate")[1].holder_kid for _ in range(3)]
    assert len(set(used[:2])) == 2  # two passes carry age_over_65: each is used once first
    assert used[2] in used[:2]


def test_a_claim_no_credential_holds_is_reported(wallet: Wallet) -> None:
    with pytest.raises(ClaimNotFound, match="shoe_size"):
        wallet.present([("shoe_size",)], aud="https://gate")


@pytest.mark.production_kdf
def test_the_scrypt_cost_is_lowered_only_in_tests() -> None:
    assert wallet_module._SCRYPT_LOG_N >= 15


@pytest.fixture
def with_passes(wallet: Wallet) -> Wallet:
    """The wallet above, plus one fact pass of each kind ANA holds (she is 75: all of them)."""
    for kind in FACT_PASSES:
        (holder,) = wallet.new_holder_keys(1)
        wallet.import_credential(
            issue_credential(
                ANA, issuer="https://id.springfield.example", signing_key=ISSUER_KEY, kid=signing_kid(ISSUER_KEY),
                holder_key=jwk.public_key_from_jwk(holder), status_idx=100 + len(wallet.credentials),
                status_uri="https://id.springfield.example/statuslists/1", now=NOW, credential_type=kind,
            ).serialize()
        )
    return wallet


def _shown(text: str) -> dict[str, object]:
    verified = verify_credential(
        text, ISSUER_KEY.public_key(), key_binding=KeyBindingPolicy(required=True, nonce="n" * 16, aud=BUS), now=NOW
    )
    facts = {"resident_of", *(f"age_over_{n}" for n in AGE_THRESHOLDS)}
    return {k: v for k, v in verified.claims.items() if k in facts}


BUS = "https://bus.example"


@pytest.mark.parametrize("age", AGE_THRESHOLDS)
def test_resident_and_one_age_comes_from_the_pass_stating_exactly_that(with_passes: Wallet, age: int) -> None:
    text, used = with_passes.present([("resident_of",), (f"age_over_{age}",)], nonce="n" * 16, aud=BUS, iat=NOW)
    assert used.vct == RESIDENT_VCT
    assert SdJwt.parse(text).disclosures == ()
    assert _shown(text) == {"resident_of": "Springfield", f"age_over_{age}": True}


def test_resident_only_never_shows_an_age_pass(with_passes: Wallet) -> None:
    text, used = with_passes.present([("resident_of",)], nonce="n" * 16, aud=BUS, iat=NOW)
    assert (used.vct, _shown(text)) == (RESIDENT_VCT, {"resident_of": "Springfield"})
    for _ in range(8):  # the resident pass is used: fresh residency passes next, then the least used; never 65+
        text, used = with_passes.present([("resident_of",)], nonce="n" * 16, aud=BUS, iat=NOW)
        assert _shown(text) == {"resident_of": "Springfield"}
        assert used.vct == "urn:citykey:residency:1"


def test_a_used_pass_gives_way_to_a_fresh_credential_so_two_codes_do_not_link(with_passes: Wallet) -> None:
    first, used = with_passes.present([("resident_of",), ("age_over_65",)], nonce="n" * 16, aud=BUS, iat=NOW)
    assert used.vct == RESIDENT_VCT
    second, used = with_passes.present([("resident_of",), ("age_over_65",)], nonce="n" * 16, aud=BUS, iat=NOW)
    assert used.vct == "urn:citykey:residency:1"
    assert _disclosed_names(second) == {"age_over_65"}
    assert first.split("~")[0] != second.split("~")[0]
    with_passes.credentials = [c for c in with_passes.credentials if c.vct == RESIDENT_VCT]
    _, used = with_passes.present([("resident_of",), ("age_over_65",)], nonce="n" * 16, aud=BUS, iat=NOW)
    assert used.vct == RESIDENT_VCT  # nothing else holds the claims: the used pass again


def test_an_age_alone_falls_back_to_the_smallest_credential_holding_it(with_passes: Wallet) -> None:
    text, used = with_passes.present([("age_over_65",)], nonce="n" * 16, aud=BUS, iat=NOW)
    assert used.vct == "urn:citykey:residency:1"  # the residency pass, as before the fact passes
    assert _disclosed_names(text) == {"age_over_65"}
