"""Typed FastAPI dependencies: routes ask for what they use, by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from issuer.state import IssuerState
from issuer.statuslists import StatusRegistry
from keys import KeyStore


def state(request: Request) -> IssuerState:
    found: IssuerState = request.app.state.issuer
    return found


def keystore(request: Request) -> KeyStore:
    return state(request).store


def registry(request: Request) -> StatusRegistry:
    return state(request).registry


State = Annotated[IssuerState, Depends(state)]
Store = Annotated[KeyStore, Depends(keystore)]
Registry = Annotated[StatusRegistry, Depends(registry)]
