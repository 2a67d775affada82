"""The scanner page and its local API (FastAPI), served on the kiosk itself: nothing from the network.

    GET  /                 the page (?lang=en|es; default: the policy's language)
    GET  /static/…         its script, style sheet (package data; no CDN)
    GET  /api/state        the bundle's freshness, the network, the current challenge QR (challenge mode)
    POST /api/challenge    a fresh challenge (after each answer, and before the last one expires)
    POST /api/scan         {"text": "CK2:…"} from the keyboard-wedge field: the decision
    POST /api/frame        a camera frame (JPEG/PNG, at most 2 MB): the decision, or {"outcome": "none"}

Camera frames are decoded here with zxing-cpp (`verifier.scan`), not in the
page: no WebAssembly to ship, one decoder for photos, frames and tests, and a
640×480 JPEG decodes in a few milliseconds (docs/benchmarks.md).

Nothing a request carries is written anywhere: uvicorn's access log names the
path only, the decision exists in the response and the page's memory until
the next scan or its timeout, and the gate records counts per outcome.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import segno
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from citykey_io.i18n import language_name, languages, translations
from verifier.scan import read_qr
from verifier.scanner.gate import Gate
from verifier.scanner.words import banners, decision_json
from wallet_spec.errors import CitykeyError
from wallet_spec.qr import MAX_QR_CHARS

MAX_FRAME_BYTES = 2 << 20
RESULT_SECONDS = 8
"""How long a result stays on screen when no other scan comes."""
HERE = resources.files("verifier.scanner")


class ScanText(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_QR_CHARS + 64)


def _qr_svg(text: str) -> str:
    return str(segno.make(text, error="m", micro=False).svg_inline(scale=5, border=4, omitsize=True))


def create_app(gate: Gate, *, clock: Callable[[], int] = lambda: int(time.time())) -> FastAPI:
    """The page for one gate; `clock` is the time its decisions use."""
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        gate.counts.flush()  # the day's counts survive a restart; uvicorn may end the process right after

    app = FastAPI(title="citykey scanner", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.gate = gate
    pages = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def lang_of(lang: str | None) -> str:
        return lang if lang in languages() else gate.policy.language

    def state(lang: str) -> dict[str, Any]:
        now = clock()
        status = gate.status(now=now)
        out: dict[str, Any] = {"banners": banners(status, lang), "stale": bool(status["bundle"] is None
                               or status["bundle"]["stale"] or status["bundle"]["too_old"]),
                               "offline": status["offline"], "mode": gate.policy.mode}
        return out

    @app.get("/", response_class=HTMLResponse)
    def page(lang: str | None = None) -> HTMLResponse:
        chosen = lang_of(lang)
        html = pages.get_template("scanner.html").render(
            _=translations(chosen), lang=chosen, policy=gate.policy, title=gate.policy.title[chosen],
            name=gate.identity.name, languages={code: language_name(code) for code in languages()},
            result_seconds=RESULT_SECONDS, initial=state(chosen),
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/api/state")
    def api_state(lang: str | None = None) -> dict[str, Any]:
        return state(lang_of(lang))

    @app.post("/api/challenge")
    def api_challenge() -> dict[str, Any]:
        if gate.policy.mode != "challenge":
            raise HTTPException(status_code=404, detail="this gate shows no challenge (one-way mode)")
        text, exp = gate.new_challenge(now=clock())
        return {"text": text, "svg": _qr_svg(text), "expires_in": exp - clock()}

    @app.post("/api/scan")
    def api_scan(body: ScanText, lang: str | None = None) -> JSONResponse:
        decision = gate.decide(body.text, now=clock())
        return JSONResponse(decision_json(decision, lang_of(lang)), headers={"Cache-Control": "no-store"})

    @app.post("/api/frame")
    async def api_frame(request: Request, lang: str | None = None) -> JSONResponse:
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_FRAME_BYTES:
                raise HTTPException(status_code=413, detail="a frame is at most 2 MB")
        return JSONResponse(frame_decision(gate, bytes(data), lang_of(lang), clock()),
                            headers={"Cache-Control": "no-store"})

    return app


def frame_decision(gate: Gate, frame: bytes, lang: str, now: int) -> dict[str, Any]:
    """Decode one camera frame; a frame without a code, or still showing the last one, is `none`."""
    try:
        text = read_qr(frame)
    except CitykeyError:
        return {"outcome": "none"}
    if gate.seen_frame(text):
        return {"outcome": "none"}
    return decision_json(gate.decide(text, now=now), lang)

