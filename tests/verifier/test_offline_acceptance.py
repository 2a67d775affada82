"""The verifier's yes and no: disclosed claims, required claims, key binding, and how old its bundle may be."""

from __future__ import annotations

import pytest

from issuer.batch import issue_batch
from tests.verifier.springfield import AUD, BUS, DAY, ISSUER, NONCE, SHOWN, T0, City, accept, refusal
from verifier import Policy
from verifier.policies import load_policies
from wallet.model import Wallet
from wallet_spec.profile import AGE_THRESHOLDS, RESIDENT_VCT, Resident, coarse_day


def test_valid_presentation_is_accepted_with_exactly_the_disclosed_claims(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    bundle = city.bundle(now=T0)
    now = T0 + 3600
    accepted = accept(holder.present(now=now), bundle, now=now)
    assert accepted.warnings == ()
    assert sorted(accepted.disclosed) == sorted(SHOWN)
    assert {k: accepted.claims[k] for k in ("resident_of", "age_over_65")} == {
        "resident_of": "Springfield", "age_over_65": True
    }
    # The plain claims every credential carries, and nothing the resident did not choose to show.
    assert set(accepted.claims) == {"iss", "iat", "exp", "vct", "cnf", "status", "resident_of", "age_over_65"}
    assert (accepted.claims["iss"], accepted.claims["iat"]) == (ISSUER, coarse_day(T0))
    hidden = {"given_name", "family_name", "birthdate", "address", *(f"age_over_{n}" for n in AGE_THRESHOLDS)}
    assert hidden - {"age_over_65"} == hidden - set(accepted.claims)


def test_another_disclosure_shows_only_what_was_asked(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    library = Policy(required=(("given_name",), ("family_name",)), nonce="lib-1", aud="https://library.example")
    now = T0 + 60
    text = holder.present(now=now, paths=[("given_name",), ("family_name",)], nonce="lib-1",
                          aud="https://library.example")
    accepted = accept(text, city.bundle(now=T0), now=now, policy=library)
    assert (accepted.claims["given_name"], accepted.claims["family_name"]) == ("Erika", "Mustermann")
    assert "resident_of" not in accepted.claims
    assert not any(k.startswith("age_over_") for k in accepted.claims)


def test_policy_requiring_an_undisclosed_claim_gives_missing_claim(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    clinic = Policy(required=(("resident_of",), ("birthdate",)), nonce=NONCE, aud=AUD)
    now = T0 + 60
    assert refusal(holder.present(now=now), city.bundle(now=T0), now=now, policy=clinic) == ["missing_claim"]
    two_missing = Policy(required=(("given_name",), ("family_name",)), nonce=NONCE, aud=AUD)
    assert refusal(holder.present(now=now), city.bundle(now=T0), now=now, policy=two_missing) == [
        "missing_claim", "missing_claim"
    ]


def test_presentation_made_for_another_verifier_or_nonce_is_refused(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    bundle, now = city.bundle(now=T0), T0 + 60
    assert refusal(holder.present(now=now, aud="https://library.example"), bundle, now=now) == ["aud_mismatch"]
    assert refusal(holder.present(now=now, nonce="yesterdays-nonce"), bundle, now=now) == ["nonce_mismatch"]


def test_presentation_without_key_binding_is_refused_when_the_policy_requires_it(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    text, _ = holder.wallet.present(SHOWN)
    assert refusal(text, city.bundle(now=T0), now=T0 + 60) == ["kb_missing"]


# --- the bundle's age ---------------------------------------------------------------------------


def test_bundle_older_than_max_bundle_age_is_stale_and_reported_with_the_other_errors(
    city: City, erika: Resident
) -> None:
    holder = city.enrol(erika, now=T0)
    bundle = city.bundle(now=T0)  # synced at T0, never again
    now = T0 + BUS.max_bundle_age + 1
    assert refusal(holder.present(now=now), bundle, now=now) == ["bundle_stale"]
    replayed = holder.present(now=now, nonce="an-old-nonce")
    assert refusal(replayed, bundle, now=now) == ["bundle_stale", "nonce_mismatch"]


@pytest.mark.parametrize("age", [DAY + 1, 3 * DAY, BUS.max_bundle_age])
def test_bundle_past_next_update_but_within_the_limit_is_accepted_with_a_warning(
    city: City, erika: Resident, age: int
) -> None:
    holder = city.enrol(erika, now=T0)
    bundle = city.bundle(now=T0)
    assert bundle.next_update == T0 + DAY
    now = T0 + age
    accepted = accept(holder.present(now=now), bundle, now=now)
    assert len(accepted.warnings) == 1
    assert accepted.warnings[0].startswith("bundle_stale")
    assert accepted.claims["resident_of"] == "Springfield"


def test_bundle_before_next_update_gives_no_warning(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    now = T0 + DAY
    assert accept(holder.present(now=now), city.bundle(now=T0), now=now).warnings == ()


def test_verifier_can_demand_a_fresher_bundle(city: City, erika: Resident) -> None:
    holder = city.enrol(erika, now=T0)
    strict = Policy(required=BUS.required, nonce=NONCE, aud=AUD, max_bundle_age=3600)
    now = T0 + 3601
    assert refusal(holder.present(now=now), city.bundle(now=T0), now=now, policy=strict) == ["bundle_stale"]


def test_status_list_that_expires_after_the_bundle_was_loaded_makes_no_statement(
    city: City, erika: Resident
) -> None:
    """A lenient verifier (14-day bundle limit) must not trust an 8-day status list on day 10."""
    holder = city.enrol(erika, now=T0)
    bundle = city.bundle(now=T0)
    lenient = Policy(required=BUS.required, nonce=NONCE, aud=AUD, max_bundle_age=14 * DAY)
    now = T0 + 10 * DAY
    assert refusal(holder.present(now=now), bundle, now=now, policy=lenient) == ["status_unknown"]


def test_key_list_that_expires_after_the_bundle_was_loaded_makes_the_bundle_stale(
    city: City, erika: Resident
) -> None:
    holder = city.enrol(erika, now=T0)
    bundle = city.bundle(now=T0)
    patient = Policy(required=BUS.required, nonce=NONCE, aud=AUD, max_bundle_age=60 * DAY)
    now = bundle.key_list.exp + 1
    assert "bundle_stale" in refusal(holder.present(now=now), bundle, now=now, policy=patient)


def test_a_fact_pass_is_accepted_for_the_claims_it_states_without_any_disclosure(city: City, erika: Resident) -> None:
    wallet = Wallet()
    batch = issue_batch(erika, {"resident-65": wallet.new_holder_keys(2)}, keys=city.signing_keys(),
                        registry=city.registry, now=T0)
    for credential in batch.credentials:
        wallet.import_credential(credential)
    bundle = city.bundle(now=T0)
    now = T0 + 3600
    text, _ = wallet.present(SHOWN, nonce=NONCE, aud=AUD, iat=now)
    accepted = accept(text, bundle, now=now)
    assert accepted.disclosed == ()  # the pass states both claims; nothing was disclosed
    assert set(accepted.claims) == {"iss", "iat", "exp", "vct", "cnf", "status", "resident_of", "age_over_65"}
    assert (accepted.claims["vct"], accepted.claims["age_over_65"]) == (RESIDENT_VCT, True)
    senior_fare = load_policies()["senior-fare"]
    assert senior_fare.unmet(accepted.claims) == []
    text, _ = wallet.present(SHOWN, nonce=NONCE, aud=AUD, iat=now)
    name_too = Policy(required=(("resident_of",), ("given_name",)), nonce=NONCE, aud=AUD)
    assert refusal(text, bundle, now=now, policy=name_too) == ["missing_claim"]
    unbound = text.rsplit("~", 1)[0] + "~"  # a copied pass without its KB-JWT
    assert refusal(unbound, bundle, now=now) == ["kb_missing"]
