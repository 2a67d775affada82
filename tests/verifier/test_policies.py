"""Services' policies from TOML: the shipped defaults, and a typed error for every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifier.policies import DAY, HOUR, load_policies, parse_policies, policy_named
from wallet_spec.errors import PolicyInvalid, UsageError

GOOD = """
[desk]
title = "Front desk"
mode = "challenge"
claims = ["given_name"]
"""


def test_the_shipped_policies_are_the_services_the_city_runs() -> None:
    policies = load_policies()
    assert sorted(policies) == ["age-21", "bank-account", "clinic-checkin", "library-card", "library-signup",
                                "senior-fare", "youth-fare"]
    library = policies["library-card"]
    assert (library.mode, library.paper, library.claims) == ("one-way", True, ("resident_of",))
    assert policies["library-signup"].claims == ("given_name", "family_name", "address")
    senior = policies["senior-fare"]
    assert senior.claims == ("resident_of", "age_over_65")
    assert dict(senior.expect) == {"age_over_65": True}
    assert dict(policies["youth-fare"].expect) == {"age_over_18": False}
    assert policies["bank-account"].claims == ("given_name", "family_name", "birthdate", "address")
    assert policies["bank-account"].mode == "challenge"
    assert not policies["bank-account"].paper
    assert policies["clinic-checkin"].language == "es"
    assert senior.warn_bundle_age == 36 * HOUR
    assert senior.max_bundle_age == 7 * DAY
    assert senior.title == {"en": "Senior fare", "es": "Tarifa de mayores"}


def test_key_bound_rules_always_name_this_verifier_and_paper_only_where_allowed() -> None:
    senior, bank = policy_named("senior-fare"), policy_named("bank-account")
    one_way = senior.key_bound(aud="https://bus.example", nonce=None)
    assert (one_way.one_way, one_way.aud, one_way.nonce, one_way.require_key_binding) == (
        True, "https://bus.example", None, True)
    assert one_way.kb_max_age == 60
    challenge = bank.key_bound(aud="https://bank.example", nonce="n" * 16)
    assert (challenge.one_way, challenge.nonce, challenge.aud) == (False, "n" * 16, "https://bank.example")
    with pytest.raises(UsageError):
        bank.key_bound(aud="https://bank.example", nonce=None)
    assert senior.paper_card().require_key_binding is False
    with pytest.raises(UsageError, match="does not accept paper"):
        bank.paper_card()


def test_expected_values_are_checked_not_only_presence() -> None:
    senior, youth = policy_named("senior-fare"), policy_named("youth-fare")
    assert senior.unmet({"resident_of": "Springfield", "age_over_65": True}) == []
    assert [e.code for e in senior.unmet({"resident_of": "Springfield", "age_over_65": False})] == ["claim_not_met"]
    assert [e.code for e in senior.unmet({"age_over_65": "yes"})] == ["claim_not_met"]
    assert youth.unmet({"age_over_18": False}) == []
    assert len(youth.unmet({"age_over_18": True})) == 1


def test_a_policy_file_of_ones_own(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    desk = policy_named("desk", path)
    assert desk.title == {"en": "Front desk", "es": "Front desk"}
    assert (desk.paper, desk.language) == (False, "en")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[desk\nmode=", "not valid TOML"),
        ("", "holds no policy"),
        ('[desk]\ntitle="D"\nmode="turnstile"\nclaims=["resident_of"]', "mode must be one of"),
        ('[desk]\ntitle="D"\nmode="challenge"\nclaims=["resident_of"]\ncolour="red"', "unknown setting colour"),
        ('[desk]\ntitle="D"\nmode="challenge"\nclaims="resident_of"', "claims must be a list"),
        ('[desk]\ntitle="D"\nmode="challenge"', "asks for nothing"),
        ('[desk]\ntitle="D"\nmode="challenge"\nclaims=["a..b"]', "policy desk"),
        ('[desk]\ntitle="D"\nmode="challenge"\nclaims=["x"]\npaper="yes"', "paper must be true or false"),
        ('[desk]\ntitle="D"\nmode="challenge"\nclaims=["x"]\nlanguage="fr"', "language must be one of"),
        ('[desk]\ntitle="D"\nmode="challenge"\nclaims=["x"]\nmax_bundle_age_days=0', "max_bundle_age_days"),
        ('[desk]\ntitle={en="D"}\nmode="challenge"\nclaims=["x"]', "title must be"),
        ('[desk]\ntitle="D"\nmode="challenge"\nexpect={age_over_65=65}', "expect must be"),
    ],
)
def test_every_mistake_in_a_file_is_a_policy_invalid_in_words(text: str, words: str) -> None:
    with pytest.raises(PolicyInvalid, match=words) as info:
        parse_policies(text)
    assert info.value.code == "policy_invalid"


def test_unknown_policy_names_and_unreadable_files_are_policy_invalid(tmp_path: Path) -> None:
    with pytest.raises(PolicyInvalid, match="no policy named bus; there are age-21"):
        policy_named("bus")
    with pytest.raises(PolicyInvalid, match="cannot read"):
        load_policies(tmp_path / "absent.toml")
