"""Every body the issuer reads is strict JSON (or a form without repeated names), and every error is one shape.

FastAPI's own JSON parsing keeps the last of two duplicate names, so a body could say one
thing to a reviewer (or a logging proxy) and another to the service; `issuer.api.bodies`
reads every body with `wallet_spec.encoding.json_loads` instead. The error body is
`{"error": code, "error_description": message}` everywhere (`issuer.errors`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from issuer.batch import issue_batch
from issuer.db import status_lists
from issuer.errors import ErrorBody
from tests.issuer.oid4vci_kit import GRANT, RESIDENT, Kit
from wallet.model import Wallet

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def revoked_bits(kit: Kit) -> int:
    with kit.state.engine.connect() as conn:
        rows = conn.execute(select(status_lists.c.status)).scalars().all()
    return sum(int.from_bytes(bits, "little").bit_count() for bits in rows)


def assert_error_body(response: httpx.Response, status: int, code: str | None = None) -> ErrorBody:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    parsed = ErrorBody.model_validate(body)
    assert parsed.error
    assert parsed.error_description
    if code is not None:
        assert parsed.error == code, body
    return parsed


# --- duplicate JSON names ---------------------------------------------------------------------------


def revocations(kit: Kit) -> None:
    batch = issue_batch(RESIDENT, Wallet().new_holder_keys(2), keys=kit.state.keys, registry=kit.state.registry,
                        now=kit.now)
    twice = b'{"receipt": "not a receipt", "receipt": "' + batch.receipt.encode() + b'"}'
    assert_error_body(kit.client.post("/revocations", content=twice, headers=JSON), 400, "malformed")
    assert revoked_bits(kit) == 0  # the valid last value was not taken
    once = kit.client.post("/revocations", json={"receipt": batch.receipt})
    assert once.json()["revoked"] == 2  # ... though it was a good receipt


def credential(kit: Kit) -> None:
    token = kit.access_token()
    _, proofs = kit.proofs(1)
    tail = b', "proofs": {"jwt": ["' + proofs[0].encode() + b'"]}}'
    twice = b'{"credential_configuration_id": "passport", "credential_configuration_id": "residency"' + tail
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    assert_error_body(kit.client.post("/credential", content=twice, headers=headers), 400,
                      "invalid_credential_request")
    once = b'{"credential_configuration_id": "residency"' + tail
    assert kit.client.post("/credential", content=once, headers=headers).status_code == 200  # nothing was spent


def renewal(kit: Kit) -> None:
    twice = b'{"presentation": "a~", "presentation": "b~", "credential_requests": []}'
    assert_error_body(kit.client.post("/renewal", content=twice, headers=JSON), 400, "invalid_request")
    nested = b'{"presentation": "a~", "credential_requests": [{"proofs": {"jwt": [], "jwt": []}}]}'
    assert_error_body(kit.client.post("/renewal", content=nested, headers=JSON), 400, "invalid_request")


JSON_ENDPOINTS: dict[str, Callable[[Kit], None]] = {
    "/revocations": revocations,
    "/credential": credential,
    "/renewal": renewal,
}


@pytest.mark.parametrize("path", sorted(JSON_ENDPOINTS))
def test_duplicate_json_names_are_refused_on_every_json_endpoint(kit: Kit, path: str) -> None:
    JSON_ENDPOINTS[path](kit)


def test_the_endpoints_above_are_every_endpoint_that_reads_json(kit: Kit) -> None:
    paths = kit.client.get("/openapi.json").json()["paths"]
    reading = {
        path
        for path, operations in paths.items()
        for operation in operations.values()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }
    assert reading == set(JSON_ENDPOINTS)


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every route, included routers' too (FastAPI keeps those behind a wrapper with the router inside)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def test_no_route_lets_fastapi_parse_a_body(kit: Kit) -> None:
    """A body parameter would be parsed by FastAPI (duplicates resolved silently); every body is a dependency."""
    routes = list(api_routes(kit.client.app.routes))  # type: ignore[attr-defined]
    assert {"/revocations", "/token", "/credential", "/renewal", "/desk/enrol"} <= {route.path for route in routes}
    assert [route.path for route in routes if route.body_field is not None] == []


# --- repeated form fields ---------------------------------------------------------------------------


def test_a_repeated_form_field_on_token_is_refused(kit: Kit) -> None:
    """RFC 6749 §3.2: request parameters MUST NOT be included more than once, a name we do not use included."""
    offer = kit.offer()
    code = offer.pre_authorized_code
    for repeated in (f"grant_type={GRANT}&pre-authorized_code={code}&client_id=a&client_id=b",
                     f"grant_type={GRANT}&grant_type={GRANT}&pre-authorized_code={code}"):
        response = kit.client.post("/token", content=repeated, headers=FORM)
        assert "repeated" in assert_error_body(response, 400, "invalid_request").error_description
    assert kit.token(code).status_code == 200  # the refusals did not use the offer up


# --- one error body -----------------------------------------------------------------------------------


def _big(kit: Kit) -> httpx.Response:
    return kit.client.post("/revocations", content=b'{"receipt": "' + b"A" * 20_000 + b'"}', headers=JSON)


ERRORS: dict[str, tuple[Callable[[Kit], httpx.Response], int]] = {
    "unknown path": (lambda kit: kit.client.get("/nowhere"), 404),
    "method not allowed": (lambda kit: kit.client.get("/revocations"), 405),
    "path parameter of the wrong type": (lambda kit: kit.client.get("/statuslists/first"), 422),
    "unknown status list": (lambda kit: kit.client.get("/statuslists/999"), 404),
    "forged receipt": (lambda kit: kit.client.post("/revocations", json={"receipt": "ckr1.e30.AAAA"}), 400),
    "revocation not JSON": (lambda kit: kit.client.post("/revocations", content=b"{", headers=JSON), 400),
    "revocation of the wrong shape": (lambda kit: kit.client.post("/revocations", json={"receipt": 1}), 422),
    "revocation as a form": (lambda kit: kit.client.post("/revocations", data={"receipt": "x"}), 400),
    "revocation too large": (_big, 413),
    "unknown offer": (lambda kit: kit.client.get("/offers/nope"), 404),
    "metadata of another issuer": (lambda kit: kit.client.get("/.well-known/openid-credential-issuer/x"), 404),
    "token without a grant": (lambda kit: kit.client.post("/token", data={"x": "y"}), 400),
    "token as JSON": (lambda kit: kit.client.post("/token", json={"grant_type": GRANT}), 400),
    "unknown code": (lambda kit: kit.token("no-such-code-at-all"), 400),
    "credential without a token": (lambda kit: kit.credential(None, {}), 401),
    "credential with an unknown token": (lambda kit: kit.credential("x" * 43, {}), 401),
    "credential not an object": (lambda kit: kit.credential(kit.access_token(), [1]), 400),
    "renewal not an object": (lambda kit: kit.client.post("/renewal", json="x"), 400),
    "renewal without a presentation": (lambda kit: kit.client.post("/renewal", json={}), 400),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_every_error_response_of_the_issuer_has_the_one_error_body(kit: Kit, case: str) -> None:
    send, status = ERRORS[case]
    assert_error_body(send(kit), status)


def test_an_error_names_the_wrong_field_but_never_repeats_its_value(kit: Kit) -> None:
    secret = "Zyxwanda-1958"
    response = kit.client.post("/revocations", json={"receipt": {"name": secret}})
    body: dict[str, Any] = assert_error_body(response, 422, "invalid_request").model_dump()
    assert "receipt" in body["error_description"]
    assert secret not in response.text
