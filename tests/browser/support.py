"""What every browser test needs: Debian's chromium (or a skip saying how to get it), its launch
flags for a closed network as root, a free loopback port, and an ASGI app served on it in a thread."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

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
