"""The signed key list: the city's root key vouches for its signing keys.

Verifiers pin only the root (its RFC 7638 thumbprint, short enough to print
on paper). The root, kept offline, signs a list of signing keys with the window
of credential `iat` values each may have signed, and the kids it has revoked.
A rotation publishes a new list; no verifier changes its configuration.

The same list names the verifiers the city vouches for (`verifiers`: `aud`,
`name`, public `jwk`, and `may_ask`, the claims each may ask a wallet for), so
that only the root can add a verifier a wallet will trust; a list without the
member lists none.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wallet_spec import jws
from wallet_spec.encoding import is_int
from wallet_spec.errors import (
    BundleInvalid,
    BundleStale,
    FormatError,
    KeyInvalid,
    KeyNotValidThen,
    KeyRevoked,
    UnknownKey,
    VerificationError,
    VerificationFailed,
)
from wallet_spec.jwk import PrivateKey, PublicKey, public_jwk, public_key_from_jwk, thumbprint
from wallet_spec.request import ListedVerifier, verifiers_from_json

KEY_LIST_TYP = "citykey-keylist+jwt"
SIGNING_KID_CHARS = 8


def signing_kid(key: PublicKey | PrivateKey | Mapping[str, Any]) -> str:
    """A city signing key's one `kid`: in credentials, status list tokens, the key list, the published JWKS
    and the key store alike (RFC 7515 §4.1.4: a verifier picks the key by it).

    The RFC 7638 thumbprint's first 8 characters: enough to pick one of a city's few signing keys, and 35
    characters fewer in every QR code than the whole thumbprint; a key store never makes two keys that share
    one, and the key list that names them is signed by the root, so a look-alike key cannot be slipped in.
    """
    return thumbprint(key)[:SIGNING_KID_CHARS]


@dataclass(frozen=True, slots=True)
class ListedKey:
    """A signing key and the credential `iat` values it may have signed (inclusive)."""

    kid: str
    jwk: Mapping[str, str]
    not_before: int
    not_after: int | None = None
    """None while the key is the active one; set when rotation retires it from signing."""
    _public_key: PublicKey | None = field(default=None, init=False, repr=False, compare=False)

    def public_key(self) -> PublicKey:
        """The key object, built from `jwk` (on-curve check included) once and then kept: a
        verifier resolves it for every presentation, and building it costs a point validation."""
        if self._public_key is None:
            object.__setattr__(self, "_public_key", public_key_from_jwk(self.jwk))
        assert self._public_key is not None
        return self._public_key

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "jwk": dict(self.jwk), "not_before": self.not_before,
                "not_after": self.not_after}

    @classmethod
    def from_json(cls, obj: Any) -> ListedKey:
        if not isinstance(obj, Mapping):
            raise FormatError("key list entry must be an object")
        kid, jwk, nbf, naf = (obj.get(k) for k in ("kid", "jwk", "not_before", "not_after"))
        if not isinstance(kid, str) or not is_int(nbf) or not (naf is None or is_int(naf)):
            raise FormatError("key list entry needs kid, not_before and not_after")
        if not isinstance(jwk, Mapping):
            raise FormatError("key list entry needs a jwk object")
        try:
            if signing_kid(jwk) != kid:
                raise FormatError("key list entry's kid is not its key's (short) thumbprint")
        except KeyInvalid as exc:
            raise FormatError(f"key list entry has an unusable key: {exc.message}") from None
        return cls(kid, dict(jwk), nbf, naf)


@dataclass(frozen=True, slots=True)
class KeyList:
    """The root-signed list of signing keys (with their `iat` windows), revoked kids and listed verifiers."""

    issuer: str
    iat: int
    exp: int
    keys: tuple[ListedKey, ...]
    revoked: frozenset[str] = field(default_factory=frozenset)
    verifiers: tuple[ListedVerifier, ...] = ()
    """The verifiers the city vouches for, each with the claims it may ask for."""

    def key_for(self, kid: Any, iat: Any) -> PublicKey:
        """The key that may have signed a token with this `kid` and `iat`, or why not."""
        if not isinstance(kid, str) or not kid:
            raise UnknownKey("the token names no signing key")
        if kid in self.revoked:
            raise KeyRevoked("the credential's signing key has been revoked by the city")
        matches = [k for k in self.keys if k.kid == kid]
        if len(matches) != 1:
            raise UnknownKey("the credential's signing key is not in the trust bundle")
        entry = matches[0]
        if not is_int(iat) or iat < entry.not_before or (
            entry.not_after is not None and iat > entry.not_after
        ):
            raise KeyNotValidThen("the signing key was not valid for signing at the credential's iat")
        return entry.public_key()

    def to_claims(self) -> dict[str, Any]:
        return {
            "iss": self.issuer,
            "iat": self.iat,
            "exp": self.exp,
            "keys": [k.to_json() for k in self.keys],
            "revoked": sorted(self.revoked),
            "verifiers": [v.to_json() for v in self.verifiers],
        }


def sign_key_list(key_list: KeyList, root: PrivateKey) -> str:
    claims = {**key_list.to_claims(), "root": public_jwk(root)}
    return jws.sign_document(KEY_LIST_TYP, claims, root, kid=thumbprint(root))


def verify_key_list(token: str, root_thumbprint: str, *, now: int) -> KeyList:
    """Verify the list against the pinned root thumbprint; the list carries the root's public key."""
    parsed = jws.parse(token, what="key list")
    errors: list[VerificationError] = jws.header_errors(parsed.header, typ=KEY_LIST_TYP, what="key list")
    claims = parsed.payload
    root_jwk = claims.get("root")
    try:
        root_key = public_key_from_jwk(root_jwk)
        pinned = hmac.compare_digest(thumbprint(root_key).encode(), root_thumbprint.encode())
    except KeyInvalid:
        root_key, pinned = None, False
    if not pinned or root_key is None:
        errors.append(BundleInvalid("the key list is not from the pinned root key"))
    elif not errors and not jws.signature_valid(parsed, root_key):
        errors.append(BundleInvalid("the key list's root signature does not verify"))
    if errors:
        raise VerificationFailed(errors)
    try:
        issuer, iat, exp = claims["iss"], claims["iat"], claims["exp"]
        keys = tuple(ListedKey.from_json(k) for k in claims["keys"])
        listed_revoked = claims.get("revoked", [])
    except (KeyError, TypeError) as exc:
        raise FormatError("key list is missing iss, iat, exp or keys") from exc
    if not isinstance(issuer, str) or not is_int(iat) or not is_int(exp):
        raise FormatError("key list iss, iat or exp has the wrong type")
    if not isinstance(listed_revoked, list) or not all(isinstance(k, str) for k in listed_revoked):
        raise FormatError("key list revoked must be a list of kids")
    revoked = frozenset(listed_revoked)
    verifiers = verifiers_from_json(claims.get("verifiers", []))
    if now >= exp:
        raise VerificationFailed([BundleStale("the root-signed key list has expired; sync the bundle")])
    return KeyList(issuer, iat, exp, keys, revoked, verifiers)
