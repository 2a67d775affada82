"""Issuing a batch: one credential per holder key, and a receipt that can revoke them all.

The resident's attributes exist here only as function arguments: they are
signed into the credentials and forgotten. What the database gains is one
allocation bit per credential; what the resident gains is the batch and a
receipt carrying the batch's status references under the city's MAC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from issuer.signing import SigningKeys
from issuer.statuslists import StatusRef, StatusRegistry
from keys import KeyStore
from wallet_spec.errors import KeyInvalid, UsageError
from wallet_spec.jwk import PrivateKey, PublicKey, public_key_from_jwk, thumbprint
from wallet_spec.keylist import short_kid
from wallet_spec.profile import CITY_ID, CREDENTIAL_TYPES, CredentialType, Resident, issue_credential

HolderKeys = Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Mapping[str, Any]]]
"""A list of holder public JWKs (one credential of the default type each), or, by type name
(`residency`, `identity`, `full`), a list per credential type."""

MAX_BATCH = 16
"""Credentials per batch: enough for a fresh one per presentation for weeks, few enough for a QR receipt."""


@dataclass(frozen=True, slots=True)
class Batch:
    credentials: tuple[str, ...]
    receipt: str

    def to_json(self) -> dict[str, Any]:
        return {"credentials": list(self.credentials), "receipt": self.receipt}


def requested(holder_keys: HolderKeys, default: CredentialType = CITY_ID) -> list[tuple[CredentialType, Any]]:
    """Pair each holder key with the credential type it is for."""
    if isinstance(holder_keys, Mapping):
        unknown = sorted(set(holder_keys) - set(CREDENTIAL_TYPES))
        if unknown:
            raise UsageError(f"unknown credential type(s): {', '.join(map(str, unknown))}")
        pairs: list[tuple[CredentialType, Any]] = []
        for name, jwks in holder_keys.items():
            if not isinstance(jwks, Sequence) or isinstance(jwks, str):
                raise UsageError(f"holder keys for {name} must be a list of JWKs")
            pairs.extend((CREDENTIAL_TYPES[name], jwk) for jwk in jwks)
        return pairs
    return [(default, jwk) for jwk in holder_keys]


def issue_batch(
    resident: Resident,
    holder_jwks: HolderKeys,
    *,
    registry: StatusRegistry,
    now: int,
    keys: SigningKeys | None = None,
    credential_type: CredentialType = CITY_ID,
    store: KeyStore | None = None,
    passphrase: bytes | None = None,
) -> Batch:
    """Sign one credential per distinct holder key with the active signing key, and the batch's receipt.

    `credential_type` is the type of every key given as a plain list; keys given by
    type name get that type. (`store` and `passphrase` instead of `keys`: transitional, see
    `_transitional_keys`.)
    """
    keys = keys or _transitional_keys(store, passphrase)
    credentials, refs = issue_credentials(
        resident, holder_jwks, keys=keys, registry=registry, now=now, credential_type=credential_type
    )
    return Batch(credentials, keys.receipt(refs))


def issue_credentials(
    resident: Resident,
    holder_jwks: HolderKeys,
    *,
    registry: StatusRegistry,
    now: int,
    keys: SigningKeys | None = None,
    credential_type: CredentialType = CITY_ID,
    store: KeyStore | None = None,
    passphrase: bytes | None = None,
    signing: tuple[str, PrivateKey] | None = None,
) -> tuple[tuple[str, ...], list[StatusRef]]:
    """The credentials of `issue_batch` and their status references (in the same order), without a receipt.

    For callers that make one receipt over several calls (OpenID4VCI issues a batch in one
    credential request per credential type: `issuer.oid4vci`). Credentials come out in the
    order of `requested(holder_jwks)`: by type in the mapping's order, then key by key.
    (`store`, `passphrase` and `signing` instead of `keys`: transitional, see `_transitional_keys`.)
    """
    pairs = requested(holder_jwks, credential_type)
    if not 1 <= len(pairs) <= MAX_BATCH:
        raise UsageError(f"a batch needs between 1 and {MAX_BATCH} holder keys")
    if any(isinstance(jwk, Mapping) and "d" in jwk for _, jwk in pairs):
        raise KeyInvalid("a holder key must be public: this JWK carries the wallet's private key ('d')")
    holder_keys = [(kind, public_key_from_jwk(jwk)) for kind, jwk in pairs]
    if len({thumbprint(k) for _, k in holder_keys}) != len(holder_keys):
        raise UsageError("each credential of a batch needs its own holder key")
    if keys is not None:
        issuer_id, (kid, signing_key) = keys.issuer_id, keys.signing
    else:  # transitional: the signing key alone, without the receipt key (issuer/renewal.py)
        if store is None or (signing is None and passphrase is None):
            raise UsageError("issuing needs the signing keys")
        issuer_id, (kid, signing_key) = store.issuer_id, signing or store.active_signing_key(passphrase or b"")

    def sign(kind: CredentialType, holder_key: PublicKey, idx: int, uri: str) -> str:
        return issue_credential(
            resident,
            issuer=issuer_id,
            signing_key=signing_key,
            kid=short_kid(kid),
            holder_key=holder_key,
            status_idx=idx,
            status_uri=uri,
            now=now,
            credential_type=kind,
        ).serialize()

    # A refusal of the attributes (an extra claim that clashes with the profile, more claims than the
    # type has digests) must not cost status indices: sign a throw-away credential before allocating.
    for kind in {kind for kind, _ in holder_keys}:
        sign(kind, holder_keys[0][1], 0, registry.uri(1))
    refs = registry.allocate(len(holder_keys))
    credentials = tuple(
        sign(kind, key, ref.idx, ref.uri) for (kind, key), ref in zip(holder_keys, refs, strict=True)
    )
    return credentials, refs


def revoke_with_receipt(
    receipt: str,
    *,
    registry: StatusRegistry,
    keys: SigningKeys | None = None,
    store: KeyStore | None = None,
    passphrase: bytes | None = None,
) -> int:
    """Revoke every credential the receipt names; durable before it returns. Returns how many were new.

    (`store` and `passphrase` instead of `keys`: transitional, see `_transitional_keys`.)
    """
    keys = keys or _transitional_keys(store, passphrase)
    return registry.revoke(keys.open_receipt(receipt))


def _transitional_keys(store: KeyStore | None, passphrase: bytes | None) -> SigningKeys:
    """TRANSITIONAL, to be removed: the keys of callers not yet passing `keys=SigningKeys.open(...)`.

    `citykey/demo.py` and `issuer/renewal.py` belong to other work in progress; once they pass
    `keys` (the service: `state.keys`), this and the `store`/`passphrase`/`signing` parameters go.
    """
    if store is None or passphrase is None:
        raise UsageError("issuing and revoking need the signing keys (SigningKeys.open(store, passphrase))")
    return SigningKeys.open(store, passphrase)
