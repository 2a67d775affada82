"""Key-binding JWTs (RFC 9901 §4.3): the holder's proof that it holds `cnf.jwk`."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wallet_spec import jws
from wallet_spec.encoding import sha256_b64url
from wallet_spec.errors import (
    AudienceMismatch,
    HolderKeyMissing,
    KeyBindingInvalid,
    KeyBindingSignatureInvalid,
    KeyBindingStale,
    KeyInvalid,
    NonceMismatch,
    SdHashMismatch,
    VerificationError,
)
from wallet_spec.jwk import PrivateKey, public_key_from_jwk

KB_TYP = "kb+jwt"


def create(sd_part: str, holder_key: PrivateKey, *, nonce: str, aud: str, iat: int | None = None) -> str:
    """Sign a KB-JWT over `<jwt>~<d1>~…~` for one verifier and one nonce."""
    payload = {
        "iat": int(time.time()) if iat is None else iat,
        "aud": aud,
        "nonce": nonce,
        "sd_hash": sha256_b64url(sd_part),
    }
    return jws.sign({"typ": KB_TYP}, payload, holder_key)


@dataclass(frozen=True, slots=True)
class KeyBindingPolicy:
    """What a verifier demands of key binding. Chosen by the verifier, never by the token.

    `nonce`/`aud` of None mean "any string" (e.g. a generic tool that was given
    none); `max_age` is how old a KB-JWT may be, `leeway` the clock skew allowed.
    """

    required: bool = False
    nonce: str | None = None
    aud: str | None = None
    max_age: int = 300
    leeway: int = 60


def _equal(a: str, b: str) -> bool:
    """Constant-time string equality that no string can crash.

    Token values never hold a lone surrogate (`json_loads` refuses them), but the
    verifier's own nonce or audience may (a command-line argument decoded with
    surrogateescape); `surrogatepass` keeps the encoding total and one-to-one.
    """
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def check(
    kb_jwt: str | jws.CompactJws,
    sd_part: str,
    cnf: Any,
    policy: KeyBindingPolicy,
    *,
    now: int,
) -> tuple[dict[str, Any] | None, list[VerificationError]]:
    """Verify a KB-JWT against the holder key from the (verified) credential.

    Returns the KB payload when every check passed, and every failure found.
    Raises FormatError only when the KB-JWT cannot be read at all. A caller that
    already parsed it passes the parsed token.
    """
    token = kb_jwt if isinstance(kb_jwt, jws.CompactJws) else jws.parse(kb_jwt, what="KB-JWT")
    errors: list[VerificationError] = jws.header_errors(token.header, typ=KB_TYP, what="KB-JWT")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if jwk is None:
        errors.append(HolderKeyMissing("the credential has no cnf.jwk to verify key binding"))
    else:
        try:
            holder_key = public_key_from_jwk(jwk)
        except KeyInvalid as exc:
            errors.append(HolderKeyMissing(f"cnf.jwk is unusable: {exc.message}"))
        else:
            alg_ok = jws.alg_allowed(token.header)
            if alg_ok and not jws.signature_valid(token, holder_key):
                errors.append(KeyBindingSignatureInvalid("KB-JWT signature does not verify with cnf.jwk"))

    claims = token.payload
    iat, nonce, aud, sd_hash = claims.get("iat"), claims.get("nonce"), claims.get("aud"), claims.get("sd_hash")
    if not isinstance(iat, int) or isinstance(iat, bool):
        errors.append(KeyBindingInvalid("KB-JWT iat must be an integer"))
    elif not (now - policy.max_age - policy.leeway <= iat <= now + policy.leeway):
        errors.append(KeyBindingStale(f"KB-JWT iat is outside the accepted {policy.max_age}s window"))
    if not isinstance(nonce, str):
        errors.append(KeyBindingInvalid("KB-JWT nonce must be a string"))
    elif policy.nonce is not None and not _equal(nonce, policy.nonce):
        errors.append(NonceMismatch("KB-JWT nonce is not the one this verifier issued"))
    if not isinstance(aud, str):
        errors.append(KeyBindingInvalid("KB-JWT aud must be a single string"))
    elif policy.aud is not None and not _equal(aud, policy.aud):
        errors.append(AudienceMismatch("KB-JWT was made for another verifier"))
    if not isinstance(sd_hash, str):
        errors.append(KeyBindingInvalid("KB-JWT sd_hash must be a string"))
    elif not _equal(sd_hash, sha256_b64url(sd_part)):
        errors.append(SdHashMismatch("KB-JWT sd_hash does not match the presented SD-JWT"))
    return (None if errors else claims), errors

