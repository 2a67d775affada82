"""What a verifier asks of a presentation: chosen by the service, never by the token."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_spec.sdjwt import ClaimPath

DAY = 86_400


@dataclass(frozen=True, slots=True)
class Policy:
    """One service's rules, e.g. a bus validator: `resident_of` and `age_over_65`, key-bound.

    `nonce` and `aud` are what the key-binding JWT must carry (None: not checked,
    for generic tools); `max_bundle_age` is how old the trust bundle may be
    before the verifier refuses to decide (it warns once `next_update` has passed).
    """

    required: tuple[ClaimPath, ...] = ()
    nonce: str | None = None
    aud: str | None = None
    require_key_binding: bool = True
    kb_max_age: int = 300
    max_bundle_age: int = 7 * DAY
