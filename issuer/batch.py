"""Issuing a batch: one credential per holder key, and a receipt that can revoke them all.

The resident's attributes exist here only as function arguments: they are
signed into the credentials and forgotten. What the database gains is one
allocation bit per credential; what the resident gains is the batch and a
receipt carrying the batch's status references under the city's MAC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from issuer.signing import SigningKeys
from issuer.statuslists import StatusRef, StatusRegistry
from wallet_spec.errors import KeyInvalid, UsageError
from wallet_spec.jwk import generate_private_key, holds_private_key, public_jwk
from wallet_spec.profile import CITY_ID, CREDENTIAL_TYPES, CredentialType, Resident, issue_credential

HolderKeys = Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Mapping[str, Any]]]
"""A list of holder public JWKs (one credential of the default type each), or, by type name
(`residency`, `identity`, `full`), a list per credential type."""

MAX_BATCH = 36
"""Credentials per batch: three of each of the twelve types a resident of 65 is offered (a fresh one
per presentation for weeks), few enough for a small QR receipt (about 550 characters at 36)."""


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
    keys: SigningKeys,
    registry: StatusRegistry,
    now: int,
    credential_type: CredentialType = CITY_ID,
) -> Batch:
    """Sign one credential per distinct holder key with the active signing key, and the batch's receipt.

    `credential_type` is the type of every key given as a plain list; keys given by
    type name get that type.
    """
    pairs = requested(holder_jwks, credential_type)
    credentials, refs = issue_credentials(resident, pairs, keys=keys, registry=registry, now=now)
    return Batch(credentials, keys.receipt(refs))


def issue_credentials(
    resident: Resident, pairs: Sequence[tuple[CredentialType, Any]], *, keys: SigningKeys, registry: StatusRegistry,
    now: int,
) -> tuple[tuple[str, ...], list[StatusRef]]:
    """The credentials of `issue_batch` and their status references (in the same order), without a receipt.

    `pairs` are (credential type, holder public JWK), as `requested` makes them. For callers
    that make one receipt over several calls (OpenID4VCI issues a batch in one credential
    request per credential type: `issuer.oid4vci`). Credentials come out in the order of `pairs`.
    """
    if not 1 <= len(pairs) <= MAX_BATCH:
        raise UsageError(f"a batch needs between 1 and {MAX_BATCH} holder keys")
    if any(holds_private_key(jwk) for _, jwk in pairs):
        raise KeyInvalid("a holder key must be public: this JWK carries the wallet's private key ('d')")
    holder_keys = [(kind, public_jwk(jwk)) for kind, jwk in pairs]  # checked: P-256, canonical x and y
    if len({(k["x"], k["y"]) for _, k in holder_keys}) != len(holder_keys):  # one point, one thumbprint
        raise UsageError("each credential of a batch needs its own holder key")
    # A refusal of the attributes (an extra claim that clashes with the profile, more claims than the
    # type has digests) must not cost status indices: find it before allocating.
    check_signable(resident, {kind for kind, _ in holder_keys}, now=now)
    refs = registry.allocate(len(holder_keys))
    credentials = tuple(
        issue_credential(
            resident,
            issuer=keys.issuer_id,
            signing_key=keys.key,
            kid=keys.kid,
            holder_key=holder_key,
            status_idx=ref.idx,
            status_uri=ref.uri,
            now=now,
            credential_type=kind,
        ).serialize()
        for (kind, holder_key), ref in zip(holder_keys, refs, strict=True)
    )
    return credentials, refs


def check_signable(resident: Resident, kinds: Iterable[CredentialType], *, now: int) -> None:
    """Raise the UsageError issuing would raise for these attributes: sign a throw-away credential of each kind.

    Signed with a throw-away key, so it needs no secret: the desk calls it too
    (`issuer.offers.check_issuable`), before any offer exists.
    """
    scratch = generate_private_key()
    for kind in kinds:
        issue_credential(
            resident,
            issuer="https://check.invalid",
            signing_key=scratch,
            kid="check",
            holder_key=scratch.public_key(),
            status_idx=0,
            status_uri="https://check.invalid/1",
            now=now,
            credential_type=kind,
        )


def revoke_with_receipt(receipt: str, *, keys: SigningKeys, registry: StatusRegistry) -> int:
    """Revoke every credential the receipt names; durable before it returns. Returns how many were new."""
    return registry.revoke(keys.open_receipt(receipt))
