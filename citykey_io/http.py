"""Reading an answer from another party over HTTP, with the size limit checked before the body is kept.

`httpx`'s `response.content` reads a body whole, however large; a reader of outside input stops at
its limit instead, so the limit holds before anything is kept or parsed. Redirects are never
followed: the caller names the address it trusts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from wallet_spec.errors import TooLarge


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    media_type: str
    """The `Content-Type` without parameters, lower case."""
    body: bytes


def get_bounded(
    http: httpx.Client, url: str, *, limit: int, what: str, headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Fetched:
    """GET `url` without following redirects; `TooLarge` once the body passes `limit` bytes.

    Transport failures are `httpx.HTTPError`, for the caller to say in its own words.
    """
    with http.stream("GET", url, headers=dict(headers or {}), follow_redirects=False, timeout=timeout) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise TooLarge(f"{what} is larger than {limit} bytes")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(response.status_code, media, bytes(body))
