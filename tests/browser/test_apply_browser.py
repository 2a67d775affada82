"""The online pre-application in a real browser: a resident at home, then the clerk at the desk.

A phone-sized chromium opens `/apply/`, books a desk slot, types seeded values and gets a
QR code; every request the page makes is recorded and none carries a seeded value. The QR
is read from a screenshot (zxing-cpp) and decoded by the contract. The page works again
offline (service worker), in Spanish, and axe-core finds no serious or critical problem.
At the desk, the clerk's keyboard-wedge scanner types the code into the scan field and
presses Enter: the enrolment form is filled exactly and the booking checked in; a cut-short
code fills nothing. The desk's "Scan with the camera" reads the same kind of code from
Chromium's fake camera (a Y4M video of the QR), in English and Spanish. Screenshots go to
test-output/apply/ (gitignored). Skipped, with the reason, when chromium, playwright or the
built page (`make web`) is missing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from issuer.api.apply import DIST
from issuer.desk import CAMERA_DIR
from tests.browser.support import CAMERA_FLAGS, CHROMIUM, FLAGS, PASSWORD, served_issuer
from tests.browser.support import sync_api as playwright_api
from tests.browser.test_web_wallet import y4m
from verifier.scan import read_qr
from wallet_spec import preapplication

sync_api = playwright_api()
if not (DIST / "index.html").exists():
    pytest.skip("the /apply/ page is not built: make web", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-output" / "apply"
AXE = REPO / "wallet" / "web" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
SEEDED = {
    "given_name": "Zq7Apply-Given",
    "family_name": "Zq7Núñez-Family",
    "birthdate": "1961-04-23",
    "street_address": "42 Zq7Street Ave",
    "locality": "Zq7Springfield",
    "postal_code": "Z7-4242",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_issuer(tmp_path_factory.mktemp("apply"), appointment_hours="00:00-23:30",
                       appointment_days=7) as issuer:  # slots whenever the test runs
        yield issuer.url


def shot(page: Any, name: str, **options: Any) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), **options)
    return path


def accessibility_problems(page: Any) -> list[str]:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: make web")
    if page.evaluate("typeof window.axe") == "undefined":  # by the debugger: the CSP allows no inline script
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
    )
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def fill(page: Any) -> None:
    for name, value in SEEDED.items():
        page.locator(f"#{name}").fill(value)


def carried(requests: list[dict[str, str]]) -> list[str]:
    """Every request that carries a seeded value anywhere: URL, headers or body, plain or URL-encoded."""
    from urllib.parse import quote, quote_plus

    forms = {form for value in SEEDED.values() for form in (value, quote(value), quote_plus(value))}
    return [f"{r['method']} {r['url']}" for r in requests if any(f in " ".join(r.values()) for f in forms)]


def test_a_resident_applies_at_home_and_the_desk_reads_it_in_one_scan(server: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-US", service_workers="allow")
    requests: list[dict[str, str]] = []
    context.on("request", lambda r: requests.append(
        {"method": r.method, "url": r.url, "body": r.post_data or "", "headers": repr(r.headers)}))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/apply/")
    page.locator("#make-code").wait_for()
    assert page.title() == "Apply for your city ID from home"
    assert "Nothing you type here is sent" in page.locator("#app").inner_text()
    assert "Bring to the desk" in page.locator("#app").inner_text()
    shot(page, "01-form.png", full_page=True)
    assert accessibility_problems(page) == []

    # The page's own checks: the desk's rules, before any code is made.
    page.locator("#given_name").fill("Ann\u202e")
    page.locator("#make-code").click()
    page.locator("#form-errors").wait_for()
    assert page.locator("#given_name-error").inner_text() == "This field contains characters that are not allowed."
    assert page.locator("#family_name-error").inner_text() == "This field is required."
    shot(page, "02-errors.png", full_page=True)
    assert accessibility_problems(page) == []

    fill(page)
    page.locator("#show-slots").click()
    page.locator("#slot").wait_for()
    page.locator("#book").click()
    page.locator("#booking-status").wait_for()
    assert page.locator("#booking-status").inner_text().startswith("Booked:")
    fill(page)  # the form keeps what was typed across the booking; typed again to be sure
    page.locator("#make-code").click()
    page.locator("#result canvas").wait_for()
    shot(page, "03-code.png", full_page=True)
    assert accessibility_problems(page) == []
    text = page.locator("#code-text").inner_text()
    assert read_qr(page.locator("#result canvas").screenshot()) == text  # the code on screen, from its pixels
    today = dt.date.today()
    read = preapplication.decode(text, today=today)
    assert dict(read.values) == SEEDED
    assert read.token is not None
    page.emulate_media(media="print")
    assert not page.locator("#make-code").is_visible()
    assert not page.locator("#print").is_visible()
    shot(page, "04-print.png", full_page=True)
    page.emulate_media(media="screen")

    assert page.evaluate("() => localStorage.length + sessionStorage.length") == 0
    assert {r["method"] for r in requests if "/appointments" in r["url"]} == {"GET", "POST"}
    booking = next(r for r in requests if r["method"] == "POST")
    assert booking["body"].startswith('{"slot":')
    assert carried(requests) == []
    assert errors == []

    # Offline: the page comes back from its service worker and makes a code again.
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    context.set_offline(True)
    page.reload()
    page.locator("#make-code").wait_for()
    fill(page)
    page.locator("#make-code").click()
    page.locator("#result canvas").wait_for()
    offline_text = page.locator("#code-text").inner_text()
    assert dict(preapplication.decode(offline_text, today=today).values) == SEEDED
    shot(page, "05-offline.png", full_page=True)
    context.set_offline(False)
    assert carried(requests) == []
    context.close()

    # At the desk: the handheld scanner types the code and Enter into the scan field.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    clerk = desk.new_page()
    clerk.goto(server + "/desk/login")
    clerk.get_by_label("Name").fill("ana")
    clerk.get_by_label("Password").fill(PASSWORD)
    clerk.get_by_role("button", name="Sign in").click()
    clerk.wait_for_url("**/desk/enrol")
    assert accessibility_problems(clerk) == []
    clerk.locator("#scan-code").click()
    clerk.keyboard.type(text[:-6])  # a scan cut short
    clerk.keyboard.press("Enter")
    clerk.locator("#scan-error").wait_for()
    assert all(clerk.locator(f"#{name}").input_value() == "" for name in SEEDED)
    shot(clerk, "06-desk-refused.png", full_page=True)
    clerk.locator("#scan-code").click()
    clerk.keyboard.type(text)
    clerk.keyboard.press("Enter")
    clerk.locator("#scan-filled").wait_for()
    assert {name: clerk.locator(f"#{name}").input_value() for name in SEEDED} == SEEDED
    assert clerk.locator("#scan-appointment").inner_text().startswith("Appointment checked in")
    shot(clerk, "07-desk-filled.png", full_page=True)
    assert accessibility_problems(clerk) == []
    clerk.get_by_role("button", name="Create credential offer (phone)").click()
    clerk.wait_for_selector("#offer-qr svg")
    desk.close()


def test_the_page_speaks_spanish_and_switches_language(server: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="es-ES")
    page = context.new_page()
    page.goto(server + "/apply/")
    page.locator("#make-code").wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.title() == "Solicite su identificación municipal desde casa"
    assert page.locator("#make-code").inner_text() == "Crear mi código"
    page.locator("#make-code").click()
    assert page.locator("#given_name-error").inner_text() == "Este campo es obligatorio."
    shot(page, "08-es-errors.png", full_page=True)
    assert accessibility_problems(page) == []
    page.locator("#given_name").fill("Dolores")
    page.locator("#lang-en").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#given_name").input_value() == "Dolores"  # switching keeps what was typed
    assert page.locator("#make-code").inner_text() == "Make my code"
    context.close()


def desk_sign_in(page: Any, server: str, name_label: str, password_label: str, button: str) -> None:
    page.goto(server + "/desk/login")
    page.get_by_label(name_label, exact=True).fill("ana")
    page.get_by_label(password_label, exact=True).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/desk/enrol")


def camera_scan_at_the_desk(
    browser: Any, server: str, locale: str, labels: tuple[str, str, str], start: str, filled: str, shot_name: str
) -> None:
    """Sign in, press the camera button, and check the form is filled from what the fake camera shows."""
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale, permissions=["camera"])
    fetched: list[str] = []
    desk.on("request", lambda r: fetched.append(r.url))
    clerk = desk.new_page()
    errors: list[str] = []
    clerk.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url')}")
             if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
    desk_sign_in(clerk, server, *labels)
    button = clerk.locator("#camera-start")
    button.wait_for()  # shown once the reader's small script has loaded
    assert button.inner_text() == start
    assert not [url for url in fetched if "zxing" in url or "chunk-" in url]  # the reader waits for the button
    assert accessibility_problems(clerk) == []
    assert all(clerk.locator(f"#{name}").input_value() == "" for name in SEEDED)
    button.click()
    clerk.locator("#scan-filled").wait_for(timeout=30_000)  # read, put into the scan field, posted
    assert clerk.locator("#scan-filled").inner_text().startswith(filled)
    assert {name: clerk.locator(f"#{name}").input_value() for name in SEEDED} == SEEDED
    assert clerk.locator("#scan-appointment").count() == 0  # this code books nothing
    assert clerk.locator("#camera-video").count() == 0  # a new page: the camera is off
    assert f"{server}/desk/static/camera/zxing_reader.wasm" in fetched
    assert all(url.startswith(server) for url in fetched), "the reader comes from the desk, never a CDN"
    shot(clerk, shot_name, full_page=True)
    assert accessibility_problems(clerk) == []
    assert errors == []  # no Content-Security-Policy refusal on the way
    desk.close()


def test_the_desk_reads_a_pre_application_with_the_camera(
    server: str, playwright: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    image = pytest.importorskip("PIL.Image")
    from citykey_io.qrimage import png_bytes

    if not (CAMERA_DIR / "camera.js").exists():
        pytest.skip("the desk's camera reader is not built: make web")
    text = preapplication.encode(preapplication.Preapplication(values=SEEDED))
    code = image.open(io.BytesIO(png_bytes(text, scale=4))).convert("RGB")
    assert code.width <= 460, "the code fits the fake camera's picture"
    frame = image.new("RGB", (640, 480), "white")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    video = tmp_path_factory.mktemp("desk-camera") / "preapplication.y4m"
    video.write_bytes(y4m(frame))
    camera = [*CAMERA_FLAGS, f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS + camera)
    try:
        camera_scan_at_the_desk(
            browser, server, "en-US", ("Name", "Password", "Sign in"), "Scan with the camera",
            "Filled in from the resident's pre-application.", "09-desk-camera.png",
        )
        camera_scan_at_the_desk(
            browser, server, "es-ES", ("Nombre de usuario", "Contraseña", "Entrar"), "Escanear con la cámara",
            "Rellenado con la solicitud previa del residente.", "10-desk-camera-es.png",
        )
    finally:
        browser.close()
