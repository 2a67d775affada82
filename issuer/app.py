"""The issuer service: `create_app(settings)` wires state, routes and the one error handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI

from issuer import desk, errors, logs, offers
from issuer.api import apply, oid4vci, publication, revocation, webwallet
from issuer.db import write_transaction
from issuer.ratelimit import budgets
from issuer.settings import IssuerSettings
from issuer.state import IssuerState

log = logging.getLogger("citykey.issuer")


def create_app(settings: IssuerSettings | None = None) -> FastAPI:
    state = IssuerState.open(settings or IssuerSettings())  # type: ignore[call-arg]  # from the environment
    state.republish()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_republish_forever(state))
        try:
            yield
        finally:
            task.cancel()
            state.engine.dispose()

    # Any route with parameters may answer 422; every error is `ErrorBody` (issuer.errors).
    app = FastAPI(title="citykey issuer", version="1", lifespan=lifespan, responses=errors.error_responses(422))
    app.state.issuer = state
    app.state.budgets = budgets() if state.settings.rate_limits else {}
    logs.install()
    errors.install(app)
    app.include_router(publication.router)
    app.include_router(revocation.router)
    app.include_router(oid4vci.router)  # OpenID4VCI: offers, token, nonce, credential; renewal
    desk.install(app)  # the clerk desk's pages, /desk
    webwallet.install(app)  # the resident's web wallet, /wallet/ (built by `make web`)
    apply.install(app)  # the pre-application page, /apply/ (built by `make web`), and desk appointments
    return app


async def _republish_forever(state: IssuerState) -> None:
    """Re-sign status lists and the bundle well before they expire (they last days; this runs hourly).

    A failed attempt is logged and shown by `/health`; the timer keeps going, so the next one retries.
    """
    while True:
        await asyncio.sleep(state.settings.republish_every)
        await asyncio.to_thread(state.try_republish)
        await asyncio.to_thread(_sweep, state)


def _sweep(state: IssuerState) -> None:
    """Delete expired offers, tokens and nonces even when no request comes to do it."""
    try:
        with write_transaction(state.engine) as conn:
            offers.sweep(conn, now=int(time.time()))
    except Exception as exc:  # a database outage must not stop the timer; the next tick retries
        log.error("could not sweep expired offers: %s", type(exc).__name__)
