"""The desk's result pages, kept for a few minutes under a handle so that POST answers with a redirect.

After the clerk posts the form, the desk makes the offer (or the paper card) once and answers
`303 See Other` to `/desk/offers/<handle>` (or `/desk/cards/<handle>`): back, forward and reload
show the same page again and never post the form a second time, so they never make a second
offer or card. What the page shows is a row of `pending_offers`, sealed like an offer
(`issuer.offers.seal`) under a key derived from the handle, which the city does not keep: 128
random bits that name no one, living only in the clerk's address bar. The row also names the
clerk who made it (another clerk's handle shows nothing) and is deleted when it expires (the
offer's own expiry; a card page after `CARD_PAGE_TTL`) by the usual sweep.

An offer page's row holds the offer link, the transaction code, the expiry and the offer's
pre-authorized code, which opens the sealed offer (and its attributes) for "Print paper card"
while the offer is unredeemed; it holds no attribute itself. A card page's row holds what the
card shows: the card's QR text, its receipt, the city, the ages and the expiry; no name,
birthdate or address.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from issuer.db import read_transaction, write_transaction
from issuer.offers import OFFER, plausible_secret, put, sweep, take
from wallet_spec.profile import Resident, resident_from_json

if TYPE_CHECKING:
    from issuer.state import IssuerState

OFFER_PAGE = "citykey desk offer page v1"
CARD_PAGE = "citykey desk card page v1"
HANDLE_BYTES = 16
CARD_PAGE_TTL = 600
"""Seconds a paper card's page can be shown again (reload, a second print) after it was made."""


def keep(engine: Engine, kind: str, value: dict[str, Any], *, clerk: str, now: int, expires: int) -> str:
    """Seal `value` for `clerk` until `expires`; return the new handle for the page's URL."""
    handle = secrets.token_urlsafe(HANDLE_BYTES)
    with write_transaction(engine) as conn:
        sweep(conn, now=now)
        put(conn, kind, handle, {**value, "clerk": clerk}, expires=expires)
    return handle


def shown(engine: Engine, kind: str, handle: str, *, clerk: str, now: int) -> dict[str, Any] | None:
    """The page's value for the clerk who made it, while it lasts; None otherwise."""
    if not plausible_secret(handle):
        return None
    with read_transaction(engine) as conn:
        value: dict[str, Any] | None = take(conn, kind, handle, now=now, lock=False)
    if value is None or value.get("clerk") != clerk:
        return None
    return value


def offer_resident(state: IssuerState, code: str, now: int) -> Resident | None:
    """The attributes sealed in the offer that `code` opens, while it is unredeemed and unexpired."""
    with read_transaction(state.engine) as conn:
        pending = take(conn, OFFER, code, now=now, lock=False)
    if pending is None or not isinstance(pending.get("resident"), dict):
        return None
    return resident_from_json(pending["resident"])
