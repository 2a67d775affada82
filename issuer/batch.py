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

from issuer.receipts import make_receipt, open_receipt
from issuer.statuslists import StatusRegistry
from keys import KeyStore
from wallet_spec.errors import KeyInvalid, UsageError
from wallet_spec.jwk import PublicKey, public_key_from_jwk, thumbprint
from wallet_spec.profile import CITY_ID, CredentialType, Resident, issue_credential

MAX_BATCH = 16
"""Credentials per batch: enough for a fresh one per presentation for weeks, few enough for a QR receipt."""


@dataclass(frozen=True, slots=True)
class Batch:
    credentials: tuple[str, ...]
    receipt: str

    def to_json(self) -> dict[str, Any]:
        return {"credentials": list(self.credentials), "receipt": self.receipt}


def issue_batch(
    resident: Resident,
    holder_jwks: Sequence[Mapping[str, Any]],
    *,
    store: KeyStore,
    registry: StatusRegistry,
    passphrase: bytes,
    now: int,
    credential_type: CredentialType = CITY_ID,
) -> Batch:
    """Sign one credential per distinct holder key with the active signing key."""
    if not 1 <= len(holder_jwks) <= MAX_BATCH:
        raise UsageError(f"a batch needs between 1 and {MAX_BATCH} holder keys")
    if any(isinstance(jwk, Mapping) and "d" in jwk for jwk in holder_jwks):
        raise KeyInvalid("a holder key must be public: this JWK carries the wallet's private key ('d')")
    holder_keys = [public_key_from_jwk(jwk) for jwk in holder_jwks]
    if len({thumbprint(k) for k in holder_keys}) != len(holder_keys):
        raise UsageError("each credential of a batch needs its own holder key")
    kid, signing_key = store.active_signing_key(passphrase)
    mac_key = store.receipt_mac_key(passphrase)

    def sign(holder_key: PublicKey, idx: int, uri: str) -> str:
        return issue_credential(
            resident,
            issuer=store.issuer_id,
            signing_key=signing_key,
            kid=kid,
            holder_key=holder_key,
            status_idx=idx,
            status_uri=uri,
            now=now,
            credential_type=credential_type,
        ).serialize()

    # A refusal of the attributes (an extra claim that clashes with the profile, more claims than the
    # type has digests) must not cost status indices: sign a throw-away credential before allocating.
    sign(holder_keys[0], 0, registry.uri(1))
    refs = registry.allocate(len(holder_keys))
    credentials = tuple(sign(key, ref.idx, ref.uri) for key, ref in zip(holder_keys, refs, strict=True))
    return Batch(credentials, make_receipt(mac_key, store.issuer_id, refs))


def revoke_with_receipt(receipt: str, *, store: KeyStore, registry: StatusRegistry, passphrase: bytes) -> int:
    """Revoke every credential the receipt names; durable before it returns. Returns how many were new."""
    refs = open_receipt(store.receipt_mac_key(passphrase), receipt)
    return registry.revoke(refs)
