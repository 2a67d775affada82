"""Revocation by receipt: whoever holds a batch's receipt can revoke that batch, and nothing else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from issuer.api.bodies import Rules, json_body, request_body
from issuer.batch import revoke_with_receipt
from issuer.deps import Keys, State, throttled
from issuer.errors import error_responses
from issuer.receipts import MAX_RECEIPT_CHARS
from wallet_spec.oid4vci import JSON_MEDIA_TYPE

MAX_BODY_BYTES = 2 * MAX_RECEIPT_CHARS
"""A larger body is refused (413 `too_large`): a receipt is at most 8 KiB. A declared length is
checked before anything is read, a chunked body as it arrives."""

router = APIRouter(tags=["revocation"])


class RevocationRequest(BaseModel):
    receipt: str = Field(
        max_length=MAX_RECEIPT_CHARS, description="The receipt issued with the batch (`ckr2.`, or `ckr1.` before)."
    )


class RevocationResult(BaseModel):
    revoked: int = Field(description="Credentials newly marked revoked (0 if the batch already was).")
    published_at: int | None = Field(
        description="When the trust bundle carrying the revocation was signed; null if re-signing failed "
        "(the revocation is committed all the same and goes out with the next bundle, see /health)."
    )


REVOCATION = Rules(what="the revocation request", limit=MAX_BODY_BYTES)
Body = Annotated[RevocationRequest, Depends(json_body(RevocationRequest, REVOCATION))]


@router.post(
    "/revocations",
    dependencies=[throttled("revocations")],
    responses=error_responses(400, 413, 422, 429, 503),
    openapi_extra=request_body(JSON_MEDIA_TYPE, RevocationRequest.model_json_schema()),
)
async def revoke(body: Body, state: State, keys: Keys) -> RevocationResult:
    """Revoke a batch. The change is committed (fsynced) before this answers, then published at once."""
    count = await run_in_threadpool(revoke_with_receipt, body.receipt, keys=keys, registry=state.registry)
    published = await run_in_threadpool(state.try_republish)
    return RevocationResult(revoked=count, published_at=None if published is None else published.issued_at)
