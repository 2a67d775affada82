"""The city's SD-JWT VC profile: age booleans, coarse dates, fixed-size digest arrays, no linkable claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from wallet_spec import jws
from wallet_spec.errors import FactNotHeld, FormatError, UsageError, VerificationFailed
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import signing_kid
from wallet_spec.present import present
from wallet_spec.profile import (
    AGE_THRESHOLDS,
    CITY_ID,
    CREDENTIAL_TYPES,
    RESIDENT_VCT,
    VC_TYP,
    Address,
    Resident,
    age_claims,
    issue_credential,
    resident_from_json,
    standard_types,
    verify_credential,
)
from wallet_spec.sdjwt import SD, SdJwt, issue, unfold

DAY = 86_400
AUD = "https://library.example"
NONCE = "lib-nonce-1"
POLICY = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)


def _ts(day: dt.date, seconds: int = 0) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) + seconds


def _issue(resident: Resident, issuer_key: PrivateKey, holder: PrivateKey, now: int, **kwargs: Any) -> SdJwt:
    return issue_credential(
        resident,
        issuer="https://city.example",
        signing_key=issuer_key,
        kid=signing_kid(issuer_key),
        holder_key=holder.public_key(),
        status_idx=kwargs.pop("status_idx", 7),
        status_uri="https://city.example/status/1",
        now=now,
        **kwargs,
    )


def _all_claims(token: SdJwt) -> dict[str, Any]:
    return unfold(token.payload(), token.disclosures).claims


def _present(token: SdJwt, holder: PrivateKey, now: int, *paths: tuple[Any, ...]) -> str:
    return present(token, list(paths), holder_key=holder, nonce=NONCE, aud=AUD, iat=now)


# --- age ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birthdate", "day", "age"),
    [
        (dt.date(2008, 6, 15), dt.date(2026, 6, 14), 17),  # the day before the 18th birthday
        (dt.date(2008, 6, 15), dt.date(2026, 6, 15), 18),  # on it
        (dt.date(2008, 6, 15), dt.date(2026, 6, 16), 18),  # the day after
        (dt.date(2008, 12, 31), dt.date(2026, 12, 30), 17),
        (dt.date(2008, 12, 31), dt.date(2026, 12, 31), 18),
        (dt.date(2008, 1, 1), dt.date(2026, 1, 1), 18),
        (dt.date(2008, 1, 1), dt.date(2025, 12, 31), 17),
        # Born on 29 February: in common years the birthday counts from 1 March.
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
        (dt.date(2004, 2, 29), dt.date(2025, 2, 28), 20),
        (dt.date(2004, 2, 29), dt.date(2025, 3, 1), 21),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 28), 19),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
    ],
)
def test_age_over_thresholds_turn_true_on_the_birthday(birthdate: dt.date, day: dt.date, age: int) -> None:
    claims = age_claims(birthdate, day)
    assert claims == {f"age_over_{n}": age >= n for n in AGE_THRESHOLDS}


def test_every_age_threshold_is_present_as_a_boolean() -> None:
    assert AGE_THRESHOLDS == (13, 16, 18, 21, 55, 62, 65)
    for birthdate in (dt.date(2020, 1, 1), dt.date(1990, 1, 1), dt.date(1940, 1, 1)):
        claims = age_claims(birthdate, dt.date(2026, 1, 1))
        assert sorted(claims) == sorted(f"age_over_{n}" for n in AGE_THRESHOLDS)
        assert all(type(v) is bool for v in claims.values())


@pytest.mark.parametrize(
    ("now", "over_18"),
    [
        (_ts(dt.date(2026, 6, 14), DAY - 1), False),  # 23:59:59 UTC the day before
        (_ts(dt.date(2026, 6, 15)), True),  # midnight UTC on the birthday
        (_ts(dt.date(2026, 6, 15), DAY - 1), True),
    ],
)
def test_issued_credential_states_age_on_the_utc_issue_day(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int, over_18: bool
) -> None:
    teen = replace(resident, birthdate=dt.date(2008, 6, 15))
    claims = _all_claims(_issue(teen, issuer_key, holder_key, now))
    assert claims["age_over_16"] is True
    assert claims["age_over_18"] is over_18
    assert claims["age_over_21"] is False


def test_credential_carries_all_seven_age_booleans_and_no_age_number(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    aged_25 = replace(resident, birthdate=dt.date(2000, 6, 1))
    claims = _all_claims(_issue(aged_25, issuer_key, holder_key, now))
    ages = {k: v for k, v in claims.items() if k.startswith("age")}
    assert ages == {
        "age_over_13": True,
        "age_over_16": True,
        "age_over_18": True,
        "age_over_21": True,
        "age_over_55": False,
        "age_over_62": False,
        "age_over_65": False,
    }
    assert all(type(v) is bool for v in ages.values())
    assert claims["birthdate"] == "2000-06-01"


# --- coarse dates and unlinkable contents --------------------------------------------


def test_iat_is_coarsened_to_midnight_utc(city_credential: SdJwt, now: int) -> None:
    payload = city_credential.payload()
    assert payload["iat"] == now - now % DAY
    assert payload["iat"] % DAY == 0
    assert payload["exp"] == payload["iat"] + 365 * DAY


def test_everyone_issued_on_one_day_shares_iat(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    day = dt.date(2026, 3, 10)
    first = _issue(resident, issuer_key, holder_key, _ts(day))
    last = _issue(resident, issuer_key, holder_key, _ts(day, DAY - 1))
    assert first.payload()["iat"] == last.payload()["iat"] == _ts(day)


def test_lifetime_follows_the_credential_type(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    short = replace(CITY_ID, vct="urn:citykey:pass:1", lifetime_days=30)
    token = _issue(resident, issuer_key, holder_key, _ts(dt.date(2026, 1, 1), 5), credential_type=short)
    assert token.payload()["exp"] - token.payload()["iat"] == 30 * DAY
    assert token.payload()["vct"] == "urn:citykey:pass:1"


def test_credential_has_no_sub_or_jti_anywhere(city_credential: SdJwt) -> None:
    assert not {"sub", "jti"} & set(city_credential.payload())
    assert not {"sub", "jti"} & {d.name for d in city_credential.disclosures}


def test_only_registered_claims_are_in_the_clear(city_credential: SdJwt) -> None:
    assert set(city_credential.payload()) == {"iss", "iat", "exp", "vct", "status", "cnf", "_sd", "_sd_alg"}
    assert jws.parse(city_credential.jwt).header["typ"] == VC_TYP


def test_every_personal_claim_is_selectively_disclosable(city_credential: SdJwt) -> None:
    names = {d.name for d in city_credential.disclosures}
    assert names == {
        "given_name",
        "family_name",
        "birthdate",
        "resident_of",
        "address",
        "street_address",
        "locality",
        "postal_code",
        *(f"age_over_{n}" for n in AGE_THRESHOLDS),
    }


@pytest.mark.parametrize(
    "address",
    [None, Address(), Address(locality="Springfield"), Address("1 Main Street", "Springfield", "12345")],
    ids=repr,
)
def test_top_level_sd_always_has_the_types_number_of_digests(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int, address: Address | None
) -> None:
    token = _issue(replace(resident, address=address), issuer_key, holder_key, now)
    assert len(token.payload()["_sd"]) == CITY_ID.top_level_digests == 16
    assert len(set(token.payload()["_sd"])) == 16


@pytest.mark.parametrize(
    "address",
    [Address(), Address(None, "Springfield", "12345"), Address("1 Main Street", None, None), Address("a", "b", "c")],
    ids=repr,
)
def test_address_sd_always_has_three_digests(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int, address: Address
) -> None:
    token = _issue(replace(resident, address=address), issuer_key, holder_key, now)
    disclosure = next(d for d in token.disclosures if d.name == "address")
    assert len(disclosure.value["_sd"]) == 3
    assert set(disclosure.value) == {"_sd"}
    shown = {k: v for k, v in vars_of(address).items() if v is not None}
    assert _all_claims(token)["address"] == shown


def vars_of(address: Address) -> dict[str, Any]:
    return {name: getattr(address, name) for name in ("street_address", "locality", "postal_code")}


def test_type_with_more_digests_pads_to_that_number(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    roomy = replace(CITY_ID, vct=CITY_ID.vct, top_level_digests=24, address_digests=5)
    token = _issue(resident, issuer_key, holder_key, now, credential_type=roomy)
    assert len(token.payload()["_sd"]) == 24
    assert len(next(d for d in token.disclosures if d.name == "address").value["_sd"]) == 5


def _all_digests(token: SdJwt) -> set[str]:
    found = set(token.payload()["_sd"])
    for d in token.disclosures:
        found.add(d.digest)
        if isinstance(d.value, dict):
            found.update(d.value.get("_sd", []))
    return found


def test_two_credentials_for_one_resident_share_no_salt_digest_or_holder_key(
    resident: Resident, issuer_key: PrivateKey, now: int
) -> None:
    key_a, key_b = generate_private_key(), generate_private_key()
    a = _issue(resident, issuer_key, key_a, now, status_idx=1)
    b = _issue(resident, issuer_key, key_b, now, status_idx=2)
    assert not {d.salt for d in a.disclosures} & {d.salt for d in b.disclosures}
    assert not _all_digests(a) & _all_digests(b)
    assert not {d.encoded for d in a.disclosures} & {d.encoded for d in b.disclosures}
    assert a.payload()["cnf"] == {"jwk": public_jwk(key_a)}
    assert b.payload()["cnf"] == {"jwk": public_jwk(key_b)}
    assert a.jwt.split(".")[2] != b.jwt.split(".")[2]
    assert _all_claims(a)["given_name"] == _all_claims(b)["given_name"]


# --- extra city claims --------------------------------------------------------


def test_extra_city_claims_become_selectively_disclosable(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    token = _issue(replace(resident, extra={"library_card": True, "zone": "B"}), issuer_key, holder_key, now)
    assert not {"library_card", "zone"} & set(token.payload())
    shown = verify_credential(
        _present(token, holder_key, now, ("library_card",)), issuer_key.public_key(), now=now, key_binding=POLICY
    ).claims
    assert shown["library_card"] is True
    assert "zone" not in shown
    assert len(token.payload()["_sd"]) == 16


@pytest.mark.parametrize(
    "name", ["given_name", "birthdate", "age_over_18", "address", "iss", "vct", "status", "cnf", "sub", "jti", "iat"]
)
def test_extra_claim_clashing_with_a_profile_claim_is_refused(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int, name: str
) -> None:
    for address in (resident.address, None):
        with pytest.raises(UsageError):
            _issue(replace(resident, address=address, extra={name: "x"}), issuer_key, holder_key, now)


def test_more_disclosable_claims_than_the_type_allows_is_refused(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    # 4 names + address + 7 ages = 12 disclosable; the default type has room for 16.
    four = {f"extra_{i}": i for i in range(4)}
    _issue(replace(resident, extra=four), issuer_key, holder_key, now)
    with pytest.raises(UsageError):
        _issue(replace(resident, extra={**four, "extra_4": 4}), issuer_key, holder_key, now)
    tight = replace(CITY_ID, vct=CITY_ID.vct, top_level_digests=11)
    with pytest.raises(UsageError):
        _issue(resident, issuer_key, holder_key, now, credential_type=tight)
    _issue(replace(resident, address=None), issuer_key, holder_key, now, credential_type=tight)


# --- verification -------------------------------------------------------------


def test_age_only_presentation_reveals_nothing_else(city_credential: SdJwt, forge: Any, holder_key: PrivateKey) -> None:
    text = _present(city_credential, holder_key, forge.now, ("resident_of",), ("age_over_65",))
    verified = verify_credential(text, forge.issuer_key.public_key(), now=forge.now, key_binding=POLICY)
    personal = {k for k in verified.claims if k not in ("iss", "iat", "exp", "vct", "status", "cnf")}
    assert personal == {"resident_of", "age_over_65"}
    assert verified.claims["age_over_65"] is True  # born 15 March 1960, shown on 1 January 2026


def test_verify_credential_requires_key_binding_by_default(city_credential: SdJwt, forge: Any) -> None:
    with pytest.raises(VerificationFailed) as info:
        verify_credential(city_credential.serialize(), forge.issuer_key.public_key(), now=forge.now)
    assert info.value.codes == ["kb_missing"]


def test_verify_credential_requires_the_vc_typ(forge: Any, holder_key: PrivateKey) -> None:
    token = _vc_like(forge, holder_key, header={"typ": "example+sd-jwt"})
    assert _profile_codes(forge, token, holder_key) == ["typ_invalid"]


def _vc_like(
    forge: Any, holder_key: PrivateKey | None, *, header: dict[str, Any] | None = None, **changes: Any
) -> SdJwt:
    claims: dict[str, Any] = {
        "iss": "https://city.example",
        "iat": forge.now - forge.now % DAY,
        "exp": forge.now + 30 * DAY,
        "vct": CITY_ID.vct,
        "status": {"status_list": {"idx": 3, "uri": "https://city.example/status/1"}},
        "given_name": SD("Erika"),
    }
    for name, value in changes.items():
        if value is ...:
            claims.pop(name)
        else:
            claims[name] = value
    return issue(
        claims,
        forge.issuer_key,
        header=header or {"typ": VC_TYP},
        holder_jwk=None if holder_key is None else public_jwk(holder_key),
    )


def _profile_codes(forge: Any, token: SdJwt, holder_key: PrivateKey | None) -> list[str]:
    if holder_key is None:
        text, policy = token.serialize(), KeyBindingPolicy(required=False)
    else:
        text, policy = _present(token, holder_key, forge.now, ("given_name",)), POLICY
    with pytest.raises(VerificationFailed) as info:
        verify_credential(text, forge.issuer_key.public_key(), now=forge.now, key_binding=policy)
    return sorted(info.value.codes)


def test_well_formed_vc_verifies(forge: Any, holder_key: PrivateKey) -> None:
    token = _vc_like(forge, holder_key)
    text = _present(token, holder_key, forge.now, ("given_name",))
    assert (
        verify_credential(text, forge.issuer_key.public_key(), now=forge.now, key_binding=POLICY).claims["given_name"]
        == "Erika"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"vct": ...},
        {"vct": 1},
        {"vct": "urn:other:vct"},
        {"iss": ...},
        {"iss": ["https://city.example"]},
        {"iat": ...},
        {"exp": ...},
        {"status": ...},
        {"status": {"status_list": {"idx": -1, "uri": "u"}}},
        {"status": {"status_list": {"idx": True, "uri": "u"}}},
        {"status": {"status_list": {"idx": "3", "uri": "u"}}},
        {"status": {"status_list": {"idx": 3}}},
        {"status": {"idx": 3, "uri": "u"}},
        {"status": "revoked?"},
        {"sub": "resident-4711"},
        {"jti": "card-0001"},
    ],
    ids=repr,
)
def test_credential_breaking_the_profile_is_rejected_as_claim_invalid(
    forge: Any, holder_key: PrivateKey, changes: dict[str, Any]
) -> None:
    assert _profile_codes(forge, _vc_like(forge, holder_key, **changes), holder_key) == ["claim_invalid"]


def test_credential_without_a_holder_key_is_rejected(forge: Any) -> None:
    assert _profile_codes(forge, _vc_like(forge, None), None) == ["claim_invalid"]


def test_credential_with_cnf_but_no_jwk_is_rejected(forge: Any) -> None:
    token = _vc_like(forge, None, cnf={"kid": "abc"})
    assert _profile_codes(forge, token, None) == ["claim_invalid"]


def test_verifier_may_accept_other_credential_types(forge: Any, holder_key: PrivateKey) -> None:
    token = _vc_like(forge, holder_key, vct="urn:citykey:pass:1")
    text = _present(token, holder_key, forge.now, ("given_name",))
    verify_credential(
        text, forge.issuer_key.public_key(), now=forge.now, key_binding=POLICY, vcts=frozenset({"urn:citykey:pass:1"})
    )


def test_profile_failures_are_reported_with_core_failures(forge: Any, holder_key: PrivateKey) -> None:
    token = _vc_like(forge, holder_key, vct=..., exp=forge.now - 10 * DAY)
    assert _profile_codes(forge, token, holder_key) == ["claim_invalid", "expired"]


# --- the clerk's input ---------------------------------------------------------


def test_resident_is_read_from_the_clerks_json() -> None:
    resident = resident_from_json(
        {
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birthdate": "1960-03-15",
            "resident_of": "Springfield",
            "address": {"locality": "Springfield"},
            "extra": {"zone": "B"},
        }
    )
    assert resident.birthdate == dt.date(1960, 3, 15)
    assert resident.address == Address(locality="Springfield")
    assert resident.extra == {"zone": "B"}


@pytest.mark.parametrize(
    "changes",
    [
        {"given_name": ""},
        {"given_name": "  "},
        {"family_name": None},
        {"birthdate": "15.03.1960"},
        {"birthdate": "1960-02-30"},
        {"resident_of": 7},
        {"address": {"city": "x"}},
        {"address": {"locality": 5}},
        {"address": "Main Street"},
        {"extra": ["zone"]},
        {"ssn": "123"},
    ],
    ids=repr,
)
def test_bad_clerk_input_is_a_format_error(changes: dict[str, Any]) -> None:
    base: dict[str, Any] = {
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birthdate": "1960-03-15",
        "resident_of": "Springfield",
    }
    with pytest.raises(FormatError):
        resident_from_json({**base, **changes})


def test_clerk_input_that_is_not_an_object_is_a_format_error() -> None:
    with pytest.raises(FormatError):
        resident_from_json(["Erika"])


# --- attributes cannot hide or reverse text (docs/security.md item 8) -----------------------------

CLERKS_JSON = {"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1960-03-15",
               "resident_of": "Springfield"}
SPOOFING = [
    ("\u202e", "U+202E"),  # right-to-left override: "Erika" shown reversed
    ("\u200b", "U+200B"),  # zero width space: two names that look alike
    ("\u2066", "U+2066"),  # left-to-right isolate
    ("\ufeff", "U+FEFF"),  # zero width no-break space
    ("\u00ad", "U+00AD"),  # soft hyphen
    ("\x00", "U+0000"),
    ("\x1b", "U+001B"),  # a terminal escape
    ("\n", "U+000A"),
    ("\x85", "U+0085"),
    ("\ud800", "U+D800"),  # an unpaired surrogate
    ("\ue000", "U+E000"),  # private use
    ("\U000e0001", "U+E0001"),  # a language tag
]


def _with(where: str, text: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {**CLERKS_JSON, "address": {"locality": "Springfield"}, "extra": {"zone": "B"}}
    if where.startswith("address."):
        attributes["address"] = {where.split(".")[1]: text}
    elif where == "extra.zone":
        attributes["extra"] = {"zone": text}
    elif where == "extra name":
        attributes["extra"] = {text: "B"}
    elif where == "extra nested":
        attributes["extra"] = {"cards": [{"library": text}]}
    else:
        attributes[where] = text
    return attributes


@pytest.mark.parametrize(("char", "code_point"), SPOOFING, ids=[c for _, c in SPOOFING])
@pytest.mark.parametrize(
    "where",
    ["given_name", "family_name", "resident_of", "address.street_address", "address.locality",
     "address.postal_code", "extra.zone", "extra name", "extra nested"],
)
def test_an_attribute_with_an_invisible_control_or_bidi_character_is_refused_naming_the_field(
    where: str, char: str, code_point: str
) -> None:
    with pytest.raises(FormatError) as info:
        resident_from_json(_with(where, f"Eri{char}ka"))
    message = info.value.message
    assert code_point in message
    assert where.split(" ")[0] in message  # the field, e.g. given_name or address.locality or extra
    assert "Eri" not in message  # never the value


def test_a_resident_built_in_code_is_held_to_the_same_rule() -> None:
    with pytest.raises(FormatError, match="family_name"):
        Resident("Erika", "\u202eMustermann", dt.date(1960, 3, 15), "Springfield")
    with pytest.raises(FormatError, match=r"address\.locality"):
        Address(locality="Spring\u200bfield")


def test_attributes_are_normalised_to_nfc() -> None:
    decomposed = "Mo\u0308bius"  # o + combining diaeresis
    resident = resident_from_json({**CLERKS_JSON, "family_name": decomposed, "address": {"locality": "Ko\u0308ln"},
                                   "extra": {"nick": "Jo\u0308"}})
    assert resident.family_name == "Möbius"
    assert resident.address == Address(locality="Köln")
    assert resident.extra == {"nick": "Jö"}
    assert Resident("Erika", decomposed, dt.date(1960, 3, 15), "Springfield").family_name == "Möbius"


def test_ordinary_names_in_any_script_are_accepted() -> None:
    for name in ("Zoë", "Ñúñez", "O'Brien-Smith", "Владимир", "山田", "محمد", "José María", "Nguyễn"):
        assert resident_from_json({**CLERKS_JSON, "given_name": name}).given_name == name


def test_a_birthdate_in_the_future_is_refused_when_today_is_given() -> None:
    today = dt.date(2026, 1, 1)
    with pytest.raises(FormatError, match="birthdate"):
        resident_from_json({**CLERKS_JSON, "birthdate": "2026-01-02"}, today=today)
    assert resident_from_json({**CLERKS_JSON, "birthdate": "2026-01-01"}, today=today).birthdate == today


# --- fact passes -----------------------------------------------------------------------------


def test_a_fact_pass_carries_its_fact_in_the_clear_with_no_digest_and_stays_key_bound(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    senior = replace(resident, birthdate=dt.date(1950, 2, 28))
    now = _ts(dt.date(2026, 3, 1))
    token = _issue(senior, issuer_key, holder_key, now, credential_type=CREDENTIAL_TYPES["resident-65"])
    payload = token.payload()
    assert token.disclosures == ()
    assert not {"_sd", "_sd_alg"} & set(payload)
    assert payload["vct"] == RESIDENT_VCT
    assert (payload["resident_of"], payload["age_over_65"]) == ("Springfield", True)
    assert not {"given_name", "family_name", "birthdate", "address", "age_over_62"} & set(payload)
    assert payload["cnf"]["jwk"] == public_jwk(holder_key.public_key())
    verified = verify_credential(_present(token, holder_key, now), issuer_key.public_key(), key_binding=POLICY,
                                 now=now)
    assert (verified.claims["resident_of"], verified.claims["age_over_65"]) == ("Springfield", True)
    assert verified.disclosed == ()
    with pytest.raises(VerificationFailed) as failed:  # without its KB-JWT, a copied pass is refused
        verify_credential(token.serialize(), issuer_key.public_key(), key_binding=POLICY, now=now)
    assert "kb_missing" in failed.value.codes


@pytest.mark.parametrize(
    ("now", "issued"),
    [(_ts(dt.date(2015, 2, 27), DAY - 1), False), (_ts(dt.date(2015, 2, 28)), True)],
    ids=["the-day-before-the-65th-birthday", "on-it"],
)
def test_an_age_pass_is_signed_only_from_the_birthday_on_never_false(
    resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey, now: int, issued: bool
) -> None:
    senior = replace(resident, birthdate=dt.date(1950, 2, 28))
    kind = CREDENTIAL_TYPES["resident-65"]
    assert [k.name for k in standard_types(senior, now=now) if k.vct == RESIDENT_VCT][-1] == (
        "resident-65" if issued else "resident-62"
    )
    if issued:
        assert _issue(senior, issuer_key, holder_key, now, credential_type=kind).payload()["age_over_65"] is True
    else:
        with pytest.raises(FactNotHeld):
            _issue(senior, issuer_key, holder_key, now, credential_type=kind)


def test_the_standard_batch_holds_every_other_type_and_the_passes_that_hold(resident: Resident) -> None:
    now = _ts(dt.date(2026, 6, 1))
    child = replace(resident, birthdate=dt.date(2016, 1, 1))
    adult = replace(resident, birthdate=dt.date(2000, 1, 1))
    senior = replace(resident, birthdate=dt.date(1950, 1, 1))
    names = {who: [k.name for k in standard_types(r, now=now)] for who, r in
             (("child", child), ("adult", adult), ("senior", senior))}
    base = ["residency", "residency-youth", "residency-senior", "identity", "resident"]
    assert names["child"] == base
    assert names["adult"] == [*base, "resident-13", "resident-16", "resident-18", "resident-21"]
    assert names["senior"] == [*base, *(f"resident-{n}" for n in AGE_THRESHOLDS)]
