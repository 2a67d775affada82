"""What verifiers and wallets fetch: keys, status lists, the trust bundle, and health."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from issuer.api.caching import cached, refresh_seconds
from issuer.deps import State, Store
from issuer.errors import NotFound, error_responses
from wallet_spec import jws

router = APIRouter(tags=["publication"])


def _token(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    """A compact JWS served as it is: the content type is documented, the body is opaque text."""
    return {200: {"description": what, "content": {media_type: {}}}}


@router.get("/.well-known/jwt-vc-issuer")
def jwt_vc_issuer(store: Store) -> dict[str, Any]:
    """SD-JWT VC issuer metadata: the issuer id and the public keys that verify its credentials."""
    return store.jwks()


@router.get("/.well-known/jwt-vc-issuer/{path:path}", responses=error_responses(404))
def jwt_vc_issuer_with_path(path: str, store: Store) -> dict[str, Any]:
    """The same, for an issuer id with a path: SD-JWT VC puts the well-known segment before the path."""
    if "/" + path != urlsplit(store.issuer_id).path.rstrip("/"):
        raise NotFound("no such credential issuer here")
    return store.jwks()


@router.get(
    "/trust-bundle",
    response_class=Response,
    responses=_token("application/jwt", "The trust bundle, a compact JWS (`typ` `citykey-trust+jwt`)."),
)
def trust_bundle(request: Request, state: State) -> Response:
    """The signed file verifiers sync daily: root-signed key list and current status lists (ETag, 304)."""
    bundle = state.published.bundle
    return cached(request, bundle, "application/jwt", max_age=refresh_seconds(bundle))


@router.get(
    "/statuslists/{list_id}",
    response_class=Response,
    responses={**_token("application/statuslist+jwt", "The status list token."), **error_responses(404)},
)
def status_list(list_id: int, request: Request, state: State) -> Response:
    """One `statuslist+jwt`, as published in the current bundle (ETag, 304)."""
    uri = state.registry.uri(list_id)
    for token in jws.parse(state.published.bundle, what="trust bundle").payload.get("status_lists", []):
        if jws.parse(token, what="status list token").payload.get("sub") == uri:
            return cached(request, token, "application/statuslist+jwt", max_age=refresh_seconds(state.published.bundle))
    raise NotFound("no such status list")


@router.get(
    "/verifier-attestations/{kid}",
    response_class=Response,
    responses={**_token("application/verifier-attestation+jwt", "A Verifier Attestation JWT (OpenID4VP 1.0 §12)."),
               **error_responses(404)},
)
def verifier_attestation(kid: str, request: Request, state: State) -> Response:
    """The city's attestation for the listed verifier whose key has this thumbprint, re-signed with each bundle."""
    token = state.published.attestations.get(kid)
    if token is None:
        raise NotFound("the city lists no verifier with this key")
    max_age = refresh_seconds(state.published.bundle)
    return cached(request, token, "application/verifier-attestation+jwt", max_age=max_age)


@router.get("/health")
def health(state: State) -> dict[str, Any]:
    """Seconds left on everything that expires: the bundle, its status lists and key list, each signing key.

    `republish_error` is null while re-signing works; otherwise it says why the last attempt
    failed, and the numbers show how long the last good bundle still lasts.
    """
    now = int(time.time())
    bundle = jws.parse(state.published.bundle, what="trust bundle").payload
    key_list = jws.parse(bundle["key_list"], what="key list").payload
    lists = {
        (p := jws.parse(t, what="status list token").payload)["sub"]: p["exp"] - now for t in bundle["status_lists"]
    }
    return {
        "issuer": state.issuer_id,
        "bundle": {
            "issued_at": bundle["issued_at"],
            "age": now - bundle["issued_at"],
            "next_update_in": bundle["next_update"] - now,
        },
        "key_list_expires_in": key_list["exp"] - now,
        "status_lists_expire_in": lists,
        "signing_keys": [
            {
                "kid": r.kid,
                "state": r.state,
                "age": now - r.created,
                "verifies_for": None if r.retire_after is None else r.retire_after - now,
            }
            for r in state.store.records()
            if r.state in ("active", "retiring")
        ],
        "republish_error": state.republish_error,
    }
