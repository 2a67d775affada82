"""The resident's web wallet (`wallet/web`, built into `wallet/web/dist` by `make web`), served at `/wallet/`.

Plain static files: the app talks to this service only through the OpenID4VCI routes, like
any other wallet, and works the same from any other origin. Every file is revalidated
(`no-cache`) so a new build reaches phones at once; offline, the app's service worker
answers from its own cache. Without a build, `/wallet/` says how to make one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DIST = Path(__file__).resolve().parents[2] / "wallet" / "web" / "dist"
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class _AppFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        if path.endswith(".webmanifest"):
            response.headers["Content-Type"] = "application/manifest+json"
        return response


def install(app: FastAPI, directory: Path = DIST) -> None:
    """Mount the built app at `/wallet/`, or a plain answer saying it was not built."""
    if (directory / "index.html").is_file():
        app.mount("/wallet", _AppFiles(directory=directory, html=True), name="wallet")
        return

    @app.get("/wallet/", include_in_schema=False)
    def not_built() -> PlainTextResponse:
        return PlainTextResponse("the web wallet is not built: run `make web`", status_code=503)
