"""Verification against its floor and the peer, interleaved in one loop.

The floor is what no verifier can avoid, for the very presentation verified: the two P-256
ECDSA verifications (issuer signature and key binding, keys already loaded) with
`cryptography`, and SHA-256 over each presented disclosure and over the `sd_hash` input. The
peer is `sd-jwt` (the IETF reference implementation RFC 9901's examples were generated with,
on jwcrypto), verifying the same presentation; the benchmark asserts both agree on its claims.

Two presentations: the original benchmark's (one `full` credential, `resident_of` and
`age_over_65`, 16 digests) and what a turnstile scans: a residency pass with the same two
claims and the `resident-65` fact pass (no disclosure), each from its `CK2:` QR text.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier import Policy
from verifier import verify as verifier_verify
from wallet_spec import jwk, qr
from wallet_spec.bundle import TrustBundle, load_bundle, sign_bundle
from wallet_spec.encoding import b64url_decode
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import KeyList, ListedKey, sign_key_list, signing_kid
from wallet_spec.present import present
from wallet_spec.profile import (
    CITY_ID,
    CREDENTIAL_TYPES,
    RESIDENCY,
    Address,
    CredentialType,
    Resident,
    issue_credential,
    verify_credential,
)
from wallet_spec.statuslist import StatusList, sign_token

RESIDENT = Resident(
    given_name="Bench",
    family_name="Marker",
    birthdate=dt.date(1950, 1, 1),
    resident_of="Springfield",
    address=Address("1 Test St", "Springfield", "00000"),
)
ISSUER = "https://id.example"
STATUS_URI = "https://id.example/s/1"
AUD = "https://transit.example"
NONCE = "bench-nonce"
CLAIMS: list[tuple[str | int, ...]] = [("resident_of",), ("age_over_65",)]
STATUS_ENTRIES = 131_072


@dataclass(frozen=True)
class Setup:
    now: int
    issuer_key: jwk.PrivateKey
    holder_key: jwk.PrivateKey
    root_thumbprint: str
    bundle_text: str
    bundle: TrustBundle
    full: str
    """The `full` credential's presentation (compact)."""
    residency: str
    """The residency pass's presentation (compact)."""
    residency_qr: str
    """The same as `CK2:` QR text."""
    fact_pass: str
    """The `resident-65` fact pass's presentation (compact): the same two claims, no disclosure."""
    fact_pass_qr: str
    """The same as `CK2:` QR text: what a turnstile scans."""


def setup(now: int | None = None) -> Setup:
    now = int(time.time()) if now is None else now
    issuer_key, holder_key, root = jwk.generate_private_key(), jwk.generate_private_key(), jwk.generate_private_key()
    kid = signing_kid(issuer_key)

    def shown(kind: CredentialType) -> str:
        credential = issue_credential(
            RESIDENT, issuer=ISSUER, signing_key=issuer_key, kid=kid,
            holder_key=holder_key.public_key(), status_idx=7, status_uri=STATUS_URI, now=now, credential_type=kind,
        )
        return present(credential, CLAIMS, holder_key=holder_key, nonce=NONCE, aud=AUD, iat=now)

    key_list = sign_key_list(
        KeyList(ISSUER, now, now + 30 * 86_400, (ListedKey(kid, jwk.public_jwk(issuer_key), 0),)), root
    )
    status = sign_token(StatusList.new(STATUS_ENTRIES), uri=STATUS_URI, key=issuer_key, kid=kid,
                        iat=now, exp=now + 86_400, ttl=3600)
    bundle_text = sign_bundle(key_list_token=key_list, status_list_tokens=[status], issuer=ISSUER,
                              issued_at=now, next_update=now + 86_400, signing_key=issuer_key, kid=kid)
    root_thumbprint = jwk.thumbprint(root)
    residency, fact_pass = shown(RESIDENCY), shown(CREDENTIAL_TYPES["resident-65"])
    return Setup(now, issuer_key, holder_key, root_thumbprint, bundle_text,
                 load_bundle(bundle_text, root_thumbprint, now=now), shown(CITY_ID), residency, qr.encode(residency),
                 fact_pass, qr.encode(fact_pass))


_ECDSA = ec.ECDSA(hashes.SHA256())


