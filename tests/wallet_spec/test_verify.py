"""Verification of SD-JWT presentations: every rule of RFC 9901 §7.1 and §7.3, all failures reported.

Malicious tokens are built with the `forge` fixture: it signs any payload with the
issuer's key (so only the rule under test is broken) or with an untrusted key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import pytest

from wallet_spec import jws
from wallet_spec.disclosure import Disclosure
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps
from wallet_spec.errors import FormatError, TooLarge, UnknownKey, VerificationError, VerificationFailed
from wallet_spec.jwk import PrivateKey, PublicKey, public_jwk, thumbprint
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.present import present, select
from wallet_spec.sdjwt import SD, Limits, SdJwt, issue
from wallet_spec.verify import verify


def _all_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _all_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _all_keys(v)}
    return set()


# --- a valid presentation ----------------------------------------------------


def test_full_disclosure_verifies_to_the_original_claims(
    credential: SdJwt, forge: Any, plain_claims: dict[str, Any], holder_key: PrivateKey
) -> None:
    verified = forge.verify(credential.serialize())
    assert verified.claims == {**plain_claims, "cnf": {"jwk": public_jwk(holder_key)}}
    assert verified.header == {"alg": "ES256", "typ": forge.typ}
    assert verified.key_binding is None


def test_sd_and_sd_alg_never_reach_the_application(credential: SdJwt, forge: Any) -> None:
    for shown in (credential.disclosures, (), credential.disclosures[:3]):
        claims = forge.verify(SdJwt(credential.jwt, shown)).claims
        assert not {"_sd", "_sd_alg", "..."} & _all_keys(claims)


def test_undisclosed_array_elements_and_decoys_are_removed(issuer_key: PrivateKey, forge: Any) -> None:
    token = issue(
        {"arr": [SD("a"), "b", SD("c"), {"d": SD(1)}]}, issuer_key, header={"typ": forge.typ}, pad_to={("arr",): 8}
    )
    c = next(d for d in token.disclosures if d.value == "c")
    assert forge.verify(SdJwt(token.jwt, (c,))).claims["arr"] == ["b", "c", {}]


def test_object_left_with_no_properties_is_an_empty_object(issuer_key: PrivateKey, forge: Any) -> None:
    token = issue({"obj": {"a": SD(1)}}, issuer_key, header={"typ": forge.typ})
    assert forge.verify(SdJwt(token.jwt)).claims["obj"] == {}


def test_disclosed_paths_name_every_claim_shown(credential: SdJwt, forge: Any) -> None:
    chosen = select(credential, [("address", "locality"), ("nationalities", 1)])
    assert sorted(forge.verify(chosen).disclosed, key=str) == sorted(
        [("address",), ("address", "locality"), ("nationalities", 0)], key=str
    )


def test_verify_accepts_a_parsed_sd_jwt_as_well_as_text(credential: SdJwt, forge: Any) -> None:
    assert forge.verify(credential).claims == forge.verify(credential.serialize()).claims


def test_missing_sd_alg_means_sha256(forge: Any) -> None:
    d = forge.disclosure("a", 1)
    payload = forge.payload(_sd=[d.digest])
    del payload["_sd_alg"]
    assert forge.verify(forge.sd_jwt(forge.jwt(payload), [d])).claims["a"] == 1


# --- §7.1 step 2: the issuer-signed JWT ----------------------------------------


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES384", "EdDSA", "", None, ["ES256"]])
def test_issuer_jwt_with_a_disallowed_alg_is_rejected(forge: Any, alg: Any) -> None:
    header = {"typ": forge.typ} if alg is None else {"alg": alg, "typ": forge.typ}
    token = forge.raw_jwt(header, forge.payload(), b"\x00\x01")
    assert forge.codes(token + "~") == ["alg_not_allowed"]


def test_alg_none_with_an_empty_signature_is_malformed(forge: Any) -> None:
    token = forge.raw_jwt({"alg": "none"}, forge.payload(), b"")
    assert token.endswith(".")
    with pytest.raises(FormatError):
        forge.verify(token + "~")


def test_hs256_signed_with_the_issuers_public_key_is_rejected(forge: Any, issuer_key: PrivateKey) -> None:
    # The classic key-confusion attack: an HMAC keyed with the public key the verifier trusts.
    secret = json_dumps(public_jwk(issuer_key)).encode()
    head = b64url_encode(json_dumps({"alg": "HS256", "typ": forge.typ}).encode())
    body = b64url_encode(json_dumps(forge.payload()).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert forge.codes(f"{head}.{body}.{b64url_encode(mac)}~") == ["alg_not_allowed"]


def test_issuer_jwt_signed_by_another_key_is_rejected(forge: Any, other_key: PrivateKey) -> None:
    assert forge.codes(forge.jwt(forge.payload(), key=other_key) + "~") == ["signature_invalid"]


def test_key_embedded_in_the_header_is_never_trusted(forge: Any, other_key: PrivateKey) -> None:
    header = {"typ": forge.typ, "jwk": public_jwk(other_key), "kid": thumbprint(other_key), "jku": "https://x"}
    assert forge.codes(forge.jwt(forge.payload(), header=header, key=other_key) + "~") == ["signature_invalid"]


def test_tampered_issuer_payload_is_rejected(credential: SdJwt, forge: Any) -> None:
    head, _, sig = credential.jwt.split(".")
    payload = json_dumps({**credential.payload(), "iss": "https://evil.example"}).encode()
    assert forge.codes(SdJwt(f"{head}.{b64url_encode(payload)}.{sig}")) == ["signature_invalid"]


def test_tampered_issuer_signature_is_rejected(credential: SdJwt, forge: Any) -> None:
    head, body, sig = credential.jwt.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[-1] ^= 0x80
    assert forge.codes(SdJwt(f"{head}.{body}.{b64url_encode(bytes(raw))}")) == ["signature_invalid"]


def test_key_resolver_sees_the_header_and_payload_and_supplies_the_key(
    credential: SdJwt, forge: Any, issuer_key: PrivateKey
) -> None:
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def resolver(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        seen.append((dict(header), dict(payload)))
        return issuer_key.public_key()

    verify(credential, resolver, now=forge.now)
    assert seen == [(forge.verify(credential).header, credential.payload())]


def test_key_resolver_that_knows_no_key_gives_unknown_key(credential: SdJwt, forge: Any) -> None:
    def resolver(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        raise UnknownKey("no key for kid")

    with pytest.raises(VerificationFailed) as info:
        verify(credential, resolver, now=forge.now)
    assert info.value.codes == ["unknown_key"]


def test_key_resolver_is_not_consulted_for_a_disallowed_alg(forge: Any) -> None:
    def resolver(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        raise AssertionError("must not be called")

    token = forge.raw_jwt({"alg": "none"}, forge.payload()) + "~"
    with pytest.raises(VerificationFailed) as info:
        verify(token, resolver, now=forge.now)
    assert info.value.codes == ["alg_not_allowed"]


@pytest.mark.parametrize("typ", ["jwt", "kb+jwt", "dc+sd-jwt", None])
def test_issuer_jwt_with_the_wrong_typ_is_rejected(forge: Any, typ: str | None) -> None:
    header = {} if typ is None else {"typ": typ}
    assert forge.codes(forge.jwt(forge.payload(), header=header) + "~", typ=forge.typ) == ["typ_invalid"]


def test_typ_is_only_enforced_when_the_verifier_asks(forge: Any) -> None:
    forge.verify(forge.jwt(forge.payload(), header={"typ": "whatever"}) + "~")
    forge.verify(forge.jwt(forge.payload()) + "~", typ="application/" + forge.typ.upper())


def test_issuer_jwt_with_a_crit_header_is_rejected(forge: Any) -> None:
    token = forge.jwt(forge.payload(), header={"typ": forge.typ, "crit": ["exp"], "exp": 1})
    assert forge.codes(token + "~") == ["header_invalid"]


@pytest.mark.parametrize("sd_alg", ["sha-512", "SHA-256", "sha256", "md5", "", 256, None, ["sha-256"]])
def test_unsupported_sd_alg_is_rejected(forge: Any, sd_alg: Any) -> None:
    d = forge.disclosure("a", 1)
    token = forge.jwt(forge.payload(_sd=[d.digest], _sd_alg=sd_alg))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["sd_alg_unsupported"]


# --- §7.1 steps 3-5: disclosures and digests ----------------------------------


def test_disclosure_not_referenced_by_the_credential_is_rejected(forge: Any) -> None:
    d, stray = forge.disclosure("a", 1), forge.disclosure("b", 2)
    token = forge.jwt(forge.payload(_sd=[d.digest]))
    assert forge.codes(forge.sd_jwt(token, [d, stray])) == ["disclosure_unreferenced"]


def test_disclosure_from_another_credential_is_rejected(credential: SdJwt, forge: Any, issuer_key: PrivateKey) -> None:
    other = issue({"given_name": SD("Mallory")}, issuer_key, header={"typ": forge.typ})
    assert forge.codes(SdJwt(credential.jwt, (*credential.disclosures, *other.disclosures))) == [
        "disclosure_unreferenced"
    ]


def test_child_disclosure_without_its_parent_is_unreferenced(credential: SdJwt, forge: Any) -> None:
    locality = next(d for d in credential.disclosures if d.name == "locality")
    assert forge.codes(SdJwt(credential.jwt, (locality,))) == ["disclosure_unreferenced"]


def test_disclosure_sent_twice_is_rejected(credential: SdJwt, forge: Any) -> None:
    first = credential.disclosures[0]
    assert forge.codes(SdJwt(credential.jwt, (*credential.disclosures, first))) == ["disclosure_duplicate"]


def test_digest_embedded_in_two_places_is_rejected(forge: Any) -> None:
    d = forge.disclosure("a", 1)
    token = forge.jwt(forge.payload(_sd=[d.digest], nested={"_sd": [d.digest]}))
    assert "digest_duplicate" in forge.codes(forge.sd_jwt(token, [d]))


def test_digest_listed_twice_in_one_sd_array_is_rejected(forge: Any) -> None:
    d = forge.disclosure("a", 1)
    token = forge.jwt(forge.payload(_sd=[d.digest, d.digest]))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["digest_duplicate"]


def test_repeated_decoy_digest_is_rejected_even_without_a_disclosure(forge: Any) -> None:
    decoy = b64url_encode(hashlib.sha256(b"decoy").digest())
    token = forge.jwt(forge.payload(_sd=[decoy], arr=[{"...": decoy}]))
    assert forge.codes(token + "~") == ["digest_duplicate"]


def test_digest_repeated_inside_a_disclosure_is_rejected(forge: Any) -> None:
    child = forge.disclosure("c", 1)
    parent = forge.disclosure("p", {"_sd": [child.digest]})
    token = forge.jwt(forge.payload(_sd=[parent.digest, child.digest]))
    assert "digest_duplicate" in forge.codes(forge.sd_jwt(token, [child, parent]))


@pytest.mark.parametrize("name", ["_sd", "..."])
def test_disclosure_naming_a_reserved_claim_is_rejected(forge: Any, name: str) -> None:
    d = forge.raw_disclosure(["c2FsdHNhbHRzYWx0", name, ["x"]])
    token = forge.jwt(forge.payload(_sd=[d.digest]))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["disclosure_name_reserved"]


def test_disclosure_overwriting_a_plain_claim_is_rejected(forge: Any) -> None:
    d = forge.disclosure("iss", "https://evil.example")
    token = forge.jwt(forge.payload(_sd=[d.digest]))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["claim_overwrite"]


def test_two_disclosures_of_the_same_claim_name_are_rejected(forge: Any) -> None:
    a, b = forge.disclosure("role", "user"), forge.disclosure("role", "admin")
    token = forge.jwt(forge.payload(_sd=[a.digest, b.digest]))
    assert forge.codes(forge.sd_jwt(token, [a, b])) == ["claim_overwrite"]


def test_nested_disclosure_overwriting_a_sibling_is_rejected(forge: Any) -> None:
    d = forge.disclosure("country", "XX")
    token = forge.jwt(forge.payload(address={"country": "DE", "_sd": [d.digest]}))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["claim_overwrite"]


def test_array_element_disclosure_referenced_from_sd_is_rejected(forge: Any) -> None:
    d = forge.disclosure(None, "FR")
    token = forge.jwt(forge.payload(_sd=[d.digest]))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["disclosure_kind_mismatch"]


def test_object_property_disclosure_used_as_array_element_is_rejected(forge: Any) -> None:
    d = forge.disclosure("nationality", "FR")
    token = forge.jwt(forge.payload(nationalities=[{"...": d.digest}]))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["disclosure_kind_mismatch"]


@pytest.mark.parametrize("sd", ["abc", [1], ["ok", None], {"a": "b"}, 7, [["x"]]], ids=repr)
def test_sd_that_is_not_an_array_of_strings_is_rejected(forge: Any, sd: Any) -> None:
    token = forge.jwt(forge.payload(nested={"_sd": sd}))
    assert forge.codes(token + "~") == ["sd_invalid"]


@pytest.mark.parametrize(
    "element",
    [{"...": "digest", "extra": 1}, {"...": 5}, {"...": None}, {"...": ["digest"]}],
    ids=repr,
)
def test_array_digest_element_must_be_exactly_a_dots_key_with_a_string(forge: Any, element: Any) -> None:
    token = forge.jwt(forge.payload(arr=["a", element]))
    assert forge.codes(token + "~") == ["sd_invalid"]


def test_array_digest_element_with_extra_key_is_rejected_even_when_disclosed(forge: Any) -> None:
    d = forge.disclosure(None, "FR")
    token = forge.jwt(forge.payload(arr=[{"...": d.digest, "extra": 1}]))
    assert "sd_invalid" in forge.codes(forge.sd_jwt(token, [d]))


def test_dots_key_in_an_object_that_is_not_an_array_element_is_rejected(forge: Any) -> None:
    d = forge.disclosure(None, "FR")
    token = forge.jwt(forge.payload(obj={"...": d.digest}))
    assert "sd_invalid" in forge.codes(forge.sd_jwt(token, [d]))


def test_structure_errors_inside_a_disclosure_are_found_too(forge: Any) -> None:
    d = forge.disclosure("p", {"_sd": "not-a-list"})
    token = forge.jwt(forge.payload(_sd=[d.digest]))
    assert forge.codes(forge.sd_jwt(token, [d])) == ["sd_invalid"]


# --- §7.1 step 6: validity claims ---------------------------------------------


@pytest.mark.parametrize(
    ("claims", "leeway", "expected"),
    [
        ({"exp": "now-61"}, 60, ["expired"]),
        ({"exp": "now-60"}, 60, ["expired"]),
        ({"exp": "now-59"}, 60, []),
        ({"exp": "now+1"}, 0, []),
        ({"exp": "now"}, 0, ["expired"]),
        ({"nbf": "now+61"}, 60, ["not_yet_valid"]),
        ({"nbf": "now+60"}, 60, []),
        ({"nbf": "now+1"}, 0, ["not_yet_valid"]),
        ({"iat": "now+61"}, 60, ["not_yet_valid"]),
        ({"iat": "now+60"}, 60, []),
    ],
    ids=repr,
)
def test_validity_claims_are_checked_with_leeway(
    forge: Any, claims: dict[str, str], leeway: int, expected: list[str]
) -> None:
    values = {name: forge.now + int(spec[3:] or 0) for name, spec in claims.items()}
    token = forge.jwt(forge.payload(**values)) + "~"
    if expected:
        assert forge.codes(token, leeway=leeway) == expected
    else:
        forge.verify(token, leeway=leeway)


@pytest.mark.parametrize("value", ["tomorrow", True, None, [1], {"t": 1}], ids=repr)
def test_validity_claim_that_is_not_a_number_is_invalid(forge: Any, value: Any) -> None:
    payload = forge.payload(exp=value)
    if value is None:
        payload["nbf"] = "soon"
    token = forge.jwt(payload) + "~"
    assert forge.codes(token) == ["claim_invalid"]


def test_credential_without_validity_claims_is_accepted_by_the_core(forge: Any) -> None:
    payload = forge.payload()
    del payload["iat"], payload["exp"]
    forge.verify(forge.jwt(payload) + "~")


def test_disclosed_expiry_is_enforced(forge: Any) -> None:
    d = forge.disclosure("exp", forge.now - 1000)
    payload = forge.payload(_sd=[d.digest])
    del payload["exp"]
    assert forge.codes(forge.sd_jwt(forge.jwt(payload), [d])) == ["expired"]


# --- §7.3: key binding --------------------------------------------------------


REQUIRED = KeyBindingPolicy(required=True, nonce="n-0S6_WzA2Mj", aud="https://verifier.example")


def test_bound_presentation_verifies_and_returns_the_kb_claims(credential: SdJwt, forge: Any) -> None:
    text = forge.with_kb(select(credential, [("given_name",)]).serialize())
    verified = forge.verify(text, key_binding=REQUIRED)
    assert verified.claims["given_name"] == "Erika"
    assert verified.key_binding is not None
    assert verified.key_binding["nonce"] == REQUIRED.nonce


def test_missing_kb_jwt_is_rejected_when_required(credential: SdJwt, forge: Any) -> None:
    assert forge.codes(credential.serialize(), key_binding=REQUIRED) == ["kb_missing"]


def test_kb_jwt_is_checked_even_when_not_required(credential: SdJwt, forge: Any, other_key: PrivateKey) -> None:
    policy = KeyBindingPolicy(required=False, nonce="expected")
    assert forge.codes(forge.with_kb(credential.serialize(), nonce="other"), key_binding=policy) == ["nonce_mismatch"]
    assert forge.codes(forge.with_kb(credential.serialize(), key=other_key)) == ["kb_signature_invalid"]


def test_kb_jwt_signed_by_another_key_is_rejected(credential: SdJwt, forge: Any, other_key: PrivateKey) -> None:
    text = forge.with_kb(credential.serialize(), key=other_key)
    assert forge.codes(text, key_binding=REQUIRED) == ["kb_signature_invalid"]


def test_kb_jwt_with_the_wrong_typ_is_rejected(credential: SdJwt, forge: Any) -> None:
    sd_part = credential.serialize()
    good = forge.kb(sd_part)
    payload = jws.parse(good).payload
    text = sd_part + forge.kb_raw(payload, header={"typ": "jwt"})
    assert forge.codes(text, key_binding=REQUIRED) == ["typ_invalid"]


def test_kb_jwt_with_alg_none_is_rejected(credential: SdJwt, forge: Any) -> None:
    sd_part = credential.serialize()
    payload = jws.parse(forge.kb(sd_part)).payload
    text = sd_part + forge.raw_jwt({"alg": "none", "typ": "kb+jwt"}, payload, b"\x00")
    assert forge.codes(text, key_binding=REQUIRED) == ["alg_not_allowed"]


@pytest.mark.parametrize("age", [361, 3600, -61, -3600])
def test_stale_or_future_kb_jwt_is_rejected(credential: SdJwt, forge: Any, age: int) -> None:
    text = forge.with_kb(credential.serialize(), iat=forge.now - age)
    assert forge.codes(text, key_binding=REQUIRED) == ["kb_iat_invalid"]


def test_replayed_nonce_is_rejected(credential: SdJwt, forge: Any) -> None:
    text = forge.with_kb(credential.serialize(), nonce="yesterdays-nonce")
    assert forge.codes(text, key_binding=REQUIRED) == ["nonce_mismatch"]


def test_presentation_made_for_another_verifier_is_rejected(credential: SdJwt, forge: Any) -> None:
    text = forge.with_kb(credential.serialize(), aud="https://other-verifier.example")
    assert forge.codes(text, key_binding=REQUIRED) == ["aud_mismatch"]


def test_disclosure_dropped_after_key_binding_is_detected(credential: SdJwt, forge: Any) -> None:
    text = forge.with_kb(credential.serialize())
    parsed = SdJwt.parse(text)
    trimmed = SdJwt(parsed.jwt, parsed.disclosures[1:], parsed.kb_jwt)
    assert forge.codes(trimmed.serialize(), key_binding=REQUIRED) == ["sd_hash_mismatch"]


def test_disclosure_added_after_key_binding_is_detected(credential: SdJwt, forge: Any) -> None:
    chosen = select(credential, [("given_name",)])
    parsed = SdJwt.parse(forge.with_kb(chosen.serialize()))
    extra = next(d for d in credential.disclosures if d.name == "email")
    grown = SdJwt(parsed.jwt, (*parsed.disclosures, extra), parsed.kb_jwt)
    assert forge.codes(grown.serialize(), key_binding=REQUIRED) == ["sd_hash_mismatch"]


def test_kb_jwt_moved_to_another_credential_is_detected(
    credential: SdJwt, forge: Any, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    kb = SdJwt.parse(forge.with_kb(credential.serialize())).kb_jwt
    other = issue({"a": SD(1)}, issuer_key, header={"typ": forge.typ}, holder_jwk=public_jwk(holder_key))
    assert forge.codes(other.serialize() + (kb or ""), key_binding=REQUIRED) == ["sd_hash_mismatch"]


def test_kb_jwt_for_a_credential_without_cnf_is_rejected(forge: Any) -> None:
    payload = forge.payload()
    del payload["cnf"]
    sd_part = forge.jwt(payload) + "~"
    assert forge.codes(forge.with_kb(sd_part), key_binding=REQUIRED) == ["cnf_missing"]


def test_cnf_hidden_in_a_disclosure_that_was_not_sent_is_missing(forge: Any, holder_key: PrivateKey) -> None:
    d = forge.disclosure("cnf", {"jwk": public_jwk(holder_key)})
    payload = forge.payload(_sd=[d.digest])
    del payload["cnf"]
    sd_part = forge.jwt(payload) + "~"
    assert forge.codes(forge.with_kb(sd_part), key_binding=REQUIRED) == ["cnf_missing"]


@pytest.mark.parametrize(("claim", "value"), [("nonce", 123), ("nonce", None), ("aud", ["a", "b"]), ("aud", 1)])
def test_kb_jwt_with_a_non_string_nonce_or_aud_is_invalid(
    credential: SdJwt, forge: Any, claim: str, value: Any
) -> None:
    sd_part = credential.serialize()
    payload = {**jws.parse(forge.kb(sd_part)).payload, claim: value}
    assert forge.codes(sd_part + forge.kb_raw(payload), key_binding=REQUIRED) == ["kb_invalid"]


def test_malformed_kb_jwt_is_a_format_error(credential: SdJwt, forge: Any) -> None:
    with pytest.raises(FormatError):
        forge.verify(credential.serialize() + "not-a-jwt", key_binding=REQUIRED)


# --- every failure at once -------------------------------------------------------


def test_expired_credential_with_a_replayed_nonce_reports_both(forge: Any) -> None:
    sd_part = forge.jwt(forge.payload(exp=forge.now - 3600)) + "~"
    text = forge.with_kb(sd_part, nonce="old")
    assert forge.codes(text, key_binding=REQUIRED) == ["expired", "nonce_mismatch"]


def test_all_independent_failures_are_collected(forge: Any, other_key: PrivateKey) -> None:
    stray = forge.disclosure("x", 1)
    twice = forge.disclosure("y", 2)
    payload = forge.payload(exp=forge.now - 3600, nbf=forge.now + 3600, _sd=[twice.digest])
    jwt = forge.jwt(payload, header={"typ": "jwt"}, key=other_key)
    sd_part = forge.sd_jwt(jwt, [stray, twice, twice])
    text = sd_part + forge.kb(sd_part, aud="elsewhere", iat=forge.now - 7200)
    codes = forge.codes(text, typ=forge.typ, key_binding=REQUIRED)
    assert codes == sorted(
        [
            "typ_invalid",
            "signature_invalid",
            "disclosure_duplicate",
            "disclosure_unreferenced",
            "expired",
            "not_yet_valid",
            "aud_mismatch",
            "kb_iat_invalid",
        ]
    )


def test_verification_failed_lists_each_error_with_code_and_message(forge: Any) -> None:
    sd_part = forge.jwt(forge.payload(exp=forge.now - 3600)) + "~"
    with pytest.raises(VerificationFailed) as info:
        forge.verify(forge.with_kb(sd_part, nonce="old"), key_binding=REQUIRED)
    failure = info.value
    assert isinstance(failure, VerificationError)
    assert [e.as_dict()["code"] for e in failure.errors] == failure.codes
    assert "expired" in failure.message
    assert "nonce_mismatch" in failure.message


# --- input that cannot be read ----------------------------------------------------


def test_presentation_over_the_size_limit_is_refused_before_parsing(credential: SdJwt, forge: Any) -> None:
    text = credential.serialize()
    with pytest.raises(TooLarge):
        forge.verify(text, limits=Limits(max_length=len(text) - 1))
    with pytest.raises(TooLarge):
        forge.verify("~" * 70_000)


def test_presentation_with_too_many_disclosures_is_refused(credential: SdJwt, forge: Any) -> None:
    with pytest.raises(TooLarge):
        forge.verify(credential.serialize(), limits=Limits(max_disclosures=2))


@pytest.mark.parametrize("bad", [" ", "\n", "=", "+", "\u00e9"])
def test_presentation_with_bad_characters_is_malformed(credential: SdJwt, forge: Any, bad: str) -> None:
    with pytest.raises(FormatError):
        forge.verify(credential.serialize() + bad)


def test_presentation_with_an_empty_disclosure_is_malformed(credential: SdJwt, forge: Any) -> None:
    with pytest.raises(FormatError):
        forge.verify(credential.serialize() + "~")


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _same_bytes_other_spelling(part: str) -> str:
    """Flip the lowest (padding) bit of the last character: same bytes, non-canonical text."""
    assert len(part) % 4 in (2, 3)
    return part[:-1] + _ALPHABET[_ALPHABET.index(part[-1]) ^ 1]


def test_non_canonical_base64url_in_the_issuer_jwt_is_malformed(credential: SdJwt, forge: Any) -> None:
    head, body, sig = credential.jwt.split(".")
    with pytest.raises(FormatError, match="canonical"):
        forge.verify(f"{head}.{body}.{_same_bytes_other_spelling(sig)}~")


def test_non_canonical_base64url_in_a_disclosure_is_malformed(forge: Any) -> None:
    d = next(
        forge.disclosure("a", "x" * n) for n in range(8) if len(forge.disclosure("a", "x" * n).encoded) % 4 in (2, 3)
    )
    token = forge.jwt(forge.payload(_sd=[d.digest]))
    with pytest.raises(FormatError, match="canonical"):
        forge.verify(f"{token}~{_same_bytes_other_spelling(d.encoded)}~")


@pytest.mark.parametrize("payload", ['{"iss":"a","iss":"b"}', '{"exp":NaN}', '{"exp":1e999}', "[]", "{"])
def test_issuer_payload_that_is_not_strict_json_is_malformed(forge: Any, payload: str) -> None:
    head = b64url_encode(json_dumps({"alg": "ES256"}).encode())
    token = f"{head}.{b64url_encode(payload.encode())}.{b64url_encode(b'x' * 64)}~"
    with pytest.raises(FormatError):
        forge.verify(token)


def test_malformed_disclosure_is_a_format_error(credential: SdJwt, forge: Any) -> None:
    bad = b64url_encode(json_dumps(["salt-only"]).encode())
    with pytest.raises(FormatError) as info:
        forge.verify(credential.serialize() + bad + "~")
    assert info.value.code == "disclosure_malformed"


def test_absurdly_deep_claims_are_malformed_not_a_crash(forge: Any) -> None:
    deep = '{"a":' + "[" * 900 + "]" * 900 + "}"
    head = b64url_encode(json_dumps({"alg": "ES256"}).encode())
    token = f"{head}.{b64url_encode(deep.encode())}.{b64url_encode(b'x' * 64)}~"
    with pytest.raises(FormatError):
        forge.verify(token)


def test_disclosure_value_is_never_in_an_error_message(forge: Any) -> None:
    secret = "SECRET-given-name-4711"
    d = Disclosure.create("c2FsdHNhbHQ", "iss", secret)
    token = forge.jwt(forge.payload(_sd=[d.digest]))
    with pytest.raises(VerificationFailed) as info:
        forge.verify(forge.sd_jwt(token, [d]))
    assert secret not in str(info.value)
    assert all(secret not in e.message for e in info.value.errors)


def test_present_then_verify_end_to_end(credential: SdJwt, forge: Any, holder_key: PrivateKey) -> None:
    text = present(
        credential,
        [("address", "locality"), ("nationalities", 0)],
        holder_key=holder_key,
        nonce=REQUIRED.nonce,
        aud=REQUIRED.aud,
        iat=forge.now,
    )
    claims = forge.verify(text, key_binding=REQUIRED).claims
    assert claims["address"] == {"locality": "Köln", "country": "DE"}
    assert claims["nationalities"] == ["DE", "US"]
    assert "given_name" not in claims
