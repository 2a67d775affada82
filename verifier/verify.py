"""Offline verification: a presentation, the trust bundle, a policy, and a clock. Nothing else."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier.policy import Policy
from verifier.replay import ReplayCache
from wallet_spec import jws
from wallet_spec.bundle import TrustBundle
from wallet_spec.errors import (
    BundleStale,
    ChallengeMissing,
    CitykeyError,
    MissingClaim,
    Replayed,
    Revoked,
    StatusUnknown,
    Suspended,
    VerificationError,
    VerificationFailed,
)
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.profile import verify_credential
from wallet_spec.sdjwt import ClaimPath, SdJwt, has_claim
from wallet_spec.statuslist import INVALID, SUSPENDED, VALID


@dataclass(frozen=True, slots=True)
class Accepted:
    """A yes: the claims the holder disclosed, and any warning the operator should see."""

    claims: dict[str, Any]
    disclosed: tuple[ClaimPath, ...]
    warnings: tuple[str, ...]


def _status_errors(claims: Mapping[str, Any], bundle: TrustBundle, now: int) -> list[VerificationError]:
    status = claims.get("status")
    ref = status.get("status_list") if isinstance(status, Mapping) else None
    if not isinstance(ref, Mapping):
        return []  # the profile check already reports the missing status claim
    try:
        value = bundle.status(ref.get("uri"), ref.get("idx"), now=now)
    except StatusUnknown as exc:
        return [exc]
    if value == VALID:
        return []
    if value == INVALID:
        return [Revoked("the city has revoked this credential")]
    if value == SUSPENDED:
        return [Suspended("the city has suspended this credential")]
    return [StatusUnknown(f"the status list holds an unknown status {value}")]


KB_LEEWAY = KeyBindingPolicy().leeway


def replay_key(kb_jwt: str) -> bytes:
    """What the replay cache remembers: SHA-256 of the KB-JWT's signing input (see verifier.replay)."""
    return hashlib.sha256(jws.parse(kb_jwt, what="KB-JWT").signing_input).digest()


def _replay_key_of(sd_jwt: SdJwt) -> bytes | None:
    if sd_jwt.kb_jwt is None:
        return None
    try:
        return replay_key(sd_jwt.kb_jwt)
    except CitykeyError:
        return None  # unreadable: the key-binding check reports it


def verify(
    text: str,
    bundle: TrustBundle,
    policy: Policy,
    *,
    now: int | None = None,
    replay: ReplayCache | None = None,
) -> Accepted:
    """Verify a compact presentation offline; raise VerificationFailed with every reason, or accept.

    Order of concerns: the bundle's age (a verifier that has not synced for too
    long must not decide), then the credential and key binding, the status bit,
    and the policy's required claims, all collected together.

    With a `replay` cache (required when `policy.one_way`), a KB-JWT already
    accepted within its window is refused (`replayed`). A presentation is
    remembered only once every other check has passed, so a rejected one (a
    revoked credential, a stale bundle) never uses up the holder's QR code; the
    final remember is atomic, so of two simultaneous scans exactly one is accepted.
    In challenge mode the nonce already binds a presentation to one exchange;
    a cache there also catches a verifier that reused a nonce, at no cost.
    """
    now = int(time.time()) if now is None else now
    if policy.one_way and replay is None:  # the policy itself has checked its challenge (verifier.policy)
        raise ChallengeMissing("one-way verification needs a replay cache")
    sd_jwt = SdJwt.parse(text)
    key = _replay_key_of(sd_jwt) if replay is not None else None
    warnings: list[str] = []
    stale: list[VerificationError] = []
    if now > bundle.issued_at + policy.max_bundle_age:
        stale.append(BundleStale("the trust bundle is too old to decide; sync it"))
    elif now >= bundle.key_list.exp:
        stale.append(BundleStale("the bundle's root-signed key list has expired; sync it"))
    elif now > bundle.next_update:
        warnings.append("bundle_stale: the trust bundle is due for an update; sync when online")

    def checks(claims: Mapping[str, Any]) -> list[VerificationError]:
        found = stale + _status_errors(claims, bundle, now)
        found.extend(
            MissingClaim(f"the presentation does not disclose {'.'.join(map(str, path))}")
            for path in policy.required
            if not has_claim(claims, path)
        )
        if replay is not None and key is not None and replay.seen(key, now=now):
            found.append(Replayed("this presentation was already accepted here; the holder must show a fresh one"))
        return found

    kb_policy = KeyBindingPolicy(
        required=policy.require_key_binding,
        nonce=None if policy.one_way else policy.nonce,
        aud=policy.aud,
        max_age=policy.kb_max_age,
        leeway=KB_LEEWAY,
    )
    verified = verify_credential(sd_jwt, bundle.issuer_key, key_binding=kb_policy, now=now, extra_checks=checks)
    if replay is not None and key is not None and verified.key_binding is not None:
        # Accepted by every other check: remember it until the KB-JWT would be refused as stale anyway.
        expires = int(verified.key_binding["iat"]) + kb_policy.max_age + kb_policy.leeway + 1
        if not replay.check_and_remember(key, expires=expires, now=now):
            raise VerificationFailed([Replayed("this presentation was accepted here a moment ago (a second scan)")])
    return Accepted(verified.claims, verified.disclosed, tuple(warnings))
