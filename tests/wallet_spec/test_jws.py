"""Compact JWS with ES256 only: the allow-list, strict parsing, and signatures over the bytes received."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from wallet_spec import jws
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps_spaced
from wallet_spec.errors import FormatError
from wallet_spec.jwk import PrivateKey


def _codes(header: dict[str, Any], typ: str | None = None) -> list[str]:
    return sorted(e.code for e in jws.header_errors(header, typ=typ))


def test_signed_token_parses_back_to_its_header_and_payload(issuer_key: PrivateKey) -> None:
    token = jws.sign({"typ": "example+jwt", "kid": "k1"}, {"sub": "x", "n": [1, 2]}, issuer_key)
    parsed = jws.parse(token)
    assert parsed.header == {"alg": "ES256", "typ": "example+jwt", "kid": "k1"}
    assert parsed.payload == {"sub": "x", "n": [1, 2]}
    assert jws.signature_valid(parsed, issuer_key.public_key())


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256"])
def test_sign_always_uses_es256_whatever_the_caller_asks(issuer_key: PrivateKey, alg: str) -> None:
    token = jws.sign({"alg": alg}, {}, issuer_key)
    assert jws.parse(token).header["alg"] == "ES256"


def test_signature_is_raw_r_and_s_not_der(issuer_key: PrivateKey) -> None:
    assert len(jws.parse(jws.sign({}, {}, issuer_key)).signature) == 64


def test_signature_does_not_verify_with_another_key(issuer_key: PrivateKey, other_key: PrivateKey) -> None:
    parsed = jws.parse(jws.sign({}, {"a": 1}, issuer_key))
    assert not jws.signature_valid(parsed, other_key.public_key())


def test_signature_does_not_verify_over_a_changed_payload(issuer_key: PrivateKey) -> None:
    header, _, signature = jws.sign({}, {"admin": False}, issuer_key).split(".")
    forged = ".".join([header, b64url_encode(b'{"admin":true}'), signature])
    assert not jws.signature_valid(jws.parse(forged), issuer_key.public_key())


def test_signature_with_a_flipped_bit_does_not_verify(issuer_key: PrivateKey) -> None:
    head, payload, signature = jws.sign({}, {"a": 1}, issuer_key).split(".")
    raw = bytearray(b64url_decode(signature))
    raw[10] ^= 0x01
    forged = ".".join([head, payload, b64url_encode(bytes(raw))])
    assert not jws.signature_valid(jws.parse(forged), issuer_key.public_key())


def test_der_encoded_signature_is_not_accepted(issuer_key: PrivateKey) -> None:
    head, payload, _ = jws.sign({}, {"a": 1}, issuer_key).split(".")
    der = issuer_key.sign(f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    forged = ".".join([head, payload, b64url_encode(der)])
    assert not jws.signature_valid(jws.parse(forged), issuer_key.public_key())


@pytest.mark.parametrize("length", [0, 1, 63, 65, 128])
def test_signature_of_the_wrong_length_does_not_verify(issuer_key: PrivateKey, length: int) -> None:
    head, payload, _ = jws.sign({}, {"a": 1}, issuer_key).split(".")
    parsed = jws.CompactJws({"alg": "ES256"}, {"a": 1}, f"{head}.{payload}".encode(), b"\x01" * length)
    assert not jws.signature_valid(parsed, issuer_key.public_key())


def test_signature_covers_the_bytes_as_received_not_a_re_encoding(issuer_key: PrivateKey) -> None:
    token = jws.sign({"typ": "x"}, {"b": 1, "a": [1, 2]}, issuer_key, dumps=json_dumps_spaced)
    parsed = jws.parse(token)
    assert parsed.signing_input == token.rsplit(".", 1)[0].encode()
    assert b'"b": 1' in b64url_decode(token.split(".")[1])
    assert jws.signature_valid(parsed, issuer_key.public_key())


def _token(header: str, payload: str, signature: str = "AQ") -> str:
    """A compact JWS from raw JSON texts (not necessarily valid JSON) and a base64url signature."""
    return ".".join([b64url_encode(header.encode()), b64url_encode(payload.encode()), signature])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "onlyonepart",
        _token("{}", "{}").rsplit(".", 1)[0],  # two parts
        _token("{}", "{}") + ".AQ",  # four parts
        _token("{}", "{}", ""),  # empty signature
        "." + _token("{}", "{}").split(".", 1)[1],  # empty header
        _token("{}", ""),  # empty payload
        _token("[]", "{}"),  # header not an object
        _token("{}", "[1]"),  # payload not an object
        _token("{}", '"x"'),
        _token("{}", "{}", "AQ=="),  # padded signature
        _token("{}", "{}", "A+Q"),
        "e30=." + _token("{}", "{}").split(".", 1)[1],  # padded header
        _token('{"alg":"ES256","alg":"none"}', "{}"),  # duplicate header member
        _token("{}", '{"a":NaN}'),
        _token("{", "{}"),
    ],
)
def test_malformed_compact_jws_is_a_format_error(text: str) -> None:
    with pytest.raises(FormatError):
        jws.parse(text)


def test_parse_error_names_the_token(issuer_key: PrivateKey) -> None:
    with pytest.raises(FormatError, match="KB-JWT"):
        jws.parse("a.b", what="KB-JWT")


def test_es256_header_has_no_errors() -> None:
    assert jws.header_errors({"alg": "ES256", "typ": "kb+jwt"}, typ="kb+jwt") == []


@pytest.mark.parametrize(
    "alg", ["none", "None", "HS256", "RS256", "PS256", "ES384", "EdDSA", "es256", "", None, 256, ["ES256"], {}]
)
def test_only_es256_is_allowed(alg: Any) -> None:
    header = {} if alg is None else {"alg": alg}
    assert _codes(header) == ["alg_not_allowed"]
    assert not jws.alg_allowed(header)


@pytest.mark.parametrize("typ", ["kb+jwt", "KB+JWT", "application/kb+jwt", "Application/KB+JWT"])
def test_typ_is_compared_case_insensitively_with_optional_application_prefix(typ: str) -> None:
    assert _codes({"alg": "ES256", "typ": typ}, typ="kb+jwt") == []


@pytest.mark.parametrize("typ", [None, "jwt", "dc+sd-jwt", "kb+jwt+x", ["kb+jwt"], 1])
def test_wrong_or_missing_typ_is_reported(typ: Any) -> None:
    header: dict[str, Any] = {"alg": "ES256"} if typ is None else {"alg": "ES256", "typ": typ}
    assert _codes(header, typ="kb+jwt") == ["typ_invalid"]


def test_typ_is_not_checked_when_none_is_required() -> None:
    assert _codes({"alg": "ES256", "typ": "anything"}) == []


@pytest.mark.parametrize("crit", [["exp"], [], "b64"])
def test_crit_header_is_refused(crit: Any) -> None:
    assert _codes({"alg": "ES256", "crit": crit}) == ["header_invalid"]


def test_every_header_problem_is_reported_at_once() -> None:
    assert _codes({"alg": "none", "typ": "jwt", "crit": ["x"]}, typ="kb+jwt") == [
        "alg_not_allowed",
        "header_invalid",
        "typ_invalid",
    ]
