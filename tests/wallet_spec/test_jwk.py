"""P-256 JWKs: only valid P-256 points are accepted, and thumbprints follow RFC 7638."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.errors import FormatError, KeyInvalid
from wallet_spec.jwk import (
    PrivateKey,
    generate_private_key,
    private_jwk,
    private_key_from_jwk,
    public_jwk,
    public_key_from_jwk,
    thumbprint,
)

RFC9901_ISSUER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
    "y": "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8",
}


def test_public_jwk_has_exactly_the_rfc7638_members(issuer_key: PrivateKey) -> None:
    jwk = public_jwk(issuer_key)
    assert set(jwk) == {"kty", "crv", "x", "y"}
    assert jwk["kty"] == "EC"
    assert jwk["crv"] == "P-256"
    assert len(b64url_decode(jwk["x"])) == 32
    assert len(b64url_decode(jwk["y"])) == 32


def test_public_jwk_of_a_private_key_never_contains_the_private_scalar(issuer_key: PrivateKey) -> None:
    assert "d" not in public_jwk(issuer_key)
    assert public_jwk(issuer_key) == public_jwk(issuer_key.public_key())


def test_public_jwk_round_trips(issuer_key: PrivateKey) -> None:
    key = public_key_from_jwk(public_jwk(issuer_key))
    assert key.public_numbers() == issuer_key.public_key().public_numbers()


def test_rfc9901_example_issuer_key_is_accepted() -> None:
    assert public_jwk(public_key_from_jwk(RFC9901_ISSUER_JWK)) == RFC9901_ISSUER_JWK


def test_private_jwk_round_trips(holder_key: PrivateKey) -> None:
    jwk = private_jwk(holder_key)
    assert set(jwk) == {"kty", "crv", "x", "y", "d"}
    key = private_key_from_jwk(jwk)
    assert key.private_numbers() == holder_key.private_numbers()


def _with(jwk: dict[str, str], **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(jwk)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _flip_last_bit(b64: str) -> str:
    raw = bytearray(b64url_decode(b64))
    raw[-1] ^= 1
    return b64url_encode(bytes(raw))


@pytest.mark.parametrize(
    "change",
    [
        {"kty": "RSA"},
        {"kty": "oct"},
        {"kty": None},
        {"crv": "P-384"},
        {"crv": "secp256k1"},
        {"crv": None},
        {"x": None},
        {"y": None},
        {"x": 12345},
        {"x": "not base64url!"},
        {"x": "QQ=="},
        {"x": b64url_encode(b"\x01" * 31)},
        {"x": b64url_encode(b"\x01" * 33)},
    ],
    ids=repr,
)
def test_unusable_public_jwk_is_refused(issuer_key: PrivateKey, change: dict[str, Any]) -> None:
    with pytest.raises(KeyInvalid):
        public_key_from_jwk(_with(public_jwk(issuer_key), **change))


def test_point_not_on_the_curve_is_refused(issuer_key: PrivateKey) -> None:
    jwk = public_jwk(issuer_key)
    with pytest.raises(KeyInvalid, match="not on P-256"):
        public_key_from_jwk(_with(jwk, y=_flip_last_bit(jwk["y"])))


@pytest.mark.parametrize("jwk", [None, "key", ["EC"], 7])
def test_jwk_that_is_not_an_object_is_refused(jwk: Any) -> None:
    with pytest.raises(KeyInvalid):
        public_key_from_jwk(jwk)


def test_key_invalid_is_a_format_error() -> None:
    with pytest.raises(FormatError) as info:
        public_key_from_jwk({"kty": "RSA"})
    assert info.value.code == "key_invalid"


def test_private_jwk_whose_scalar_belongs_to_another_key_is_refused(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    mixed = {**public_jwk(issuer_key), "d": private_jwk(holder_key)["d"]}
    with pytest.raises(KeyInvalid, match="does not match"):
        private_key_from_jwk(mixed)


@pytest.mark.parametrize("d", [b"\x00" * 32, b"\xff" * 32])
def test_private_scalar_out_of_range_is_refused(issuer_key: PrivateKey, d: bytes) -> None:
    with pytest.raises(KeyInvalid):
        private_key_from_jwk({**public_jwk(issuer_key), "d": b64url_encode(d)})


def test_private_scalar_with_a_non_canonical_length_is_refused(issuer_key: PrivateKey) -> None:
    d = b64url_decode(private_jwk(issuer_key)["d"])
    with pytest.raises(KeyInvalid, match="32 bytes"):
        private_key_from_jwk({**public_jwk(issuer_key), "d": b64url_encode(b"\x00" + d)})


def test_private_jwk_without_d_is_refused(issuer_key: PrivateKey) -> None:
    with pytest.raises(KeyInvalid):
        private_key_from_jwk(public_jwk(issuer_key))


def test_non_p256_key_cannot_be_exported() -> None:
    with pytest.raises(KeyInvalid):
        public_jwk(ec.generate_private_key(ec.SECP384R1()))


def test_thumbprint_is_sha256_of_the_canonical_member_order() -> None:
    # RFC 7638 §3: members crv, kty, x, y in lexicographic order, no whitespace.
    canonical = f'{{"crv":"P-256","kty":"EC","x":"{RFC9901_ISSUER_JWK["x"]}","y":"{RFC9901_ISSUER_JWK["y"]}"}}'
    expected = b64url_encode(hashlib.sha256(canonical.encode()).digest())
    assert thumbprint(RFC9901_ISSUER_JWK) == expected


def test_thumbprint_is_the_same_for_private_public_and_jwk_forms(issuer_key: PrivateKey) -> None:
    expected = thumbprint(issuer_key)
    assert thumbprint(issuer_key.public_key()) == expected
    assert thumbprint(public_jwk(issuer_key)) == expected
    assert thumbprint({**public_jwk(issuer_key), "kid": "x", "use": "sig"}) == expected
    assert thumbprint(private_jwk(issuer_key)) == expected


def test_thumbprints_of_different_keys_differ(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    assert thumbprint(issuer_key) != thumbprint(holder_key)


def test_thumbprint_of_an_invalid_jwk_is_refused() -> None:
    with pytest.raises(KeyInvalid):
        thumbprint({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})


def test_generated_keys_are_fresh_p256_keys() -> None:
    a, b = generate_private_key(), generate_private_key()
    assert isinstance(a.curve, ec.SECP256R1)
    assert a.private_numbers() != b.private_numbers()
