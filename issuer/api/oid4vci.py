"""OpenID4VCI 1.0 (pre-authorized code flow) and renewal: thin routes over `issuer.oid4vci`.

Errors are answered here in the OAuth shape the specification names
(`{"error", "error_description"}`, 400, or 401 with `WWW-Authenticate`), so bodies
are read by hand: a malformed request is `invalid_request` /
`invalid_credential_request`, never FastAPI's generic 422. Every answer that carries
a secret (offer, token, nonce, credentials) is `Cache-Control: no-store`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from issuer import oid4vci, renewal
from issuer.deps import State
from issuer.offers import take_offer_document
from issuer.oid4vci import NO_STORE, OAuthError
from wallet_spec.encoding import json_loads
from wallet_spec.errors import FormatError

router = APIRouter(tags=["openid4vci"])

MAX_BODY = 128 * 1024
"""Bytes a request body may have: 16 proofs and a presentation fit many times over."""


# --- what the OpenAPI description says (the schemathesis test holds the routes to it) ----------------


class OAuthErrorBody(BaseModel):
    error: str = Field(description="The specification's code, e.g. `invalid_grant`, `invalid_proof`.")
    error_description: str = Field(description="Printable ASCII for people; never a claim value.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = Field(description="`Bearer`.")
    expires_in: int
    citykey_credentials_allowed: int = Field(description="Credentials this token may still ask for, in all.")


class NonceResponse(BaseModel):
    c_nonce: str


class IssuedCredential(BaseModel):
    credential: str = Field(description="An SD-JWT VC (`dc+sd-jwt`).")


class CredentialResponse(BaseModel):
    credentials: list[IssuedCredential] = Field(description="One per proof, in the order of the proofs.")
    citykey_receipt: str = Field(description="A `ckr1` receipt over every credential issued with this token so far.")
    citykey_credentials_remaining: int


class RenewedConfiguration(BaseModel):
    credential_configuration_id: str
    credentials: list[IssuedCredential]


class RenewalResponse(BaseModel):
    credential_responses: list[RenewedConfiguration]
    citykey_receipt: str = Field(description="A `ckr1` receipt over the new batch.")
    revoked: int = Field(description="Credentials of the old batch newly revoked.")


def _documented(ok: type[BaseModel] | None, *errors: int) -> dict[int | str, dict[str, Any]]:
    found: dict[int | str, dict[str, Any]] = {
        status: {"model": OAuthErrorBody, "description": "An OAuth error."} for status in errors
    }
    if ok is None:
        found[200] = {"content": {"application/json": {"schema": {"type": "object"}}}, "description": "JSON"}
    else:
        found[200] = {"model": ok, "description": "Success."}
    return found


def _body_schema(media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {media: {"schema": schema}}}}


_PROOFS = {
    "type": "object",
    "properties": {"jwt": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    "required": ["jwt"],
}
_CREDENTIAL_REQUEST = {
    "type": "object",
    "properties": {"credential_configuration_id": {"type": "string"}, "proofs": _PROOFS},
    "required": ["credential_configuration_id", "proofs"],
}
_TOKEN_REQUEST = {
    "type": "object",
    "properties": {
        "grant_type": {"type": "string", "enum": ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]},
        "pre-authorized_code": {"type": "string"},
        "tx_code": {"type": "string"},
    },
    "required": ["grant_type", "pre-authorized_code"],
}
_RENEWAL_REQUEST = {
    "type": "object",
    "properties": {
        "presentation": {"type": "string", "description": "SD-JWT+KB of an identity credential, all disclosed."},
        "credential_requests": {"type": "array", "items": _CREDENTIAL_REQUEST, "minItems": 1},
        "revoke_receipts": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["presentation", "credential_requests"],
}


def clock() -> int:
    """The time endpoints use; tests override this dependency to move the clock."""
    return int(time.time())


Now = Annotated[int, Depends(clock)]


async def _body(request: Request, *, what: str) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise OAuthError("invalid_request", f"{what} is larger than {MAX_BODY} bytes", status=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise OAuthError("invalid_request", f"{what} is larger than {MAX_BODY} bytes", status=413)
    return body


async def _json_body(request: Request, *, error: str, what: str) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise OAuthError(error, f"{what} must be application/json")
    try:
        return json_loads(await _body(request, what=what), what=what)
    except FormatError:
        raise OAuthError(error, f"{what} is not valid JSON") from None


async def _answer(work: Callable[[], Any]) -> JSONResponse:
    """Run blocking work (database, signing) off the event loop; an OAuthError becomes its response."""
    try:
        result = await run_in_threadpool(work)
    except OAuthError as exc:
        return _error(exc)
    return JSONResponse(result, headers=NO_STORE)


def _error(exc: OAuthError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())


@router.get("/.well-known/openid-credential-issuer", responses=_documented(None))
def credential_issuer_metadata(state: State) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI §12.2): endpoints, batch size, credential configurations."""
    return oid4vci.issuer_metadata(state)


