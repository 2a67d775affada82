"""OpenID4VCI 1.0 (pre-authorized code flow) and renewal: thin routes over `issuer.oid4vci`.

Errors are `OAuthError`s, answered by the issuer's one handler (`issuer.errors`) in the OAuth
shape the specification names (`{"error", "error_description"}`, 400, or 401 with
`WWW-Authenticate`). Bodies are read by `issuer.api.bodies` under the endpoint's `Rules`: a
malformed request is `invalid_request` / `invalid_credential_request`, never FastAPI's generic
422; what each member must hold is checked by `issuer.oid4vci`, which names the specification's
error for each (`invalid_proof`, `unknown_credential_configuration`, ...). Every answer that
carries a secret (offer, token, nonce, credentials) is `Cache-Control: no-store`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, RootModel, ValidationError
from starlette.concurrency import run_in_threadpool

from citykey_io.clock import now as clock
from issuer import oid4vci, renewal
from issuer.api.bodies import FORM_TYPE, Rules, form_body, json_body, request_body
from issuer.deps import State, throttled
from issuer.errors import NO_STORE, ErrorBody, OAuthError
from issuer.offers import take_offer_document
from wallet_spec.oid4vci import JSON_MEDIA_TYPE

router = APIRouter(tags=["openid4vci"])

MAX_BODY = 128 * 1024
"""Bytes a request body may have: 16 proofs and a presentation fit many times over."""


# --- what the OpenAPI description says (the schemathesis test holds the routes to it) ----------------


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
    citykey_receipt: str = Field(description="A `ckr2` receipt over every credential issued with this token so far.")
    citykey_credentials_remaining: int


class RenewedConfiguration(BaseModel):
    credential_configuration_id: str
    credentials: list[IssuedCredential]


class RenewalResponse(BaseModel):
    credential_responses: list[RenewedConfiguration]
    citykey_receipt: str = Field(description="A `ckr2` receipt over the new batch.")
    revoked: int = Field(description="Credentials of the old batch newly revoked.")


def _documented(ok: type[BaseModel] | None, *errors: int) -> dict[int | str, dict[str, Any]]:
    found: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody, "description": "An OAuth error."} for status in errors
    }
    if ok is None:
        found[200] = {"content": {JSON_MEDIA_TYPE: {"schema": {"type": "object"}}}, "description": "JSON"}
    else:
        found[200] = {"model": ok, "description": "Success."}
    return found


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


# `clock` (citykey_io.clock.now) is the time as a dependency: tests override it to move the clock.
Now = Annotated[int, Depends(clock)]


class JsonObject(RootModel[dict[str, Any]]):
    """A JSON object: its members are checked by `issuer.oid4vci` (see the module's docstring)."""


def _rules(what: str, error: str) -> Rules:
    def invalid(_: ValidationError) -> OAuthError:
        return OAuthError(error, f"{what} must be a JSON object")

    return Rules(
        what=what,
        limit=MAX_BODY,
        malformed=lambda description: OAuthError(error, description),
        too_large=lambda description: OAuthError("invalid_request", description, status=413),
        invalid=invalid,
    )


TOKEN = _rules("the token request", "invalid_request")
CREDENTIAL = _rules("the credential request", "invalid_credential_request")
RENEWAL = _rules("the renewal request", "invalid_request")
TokenForm = Annotated[dict[str, str], Depends(form_body(TOKEN))]
CredentialBody = Annotated[JsonObject, Depends(json_body(JsonObject, CREDENTIAL))]
RenewalBody = Annotated[JsonObject, Depends(json_body(JsonObject, RENEWAL))]


def authorization(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """The `Authorization` header, checked before the body is read: a missing token is 401 at once."""
    oid4vci.bearer_token(authorization)
    return authorization


Authorization = Annotated[str | None, Depends(authorization)]


async def _answer(work: Callable[[], Any]) -> JSONResponse:
    """Run blocking work (database, signing) off the event loop; the answer is not to be cached."""
    return JSONResponse(await run_in_threadpool(work), headers=NO_STORE)


@router.get("/.well-known/openid-credential-issuer", responses=_documented(None))
def credential_issuer_metadata(state: State) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI §12.2): endpoints, batch size, credential configurations."""
    return oid4vci.issuer_metadata(state)


@router.get("/.well-known/openid-credential-issuer/{path:path}", responses=_documented(None, 404))
def credential_issuer_metadata_with_path(path: str, state: State) -> JSONResponse:
    """The same, for an issuer id with a path (the well-known segment goes before the path)."""
    if "/" + path != urlsplit(state.issuer_id).path.rstrip("/"):
        raise OAuthError("invalid_request", "no such credential issuer here", status=404)
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
        raise OAuthError("invalid_request", "no such offer: used, expired or never made", status=404)
    return JSONResponse(document, headers=NO_STORE)


@router.post(
    "/token",
    dependencies=[throttled("token")],
    responses=_documented(TokenResponse, 400, 413, 429),
    openapi_extra=request_body(FORM_TYPE, _TOKEN_REQUEST),
)
async def token(form: TokenForm, state: State, now: Now) -> JSONResponse:
    """Token endpoint: `grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code` (form-encoded)."""
    return await _answer(lambda: oid4vci.redeem(state, form, now=now))


@router.post("/nonce", dependencies=[throttled("nonce")], responses=_documented(NonceResponse, 429))
async def nonce(state: State, now: Now) -> JSONResponse:
    """Nonce endpoint: a fresh single-use `c_nonce` for key proofs (and renewal presentations)."""
    return await _answer(lambda: {"c_nonce": oid4vci.new_nonce(state, now=now)})


@router.post(
    "/credential",
    responses=_documented(CredentialResponse, 400, 401, 413, 503),
    openapi_extra=request_body(JSON_MEDIA_TYPE, _CREDENTIAL_REQUEST),
)
async def credential(authorization: Authorization, body: CredentialBody, state: State, now: Now) -> JSONResponse:
    """Credential endpoint: one configuration, one credential per proof, and the batch's receipt so far."""
    return await _answer(lambda: oid4vci.credential(state, authorization, body.root, now=now))


@router.post(
    "/renewal",
    responses=_documented(RenewalResponse, 400, 413, 503),
    openapi_extra=request_body(JSON_MEDIA_TYPE, _RENEWAL_REQUEST),
)
async def renew(body: RenewalBody, state: State, now: Now) -> JSONResponse:
    """Renewal: a fully disclosed identity credential bound to a `c_nonce`, for a fresh batch."""
    return await _answer(lambda: renewal.renew(state, body.root, now=now))
