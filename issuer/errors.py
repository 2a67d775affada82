"""The issuer's own errors, the one error body, and the one handler that turns errors into responses.

Routes only raise. Every error the service answers is `ErrorBody`,
`{"error": code, "error_description": message}` (the OAuth shape, which OpenID4VCI clients
expect), sent `Cache-Control: no-store`:

- `OAuthError` (OpenID4VCI endpoints): the specification's name and status (`invalid_grant`,
  `invalid_proof`, `invalid_token` 401 with `WWW-Authenticate`, ...);
- `NotFound`: 404 `not_found`;
- a `CitykeyError`: its `code`, with the status of `STATUS_BY_TYPE` (`TooLarge` 413,
  `KeyStoreError` 503, other input errors 400);
- a request whose parameters or body do not fit the route's pydantic model: 422 `invalid_request`,
  naming the fields, never their values;
- the framework's own refusals (an unknown path, a method not allowed): their status, with
  `not_found`, `method_not_allowed` or `invalid_request`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

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

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
"""Every answer that carries a secret (offer, token, nonce, credentials), and every error."""

_DESCRIPTION_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}
"""What an error_description may hold (OpenID4VCI §8.3.1.2, RFC 6749 §5.2): printable ASCII but `"` and `\\`."""


class NotFound(Exception):
    """Nothing is published under this name (a status list number never allocated): 404 `not_found`.

    Not a `CitykeyError`: those are the parties' shared vocabulary (`wallet_spec.errors`); this is HTTP's."""

    code = "not_found"

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class OAuthError(Exception):
    """An error response in the OAuth shape: `{"error", "error_description"}`, with its HTTP status."""

    def __init__(
        self, error: str, description: str, *, status: int = 400, bearer: bool = False, anonymous: bool = False
    ) -> None:
        description = "".join(c if c in _DESCRIPTION_CHARS else "?" for c in description)
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.bearer = bearer
        self.anonymous = anonymous

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def headers(self) -> dict[str, str]:
        if not self.bearer:
            return dict(NO_STORE)
        if self.anonymous:  # RFC 6750 §3.1: a request with no token at all gets the bare challenge
            return {**NO_STORE, "WWW-Authenticate": "Bearer"}
        # RFC 6750 §3: the challenge names the error; the description holds no quote (see above).
        return {**NO_STORE, "WWW-Authenticate": f'Bearer error="{self.error}", error_description="{self.description}"'}


STATUS_BY_TYPE: tuple[tuple[type[CitykeyError], int], ...] = (
    (TooLarge, 413),
    (FormatError, 400),
    (ReceiptInvalid, 400),
    (StatusRefUnknown, 400),
    (UsageError, 400),
    (VerificationError, 400),
    (KeyStoreError, 503),
)

_FRAMEWORK_CODES = {404: "not_found", 405: "method_not_allowed"}


class ErrorBody(BaseModel):
    """What every error of the issuer answers."""

    error: str = Field(description="A stable code: a citykey code (`receipt_invalid`, `too_large`) or, on the "
                       "OpenID4VCI endpoints, the specification's (`invalid_grant`, `invalid_proof`).")
    error_description: str = Field(description="A human message; never carries claim values.")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route's errors, all `ErrorBody`."""
    return {status: {"model": ErrorBody, "description": "An error."} for status in statuses}


def status_for(exc: CitykeyError) -> int:
    return next((status for kind, status in STATUS_BY_TYPE if isinstance(exc, kind)), 500)


def _fields(exc: RequestValidationError) -> str:
    """Which fields are wrong and how, from pydantic's messages; the values sent are never repeated."""
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "the body"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(problems) or "the request does not fit this endpoint"


def answer(exc: Exception) -> tuple[int, ErrorBody, dict[str, str]]:
    """The status, body and headers that answer `exc`."""
    if isinstance(exc, OAuthError):
        return exc.status, ErrorBody(error=exc.error, error_description=exc.description), exc.headers()
    if isinstance(exc, NotFound):
        return 404, ErrorBody(error=exc.code, error_description=exc.message), dict(NO_STORE)
    if isinstance(exc, CitykeyError):
        # Messages never carry claim values (wallet_spec.errors), so they are safe to return and to log.
        return status_for(exc), ErrorBody(error=exc.code, error_description=exc.message), dict(NO_STORE)
    if isinstance(exc, RequestValidationError):
        return 422, ErrorBody(error="invalid_request", error_description=_fields(exc)), dict(NO_STORE)
    if isinstance(exc, HTTPException):
        code = _FRAMEWORK_CODES.get(exc.status_code, "invalid_request")
        return exc.status_code, ErrorBody(error=code, error_description=str(exc.detail)), {
            **(exc.headers or {}), **NO_STORE,
        }
    raise TypeError(f"no answer for {type(exc).__name__}")


async def handle(_: Request, exc: Exception) -> JSONResponse:
    """The one exception handler: every error the issuer answers goes through `answer`."""
    status, body, headers = answer(exc)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


HANDLED: tuple[type[Exception], ...] = (OAuthError, NotFound, CitykeyError, RequestValidationError, HTTPException)


def install(app: FastAPI) -> None:
    for kind in HANDLED:
        app.add_exception_handler(kind, handle)