def floor_for(presentation: str, issuer: jwk.PublicKey, holder: jwk.PublicKey) -> Callable[[], None]:
    """The unavoidable work of verifying `presentation`: two ECDSA verifications, the SHA-256 digests."""
    parts = presentation.split("~")
    jwt, disclosures, kb = parts[0], parts[1:-1], parts[-1]

    def signed(token: str) -> tuple[bytes, bytes]:
        head, body, sig = token.split(".")
        raw = b64url_decode(sig)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        return f"{head}.{body}".encode("ascii"), der

    jwt_input, jwt_sig = signed(jwt)
    kb_input, kb_sig = signed(kb)
    hashed = [d.encode("ascii") for d in disclosures]
    sd_part = presentation[: len(presentation) - len(kb)].encode("ascii")

    def floor() -> None:
        issuer.verify(jwt_sig, jwt_input, _ECDSA)
        for d in hashed:
            hashlib.sha256(d).digest()
        hashlib.sha256(sd_part).digest()
        holder.verify(kb_sig, kb_input, _ECDSA)

    return floor


def reading_floor_for(presentation: str, issuer: jwk.PublicKey) -> Callable[[], None]:
    """The floor plus only reading the presentation, with CPython's own C decoders: every part's
    base64url, its JSON (no strictness checks), and the holder's key from `cnf.jwk`.

    No verifier in CPython can go below this: it must read what it checks. It checks nothing
    beyond the floor's signatures (no claim, time, nonce, audience, status or policy), so the
    distance from it to `verifier.verify` is what the checks and their error reporting cost.
    """
    floor = floor_for(presentation, issuer, jwk.public_key_from_jwk(_holder_jwk(presentation)))
    parts = presentation.split("~")
    pieces = [*parts[0].split("."), *parts[1:-1], *parts[-1].split(".")]

    def read(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def reading_floor() -> None:
        decoded = [read(piece) for piece in pieces]
        for index in (0, 1, *range(3, len(decoded) - 3), -3, -2):
            json.loads(decoded[index])
        holder = json.loads(decoded[1])["cnf"]["jwk"]
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + read(holder["x"]) + read(holder["y"]))
        floor()

    return reading_floor


def _holder_jwk(presentation: str) -> dict[str, str]:
    payload = presentation.split("~")[0].split(".")[1]
    jwk_: dict[str, str] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["cnf"]["jwk"]
    return jwk_


def peer_verifier(s: Setup, presentation: str) -> Callable[[], object] | None:
    """`sd-jwt`'s verifier of `presentation`, checked to agree with ours; None when it is not installed."""
    try:
        from jwcrypto.jwk import JWK
        from sd_jwt.verifier import SDJWTVerifier
    except ImportError:
        return None
    peer_key = JWK.from_json(json.dumps(jwk.public_jwk(s.issuer_key)))

    def run() -> object:
        return SDJWTVerifier(presentation, lambda iss, header: peer_key, AUD, NONCE).get_verified_payload()

    ours = verify_credential(presentation, s.issuer_key.public_key(),
                             key_binding=KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD), now=s.now).claims
    if run() != ours:
        raise AssertionError("the peer and citykey disagree on the disclosed claims")
    return run


def peer_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sd-jwt")
    except PackageNotFoundError:
        return "not installed"


def candidates(s: Setup) -> tuple[dict[str, Callable[[], object]], dict[str, str]]:
    """Every verification candidate and the name of its floor."""
    issuer_pub, holder_pub = s.issuer_key.public_key(), s.holder_key.public_key()
    kb = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)
    policy = Policy(required=tuple(CLAIMS), nonce=NONCE, aud=AUD)
    bundle, now = s.bundle, s.now
    found: dict[str, Callable[[], object]] = {
        "floor": floor_for(s.full, issuer_pub, holder_pub),
        "reading floor": reading_floor_for(s.full, issuer_pub),
        "verify_credential": lambda: verify_credential(s.full, issuer_pub, key_binding=kb, now=now),
        "verifier.verify": lambda: verifier_verify(s.full, bundle, policy, now=now),
        "floor (residency pass)": floor_for(s.residency, issuer_pub, holder_pub),
        "verifier.verify (residency pass)": lambda: verifier_verify(s.residency, bundle, policy, now=now),
        "floor (fact pass)": floor_for(s.fact_pass, issuer_pub, holder_pub),
        "reading floor (fact pass)": reading_floor_for(s.fact_pass, issuer_pub),
        "verifier.verify (fact pass)": lambda: verifier_verify(s.fact_pass, bundle, policy, now=now),
        "verifier.verify from CK2: QR text (fact pass)": lambda: verifier_verify(qr.decode(s.fact_pass_qr), bundle,
                                                                                  policy, now=now),
        "verifier.verify from CK2: QR text": lambda: verifier_verify(qr.decode(s.residency_qr), bundle, policy,
                                                                      now=now),
    }
    floors = {name: "floor (residency pass)" for name in found if "residency" in name or "QR text" in name}
    floors.update({name: "floor (fact pass)" for name in found if "fact pass" in name})
    peer = peer_verifier(s, s.full)
    if peer is not None:
        found["peer sd-jwt SDJWTVerifier"] = peer
    return found, floors
