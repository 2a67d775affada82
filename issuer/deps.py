"""Typed FastAPI dependencies: routes ask for what they use, by type."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from citykey_io import clock
from issuer.ratelimit import LIMITS, Budget
from issuer.signing import SigningKeys
from issuer.state import IssuerState
from keys import KeyStore


def state(request: Request) -> IssuerState:
    found: IssuerState = request.app.state.issuer
    return found


def keystore(request: Request) -> KeyStore:
    return state(request).store


def signing_keys(request: Request) -> SigningKeys:
    """The service's signing keys, held in memory (`IssuerState.keys`): nothing is decrypted per request."""
    return state(request).keys


State = Annotated[IssuerState, Depends(state)]
Store = Annotated[KeyStore, Depends(keystore)]
Keys = Annotated[SigningKeys, Depends(signing_keys)]


def client_address(request: Request) -> str:
    """The peer's address (behind a reverse proxy, run uvicorn with `--proxy-headers`: docs/operations.md)."""
    return request.client.host if request.client else ""


def throttled(name: str) -> Any:
    """A route dependency: spend one of the client address's `name` budget, or answer 429 (`RateLimited`)."""

    def spend(request: Request) -> None:
        budget: Budget | None = request.app.state.budgets.get(name)  # None: limits are off (settings)
        if budget is not None:
            budget.spend(client_address(request), now=clock.now(), what=LIMITS[name][2])

    return Depends(spend)
