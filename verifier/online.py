"""OpenID4VP for a city web service: an embeddable FastAPI router and its waiting page.

    GET  /openid4vp/?policy=NAME&lang=en|es   the waiting page: QR code, same-device link(s), the result
    POST /openid4vp/transactions             {"policy": NAME}: a transaction, for a service's own page
    GET  /openid4vp/transactions/{id}        the decision (header `X-Result-Key`), or {"status": "pending"}
    GET  /openid4vp/request/{id}             the signed Request Object (`application/oauth-authz-req+jwt`)
    POST /openid4vp/response/{id}            the wallet's `direct_post.jwt` answer (`response=…`), or
                                             its refusal (`error=access_denied&state=…`)

A service mounts it next to its own routes (`app.include_router(openid4vp_router(verifier))`)
or runs it alone (`citykey verifier serve --online`). Errors are the project's one JSON
body (`{"error": code, "error_description": words}`); the wallet's answer gets `{}` once it
is read, whatever the decision, and the decision goes only to the page that holds the key.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from importlib import resources
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from citykey_io.i18n import error_message, language_name, languages, translations
from verifier.decision import Decision
from verifier.openid4vp import OnlineVerifier, Pending
from verifier.scanner.words import decision_json
from wallet_spec.errors import CitykeyError, TransactionUnknown, UsageError
from wallet_spec.jwe import MAX_JWE_CHARS
from wallet_spec.openid4vp import REQUEST_MEDIA_TYPE

HERE = resources.files("verifier.scanner")
NO_STORE = {"Cache-Control": "no-store"}
FOR_WALLETS = {**NO_STORE, "Access-Control-Allow-Origin": "*"}
"""The two addresses a wallet calls may be called from a web wallet's page on another origin (simple
requests: a GET, and a form POST; no cookies are sent or read, so any origin is as good as another)."""


class StartBody(BaseModel):
    policy: str = Field(min_length=1, max_length=64)


def _error(exc: CitykeyError, status: int, headers: dict[str, str] = NO_STORE) -> JSONResponse:
    return JSONResponse({"error": exc.code, "error_description": exc.message}, status_code=status, headers=headers)


async def _answer_fields(request: Request) -> dict[str, str]:
    """A wallet's form body (`direct_post.jwt`), size-checked before it is parsed: each field once.

    Either `response` (the encrypted answer) or `error` with `state` (the holder declined;
    `error_description`, which could say anything, is read past and never kept).
    """
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JWE_CHARS + 64:
            raise UsageError(f"the answer is longer than {MAX_JWE_CHARS} characters")
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise UsageError("the answer must be a form (application/x-www-form-urlencoded)")
    try:
        fields = urllib.parse.parse_qs(body.decode("ascii"), strict_parsing=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        raise UsageError("the answer is not a well-formed form") from None
    read = {name: values for name, values in fields.items() if name in ("response", "error", "state")}
    if any(len(values) != 1 for values in read.values()):
        raise UsageError("the answer must carry each of its fields once")
    found = {name: values[0] for name, values in read.items()}
    if ("response" in found) == ("error" in found):
        raise UsageError("the answer must carry one response field (an encrypted JWT) or an error")
    if "error" in found and "state" not in found:
        raise UsageError("an error answer must carry the request's state")
    return found


def _qr_svg(text: str) -> str:
    return str(segno.make(text, error="m", micro=False).svg_inline(scale=4, border=4, omitsize=True))


def openid4vp_router(
    verifier: OnlineVerifier,
    *,
    clock: Callable[[], int] = lambda: int(time.time()),
    default_lang: str = "en",
    web_wallet: str | None = None,
) -> APIRouter:
    """The routes of one online verifier; `clock` is the time its requests and decisions use.

    `web_wallet` is the address of the city's web wallet (`https://id.city.example/wallet/`): the page
    then also links to it on the same phone, the request's parameters in the fragment (a web app
    cannot take the `openid4vp://` scheme), opened beside the page so the page shows the result.
    """
    router = APIRouter(prefix="/openid4vp", tags=["openid4vp"])
    pages = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))

    def lang_of(lang: str | None) -> str:
        return lang if lang in languages() else default_lang

    def started(policy: str) -> dict[str, Any]:
        begun = verifier.start(policy, now=clock())
        return {"id": begun.id, "invocation": begun.invocation, "result_key": begun.result_key,
                "expires": begun.expires, "svg": _qr_svg(begun.invocation)}

    @router.get("/", response_class=HTMLResponse)
    def page(policy: str, lang: str | None = None) -> Response:
        chosen = lang_of(lang)
        try:
            service = verifier.policy(policy)
            begun = started(policy)
        except CitykeyError as exc:
            return HTMLResponse(f"<!doctype html><title>citykey</title><p>{error_message(exc.code, chosen)}</p>",
                                status_code=404 if isinstance(exc, UsageError) else 503, headers=NO_STORE)
        web_link = f"{web_wallet}#{urllib.parse.urlsplit(begun['invocation']).query}" if web_wallet else None
        html = pages.get_template("online.html").render(
            _=translations(chosen), lang=chosen, title=service.title[chosen], policy=service, begun=begun,
            languages={code: language_name(code) for code in languages()}, web_link=web_link,
        )
        return HTMLResponse(html, headers=NO_STORE)

    @router.post("/transactions")
    def start(body: StartBody) -> JSONResponse:
        try:
            return JSONResponse(started(body.policy), headers=NO_STORE)
        except UsageError as exc:
            return _error(exc, 404)

    @router.get("/transactions/{transaction_id}")
    def result(
        transaction_id: str, x_result_key: Annotated[str, Header(max_length=512)], lang: str | None = None
    ) -> JSONResponse:
        try:
            found: Decision | Pending = verifier.result(transaction_id, x_result_key)
        except TransactionUnknown as exc:
            return _error(exc, 404)
        if isinstance(found, Pending):
            return JSONResponse({"status": "pending", "expires": found.expires}, headers=NO_STORE)
        return JSONResponse({"status": "done", **decision_json(found, lang_of(lang))}, headers=NO_STORE)

    @router.get("/request/{transaction_id}")
    def request_object(transaction_id: str) -> Response:
        try:
            token = verifier.request_object(transaction_id)
        except TransactionUnknown as exc:
            return _error(exc, 404, FOR_WALLETS)
        return Response(token, media_type=REQUEST_MEDIA_TYPE, headers=FOR_WALLETS)

    @router.post("/response/{transaction_id}")
    async def response(transaction_id: str, request: Request) -> JSONResponse:
        try:
            fields = await _answer_fields(request)
        except UsageError as exc:
            return _error(exc, 400, FOR_WALLETS)
        try:
            if "error" in fields:
                verifier.decline(transaction_id, fields["error"], fields["state"])
            else:
                verifier.respond(transaction_id, fields["response"], now=clock())
        except TransactionUnknown as exc:
            return _error(exc, 404, FOR_WALLETS)
        except CitykeyError as exc:  # not encrypted to this transaction, or its state: refused, it stays open
            return _error(exc, 400, FOR_WALLETS)
        return JSONResponse({}, headers=FOR_WALLETS)

    return router
