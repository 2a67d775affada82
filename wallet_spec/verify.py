"""Verification of SD-JWT presentations (RFC 9901 §7.1 and §7.3), collecting every failure.

`examine` runs the core checks and returns what it found, failures included, without
raising for them; `verify` adds the caller's claim checks and raises them all together.
A verifier that composes more checks of its own (status, policy, replay) calls
`examine` and decides itself, so nothing here calls back into it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypedDict, Unpack

from wallet_spec import jws, keybinding
from wallet_spec.errors import (
    CitykeyError,
    ClaimInvalid,
    DisclosureUnreferenced,
    Expired,
    HashAlgUnsupported,
    KeyBindingMissing,
    NotYetValid,
    SignatureInvalid,
    VerificationError,
    VerificationFailed,
)
from wallet_spec.jwk import PublicKey
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.sdjwt import DEFAULT_LIMITS, SD_ALG, ClaimPath, Limits, SdJwt, unfold

ClaimCheck = Callable[[Mapping[str, Any]], list[VerificationError]]
"""A profile's own checks on the processed claims, run with the rest so all failures are reported."""

KeyResolver = Callable[[Mapping[str, Any], Mapping[str, Any]], PublicKey]
"""Given the issuer JWT's header and payload, return the trusted key or raise UnknownKey.

The key always comes from the verifier's own trust store, never from the token.
"""


class Verified(NamedTuple):
    """A presentation that passed every check."""

    claims: dict[str, Any]
    """The processed payload: disclosed claims in place, `_sd`/`_sd_alg` removed."""
    header: dict[str, Any]
    disclosed: tuple[ClaimPath, ...]
    key_binding: dict[str, Any] | None
    """The KB-JWT payload, when one was sent and verified."""


class Examined(NamedTuple):
    """What the core checks found in a readable presentation, failures included."""

    claims: dict[str, Any]
    header: dict[str, Any]
    disclosed: tuple[ClaimPath, ...]
    kb_token: jws.CompactJws | None
    """The KB-JWT as parsed (once), when one was sent: a replay cache keys on its signing input."""
    key_binding: dict[str, Any] | None
    """The KB-JWT payload, when one was sent and every key-binding check passed."""
    errors: list[CitykeyError]
    """The issuer JWT's header and signature, the disclosures, the credential's times."""
    kb_errors: list[VerificationError]
    """Key binding: missing when required, or every check of the KB-JWT that failed."""

    def result(self, more: list[CitykeyError] | None = None) -> Verified:
        """The verified presentation, or VerificationFailed with every failure (`more` after the core's own)."""
        errors = [*self.errors, *(more or ()), *self.kb_errors]
        if errors:
            raise VerificationFailed(errors)
        return Verified(self.claims, self.header, self.disclosed, self.key_binding)


class Options(TypedDict, total=False):
    """`examine`'s keyword options, which `verify` passes on as they are."""

    typ: str | None
    key_binding: KeyBindingPolicy
    now: int | None
    leeway: int
    limits: Limits


def verify(
    presentation: str | SdJwt,
    issuer_key: PublicKey | KeyResolver,
    *,
    claim_checks: ClaimCheck | None = None,
    **options: Unpack[Options],
) -> Verified:
    """Verify a compact SD-JWT or SD-JWT+KB and return what it proves (options: see `examine`).

    Raises FormatError (or TooLarge) when the input cannot be read, and
    VerificationFailed listing every failed check otherwise. A KB-JWT that was
    sent is always checked; `key_binding.required` decides whether one must be.
    """
    found = examine(presentation, issuer_key, **options)
    return found.result(list(claim_checks(found.claims)) if claim_checks is not None else None)


def examine(
    presentation: str | SdJwt,
    issuer_key: PublicKey | KeyResolver,
    *,
    typ: str | None = None,
    key_binding: KeyBindingPolicy = KeyBindingPolicy(),
    now: int | None = None,
    leeway: int = 60,
    limits: Limits = DEFAULT_LIMITS,
) -> Examined:
    """Run the core checks of `verify` and return what they found; raise only for what cannot be read.

    Raises FormatError (or TooLarge) for an unreadable presentation or KB-JWT, and
    VerificationFailed at once for an unsupported `_sd_alg` (nothing else can be checked).
    """
    sd_jwt = presentation if isinstance(presentation, SdJwt) else SdJwt.parse(presentation, limits=limits)
    now = int(time.time()) if now is None else now
    token = jws.parse(sd_jwt.jwt, what="issuer-signed JWT")
    errors: list[CitykeyError] = list(jws.header_errors(token.header, typ=typ))

    if jws.alg_allowed(token.header):
        try:
            key = issuer_key(token.header, token.payload) if callable(issuer_key) else issuer_key
        except VerificationError as exc:
            errors.append(exc)
        else:
            if not jws.signature_valid(token, key):
                errors.append(SignatureInvalid("issuer signature does not verify"))

    sd_alg = token.payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        errors.append(HashAlgUnsupported(f"_sd_alg {sd_alg!r} is not supported"))
        raise VerificationFailed(errors)

    unfolded = unfold(token.payload, sd_jwt.disclosures)
    errors.extend(unfolded.errors)
    errors.extend(
        DisclosureUnreferenced("a disclosure is not referenced by the credential")
        for _ in unfolded.unreferenced
    )
    claims = unfolded.claims
    errors.extend(_time_errors(claims, now=now, leeway=leeway))

    kb_token = None if sd_jwt.kb_jwt is None else jws.parse(sd_jwt.kb_jwt, what="KB-JWT")
    kb_claims: dict[str, Any] | None = None
    kb_errors: list[VerificationError] = []
    if kb_token is not None:
        kb_claims, kb_errors = keybinding.check(kb_token, sd_jwt.sd_part, claims.get("cnf"), key_binding, now=now)
    elif key_binding.required:
        kb_errors.append(KeyBindingMissing("this verifier requires key binding"))
    disclosed = tuple(ref.path for ref in unfolded.references.values())
    return Examined(claims, token.header, disclosed, kb_token, kb_claims, errors, kb_errors)


def _time_errors(claims: Mapping[str, Any], *, now: int, leeway: int) -> list[VerificationError]:
    found: list[VerificationError] = []
    for name in ("iat", "nbf", "exp"):
        value = claims.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            found.append(ClaimInvalid(f"{name} must be a number"))
        elif name == "exp" and now >= value + leeway:
            found.append(Expired("the credential has expired"))
        elif name != "exp" and value > now + leeway:
            found.append(NotYetValid(f"the credential's {name} is in the future"))
    return found
