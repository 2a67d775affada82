"""Revocation by receipt: whoever holds a batch's receipt can revoke that batch, and nothing else."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from issuer.batch import revoke_with_receipt
from issuer.deps import State
from issuer.receipts import MAX_RECEIPT_CHARS

router = APIRouter(tags=["revocation"])


class RevocationRequest(BaseModel):
    receipt: str = Field(max_length=MAX_RECEIPT_CHARS, description="The `ckr1.` receipt issued with the batch.")


class RevocationResult(BaseModel):
    revoked: int = Field(description="Credentials newly marked revoked (0 if the batch already was).")
    published_at: int = Field(description="When the trust bundle carrying the revocation was signed.")


@router.post("/revocations")
def revoke(body: RevocationRequest, state: State) -> RevocationResult:
    """Revoke a batch. The change is committed (fsynced) before this answers, then published at once."""
    count = revoke_with_receipt(
        body.receipt, store=state.store, registry=state.registry, passphrase=state.passphrase
    )
    published = state.republish()
    return RevocationResult(revoked=count, published_at=published.issued_at)
