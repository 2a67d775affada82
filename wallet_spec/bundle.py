"""The trust bundle: everything a verifier needs to say yes or no with no network.

One signed token holding the root-signed key list and the current status list
tokens. The bundle itself is signed by one of the listed signing keys, so its
`issued_at` and `next_update` cannot be edited to make an old bundle look
fresh, and an old status list (from before a revocation) cannot be swapped in
without the status token's own `iat`/`exp` giving it away.

It also lists the verifiers the city vouches for (`verifiers`: `aud`, `name`,
public `jwk`), whose signed presentation requests a wallet can then attribute
(`wallet_spec.request`); the member is absent when there are none, and a
bundle from before it existed loads as listing none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wallet_spec import jws
from wallet_spec.encoding import is_int
from wallet_spec.errors import (
    BundleInvalid,
    BundleKeyNotValid,
    BundleNotYetValid,
    FormatError,
    StatusUnknown,
    TooLarge,
    UnknownKey,
    VerificationError,
    VerificationFailed,
)
from wallet_spec.jwk import PrivateKey, PublicKey, public_key_from_jwk
from wallet_spec.keylist import KeyList, ListedKey, verify_key_list
from wallet_spec.request import ListedVerifier, verifiers_from_json
from wallet_spec.statuslist import VerifiedStatusList, verify_token

TRUST_BUNDLE_TYP = "citykey-trust+jwt"
MAX_BUNDLE_CHARS = 8 << 20
CLOCK_LEEWAY = 60
"""How far a bundle's `issued_at` may lie ahead of the verifier's clock (as for credentials)."""


def sign_bundle(
    *,
    key_list_token: str,
    status_list_tokens: Sequence[str],
    issuer: str,
    issued_at: int,
    next_update: int,
    signing_key: PrivateKey,
    kid: str,
    verifiers: Sequence[ListedVerifier] = (),
) -> str:
    """Sign a bundle. `verifiers` are the verifiers the city vouches for (their signed requests)."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "issued_at": issued_at,
        "next_update": next_update,
        "key_list": key_list_token,
        "status_lists": list(status_list_tokens),
    }
    if verifiers:
        claims["verifiers"] = [v.to_json() for v in verifiers]
    return jws.sign({"typ": TRUST_BUNDLE_TYP, "kid": kid}, claims, signing_key)


@dataclass(frozen=True, slots=True)
class TrustBundle:
    issuer: str
    issued_at: int
    next_update: int
    key_list: KeyList
    status_lists: Mapping[str, VerifiedStatusList]
    verifiers: tuple[ListedVerifier, ...] = ()
    """Verifiers the city vouches for: a wallet shows their name and may refuse everyone else.
    A bundle from before the list existed has none."""

    def issuer_key(self, header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        """Key resolver for credentials: issuer must match, key chosen by `kid` and `iat`."""
        if payload.get("iss") != self.issuer:
            raise UnknownKey("the credential's issuer is not the one this bundle trusts")
        return self.key_list.key_for(header.get("kid"), payload.get("iat"))

    def status(self, uri: Any, idx: Any, *, now: int) -> int:
        """The status value of a credential, or StatusUnknown when no statement can be made.

        A list that has expired since the bundle was loaded says nothing any more.
        """
        listed = self.status_lists.get(uri) if isinstance(uri, str) else None
        if listed is None:
            raise StatusUnknown("the bundle has no status list for this credential")
        if now >= listed.exp:
            raise StatusUnknown("the credential's status list has expired; sync the bundle")
        try:
            return listed.status_list.get(idx)
        except (IndexError, TypeError):
            raise StatusUnknown("the credential's status index is outside its list") from None


def _may_sign_at(entry: ListedKey, at: int) -> bool:
    """The key list's window of a signing key, inclusive, as for credentials (`KeyList.key_for`)."""
    return entry.not_before <= at and (entry.not_after is None or at <= entry.not_after)


def load_bundle(text: str, root_thumbprint: str, *, now: int, leeway: int = CLOCK_LEEWAY) -> TrustBundle:
    """Verify a bundle end to end against the pinned root; staleness is the caller's policy.

    The bundle's own window is checked here: its signer must be a listed key allowed to sign at
    its `issued_at` (a retired key signs nothing new), and `issued_at` may not lie ahead of `now`
    by more than `leeway` (a bundle dated years ahead would never look stale).
    """
    if len(text) > MAX_BUNDLE_CHARS:
        raise TooLarge(f"trust bundle is larger than {MAX_BUNDLE_CHARS} characters")
    parsed = jws.parse(text.strip(), what="trust bundle")
    claims = parsed.payload
    key_list_token = claims.get("key_list")
    if not isinstance(key_list_token, str):
        raise FormatError("trust bundle has no key_list")
    key_list = verify_key_list(key_list_token, root_thumbprint, now=now)

    errors: list[VerificationError] = jws.header_errors(
        parsed.header, typ=TRUST_BUNDLE_TYP, what="trust bundle"
    )
    entry = next((k for k in key_list.keys if k.kid == parsed.header.get("kid")), None)
    if entry is None or entry.kid in key_list.revoked:
        errors.append(BundleInvalid("the bundle is not signed by a key in its key list"))
    elif not errors and not jws.signature_valid(parsed, public_key_from_jwk(entry.jwk)):
        errors.append(BundleInvalid("the bundle's signature does not verify"))
    issuer, issued_at, next_update = (claims.get(k) for k in ("iss", "issued_at", "next_update"))
    if issuer != key_list.issuer:
        errors.append(BundleInvalid("the bundle's issuer differs from its key list's"))
    if not is_int(issued_at) or not is_int(next_update):
        errors.append(BundleInvalid("the bundle needs integer issued_at and next_update"))
    else:
        if entry is not None and entry.kid not in key_list.revoked and not _may_sign_at(entry, issued_at):
            errors.append(BundleKeyNotValid("the bundle's signing key was not allowed to sign at its issued_at"))
        if issued_at > now + leeway:
            errors.append(BundleNotYetValid("the bundle's issued_at lies in the future; check this device's clock"))
    if errors or not is_int(issued_at) or not is_int(next_update):
        raise VerificationFailed(errors)

    def status_key(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        return key_list.key_for(header.get("kid"), payload.get("iat"))

    verifiers = verifiers_from_json(claims.get("verifiers", []))
    lists: dict[str, VerifiedStatusList] = {}
    tokens = claims.get("status_lists", [])
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise FormatError("trust bundle status_lists must be a list of tokens")
    for token in tokens:
        try:
            listed = verify_token(token, status_key, now=now)
        except VerificationFailed:
            continue  # an expired or bad list makes its credentials' status unknown, not the bundle
        if listed.uri in lists:
            raise FormatError("trust bundle holds two status lists for one URI")
        lists[listed.uri] = listed
    return TrustBundle(str(issuer), issued_at, next_update, key_list, lists, verifiers)
