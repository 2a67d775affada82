"""A browser app built by `make web`, served as plain static files (the web wallet, the `/apply/` page).

Every file is revalidated (`no-cache`) so a new build reaches phones at once; offline, the
app's service worker answers from its own cache. Without a build, the app's address says
how to make one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
"""What every file of a built app is sent with; an app may add to them (`mount`'s `headers`)."""


class _AppFiles(StaticFiles):
    def __init__(self, *, directory: Path, headers: Mapping[str, str]) -> None:
        super().__init__(directory=directory, html=True)
        self.headers = dict(headers)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(self.headers)
        if path.endswith(".webmanifest"):
            response.headers["Content-Type"] = "application/manifest+json"
        return response


def mount(
    app: FastAPI, path: str, directory: Path, *, name: str, what: str, headers: Mapping[str, str] = HEADERS
) -> None:
    """Serve the app built into `directory` at `path`/, or a plain 503 there saying `what` is not built."""
    if (directory / "index.html").is_file():
        app.mount(path, _AppFiles(directory=directory, headers=headers), name=name)
        return

    @app.get(f"{path}/", include_in_schema=False)
    def not_built() -> PlainTextResponse:
        return PlainTextResponse(f"{what} is not built: run `make web`", status_code=503)
