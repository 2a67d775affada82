"""Revocation by receipt: whoever holds a batch's receipt can revoke that batch, and nothing else."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from issuer.batch import revoke_with_receipt
from issuer.deps import State
from issuer.errors import error_responses
from issuer.receipts import MAX_RECEIPT_CHARS
from wallet_spec.errors import FormatError, TooLarge

MAX_BODY_BYTES = 2 * MAX_RECEIPT_CHARS
"""A declared body larger than this is refused (413) before it is read: a receipt is at most 8 KiB.
(A chunked body has no length to check; the reverse proxy's body limit covers it, docs/operations.md.)"""


class BoundedRoute(APIRoute):
    """Refuses a request whose `Content-Length` exceeds `MAX_BODY_BYTES` before FastAPI reads the body,
    and answers every refusal as `{"error", "error_description"}` (the 422 of a wrong shape aside)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                raise TooLarge(f"a revocation request is at most {MAX_BODY_BYTES} bytes")
            try:
                return await handler(request)
            except HTTPException as exc:  # FastAPI's own 400 for a body it cannot parse: answer in our shape
                if exc.status_code == 400:
                    raise FormatError("the request body is not JSON") from None
                raise

        return bounded


router = APIRouter(tags=["revocation"], route_class=BoundedRoute)


class RevocationRequest(BaseModel):
    receipt: str = Field(max_length=MAX_RECEIPT_CHARS, description="The `ckr1.` receipt issued with the batch.")


class RevocationResult(BaseModel):
    revoked: int = Field(description="Credentials newly marked revoked (0 if the batch already was).")
    published_at: int | None = Field(
        description="When the trust bundle carrying the revocation was signed; null if re-signing failed "
        "(the revocation is committed all the same and goes out with the next bundle, see /health)."
    )


@router.post("/revocations", responses=error_responses(400, 413, 503))
def revoke(body: RevocationRequest, state: State) -> RevocationResult:
    """Revoke a batch. The change is committed (fsynced) before this answers, then published at once."""
    count = revoke_with_receipt(
        body.receipt, store=state.store, registry=state.registry, passphrase=state.passphrase
    )
    published = state.try_republish()
    return RevocationResult(revoked=count, published_at=None if published is None else published.issued_at)
