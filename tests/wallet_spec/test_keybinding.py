"""Key-binding JWTs (RFC 9901 §4.3, §7.3 step 5): the holder proves possession for one verifier, once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from wallet_spec import jws, keybinding
from wallet_spec.encoding import b64url_encode, json_dumps, sha256_b64url
from wallet_spec.errors import FormatError
from wallet_spec.jwk import PrivateKey, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy

SD_PART = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln~WyJzIiwiYSIsMV0~"
NOW = 1_767_262_600


@pytest.fixture
def cnf(holder_key: PrivateKey) -> dict[str, Any]:
    return {"jwk": public_jwk(holder_key)}


def _kb_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"iat": NOW, "aud": "https://v.example", "nonce": "n1", "sd_hash": sha256_b64url(SD_PART)}
    for name, value in changes.items():
        if value is ...:
            payload.pop(name)
        else:
            payload[name] = value
    return payload


def _codes(kb_jwt: str, cnf: Any, policy: KeyBindingPolicy | None = None, sd_part: str = SD_PART) -> list[str]:
    claims, errors = keybinding.check(
        kb_jwt, sd_part, cnf, policy or KeyBindingPolicy(nonce="n1", aud="https://v.example"), now=NOW
    )
    codes = sorted(e.code for e in errors)
    assert (claims is None) == bool(codes)
    return codes


def test_created_kb_jwt_has_the_kb_typ_and_exactly_the_four_claims(holder_key: PrivateKey) -> None:
    token = jws.parse(keybinding.create(SD_PART, holder_key, nonce="n1", aud="https://v.example", iat=NOW))
    assert token.header == {"alg": "ES256", "typ": "kb+jwt"}
    assert token.payload == _kb_payload()
    assert jws.signature_valid(token, holder_key.public_key())


def test_created_kb_jwt_defaults_iat_to_the_current_time(holder_key: PrivateKey) -> None:
    before = int(time.time())
    token = jws.parse(keybinding.create(SD_PART, holder_key, nonce="n", aud="a"))
    assert before <= token.payload["iat"] <= int(time.time())


def test_valid_kb_jwt_returns_its_claims(holder_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="n1", aud="https://v.example", iat=NOW)
    claims, errors = keybinding.check(kb, SD_PART, cnf, KeyBindingPolicy(nonce="n1", aud="https://v.example"), now=NOW)
    assert errors == []
    assert claims == _kb_payload()


def test_policy_without_nonce_or_audience_accepts_any_string(holder_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="whatever", aud="anyone", iat=NOW)
    assert _codes(kb, cnf, KeyBindingPolicy()) == []


def test_kb_jwt_signed_by_another_key_is_rejected(other_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create(SD_PART, other_key, nonce="n1", aud="https://v.example", iat=NOW)
    assert _codes(kb, cnf) == ["kb_signature_invalid"]


@pytest.mark.parametrize("typ", ["jwt", "dc+sd-jwt", None])
def test_kb_jwt_with_the_wrong_typ_is_rejected(holder_key: PrivateKey, cnf: dict[str, Any], typ: str | None) -> None:
    kb = jws.sign({} if typ is None else {"typ": typ}, _kb_payload(), holder_key)
    assert _codes(kb, cnf) == ["typ_invalid"]


@pytest.mark.parametrize("alg", ["none", "HS256", "ES512"])
def test_kb_jwt_with_a_disallowed_alg_is_rejected_without_checking_its_signature(
    holder_key: PrivateKey, cnf: dict[str, Any], alg: str
) -> None:
    _, payload, sig = jws.sign({"typ": "kb+jwt"}, _kb_payload(), holder_key).split(".")
    forged = ".".join([b64url_encode(json_dumps({"alg": alg, "typ": "kb+jwt"}).encode()), payload, sig])
    assert _codes(forged, cnf) == ["alg_not_allowed"]


def test_kb_jwt_with_a_crit_header_is_rejected(holder_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = jws.sign({"typ": "kb+jwt", "crit": ["exp"]}, _kb_payload(), holder_key)
    assert _codes(kb, cnf) == ["header_invalid"]


@pytest.mark.parametrize(
    "cnf_value",
    [None, {}, {"kid": "abc"}, {"jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}}, {"jwk": "key"}, "cnf"],
    ids=repr,
)
def test_kb_jwt_cannot_be_checked_without_a_usable_holder_key(holder_key: PrivateKey, cnf_value: Any) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="n1", aud="https://v.example", iat=NOW)
    assert _codes(kb, cnf_value) == ["cnf_missing"]


@pytest.mark.parametrize(
    ("iat", "ok"),
    [
        (NOW, True),
        (NOW - 300 - 60, True),  # oldest accepted: max_age plus leeway
        (NOW - 300 - 61, False),
        (NOW - 86_400, False),
        (NOW + 60, True),  # clock skew within leeway
        (NOW + 61, False),
        (NOW + 86_400, False),
    ],
)
def test_kb_jwt_iat_must_lie_in_the_acceptance_window(
    holder_key: PrivateKey, cnf: dict[str, Any], iat: int, ok: bool
) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="n1", aud="https://v.example", iat=iat)
    assert _codes(kb, cnf) == ([] if ok else ["kb_iat_invalid"])


def test_acceptance_window_follows_the_policy(holder_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="n1", aud="https://v.example", iat=NOW - 100)
    strict = KeyBindingPolicy(nonce="n1", aud="https://v.example", max_age=30, leeway=0)
    assert _codes(kb, cnf, strict) == ["kb_iat_invalid"]


def test_wrong_nonce_is_a_replay(holder_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="old-nonce", aud="https://v.example", iat=NOW)
    assert _codes(kb, cnf) == ["nonce_mismatch"]


def test_kb_jwt_made_for_another_verifier_is_rejected(holder_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="n1", aud="https://other.example", iat=NOW)
    assert _codes(kb, cnf) == ["aud_mismatch"]


def test_kb_jwt_over_another_presentation_is_rejected(holder_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create(SD_PART, holder_key, nonce="n1", aud="https://v.example", iat=NOW)
    assert _codes(kb, cnf, sd_part=SD_PART.replace("~WyJzIiwiYSIsMV0~", "~")) == ["sd_hash_mismatch"]


@pytest.mark.parametrize(
    "changes",
    [
        {"iat": ...},
        {"iat": "1767262600"},
        {"iat": float(NOW)},
        {"iat": True},
        {"nonce": ...},
        {"nonce": 12345},
        {"nonce": ["n1"]},
        {"aud": ...},
        {"aud": ["https://v.example"]},
        {"aud": None},
        {"sd_hash": ...},
        {"sd_hash": 0},
    ],
    ids=repr,
)
def test_kb_jwt_with_a_missing_or_mistyped_claim_is_invalid(
    holder_key: PrivateKey, cnf: dict[str, Any], changes: dict[str, Any]
) -> None:
    kb = jws.sign({"typ": "kb+jwt"}, _kb_payload(**changes), holder_key)
    assert _codes(kb, cnf) == ["kb_invalid"]


def test_every_key_binding_problem_is_reported_at_once(other_key: PrivateKey, cnf: dict[str, Any]) -> None:
    kb = keybinding.create("other~", other_key, nonce="x", aud="y", iat=NOW - 10_000)
    assert _codes(kb, cnf) == [
        "aud_mismatch",
        "kb_iat_invalid",
        "kb_signature_invalid",
        "nonce_mismatch",
        "sd_hash_mismatch",
    ]


@pytest.mark.parametrize("kb_jwt", ["not-a-jwt", "a.b", "e30.e30.", "W10.e30.AQ"])
def test_unreadable_kb_jwt_is_a_format_error(cnf: dict[str, Any], kb_jwt: str) -> None:
    with pytest.raises(FormatError):
        keybinding.check(kb_jwt, SD_PART, cnf, KeyBindingPolicy(), now=NOW)
