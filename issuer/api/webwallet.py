"""The resident's web wallet (`wallet/web`, built into `wallet/web/dist` by `make web`), served at `/wallet/`.

Plain static files (`issuer.api.static_app`): the app talks to this service only through the
OpenID4VCI routes, like any other wallet, and works the same from any other origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from issuer.api import static_app

DIST = Path(__file__).resolve().parents[2] / "wallet" / "web" / "dist"


def install(app: FastAPI, directory: Path = DIST) -> None:
    """Mount the built app at `/wallet/`, or a plain answer saying it was not built."""
    static_app.mount(app, "/wallet", directory, name="wallet", what="the web wallet")
