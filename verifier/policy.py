"""What a verifier asks of a presentation: chosen by the service, never by the token."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_spec.sdjwt import ClaimPath

DAY = 86_400
ONE_WAY_KB_MAX_AGE = 60
"""A suggested window for one-way scanners: a KB-JWT older than this (plus clock leeway) is refused."""


@dataclass(frozen=True, slots=True)
class Policy:
    """One service's rules, e.g. a bus validator: `resident_of` and `age_over_65`, key-bound.

    `nonce` and `aud` are what the key-binding JWT must carry (None: not checked,
    for generic tools); `max_bundle_age` is how old the trust bundle may be
    before the verifier refuses to decide (it warns once `next_update` has passed).

    `one_way` is for scanners that show no challenge (turnstiles, handhelds):
    the KB-JWT must be bound to `aud` (required), its nonce is not checked, and
    `verify` must be given a replay cache, which accepts each KB-JWT once
    within its window. Set `kb_max_age` short for it (`ONE_WAY_KB_MAX_AGE`).
    """

    required: tuple[ClaimPath, ...] = ()
    nonce: str | None = None
    aud: str | None = None
    require_key_binding: bool = True
    kb_max_age: int = 300
    max_bundle_age: int = 7 * DAY
    one_way: bool = False
