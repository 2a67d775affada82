"""The one way the issuer reads a request body: size first, then the project's strict parsers.

FastAPI's own body parsing is never used (a route declares no body parameter; the test
`test_no_route_lets_fastapi_parse_a_body` holds every route to it): it would keep the last
of two duplicate JSON names, so `{"receipt": "x", "receipt": "<valid>"}` would revoke.
Instead a route asks for its body as a dependency:

    body: Annotated[RevocationRequest, Depends(json_body(RevocationRequest, REVOCATION))]

which reads at most `Rules.limit` bytes (a declared `Content-Length` is checked before
anything is read, a chunked body as it arrives), requires `application/json`, parses with
`wallet_spec.encoding.json_loads` (duplicate names, NaN and Infinity, absurd nesting refused)
and only then validates into the route's pydantic model. Form bodies
(`application/x-www-form-urlencoded`) are read by `read_form`, which refuses a repeated name.

How a refusal is answered is the endpoint's: `Rules` names the exception for each case, so
the OpenID4VCI endpoints keep the specification's error names (`invalid_request`,
`invalid_credential_request`) and the others answer citykey codes (`malformed`, `too_large`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from wallet_spec.encoding import json_loads
from wallet_spec.errors import FormatError, TooLarge

M = TypeVar("M", bound=BaseModel)
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Rules:
    """One endpoint's body: its name in messages, its size limit, and the exceptions its refusals raise."""

    what: str
    limit: int
    malformed: Callable[[str], Exception] = FormatError
    """Not of the expected media type, not readable (bad JSON, duplicate name, repeated form field)."""
    too_large: Callable[[str], Exception] = TooLarge
    """Larger than `limit`."""
    invalid: Callable[[ValidationError], Exception] | None = None
    """Readable, but not what the model says; None: FastAPI's 422 (`RequestValidationError`)."""


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_bytes(request: Request, rules: Rules) -> bytes:
    """The body, refused before it is read when its declared length is too large, or as soon as it is."""
    refusal = f"{rules.what} is larger than {rules.limit} bytes"
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > rules.limit):
        raise rules.too_large(refusal)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > rules.limit:
            raise rules.too_large(refusal)
    return bytes(body)


async def read_json(request: Request, rules: Rules) -> Any:
    """The body as strict JSON (`wallet_spec.encoding.json_loads`)."""
    if media_type(request) != JSON_TYPE:
        raise rules.malformed(f"{rules.what} must be {JSON_TYPE}")
    raw = await read_bytes(request, rules)
    try:
        return json_loads(raw, what=rules.what)
    except FormatError as exc:
        raise rules.malformed(exc.message) from None


async def read_form(request: Request, rules: Rules, *, max_fields: int = 16) -> dict[str, str]:
    """The URL-encoded form, each name at most once: a repeated name is refused, never resolved."""
    if media_type(request) != FORM_TYPE:
        raise rules.malformed(f"{rules.what} must be {FORM_TYPE}")
    raw = await read_bytes(request, rules)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw),
                          max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        raise rules.malformed(f"{rules.what} is not a valid form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise rules.malformed(f"{rules.what}: {name} is repeated")
        form[name] = value
    return form


def validate(model: type[M], value: Any, rules: Rules) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        if rules.invalid is not None:
            raise rules.invalid(exc) from None
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_input=False)]
        raise RequestValidationError(errors) from None


def json_body(model: type[M], rules: Rules) -> Callable[[Request], Coroutine[Any, Any, M]]:
    """A dependency: the request's JSON body, strictly parsed, as `model`."""

    async def body(request: Request) -> M:
        return validate(model, await read_json(request, rules), rules)

    return body


def form_body(rules: Rules) -> Callable[[Request], Coroutine[Any, Any, dict[str, str]]]:
    """A dependency: the request's URL-encoded form, each name once."""

    async def body(request: Request) -> dict[str, str]:
        return await read_form(request, rules)

    return body


def request_body(media: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` describing a body read by these dependencies (FastAPI sees no body parameter)."""
    return {"requestBody": {"required": True, "content": {media: {"schema": schema}}}}