@router.get("/.well-known/openid-credential-issuer/{path:path}", responses=_documented(None, 404))
def credential_issuer_metadata_with_path(path: str, state: State) -> JSONResponse:
    """The same, for an issuer id with a path (the well-known segment goes before the path)."""
    if "/" + path != urlsplit(state.issuer_id).path.rstrip("/"):
        return _error(OAuthError("invalid_request", "no such credential issuer here", status=404))
    return JSONResponse(oid4vci.issuer_metadata(state))


@router.get("/.well-known/oauth-authorization-server", responses=_documented(None))
def authorization_server_metadata(state: State) -> dict[str, Any]:
    """RFC 8414: the token endpoint, for the pre-authorized code grant only."""
    return oid4vci.authorization_server_metadata(state)


@router.get("/offers/{offer_id}", responses=_documented(None, 404))
async def credential_offer(offer_id: str, state: State, now: Now) -> JSONResponse:
    """The credential offer behind a QR code's `credential_offer_uri`, until it is redeemed or expires."""
    document = await run_in_threadpool(take_offer_document, state, offer_id, now=now)
    if document is None:
        return _error(OAuthError("invalid_request", "no such offer: used, expired or never made", status=404))
    return JSONResponse(document, headers=NO_STORE)


@router.post(
    "/token",
    responses=_documented(TokenResponse, 400, 413),
    openapi_extra=_body_schema("application/x-www-form-urlencoded", _TOKEN_REQUEST),
)
async def token(request: Request, state: State, now: Now) -> JSONResponse:
    """Token endpoint: `grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code` (form-encoded)."""
    try:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/x-www-form-urlencoded":
            raise oid4vci.invalid_request("the token request must be application/x-www-form-urlencoded")
        raw = await _body(request, what="the token request")
        try:
            params = parse_qs(raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw))
        except (UnicodeDecodeError, ValueError):
            raise oid4vci.invalid_request("the token request is not a valid form") from None
    except OAuthError as exc:
        return _error(exc)
    return await _answer(lambda: oid4vci.redeem(state, params, now=now))


@router.post("/nonce", responses=_documented(NonceResponse))
async def nonce(state: State, now: Now) -> JSONResponse:
    """Nonce endpoint: a fresh single-use `c_nonce` for key proofs (and renewal presentations)."""
    return await _answer(lambda: {"c_nonce": oid4vci.new_nonce(state, now=now)})


@router.post(
    "/credential",
    responses=_documented(CredentialResponse, 400, 401, 413, 503),
    openapi_extra=_body_schema("application/json", _CREDENTIAL_REQUEST),
)
async def credential(
    request: Request,
    state: State,
    now: Now,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Credential endpoint: one configuration, one credential per proof, and the batch's receipt so far."""
    try:
        oid4vci.bearer_token(authorization)  # a missing token is answered before the body is read
        body = await _json_body(request, error="invalid_credential_request", what="the credential request")
    except OAuthError as exc:
        return _error(exc)
    return await _answer(lambda: oid4vci.credential(state, authorization, body, now=now))


@router.post(
    "/renewal",
    responses=_documented(RenewalResponse, 400, 413, 503),
    openapi_extra=_body_schema("application/json", _RENEWAL_REQUEST),
)
async def renew(request: Request, state: State, now: Now) -> JSONResponse:
    """Renewal: a fully disclosed identity credential bound to a `c_nonce`, for a fresh batch."""
    try:
        body = await _json_body(request, error="invalid_request", what="the renewal request")
    except OAuthError as exc:
        return _error(exc)
    return await _answer(lambda: renewal.renew(state, body, now=now))
