"""OpenID4VCI access tokens: what a redeemed offer becomes until the wallet has fetched its batch.

An access token is 256 random bits and is never stored. Its row is a sealed row like an
offer's (`issuer.offers`): found by SHA-256(label ‖ token), sealed under HKDF(token,
"citykey access token v1"). The row (the grant) holds the resident's attributes, the
credential configurations offered, the credentials still allowed (`remaining`), the
credential requests in flight (`pending`), the status refs issued so far (for the receipt)
and the thumbprints of the holder keys used. It is deleted when its allowance is spent and
nothing is in flight, or at expiry. `issuer.oid4vci` makes tokens (token endpoint) and
spends them (credential endpoint).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection

from issuer import offers

ACCESS_TOKEN = "citykey access token v1"  # noqa: S105 - a label, not a secret
TOKEN_TTL = 600
"""Seconds an access token lasts: the wallet fetches its batch right after redeeming the offer."""
TOKEN_BYTES = 32


def new_token(conn: Connection, resident: Any, configurations: Any, *, allowed: int, now: int) -> str:
    """A fresh access token for `allowed` credentials of `configurations` for `resident` (JSON, as offered)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    grant = {
        "resident": resident,
        "configurations": configurations,
        "remaining": allowed,
        "pending": 0,
        "refs": [],
        "keys": [],
    }
    offers.put(conn, ACCESS_TOKEN, token, grant, expires=now + TOKEN_TTL)
    return token


def take_grant(conn: Connection, token: str, *, now: int, lock: bool = True) -> dict[str, Any] | None:
    """The token's grant, or None: unknown, spent or expired. With `lock` (in a write transaction) the
    row is locked on PostgreSQL and an expired one deleted; without, it is only read."""
    grant: dict[str, Any] | None = offers.take(conn, ACCESS_TOKEN, token, now=now, lock=lock)
    return grant


def save_grant(conn: Connection, token: str, grant: dict[str, Any]) -> None:
    offers.replace(conn, ACCESS_TOKEN, token, grant)


def drop_token(conn: Connection, token: str) -> None:
    offers.remove(conn, offers.row_key(ACCESS_TOKEN, token))


__all__ = [
    "ACCESS_TOKEN",
    "TOKEN_BYTES",
    "TOKEN_TTL",
    "drop_token",
    "new_token",
    "save_grant",
    "take_grant",
]
