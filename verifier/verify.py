"""Offline verification: a presentation, the trust bundle, a policy, and a clock. Nothing else."""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

from citykey_io.clock import now as read_clock
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
    VerificationError,
    VerificationFailed,
)
from wallet_spec.profile import ALL_VCTS, VC_TYP, profile_errors
from wallet_spec.sdjwt import ClaimPath, SdJwt, has_claim
from wallet_spec.statuslist import status_errors
from wallet_spec.verify import examine


class Accepted(NamedTuple):
    """A yes: the claims the holder disclosed, and any warning the operator should see."""

    claims: dict[str, Any]
    disclosed: tuple[ClaimPath, ...]
    warnings: tuple[str, ...]


def replay_key(kb_token: jws.CompactJws) -> bytes:
    """What the replay cache remembers: SHA-256 of the KB-JWT's signing input (see verifier.replay)."""
    return hashlib.sha256(kb_token.signing_input).digest()


def check_policy(policy: Policy, *, replay: bool) -> None:
    """Refuse a policy `verify` cannot apply: one-way mode without a replay cache (`Policy` checked the rest)."""
    if policy.one_way and not replay:
        raise ChallengeMissing("one-way verification needs a replay cache")


def _bundle_age(bundle: TrustBundle, policy: Policy, now: int) -> tuple[list[VerificationError], list[str]]:
    """A bundle too old to decide with (errors), or due for an update (a warning)."""
    if now > bundle.issued_at + policy.max_bundle_age:
        return [BundleStale("the trust bundle is too old to decide; sync it")], []
    if now >= bundle.key_list.exp:
        return [BundleStale("the bundle's root-signed key list has expired; sync it")], []
    if now > bundle.next_update:
        return [], ["bundle_stale: the trust bundle is due for an update; sync when online"]
    return [], []


def verify(
    text: str,
    bundle: TrustBundle,
    policy: Policy,
    *,
    now: int | None = None,
    replay: ReplayCache | None = None,
) -> Accepted:
    """Verify a compact presentation offline; raise VerificationFailed with every reason, or accept.

    One direction: the contract's checks (`wallet_spec.verify.examine`: signature,
    disclosures, times, key binding, the KB-JWT parsed once) and then this verifier's
    own (the profile, the bundle's age, the status bit, the policy's required claims,
    the replay cache), every failure collected and raised together with its code.

    With a `replay` cache (required when `policy.one_way`), a KB-JWT already
    accepted within its window is refused (`replayed`). A presentation is
    remembered only once every other check has passed, so a rejected one (a
    revoked credential, a stale bundle) never uses up the holder's QR code; the
    final remember is atomic, so of two simultaneous scans exactly one is accepted.
    In challenge mode the nonce already binds a presentation to one exchange;
    a cache there also catches a verifier that reused a nonce, at no cost.
    """
    now = read_clock() if now is None else now
    check_policy(policy, replay=replay is not None)
    sd_jwt = SdJwt.parse(text)
    kb_policy = policy.key_binding
    found = examine(sd_jwt, bundle.issuer_key, typ=VC_TYP, key_binding=kb_policy, now=now)
    stale, warnings = _bundle_age(bundle, policy, now)
    key = replay_key(found.kb_token) if replay is not None and found.kb_token is not None else None
    errors: list[CitykeyError] = [
        *profile_errors(found.claims, vcts=ALL_VCTS),
        *stale,
        *status_errors(found.claims, lambda uri, idx: bundle.status(uri, idx, now=now)),
        *(
            MissingClaim(f"the presentation does not disclose {'.'.join(map(str, path))}")
            for path in policy.required
            if not has_claim(found.claims, path)
        ),
    ]
    if replay is not None and key is not None and replay.seen(key, now=now):
        errors.append(Replayed("this presentation was already accepted here; the holder must show a fresh one"))
    verified = found.result(errors)
    if replay is not None and key is not None and verified.key_binding is not None:
        # Accepted by every other check: remember it until the KB-JWT would be refused as stale anyway.
        expires = int(verified.key_binding["iat"]) + kb_policy.max_age + kb_policy.leeway + 1
        if not replay.check_and_remember(key, expires=expires, now=now):
            raise VerificationFailed([Replayed("this presentation was accepted here a moment ago (a second scan)")])
    return Accepted(verified.claims, verified.disclosed, tuple(warnings))
