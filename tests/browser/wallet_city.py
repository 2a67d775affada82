"""What the web wallet's browser tests share: a clerk's offer at the desk of the served issuer
(tests/browser/support.py), a phone that received it, screenshots, axe-core, a fake camera's video.
Used by test_web_wallet.py and test_web_wallet_openid4vp.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import PASSWORD
from verifier.scan import read_qr

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "wallet" / "web" / "node_modules" / "axe-core" / "axe.min.js"
WALLET_DIST = REPO / "wallet" / "web" / "dist"
PHONE = {"width": 390, "height": 844}
SLOW_MS = 90_000
"""What a step that talks to the issuer may take on a busy 2-core machine (usually 1 to 3 s)."""


def skip_unless_built() -> None:
    """Skip the calling test module when the web wallet or axe-core is not built (`make web` does both)."""
    if not (WALLET_DIST / "index.html").exists():
        pytest.skip("the web wallet is not built: make web", allow_module_level=True)
    if not AXE.exists():
        pytest.skip("axe-core is not installed: make web", allow_module_level=True)


def shot(page: Any, folder: Path, name: str, **options: Any) -> bytes:
    folder.mkdir(parents=True, exist_ok=True)
    png: bytes = page.screenshot(path=str(folder / name), **options)
    return png


def desk_offer(browser: Any, issuer_url: str, shots: Path, *, birthdate: str = "1950-03-17") -> tuple[str, str]:
    """A clerk signs in and makes an offer with a transaction code: the web wallet link and the code."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(issuer_url + "/desk/")
    page.get_by_label("Name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/desk/enrol")
    page.get_by_label("Given name(s)").fill("Dolores")
    page.get_by_label("Family name(s)").fill("Abernathy")
    page.get_by_label("Date of birth").fill(birthdate)
    page.get_by_label("Street and number").fill("742 Evergreen Terrace")
    page.get_by_label("Postal code").fill("49007")
    page.get_by_label("Add a code").check()
    page.get_by_role("button", name="Create credential offer (phone)").click()
    page.wait_for_selector("#web-wallet-qr svg")
    link = page.locator("#web-wallet-link").get_attribute("href") or ""
    assert read_qr(page.locator("#web-wallet-qr").screenshot()) == link  # what the phone camera opens
    tx_code = page.locator("#tx-code").inner_text()
    shot(page, shots, "00-desk-offer.png")
    context.close()
    return link, tx_code


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the screen shown (WCAG 2.x A and AA rules)."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(AXE.read_text(encoding="utf-8"))  # through the debugger: the app's CSP stays as it is
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help)"
    )
    return list(found)


def go(page: Any, screen: str) -> None:
    """Tap a button of the app's navigation bar and wait for its screen."""
    page.locator(f"#nav [data-go={screen}]").click()
    page.wait_for_selector(f"#screen-{screen}")


def phone_with_credentials(
    browser: Any, issuer_url: str, shots: Path, *, viewport: dict[str, int] = PHONE, **options: Any
) -> tuple[Any, Any]:
    """A phone that received a batch at the desk, on its home screen."""
    link, tx_code = desk_offer(browser, issuer_url, shots)
    context = browser.new_context(viewport=viewport, device_scale_factor=2, locale="en-US", **options)
    page = context.new_page()
    page.goto(link)
    page.locator("#tx-code").fill(tx_code)
    page.locator("#receive").click()
    page.wait_for_selector("#received-count", timeout=SLOW_MS)
    go(page, "home")
    page.wait_for_selector(".card")
    return context, page


def y4m(picture: Any, frames: int = 3) -> bytes:
    """A Y4M video (4:2:0, JPEG chroma siting) of one still picture, as Chromium's fake camera reads it."""
    width, height = picture.size
    y, cb, cr = picture.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame: bytes = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    return f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode("ascii") + frame * frames
