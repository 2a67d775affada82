"""Compact JWS with ES256, the only signature citykey makes or accepts.

Small on purpose: an explicit allow-list (RFC 8725 §3.1), the key always given
by the caller and never read from the token (`jwk`, `x5c`, `jku` headers are
ignored), `crit` refused, and the signed bytes kept exactly as received so that
digests over them (``sd_hash``) are computed on what was signed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from wallet_spec.encoding import b64url_decode, b64url_encode, b64url_json, json_dumps
from wallet_spec.errors import (
    AlgorithmNotAllowed,
    FormatError,
    HeaderInvalid,
    TypInvalid,
    VerificationError,
)
from wallet_spec.jwk import PrivateKey, PublicKey

ALLOWED_ALGORITHMS = frozenset({"ES256"})
"""Every algorithm citykey verifies. `none` and MAC algorithms can never be added."""

_ES256_SIG_LEN = 64
_ES256 = ec.ECDSA(hashes.SHA256())
"""Made once: the algorithm object is the same for every signature."""


class CompactJws(NamedTuple):
    """A parsed compact JWS whose signature has not been checked yet."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse(text: str, *, what: str = "JWT") -> CompactJws:
    """Split and decode a compact JWS; a JSON object is required on both sides."""
    parts = text.split(".")
    if len(parts) != 3 or not all(parts):
        raise FormatError(f"{what} is not a compact JWS (header.payload.signature)")
    head, body, signature = parts
    header = b64url_json(head, what=f"{what} header")
    payload = b64url_json(body, what=f"{what} payload")
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise FormatError(f"{what} header and payload must be JSON objects")
    return CompactJws(
        header, payload, text[: len(head) + 1 + len(body)].encode("ascii"),
        b64url_decode(signature, what=f"{what} signature"),
    )


def _normal_typ(value: str) -> str:
    value = value.lower()
    return value.removeprefix("application/")


def alg_allowed(header: Mapping[str, Any]) -> bool:
    """True for an allow-listed `alg`; a non-string (even unhashable) `alg` is simply not allowed."""
    alg = header.get("alg")
    return isinstance(alg, str) and alg in ALLOWED_ALGORITHMS


def header_errors(
    header: Mapping[str, Any], *, typ: str | None, what: str = "JWT"
) -> list[VerificationError]:
    """Check `alg`, `typ` and `crit`; return every problem rather than the first."""
    found: list[VerificationError] = []
    if not alg_allowed(header):
        found.append(AlgorithmNotAllowed(f"{what} alg {header.get('alg')!r} is not allowed"))
    if typ is not None:
        got = header.get("typ")
        if not isinstance(got, str) or _normal_typ(got) != _normal_typ(typ):
            found.append(TypInvalid(f"{what} typ must be {typ!r}"))
    if "crit" in header:
        found.append(HeaderInvalid(f"{what} has a crit header, which is not supported"))
    return found


def signature_valid(jws: CompactJws, key: PublicKey) -> bool:
    """ES256 over the exact received bytes; raw r||s as JWS requires (RFC 7518 §3.4)."""
    if len(jws.signature) != _ES256_SIG_LEN:
        return False
    r = int.from_bytes(jws.signature[:32], "big")
    s = int.from_bytes(jws.signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), jws.signing_input, _ES256)
    except InvalidSignature:
        return False
    return True


def sign(
    header: Mapping[str, Any],
    payload: Mapping[str, Any],
    key: PrivateKey,
    *,
    dumps: Callable[[Any], str] = json_dumps,
) -> str:
    """Sign with ES256; `alg` is set here so no caller can pick another."""
    full_header = {"alg": "ES256", **{k: v for k, v in header.items() if k != "alg"}}
    signing_input = (
        b64url_encode(dumps(full_header).encode("utf-8"))
        + "."
        + b64url_encode(dumps(dict(payload)).encode("utf-8"))
    )
    der = key.sign(signing_input.encode("ascii"), _ES256)
    r, s = decode_dss_signature(der)
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def sign_document(typ: str, claims: Mapping[str, Any], key: PrivateKey, *, kid: str) -> str:
    """A document the city or a verifier signs (key list, status list, trust bundle, request).

    Its header says what it is (`typ`, checked by its reader) and which key signed it (`kid`).
    """
    return sign({"typ": typ, "kid": kid}, claims, key)
