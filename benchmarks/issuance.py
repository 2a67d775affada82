"""Issuance against the peer, per credential, interleaved in one loop.

The floor is one P-256 ECDSA signature (what no issuer can avoid per credential). The peer
is `sd-jwt`'s `SDJWTIssuer` given the very same claims, the same ones selectively
disclosable, the same holder key and header; it adds no decoys here while citykey pads each
`_sd` to its fixed length (more digests, more work on our side).

"batch" is the standard batch a wallet receives at enrolment: the three residency passes, the
identity credential and the eight fact passes (the benchmark's resident is over 65); its figure
is per credential.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from benchmarks.verification import ISSUER, RESIDENT, STATUS_URI
from wallet_spec import jwk
from wallet_spec.keylist import signing_kid
from wallet_spec.profile import (
    CITY_ID,
    DAY,
    STANDARD_TYPES,
    VC_TYP,
    CredentialType,
    coarse_day,
    issue_credential,
    resident_claims,
)
from wallet_spec.sdjwt import SD

_ECDSA = ec.ECDSA(hashes.SHA256())


def _ours(kind: CredentialType, issuer_key: jwk.PrivateKey, holder: jwk.PublicKey, now: int) -> Callable[[], object]:
    kid = signing_kid(issuer_key)
    sent = jwk.public_jwk(holder)  # as the wallet sends it (an OpenID4VCI proof's `jwk`), checked per credential

    def run() -> object:
        return issue_credential(RESIDENT, issuer=ISSUER, signing_key=issuer_key, kid=kid, holder_key=sent,
                                status_idx=7, status_uri=STATUS_URI, now=now, credential_type=kind)

    return run


def _peer_claims(value: Any, sd_obj: Callable[[str], Any]) -> Any:
    """citykey's claims with SD() marks, in the peer's spelling (SDObj keys)."""
    if isinstance(value, dict):
        return {
            (sd_obj(k) if isinstance(v, SD) else k): _peer_claims(v.value if isinstance(v, SD) else v, sd_obj)
            for k, v in value.items()
        }
    return value


def _peer(
    kind: CredentialType, issuer_key: jwk.PrivateKey, holder: jwk.PublicKey, now: int
) -> Callable[[], object] | None:
    try:
        from jwcrypto.jwk import JWK
        from sd_jwt.common import SDObj
        from sd_jwt.issuer import SDJWTIssuer
    except ImportError:
        return None
    iat = coarse_day(now)
    claims = {
        "iss": ISSUER, "iat": iat, "exp": iat + kind.lifetime_days * DAY, "vct": kind.vct,
        "status": {"status_list": {"idx": 7, "uri": STATUS_URI}},
        **resident_claims(RESIDENT, issued_on=dt.datetime.fromtimestamp(iat, dt.UTC).date(), credential_type=kind),
    }
    user_claims = _peer_claims(claims, SDObj)
    peer_issuer = JWK.from_json(json.dumps(jwk.private_jwk(issuer_key)))
    peer_holder = JWK.from_json(json.dumps(jwk.public_jwk(holder)))
    header = {"typ": VC_TYP, "kid": signing_kid(issuer_key)}

    def run() -> object:
        return SDJWTIssuer(user_claims, peer_issuer, peer_holder, extra_header_parameters=header).sd_jwt_issuance

    return run


def _each(runs: list[Callable[[], object]]) -> Callable[[], object]:
    def run() -> object:
        return [r() for r in runs]

    return run


def candidates(now: int) -> tuple[dict[str, Callable[[], object]], dict[str, int]]:
    """Every issuance candidate, and how many credentials one call issues (to give per-credential figures)."""
    issuer_key, holder = jwk.generate_private_key(), jwk.generate_private_key().public_key()
    message = b"x" * 900
    found: dict[str, Callable[[], object]] = {
        "floor": lambda: issuer_key.sign(message, _ECDSA),
        "issue_credential (full)": _ours(CITY_ID, issuer_key, holder, now),
        "standard batch (residency passes, identity, fact passes)": _each(
            [_ours(kind, issuer_key, holder, now) for kind in STANDARD_TYPES]
        ),
    }
    per_call = dict.fromkeys(found, 1)
    per_call["standard batch (residency passes, identity, fact passes)"] = len(STANDARD_TYPES)
    peer_full = _peer(CITY_ID, issuer_key, holder, now)
    peer_batch = [_peer(kind, issuer_key, holder, now) for kind in STANDARD_TYPES]
    if peer_full is not None:
        found["peer SDJWTIssuer (full)"] = peer_full
        found["peer SDJWTIssuer (standard batch)"] = _each([p for p in peer_batch if p is not None])
        per_call["peer SDJWTIssuer (full)"] = 1
        per_call["peer SDJWTIssuer (standard batch)"] = len(STANDARD_TYPES)
    return found, per_call
