"""The clerk desk: HTML pages where a clerk signs in, types what they checked, and hands over a credential.

`install(app)` adds the pages under `/desk` and their static files under
`/desk/static` (the camera reader `make web` builds under `/desk/static/camera`).
Routes, security rules and the paper card are described in `issuer/desk/routes.py`,
`auth.py` and `paper.py`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer.desk.auth import MIN_SECRET_BYTES, Sessions
from issuer.ratelimit import Budget
from issuer.state import IssuerState
from wallet_spec.errors import UsageError

log = logging.getLogger("citykey.issuer.desk")
STATIC_DIR = Path(__file__).parent / "static"
CAMERA_DIR = Path(__file__).parent / "web" / "dist"
"""The camera reader `make web` builds (`issuer/desk/web`); without it the scan field works alone."""


@dataclass(frozen=True, slots=True)
class DeskConfig:
    sessions: Sessions
    sign_ins_by_address: Budget = field(default_factory=lambda: Budget(capacity=20, window=60))
    """Sign-in attempts one client address may make: 20 at once, then one every 3 s."""
    sign_ins_by_name: Budget = field(default_factory=lambda: Budget(capacity=10, window=60))
    """Sign-in attempts for one clerk name from anywhere: 10 at once, then one every 6 s."""


def install(app: FastAPI) -> None:
    """Add the desk to the issuer app (after `app.state.issuer` is set)."""
    from issuer.desk.routes import not_found, router  # the routes import this package's helpers
    from issuer.desk.scan import router as scan_router

    state: IssuerState = app.state.issuer
    configured = state.settings.session_secret
    if configured is not None:
        secret = configured.get_secret_value().encode("utf-8")
        if len(secret) < MIN_SECRET_BYTES:
            raise UsageError(f"CITYKEY_SESSION_SECRET must be at least {MIN_SECRET_BYTES} bytes of random text")
    else:
        secret = secrets.token_bytes(32)
        log.warning(
            "CITYKEY_SESSION_SECRET is not set: desk sign-ins last until this process restarts "
            "and work on this instance only"
        )
    app.state.desk = DeskConfig(Sessions(secret))
    app.include_router(router)
    app.include_router(scan_router)
    app.add_exception_handler(StarletteHTTPException, not_found)
    app.mount("/desk/static/camera", StaticFiles(directory=CAMERA_DIR, check_dir=False), name="desk-camera")
    app.mount("/desk/static", StaticFiles(directory=STATIC_DIR), name="desk-static")
