"""The issuer service: `create_app(settings)` wires state, routes and the one error handler."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from issuer import desk, errors, logs
from issuer.api import oid4vci, publication, revocation
from issuer.settings import IssuerSettings
from issuer.state import IssuerState


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

    app = FastAPI(title="citykey issuer", version="1", lifespan=lifespan)
    app.state.issuer = state
    logs.install()
    errors.install(app)
    app.include_router(publication.router)
    app.include_router(revocation.router)
    app.include_router(oid4vci.router)  # OpenID4VCI: offers, token, nonce, credential; renewal
    desk.install(app)  # the clerk desk's pages, /desk
    return app


async def _republish_forever(state: IssuerState) -> None:
    """Re-sign status lists and the bundle well before they expire (they last days; this runs hourly).

    A failed attempt is logged and shown by `/health`; the timer keeps going, so the next one retries.
    """
    while True:
        await asyncio.sleep(state.settings.republish_every)
        await asyncio.to_thread(state.try_republish)
