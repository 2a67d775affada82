"""What every browser test needs: Debian's chromium (or a skip saying how to get it), its launch
flags for a closed network as root, a free loopback port, an ASGI app served on it in a thread, and
the city's issuer (desk, /apply/, web wallet, trust bundle) served that way."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn

from issuer import clerks
from issuer.app import create_app
from issuer.db import sqlite_url
from issuer.settings import IssuerSettings
from keys import KeyStore
from tests.support import cheap_kdfs
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.jwk import PrivateKey, public_jwk

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Tests run as root on a machine whose network is closed (TESTING.md)."""
CAMERA_FLAGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
"""With `--use-file-for-fake-video-capture=FILE.y4m`, the page's camera plays that file."""


def sync_api() -> ModuleType:
    """Playwright's sync API, or skip the calling module with what to install (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: apt-get install -y chromium (TESTING.md)", allow_module_level=True)
    return pytest.importorskip(
        "playwright.sync_api", reason="no playwright: pip install playwright (never `playwright install`)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: Any, port: int, *, what: str) -> Iterator[str]:
    """`app` on 127.0.0.1:`port` in a thread, once it answers; stopped on the way out."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, f"{what} did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


PASSPHRASE = "correct horse battery staple"
PASSWORD = "desk password 1234"
"""Every served issuer's clerks sign in with this."""
ISSUER_ID = "https://id.springfield.example"


@dataclass(frozen=True)
class Listed:
    """A verifier the city lists: its `aud`, name, key and the claims it may ask for."""

    aud: str
    name: str
    key: PrivateKey
    may_ask: Sequence[str]


@dataclass(frozen=True)
class Issuer:
    url: str
    root: str
    app: Any
    """The running app, for tests that look at what the issuer stored."""

    def bundle(self, now: int | None = None) -> TrustBundle:
        at = int(time.time()) if now is None else now
        return load_bundle(httpx.get(self.url + "/trust-bundle").text, self.root, now=at)


@contextmanager
def served_issuer(
    tmp: Path, listed: Sequence[Listed] = (), *, admins: Sequence[str] = (), **settings: Any
) -> Iterator[Issuer]:
    """The city's issuer on a loopback port (its public URL), with `listed` in its key list, the clerk
    `ana` and the admins `admins` (all with PASSWORD), cheap key derivations, and any other `settings`."""
    patch = pytest.MonkeyPatch()
    cheap_kdfs(patch)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        store = KeyStore.init(tmp / "keys", ISSUER_ID, PASSPHRASE.encode(), now=int(time.time()))
        for verifier in listed:
            store.register_verifier(verifier.aud, verifier.name, public_jwk(verifier.key), list(verifier.may_ask))
        app = create_app(IssuerSettings(
            data_dir=tmp / "data", keys_dir=tmp / "keys", db_url=sqlite_url(tmp / "issuer.db"),
            key_passphrase=PASSPHRASE, session_secret="c" * 48, city_name="Springfield", public_url=url,
            **settings,
        ))
        clerks.add_clerk(app.state.issuer.engine, "ana", PASSWORD)
        for name in admins:
            clerks.add_clerk(app.state.issuer.engine, name, PASSWORD, "admin")
        with serving(app, port, what="the issuer"):
            yield Issuer(url, store.root_thumbprint, app)
        app.state.issuer.engine.dispose()
    finally:
        patch.undo()

