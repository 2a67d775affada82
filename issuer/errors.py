"""One place that turns citykey error codes into HTTP responses; routes only raise."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from wallet_spec.errors import (
    CitykeyError,
    FormatError,
    KeyStoreError,
    ReceiptInvalid,
    SlotUnavailable,
    StatusRefUnknown,
    TooLarge,
    UsageError,
    VerificationError,
)

STATUS_BY_TYPE: tuple[tuple[type[CitykeyError], int], ...] = (
    (TooLarge, 413),
    (FormatError, 400),
    (SlotUnavailable, 409),
    (ReceiptInvalid, 400),
    (StatusRefUnknown, 400),
    (UsageError, 400),
    (VerificationError, 400),
    (KeyStoreError, 503),
)


class ErrorBody(BaseModel):
    """What every citykey error answers, for the OpenAPI description (`responses=error_responses(...)`)."""

    error: str = Field(description="A stable code, e.g. `receipt_invalid`, `too_large`.")
    error_description: str = Field(description="A human message; never carries claim values.")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody, "description": "A citykey error."} for status in statuses}


def status_for(exc: CitykeyError) -> int:
    return next((status for kind, status in STATUS_BY_TYPE if isinstance(exc, kind)), 500)


async def citykey_error(_: Request, exc: Exception) -> JSONResponse:
    """`{"error": code, "error_description": message}`: the OAuth shape, which OpenID4VCI clients expect.

    Messages never carry claim values (wallet_spec.errors), so they are safe to return and to log.
    """
    assert isinstance(exc, CitykeyError)
    return JSONResponse({"error": exc.code, "error_description": exc.message}, status_code=status_for(exc))


def install(app: FastAPI) -> None:
    app.add_exception_handler(CitykeyError, citykey_error)
