"""One place that turns citykey error codes into HTTP responses; routes only raise."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from wallet_spec.errors import (
    CitykeyError,
    FormatError,
    KeyStoreError,
    ReceiptInvalid,
    StatusRefUnknown,
    TooLarge,
    UsageError,
    VerificationError,
)

STATUS_BY_TYPE: tuple[tuple[type[CitykeyError], int], ...] = (
    (TooLarge, 413),
    (FormatError, 400),
    (ReceiptInvalid, 400),
    (StatusRefUnknown, 400),
    (UsageError, 400),
    (VerificationError, 400),
    (KeyStoreError, 503),
)


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
