"""Compact JWE with ECDH-ES on P-256, the one encryption citykey makes or accepts.

OpenID4VP's `direct_post.jwt` response is an unsigned JWT encrypted to a key the
verifier made for that one transaction (OpenID4VP 1.0 §8.3); HAIP asks for
`ECDH-ES` with `A128GCM` and `A256GCM`. The JOSE work is `jwcrypto`'s; this module
holds the rules around it: an allow-list of `alg` and `enc` read before anything
is decrypted (RFC 8725 §3.1), the recipient's key given by the caller and never
taken from the token, a size limit before parsing, and the plaintext read as
strict JSON (`wallet_spec.encoding.json_loads`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from jwcrypto import jwe as _jwe
from jwcrypto import jwk as _jwk
from jwcrypto.common import JWException

from wallet_spec.encoding import b64url_json, json_dumps, json_loads
from wallet_spec.errors import AlgorithmNotAllowed, DecryptionFailed, FormatError, HeaderInvalid, TooLarge
from wallet_spec.jwk import PrivateKey, holds_private_key, private_jwk, public_jwk, public_key_from_jwk

ALG = "ECDH-ES"
ENC_VALUES = ("A128GCM", "A256GCM")
"""Content encryption accepted, in the order a sender prefers them."""
DEFAULT_ENC = "A128GCM"
"""OpenID4VP's default when the verifier names none."""
MAX_JWE_CHARS = 65_536
"""A response holds a handful of presentations; anything longer is refused before it is parsed."""


def encryption_jwk(key: PrivateKey, *, kid: str) -> dict[str, str]:
    """The public JWK a verifier publishes for one transaction's response (`use` `enc`, `alg` ECDH-ES)."""
    return {**public_jwk(key), "kid": kid, "use": "enc", "alg": ALG}


def encrypt(payload: Mapping[str, Any], recipient: Mapping[str, Any], *, enc: str = DEFAULT_ENC) -> str:
    """`payload` as JSON, encrypted to `recipient` (a public P-256 JWK with `alg` ECDH-ES); its `kid` is copied."""
    if enc not in ENC_VALUES:
        raise AlgorithmNotAllowed(f"content encryption {enc!r} is not one of {', '.join(ENC_VALUES)}")
    if recipient.get("alg") != ALG or holds_private_key(recipient) or recipient.get("use", "enc") != "enc":
        raise FormatError(f"the response encryption key must be a public {ALG} key for encryption")
    key = _jwk.JWK(**public_jwk(public_key_from_jwk(recipient)))
    header: dict[str, Any] = {"alg": ALG, "enc": enc}
    if isinstance(recipient.get("kid"), str):
        header["kid"] = recipient["kid"]
    token = _jwe.JWE(json_dumps(dict(payload)).encode("utf-8"), protected=json_dumps(header), recipient=key)
    return str(token.serialize(compact=True))


def header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWE, size-checked and read strictly, nothing decrypted."""
    if not isinstance(token, str) or len(token) > MAX_JWE_CHARS:
        raise TooLarge(f"an encrypted response may be at most {MAX_JWE_CHARS} characters")
    parts = token.split(".")
    if len(parts) != 5 or not parts[0] or not parts[3] or not parts[4]:
        raise FormatError("the response is not a compact JWE (five parts)")
    found = b64url_json(parts[0], what="the JWE header")
    if not isinstance(found, dict):
        raise FormatError("the JWE header must be a JSON object")
    return found


def decrypt(token: str, key: PrivateKey, *, kid: str, enc_values: Collection[str] = ENC_VALUES) -> Any:
    """The JSON inside `token`, encrypted to `key` (named `kid`) with an allowed `alg` and `enc`.

    Refused, each with its own error: a token too long or not a compact JWE, another
    algorithm (`alg_not_allowed`), another key id or extra critical headers (`header_invalid`),
    and a token that does not decrypt (`decryption_failed`: its authentication tag fails).
    """
    found = header(token)
    if found.get("alg") != ALG or found.get("enc") not in enc_values or found.get("enc") not in ENC_VALUES:
        raise AlgorithmNotAllowed(f"the response must be encrypted with {ALG} and one of {', '.join(enc_values)}")
    if found.get("kid") not in (None, kid):
        raise HeaderInvalid("the response is encrypted to another key than this transaction's")
    if "crit" in found or "zip" in found:
        raise HeaderInvalid("the response's JWE header has crit or zip, which are not supported")
    jwe = _jwe.JWE(algs=[ALG, *ENC_VALUES])
    try:
        jwe.deserialize(token, _jwk.JWK(**private_jwk(key)))
    except (JWException, ValueError, TypeError) as exc:
        raise DecryptionFailed("the response does not decrypt with this transaction's key") from exc
    return json_loads(bytes(jwe.payload), what="the decrypted response")
