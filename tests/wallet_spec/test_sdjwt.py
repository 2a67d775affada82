"""SD-JWT issuance, the compact container, and unfolding disclosures back into claims."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from wallet_spec import jws
from wallet_spec.disclosure import Disclosure
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps, json_dumps_spaced
from wallet_spec.errors import DisclosureMalformed, FormatError, TooLarge, UsageError
from wallet_spec.jwk import PrivateKey, public_jwk
from wallet_spec.sdjwt import SD, SD_ALG, Limits, SdJwt, issue, unfold


def _counter_salt() -> Any:
    counter = itertools.count()
    return lambda: b64url_encode(next(counter).to_bytes(16, "big"))


def _digests(node: Any) -> list[str]:
    """Every digest embedded anywhere in a payload or disclosure value."""
    found: list[str] = []
    if isinstance(node, dict):
        found.extend(node.get("_sd", []))
        if isinstance(node.get("..."), str):
            found.append(node["..."])
        for key, value in node.items():
            if key not in ("_sd", "..."):
                found.extend(_digests(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_digests(item))
    return found


# --- issuance ------------------------------------------------------------------


def test_issued_payload_hides_selectively_disclosable_claims(credential: SdJwt) -> None:
    payload = credential.payload()
    raw_payload = b64url_decode(credential.jwt.split(".")[1]).decode()
    for hidden in ("given_name", "family_name", "email", "address", "Erika", "Köln", "Heidestraße"):
        assert hidden not in raw_payload
    assert payload["iss"] == "https://issuer.example"
    assert payload["plain"] == {"kept": True}
    assert payload["nationalities"][2] == "US"
    assert [set(e) for e in payload["nationalities"][:2]] == [{"..."}, {"..."}]


def test_issued_payload_names_its_hash_and_holder_key(credential: SdJwt, holder_key: PrivateKey) -> None:
    payload = credential.payload()
    assert payload["_sd_alg"] == SD_ALG == "sha-256"
    assert payload["cnf"] == {"jwk": public_jwk(holder_key)}


def test_credential_without_holder_key_has_no_cnf(issuer_key: PrivateKey) -> None:
    assert "cnf" not in issue({"a": SD(1)}, issuer_key, header={}).payload()


def test_issuer_signature_verifies(credential: SdJwt, issuer_key: PrivateKey) -> None:
    assert jws.signature_valid(jws.parse(credential.jwt), issuer_key.public_key())


def test_one_disclosure_per_sd_marker_each_referenced_exactly_once(credential: SdJwt) -> None:
    # given, family, email, address, street, locality, DE, FR
    assert len(credential.disclosures) == 8
    embedded = _digests(credential.payload())
    for d in credential.disclosures:
        embedded += _digests(d.value)
    assert sorted(embedded) == sorted(d.digest for d in credential.disclosures)


def test_nested_disclosures_are_recursive_children_first(credential: SdJwt) -> None:
    by_name = {d.name: d for d in credential.disclosures}
    address = by_name["address"]
    assert address.value["country"] == "DE"
    assert sorted(address.value["_sd"]) == sorted([by_name["street_address"].digest, by_name["locality"].digest])
    order = [d.name for d in credential.disclosures]
    assert order.index("street_address") < order.index("address")


def test_sd_digests_are_sorted_so_their_order_says_nothing(credential: SdJwt) -> None:
    sd = credential.payload()["_sd"]
    assert sd == sorted(sd)


def test_object_without_disclosable_claims_has_no_sd_key(credential: SdJwt) -> None:
    assert "_sd" not in credential.payload()["plain"]


def test_same_salts_give_the_same_payload_and_disclosures(issuer_key: PrivateKey) -> None:
    claims = {"a": SD(1), "b": [SD("x"), 2], "c": SD({"d": SD(None)})}
    one = issue(claims, issuer_key, header={}, salt=_counter_salt())
    two = issue(claims, issuer_key, header={}, salt=_counter_salt())
    assert one.payload() == two.payload()
    assert one.disclosures == two.disclosures


def test_header_is_kept_and_alg_forced(issuer_key: PrivateKey) -> None:
    token = issue({}, issuer_key, header={"typ": "dc+sd-jwt", "kid": "k", "alg": "none"})
    assert jws.parse(token.jwt).header == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": "k"}


@pytest.mark.parametrize(
    "claims",
    [
        {"_sd": [1]},
        {"...": 1},
        {"a": {"_sd": SD(1)}},
        {"a": [{"...": "x"}]},
        {"_sd": SD(1)},
        {"a": SD(SD(1))},
        {"a": [SD(SD(1))]},
        {1: "numeric name"},
    ],
    ids=repr,
)
def test_issuing_a_claim_the_format_cannot_express_is_a_usage_error(
    issuer_key: PrivateKey, claims: dict[Any, Any]
) -> None:
    with pytest.raises(UsageError):
        issue(claims, issuer_key, header={})


def test_pad_to_fills_sd_arrays_with_decoys(issuer_key: PrivateKey) -> None:
    claims = {"a": SD(1), "obj": {"b": SD(2)}, "empty": {}}
    token = issue(claims, issuer_key, header={}, pad_to={(): 5, ("obj",): 3, ("empty",): 2})
    payload = token.payload()
    assert len(payload["_sd"]) == 5
    assert len(payload["obj"]["_sd"]) == 3
    assert len(payload["empty"]["_sd"]) == 2
    assert len(set(_digests(payload))) == 10
    assert len(token.disclosures) == 2


def test_pad_to_fills_arrays_with_decoy_elements(issuer_key: PrivateKey) -> None:
    token = issue({"arr": [SD("x"), "y"]}, issuer_key, header={}, pad_to={("arr",): 6})
    arr = token.payload()["arr"]
    assert len(arr) == 6
    assert arr.count("y") == 1
    assert sum(isinstance(e, dict) and set(e) == {"..."} for e in arr) == 5


def test_pad_to_never_removes_digests(issuer_key: PrivateKey) -> None:
    token = issue({"a": SD(1), "b": SD(2), "c": SD(3)}, issuer_key, header={}, pad_to={(): 1})
    assert len(token.payload()["_sd"]) == 3


def test_decoys_unfold_to_nothing(issuer_key: PrivateKey) -> None:
    claims = {"a": SD(1), "arr": [SD("x"), "y"], "obj": {"b": SD(2)}}
    padded = issue(claims, issuer_key, header={}, pad_to={(): 9, ("arr",): 7, ("obj",): 4})
    result = unfold(padded.payload(), padded.disclosures)
    assert result.errors == ()
    assert result.claims == {"a": 1, "arr": ["x", "y"], "obj": {"b": 2}}


def test_issue_can_spell_json_like_the_rfc_examples(issuer_key: PrivateKey) -> None:
    token = issue({"a": SD("b")}, issuer_key, header={}, dumps=json_dumps_spaced)
    assert b64url_decode(token.disclosures[0].encoded).endswith(b', "a", "b"]')
    assert unfold(token.payload(), token.disclosures).claims == {"a": "b"}


# --- the compact container ---------------------------------------------------


def test_serialized_credential_parses_back_to_the_same_parts(credential: SdJwt) -> None:
    text = credential.serialize()
    assert text.endswith("~")
    assert text.count("~") == len(credential.disclosures) + 1
    assert SdJwt.parse(text) == credential


def test_sd_part_covers_jwt_and_disclosures_but_not_the_kb_jwt(credential: SdJwt) -> None:
    with_kb = SdJwt(credential.jwt, credential.disclosures, "a.b.c")
    assert with_kb.sd_part == credential.serialize()
    assert with_kb.serialize() == credential.serialize() + "a.b.c"
    parsed = SdJwt.parse(with_kb.serialize())
    assert parsed.kb_jwt == "a.b.c"
    assert parsed.disclosures == credential.disclosures


def test_sd_jwt_without_disclosures_is_just_the_jwt_and_a_tilde(credential: SdJwt) -> None:
    parsed = SdJwt.parse(credential.jwt + "~")
    assert parsed.disclosures == ()
    assert parsed.kb_jwt is None


def test_missing_final_tilde_makes_the_last_part_a_kb_jwt(credential: SdJwt) -> None:
    text = credential.serialize()[:-1]
    parsed = SdJwt.parse(text)
    assert parsed.kb_jwt == credential.disclosures[-1].encoded
    assert len(parsed.disclosures) == len(credential.disclosures) - 1


def test_size_limit_is_checked_before_anything_is_parsed() -> None:
    # Not even valid characters: TooLarge wins because nothing was read.
    with pytest.raises(TooLarge):
        SdJwt.parse("!" * 101, limits=Limits(max_length=100))


def test_a_credential_one_character_over_the_limit_is_refused(credential: SdJwt) -> None:
    text = credential.serialize()
    assert SdJwt.parse(text, limits=Limits(max_length=len(text))) == credential
    with pytest.raises(TooLarge):
        SdJwt.parse(text, limits=Limits(max_length=len(text) - 1))


def test_too_many_disclosures_are_refused_before_any_is_decoded(credential: SdJwt) -> None:
    with pytest.raises(TooLarge):
        SdJwt.parse(credential.jwt + "~" + "garbage~" * 4, limits=Limits(max_disclosures=3))
    n = len(credential.disclosures)
    assert SdJwt.parse(credential.serialize(), limits=Limits(max_disclosures=n)) == credential
    with pytest.raises(TooLarge):
        SdJwt.parse(credential.serialize(), limits=Limits(max_disclosures=n - 1))


def test_too_large_is_a_format_error() -> None:
    with pytest.raises(FormatError) as info:
        SdJwt.parse("a" * 70_000)
    assert info.value.code == "too_large"


@pytest.mark.parametrize("bad", [" ", "\n", "+", "/", "=", "é", "\x00", ","])
def test_characters_outside_the_compact_alphabet_are_refused(credential: SdJwt, bad: str) -> None:
    text = credential.serialize()
    with pytest.raises(FormatError):
        SdJwt.parse(text[:20] + bad + text[20:])


@pytest.mark.parametrize("text", ["", "~", "~abc~", "a.b.c", "~~"])
def test_input_that_is_not_an_sd_jwt_is_refused(text: str) -> None:
    with pytest.raises(FormatError):
        SdJwt.parse(text)


def test_empty_disclosure_between_two_tildes_is_refused(credential: SdJwt) -> None:
    text = credential.serialize()
    with pytest.raises(FormatError, match="empty disclosure"):
        SdJwt.parse(text.replace("~", "~~", 1))
    with pytest.raises(FormatError, match="empty disclosure"):
        SdJwt.parse(credential.jwt + "~~")


def test_non_canonical_disclosure_is_refused(credential: SdJwt) -> None:
    d = credential.disclosures[0].encoded
    tail = d[-1]
    # Change only the trailing bits so the bytes decode the same but the text differs.
    assert len(d) % 4 != 0
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(tail) ^ 1]
    text = credential.jwt + "~" + d[:-1] + sibling + "~"
    with pytest.raises(DisclosureMalformed):
        SdJwt.parse(text)


def test_disclosure_that_is_not_an_array_is_refused(credential: SdJwt) -> None:
    bad = b64url_encode(json_dumps({"salt": "s"}).encode())
    with pytest.raises(DisclosureMalformed):
        SdJwt.parse(credential.jwt + "~" + bad + "~")


def test_payload_is_readable_without_verification(forge: Any, other_key: PrivateKey) -> None:
    token = SdJwt(forge.jwt({"a": 1}, key=other_key))
    assert token.payload() == {"a": 1}


# --- unfolding -------------------------------------------------------------------


def test_unfolding_every_disclosure_gives_back_the_original_claims(
    credential: SdJwt, plain_claims: dict[str, Any], holder_key: PrivateKey
) -> None:
    result = unfold(credential.payload(), credential.disclosures)
    assert result.errors == ()
    assert result.unreferenced == ()
    assert result.claims == {**plain_claims, "cnf": {"jwk": public_jwk(holder_key)}}


def test_unfolding_no_disclosures_leaves_only_plain_claims(credential: SdJwt) -> None:
    claims = unfold(credential.payload(), ()).claims
    assert set(claims) == {"iss", "iat", "exp", "nationalities", "plain", "cnf"}
    assert claims["nationalities"] == ["US"]


def test_unfolding_records_where_each_disclosure_went(credential: SdJwt) -> None:
    result = unfold(credential.payload(), credential.disclosures)
    by_name = {d.name or d.value: d.digest for d in credential.disclosures}
    paths = {digest: ref.path for digest, ref in result.references.items()}
    assert paths[by_name["given_name"]] == ("given_name",)
    assert paths[by_name["locality"]] == ("address", "locality")
    assert paths[by_name["DE"]] == ("nationalities", 0)
    assert paths[by_name["FR"]] == ("nationalities", 1)
    assert result.references[by_name["locality"]].parent == by_name["address"]
    assert result.references[by_name["given_name"]].parent is None


def test_array_indices_count_only_the_elements_shown(credential: SdJwt) -> None:
    fr = next(d for d in credential.disclosures if d.value == "FR")
    result = unfold(credential.payload(), [fr])
    assert result.claims["nationalities"] == ["FR", "US"]
    assert result.references[fr.digest].path == ("nationalities", 0)


def test_unfolding_collects_problems_instead_of_raising(credential: SdJwt) -> None:
    stray = Disclosure.create("c2FsdA", "stray", 1)
    twice = credential.disclosures[0]
    result = unfold(credential.payload(), [*credential.disclosures, twice, stray])
    assert [e.code for e in result.errors] == ["disclosure_duplicate"]
    assert result.unreferenced == (stray,)


def test_unfolding_absurdly_deep_claims_is_a_format_error_not_a_crash() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(FormatError):
        unfold({"a": deep}, ())
