"""Typed FastAPI dependencies: routes ask for what they use, by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

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
