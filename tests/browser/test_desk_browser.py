"""The clerk desk in a real browser: Debian's chromium driven by PyPI's playwright (docs: TESTING.md).

A clerk signs in, types a resident's attributes, sees the offer QR code with its
countdown, switches to Spanish, and prints a paper card. Screenshots of what the
clerk sees are saved under test-output/desk/ (gitignored) for a reviewer; the
QR codes in them are read back from the pixels. Skipped, with the reason, when
chromium or playwright is missing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from issuer import clerks
from issuer.desk import audit
from tests.browser.support import PASSWORD, served_issuer
from tests.browser.support import sync_api as playwright_api
from verifier.scan import read_qr
from wallet_spec import qr

sync_api = playwright_api()

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-output" / "desk"


SERVED: dict[str, Any] = {}
"""The running app of `server`, for tests that look at what the issuer stored."""
AXE = REPO / "wallet" / "web" / "node_modules" / "axe-core" / "axe.min.js"  # installed by `make web`


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_issuer(tmp_path_factory.mktemp("desk"), admins=["boss"]) as issuer:
        SERVED["app"] = issuer.app
        yield issuer.url


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


# --- forgiving entry, post/redirect/get, focus, reflow at 320 px ------------------------------------


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations (WCAG 2.x A and AA); none checked without axe-core."""
    if not AXE.exists():
        return []
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(AXE.read_text(encoding="utf-8"))  # through the debugger: the page's CSP stays as it is
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help)"
    )
    return list(found)


def signed_in_page(browser: Any, server: str, *, name: str = "ana", width: int = 1280, lang: str = "en") -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(server + f"/desk/lang/{lang}")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    page.wait_for_url("**/desk/enrol")
    return page


def offers_made() -> int:
    return sum(c.count for c in audit.counts(SERVED["app"].state.issuer.engine) if c.event == "offer_created")


def test_the_date_is_typed_as_the_hint_says_and_a_refused_one_stays_for_correction(server: str, browser: Any) -> None:
    page = signed_in_page(browser, server)
    field = page.get_by_label("Date of birth")
    assert field.get_attribute("type") == "text"
    assert field.get_attribute("inputmode") == "numeric"
    page.get_by_label("Given name(s)").fill("Dolores")
    page.get_by_label("Family name(s)").fill("Abernathy")
    field.fill("17/03/1950")  # day first: not what the hint says
    page.get_by_role("button", name="Create credential offer (phone)").click()
    page.locator("#birthdate-error").wait_for()
    assert page.get_by_label("Date of birth").input_value() == "17/03/1950"  # still there to correct
    assert page.evaluate("document.activeElement.id") == "form-errors"  # the summary took focus
    page.get_by_role("link", name=re.compile("^Date of birth: Enter a valid date")).click()
    assert page.evaluate("document.activeElement.id") == "birthdate"  # its link leads to the field
    assert accessibility_problems(page) == []
    shot(page, "08-date-refused.png", full_page=True)
    page.get_by_label("Date of birth").fill("1950/3/17")
    page.get_by_role("button", name="Create credential offer (phone)").click()
    page.wait_for_selector("#offer-qr svg")
    page.context.close()


def test_back_forward_and_reload_never_make_a_second_offer(server: str, browser: Any) -> None:
    page = signed_in_page(browser, server)
    page.get_by_label("Given name(s)").fill("Dolores")
    page.get_by_label("Family name(s)").fill("Abernathy")
    page.get_by_label("Date of birth").fill("1950-03-17")
    before = offers_made()
    page.get_by_role("button", name="Create credential offer (phone)").click()
    page.wait_for_url(re.compile(r".*/desk/offers/[A-Za-z0-9_-]+$"))
    uri = page.locator("#offer-uri").text_content()
    assert offers_made() == before + 1
    page.reload()
    assert page.locator("#offer-uri").text_content() == uri
    page.go_back()
    page.wait_for_url("**/desk/enrol")
    page.go_forward()
    page.wait_for_selector("#offer-qr svg")
    assert page.locator("#offer-uri").text_content() == uri
    page.get_by_role("button", name="Print paper card").click()
    page.wait_for_url(re.compile(r".*/desk/cards/[A-Za-z0-9_-]+$"))
    receipt = page.locator("#receipt-text").text_content()
    page.reload()
    assert page.locator("#receipt-text").text_content() == receipt
    assert offers_made() == before + 1
    assert accessibility_problems(page) == []
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_admin_page_and_the_paper_card_reflow_at_320_css_pixels(server: str, browser: Any, lang: str) -> None:
    for failed in range(2):  # an account with failed sign-ins, so the admin table has rows
        clerks.authenticate(SERVED["app"].state.issuer.engine, "ana", f"wrong {failed}", now=int(time.time()))
    audit.record(SERVED["app"].state.issuer.engine, "main", "login_failed", now=int(time.time()))
    page = signed_in_page(browser, server, name="boss", width=320, lang=lang)
    page.goto(server + "/desk/admin")
    page.locator("#accounts").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert accessibility_problems(page) == []
    shot(page, f"09-admin-320-{lang}.png", full_page=True)
    page.goto(server + "/desk/enrol")
    page.locator("#given_name").fill("Dolores")
    page.locator("#family_name").fill("Abernathy")
    page.locator("#birthdate").fill("1950-03-17")
    page.locator("#paper-only").click()
    page.wait_for_selector("#card-qr svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    card = page.locator(".card").bounding_box()
    for item in page.locator(".claims li").all():
        box = item.bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"] + 0.5  # the claims stay in the card
    assert accessibility_problems(page) == []
    shot(page, f"10-card-320-{lang}.png", full_page=True)
    page.context.close()
