"""What a verifier asks of a presentation: chosen by the service, never by the token."""

from __future__ import annotations

from dataclasses import dataclass, field

from wallet_spec.errors import ChallengeMissing, UsageError
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.sdjwt import ClaimPath

DAY = 86_400
ONE_WAY_KB_MAX_AGE = 60
"""A suggested window for one-way scanners: a KB-JWT older than this (plus clock leeway) is refused."""


@dataclass(frozen=True, slots=True)
class Policy:
    """One service's rules, e.g. a bus validator: `resident_of` and `age_over_65`, key-bound.

    Every policy names its challenge, checked here so that every front end (the
    command line, a scanner page) gets the same rule: `aud`, this verifier's
    audience id, always; and either `nonce`, the one this verifier showed
    (challenge mode), or `one_way` (then `verify` needs a replay cache). Without
    them a verifier would accept a presentation made for another one, and
    accept it again; such a policy raises `ChallengeMissing` when it is made.

    `one_way` is for scanners that show no challenge (turnstiles, handhelds):
    the KB-JWT must be bound to `aud`, its nonce is not checked, and `verify`
    must be given a replay cache, which accepts each KB-JWT once within its
    window. Set `kb_max_age` short for it (`ONE_WAY_KB_MAX_AGE`).

    `require_key_binding=False` also accepts paper cards (static presentations
    with no KB-JWT, docs/desk.md); a presentation that does carry a KB-JWT is
    still held to the challenge. `max_bundle_age` is how old the trust bundle
    may be before the verifier refuses to decide (it warns once `next_update`
    has passed).
    """

    required: tuple[ClaimPath, ...] = ()
    nonce: str | None = None
    aud: str | None = None
    require_key_binding: bool = True
    kb_max_age: int = 300
    max_bundle_age: int = 7 * DAY
    one_way: bool = False
    key_binding: KeyBindingPolicy = field(init=False, repr=False, compare=False)
    """What the policy asks of a KB-JWT, made once here for every presentation it decides."""

    def __post_init__(self) -> None:
        if not self.aud:
            raise ChallengeMissing(
                "a verifier needs its own aud: without it, it accepts presentations made for any other verifier"
            )
        if self.one_way:
            if self.nonce is not None:
                raise UsageError("one-way verification checks no nonce; give a nonce only in challenge mode")
            if not self.require_key_binding:
                raise UsageError("one-way verification needs key binding: without it nothing can be replay-checked")
        elif not self.nonce:
            raise ChallengeMissing(
                "a verifier needs the nonce it showed, or one-way mode with a replay cache: without either, "
                "it accepts the same presentation again and again"
            )
        object.__setattr__(
            self,
            "key_binding",
            KeyBindingPolicy(
                required=self.require_key_binding,
                nonce=None if self.one_way else self.nonce,
                aud=self.aud,
                max_age=self.kb_max_age,
            ),
        )
