"""Offline verification: a presentation, the trust bundle, a policy, and a clock. Nothing else."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier.policy import Policy
from wallet_spec.bundle import TrustBundle
from wallet_spec.errors import (
    BundleStale,
    MissingClaim,
    Revoked,
    StatusUnknown,
    Suspended,
    VerificationError,
)
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.profile import verify_credential
from wallet_spec.sdjwt import ClaimPath, has_claim
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


def verify(text: str, bundle: TrustBundle, policy: Policy = Policy(), *, now: int | None = None) -> Accepted:
    """Verify a presentation offline; raise VerificationFailed with every reason, or accept.

    Order of concerns: the bundle's age (a verifier that has not synced for too
    long must not decide), then the credential and key binding, the status bit,
    and the policy's required claims, all collected together.
    """
    now = int(time.time()) if now is None else now
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
        return found

    verified = verify_credential(
        text,
        bundle.issuer_key,
        key_binding=KeyBindingPolicy(
            required=policy.require_key_binding, nonce=policy.nonce, aud=policy.aud, max_age=policy.kb_max_age
        ),
        now=now,
        extra_checks=checks,
    )
    return Accepted(verified.claims, verified.disclosed, tuple(warnings))
