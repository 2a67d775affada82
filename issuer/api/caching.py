"""Conditional GETs for what the city publishes: a strong ETag, Cache-Control, and 304 on If-None-Match.

Verifiers sync the trust bundle and status lists often (`verifier.sync`); an
unchanged token then costs a 304 and a few bytes. The ETag is a hash of the
exact bytes served, so it changes whenever the city re-signs.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

from wallet_spec import jws


def etag_of(body: str) -> str:
    return '"' + hashlib.sha256(body.encode("ascii")).hexdigest()[:32] + '"'


def refresh_seconds(bundle: str, *, default: int = 3600) -> int:
    """The shortest `ttl` (refresh hint, seconds) of the bundle's status lists: how long caches may keep it."""
    ttls = [
        ttl
        for token in jws.parse(bundle, what="trust bundle").payload.get("status_lists", [])
        if isinstance(ttl := jws.parse(token, what="status list token").payload.get("ttl"), int) and ttl > 0
    ]
    return min(ttls, default=default)


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def cached(request: Request, body: str, media_type: str, *, max_age: int) -> Response:
    """`body` with ETag and Cache-Control, or an empty 304 when the client already holds these bytes."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
