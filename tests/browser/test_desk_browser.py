"""The clerk desk in a real browser: Debian's chromium driven by PyPI's playwright (docs: TESTING.md).

A clerk signs in, types a resident's attributes, sees the offer QR code with its
countdown, switches to Spanish, and prints a paper card. Screenshots of what the
clerk sees are saved under test-output/desk/ (gitignored) for a reviewer; the
QR codes in them are read back from the pixels. Skipped, with the reason, when
chromium or playwright is missing.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from citykey_io import pem
from issuer import clerks
from issuer.app import create_app
from issuer.db import sqlite_url
from issuer.settings import IssuerSettings
from keys import KeyStore
from verifier.scan import read_qr
from wallet_spec import qr

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("no chromium: apt-get install -y chromium (TESTING.md)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="no playwright: pip install playwright (never `playwright install`)"
)

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-output" / "desk"
PASSPHRASE = "correct horse battery staple"
PASSWORD = "desk password 1234"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("desk")
    saved = pem.DEFAULT_COST
    pem.DEFAULT_COST = pem.ScryptCost(n=16, r=8, p=1)
    try:
        KeyStore.init(tmp / "keys", "https://id.springfield.example", PASSPHRASE.encode(), now=int(time.time()))
        app = create_app(
            IssuerSettings(
                data_dir=tmp / "data",
                keys_dir=tmp / "keys",
                db_url=sqlite_url(tmp / "issuer.db"),
                key_passphrase=PASSPHRASE,
                session_secret="b" * 48,
                city_name="Springfield",
            )
        )
        clerks.add_clerk(app.state.issuer.engine, "ana", PASSWORD)
        port = free_port()
        uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not uv.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert uv.started, "the issuer did not start"
        yield f"http://127.0.0.1:{port}"
        uv.should_exit = True
        thread.join(timeout=10)
        app.state.issuer.engine.dispose()
    finally:
        pem.DEFAULT_COST = saved


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


def shot(page: Any, name: str, **options: Any) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), **options)
    return path


def test_a_clerk_signs_in_enters_a_resident_and_shows_the_offer_and_paper_card(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []  # script errors, CSP violations
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(server + "/desk/")
    assert page.title().startswith("Staff sign-in")
    page.get_by_label("Name").fill("ana")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#login-error").wait_for()
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "01-sign-in.png")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/desk/enrol")

    page.get_by_label("Given name(s)").fill("Dolores")
    page.get_by_label("Family name(s)").fill("Abernathy")
    page.get_by_role("button", name="Create credential offer (phone)").click()
    page.locator("#birthdate-error").wait_for()
    assert page.locator("#birthdate-error").inner_text() == "This field is required."
    shot(page, "02-form-error.png", full_page=True)

    page.get_by_label("Date of birth").fill("1950-03-17")
    page.get_by_label("Street and number").fill("742 Evergreen Terrace")
    page.get_by_label("Postal code").fill("49007")
    page.get_by_label("Add a code").check()
    shot(page, "03-form.png", full_page=True)
    page.get_by_role("button", name="Create credential offer (phone)").click()
    page.wait_for_selector("#offer-qr svg")
    countdown = page.locator("#countdown")
    countdown.wait_for(state="visible")  # the script ran under the page's CSP
    assert countdown.inner_text().startswith("Time left: 9:5") or countdown.inner_text().startswith("Time left: 10:00")
    assert len(page.locator("#tx-code").inner_text()) == 6
    offer_png = shot(page, "04-offer.png")
    uri = page.locator("#offer-uri").text_content() or ""
    assert uri.startswith("openid-credential-offer://?credential_offer_uri=")
    assert read_qr(page.locator("#offer-qr").screenshot()) == uri  # the code on screen, read from its pixels
    assert offer_png.stat().st_size > 0

    page.get_by_role("button", name="Print paper card").click()
    page.wait_for_selector("#card-qr svg")
    assert page.locator("#print-button").is_visible()
    shot(page, "05-paper-card-screen.png", full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".bar").is_visible()
    shot(page, "06-paper-card-print.png", full_page=True)
    for size in ("A4", "Letter"):  # the card and its receipt fit one sheet of either
        pdf = page.pdf(format=size, print_background=True)
        (SHOTS / f"paper-card-{size}.pdf").write_bytes(pdf)
        assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1, size
    text = read_qr(page.locator("#card-qr").screenshot())
    assert text.startswith(qr.PREFIX)
    qr.decode(text)
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Next resident").click()
    page.get_by_role("link", name="Español").click()
    page.wait_for_url("**/desk/enrol")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Nombre(s)").fill("Dolores")
    page.get_by_label("Apellido(s)").fill("Abernathy")
    page.get_by_label("Fecha de nacimiento").fill("1950-03-17")
    page.get_by_role("button", name="Crear oferta de credencial (teléfono)").click()
    page.wait_for_selector("#offer-qr svg")
    shot(page, "07-offer-es.png")

    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url("**/desk/login?m=signed_out")
    assert "Ha cerrado la sesión" in page.content()
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []  # 401 and 422 pages are expected
    context.close()
