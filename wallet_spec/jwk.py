"""P-256 keys as JWKs (RFC 7517) and their RFC 7638 thumbprints.

citykey signs with ES256 only, so a key here is always an EC P-256 key.
Parsing checks the point lies on the curve (``cryptography`` does this when it
builds the key), so an invalid-curve key is refused before it is ever used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps
from wallet_spec.errors import FormatError, KeyInvalid

PublicKey = ec.EllipticCurvePublicKey
PrivateKey = ec.EllipticCurvePrivateKey

_COORD = 32
_P256 = ec.SECP256R1()

PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
"""JWK members that carry private or secret key material (RFC 7518 §6): EC and RSA private parts, octet keys."""


def holds_private_key(jwk: Any) -> bool:
    """Whether a JWK carries private or secret material: where only a public key belongs, refuse it, never trim it."""
    return isinstance(jwk, Mapping) and not PRIVATE_JWK_MEMBERS.isdisjoint(jwk.keys())


def _coordinate(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyInvalid(f"JWK member {name!r} is missing")
    try:
        raw = b64url_decode(value)
    except FormatError:
        raise KeyInvalid(f"JWK member {name!r} is not base64url") from None
    if len(raw) != _COORD:
        raise KeyInvalid(f"JWK member {name!r} must be {_COORD} bytes")
    return raw


def public_key_from_jwk(jwk: Any) -> PublicKey:
    """Build a P-256 public key, refusing anything else (RSA, other curves, MAC keys)."""
    if not isinstance(jwk, Mapping):
        raise KeyInvalid("JWK must be a JSON object")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise KeyInvalid("only EC P-256 keys are accepted")
    point = b"\x04" + _coordinate(jwk, "x") + _coordinate(jwk, "y")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, point)
    except ValueError as exc:
        raise KeyInvalid("JWK point is not on P-256") from exc


def private_key_from_jwk(jwk: Any) -> PrivateKey:
    public = public_key_from_jwk(jwk)
    d = int.from_bytes(_coordinate(jwk, "d"), "big")
    try:
        key = ec.derive_private_key(d, _P256)
    except ValueError as exc:
        raise KeyInvalid("JWK private scalar is out of range") from exc
    if key.public_key().public_numbers() != public.public_numbers():
        raise KeyInvalid("JWK private scalar does not match its public point")
    return key


def public_jwk(key: PublicKey | PrivateKey | Mapping[str, Any]) -> dict[str, str]:
    """The public JWK with exactly the RFC 7638 required members.

    A JWK given as received (a proof's `jwk`) is checked as `public_key_from_jwk` checks it and
    its own coordinates kept: the strict base64url check leaves them one spelling, so no
    conversion through a key object (a field inversion in OpenSSL) is needed.
    """
    if isinstance(key, Mapping):
        public_key_from_jwk(key)
        return {"kty": "EC", "crv": "P-256", "x": key["x"], "y": key["y"]}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key = key.public_key()
    if not isinstance(key.curve, ec.SECP256R1):
        raise KeyInvalid("only P-256 keys are supported")
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(_COORD, "big")),
        "y": b64url_encode(numbers.y.to_bytes(_COORD, "big")),
    }


def private_jwk(key: PrivateKey) -> dict[str, str]:
    value = key.private_numbers().private_value.to_bytes(_COORD, "big")
    return {**public_jwk(key), "d": b64url_encode(value)}


def thumbprint(key: PublicKey | PrivateKey | Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint: the `kid` citykey gives every key."""
    jwk = public_jwk(key)
    canonical = json_dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")})
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def generate_private_key() -> PrivateKey:
    return ec.generate_private_key(_P256)
