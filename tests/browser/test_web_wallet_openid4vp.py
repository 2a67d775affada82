"""The web wallet answers a city web service over OpenID4VP 1.0, in a real browser, everything real on loopback.

The city's issuer (desk, web wallet, trust bundle, verifier attestations) runs on one port; a library's
web service (the real `verifier.online` router with its waiting page) on another, and a pool's on a
third. A phone (chromium, 360×740) receives its credentials at the desk; the service's page shows a QR
code and a link; the wallet gets the link (pasted, read from the page's QR code by the fake camera, or
opened as the same-device link), says who asks and what in words, and on Agree the service's page shows
exactly the claims the wallet disclosed. Declining sends nothing; a request beyond what the city lets the
service ask for is refused in words. Screenshots (English, Spanish) in test-output/wallet-openid4vp/;
axe-core on the wallet's consent screen and on the service's pages.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from citykey_io.i18n import error_message
from tests.browser.support import CAMERA_FLAGS, CHROMIUM, FLAGS, Issuer, Listed, free_port, served_issuer, serving
from tests.browser.support import sync_api as playwright_api
from tests.browser.wallet_city import (
    REPO,
    SLOW_MS,
    accessibility_problems,
    go,
    phone_with_credentials,
    shot,
    skip_unless_built,
    y4m,
)
from verifier.online import openid4vp_router
from verifier.openid4vp import OnlineVerifier
from verifier.policies import load_policies
from verifier.scan import read_qr
from verifier.transactions import MemoryTransactions
from wallet_spec.jwk import PrivateKey, generate_private_key, thumbprint

sync_api = playwright_api()
skip_unless_built()

SHOTS = REPO / "test-output" / "wallet-openid4vp"
PHONE = {"width": 360, "height": 740}
LIBRARY, LIBRARY_NAME = "https://library.springfield.example", "Springfield Public Library"
POOL, POOL_NAME = "https://pool.springfield.example", "Springfield Pools"
STATIC = resources.files("verifier.scanner") / "static"
PIN = "2468"


@dataclass(frozen=True)
class City:
    issuer: Issuer
    library: str
    """The library's web service (its waiting pages at /openid4vp/)."""
    pool: str
    """The pools' web service: the city lets it ask for residency only."""


@contextmanager
def web_service(issuer: Issuer, aud: str, key: PrivateKey) -> Iterator[str]:
    """A city web service: the OpenID4VP router and its page's script and style, with the city's attestation."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    verifier = OnlineVerifier(
        aud=aud, key=key,
        attestation=lambda: httpx.get(f"{issuer.url}/verifier-attestations/{thumbprint(key)}").text,
        bundle=lambda at: issuer.bundle(at), policies=load_policies(), store=MemoryTransactions(), public_url=url,
    )
    app = FastAPI()
    app.include_router(openid4vp_router(verifier, web_wallet=f"{issuer.url}/wallet/"))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    with serving(app, port, what=f"the web service of {aud}"):
        yield url


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    library_key, pool_key = generate_private_key(), generate_private_key()
    listed = [Listed(LIBRARY, LIBRARY_NAME, library_key, ["resident_of", "given_name", "family_name", "address"]),
              Listed(POOL, POOL_NAME, pool_key, ["resident_of"])]
    with served_issuer(tmp_path_factory.mktemp("openid4vp"), listed) as issuer, \
            web_service(issuer, LIBRARY, library_key) as library, web_service(issuer, POOL, pool_key) as pool:
        yield City(issuer, library, pool)


def service_page(browser: Any, service: str, policy: str, lang: str = "en") -> tuple[Any, Any, str]:
    """The service's waiting page on another device: its context, page, and the link its QR code holds."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="en-US")
    page = context.new_page()
    page.goto(f"{service}/openid4vp/?policy={policy}&lang={lang}")
    page.wait_for_selector("#request-qr svg")
    link = page.locator("#same-device").get_attribute("href") or ""
    assert link.startswith("openid4vp://?client_id=verifier_attestation%3A")
    assert read_qr(page.locator("#request-qr").screenshot()) == link  # what the phone's camera reads
    return context, page, link


def ask(page: Any, link: str) -> None:
    """Paste a service's link on the wallet's "Answer a request" screen."""
    go(page, "answer")
    page.locator("#request-input").fill(link)
    page.locator("#request-check").click()
    page.wait_for_selector("#asker, #error", timeout=SLOW_MS)


def items(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def result(page: Any) -> dict[str, str]:
    """What the service's page learnt, label → value, once the wallet's answer is decided."""
    page.wait_for_selector("#result:not([hidden])", timeout=SLOW_MS)
    labels, values = items(page, "#result-claims dt"), items(page, "#result-claims dd")
    return dict(zip(labels, values, strict=True))


def requests_of(context: Any) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    context.on("request", lambda r: seen.append((r.method, r.url)))
    return seen


ENGLISH = {"library-signup": ["Given name", "Family name", "Address"], "library-card": ["Resident of"]}


def test_a_library_web_page_learns_exactly_what_the_resident_agreed_to_in_english_and_spanish(
    browser: Any, city: City
) -> None:
    context, phone = phone_with_credentials(browser, city.issuer.url, SHOTS, viewport=PHONE)
    fetched = requests_of(context)
    audits: dict[str, list[str]] = {}
    for lang, policy in (("en", "library-signup"), ("es", "library-card"), ("en", "library-card")):
        desk, page, link = service_page(browser, city.library, policy, lang)
        shot(page, SHOTS, f"service-waiting-{policy}-{lang}.png", full_page=True)
        audits[f"service-waiting-{policy}-{lang}"] = accessibility_problems(page)
        if phone.locator("html").get_attribute("lang") != lang:
            phone.locator("#lang").select_option(lang)
            phone.wait_for_selector(f"html[lang={lang}]")
        ask(phone, link)
        asked = items(phone, "#asked li")
        if lang == "en":
            assert phone.locator("#asker").inner_text() == f"{LIBRARY_NAME} asks for:"
            assert asked == ENGLISH[policy]
        else:
            assert phone.locator("#asker").inner_text() == f"{LIBRARY_NAME} solicita:"
            assert asked == ["Residente de"]
        assert phone.locator("#asker-address").inner_text() == "library.springfield.example"
        shot(phone, SHOTS, f"wallet-consent-{policy}-{lang}.png", full_page=True)
        audits[f"wallet-consent-{policy}-{lang}"] = accessibility_problems(phone)
        assert not [url for method, url in fetched if method == "POST" and "/openid4vp/response/" in url]

        phone.locator("#agree").click()
        phone.wait_for_selector("#screen-answered", timeout=SLOW_MS)
        disclosed = items(phone, "#disclosed li")
        shot(phone, SHOTS, f"wallet-sent-{policy}-{lang}.png", full_page=True)
        learnt = result(page)
        shot(page, SHOTS, f"service-result-{policy}-{lang}.png", full_page=True)
        audits[f"service-result-{policy}-{lang}"] = accessibility_problems(page)
        assert page.locator("#result").get_attribute("class") == "accepted"
        text = page.locator("#result").inner_text()
        if lang == "en":
            # The page shows exactly what the wallet says it sent, and that is exactly what was asked.
            assert list(learnt) == disclosed == ENGLISH[policy], (learnt, disclosed)
        else:
            assert disclosed == ["Residente de"]
            assert list(learnt.values()) == ["Springfield"]
        if policy == "library-signup":
            assert learnt["Given name"] == "Dolores"
            assert learnt["Family name"] == "Abernathy"
            assert "742 Evergreen Terrace" in learnt["Address"]
        assert "1950" not in text  # the birthdate was never asked for, never sent
        posted = [url for method, url in fetched if method == "POST" and "/openid4vp/response/" in url]
        assert len(posted) == 1
        assert posted[0].startswith(city.library)
        fetched.clear()
        phone.locator("#answered-done").click()
        desk.close()
    assert {screen: found for screen, found in audits.items() if found} == {}
    context.close()


def test_declining_tells_the_page_no_and_nothing_else_and_a_request_beyond_the_services_scope_is_refused(
    browser: Any, city: City
) -> None:
    context, phone = phone_with_credentials(browser, city.issuer.url, SHOTS, viewport=PHONE)
    fetched = requests_of(context)
    posted: list[str] = []
    context.on("request", lambda r: posted.append(r.post_data or "") if r.method == "POST" else None)

    for lang, title, told in (("en", "Declined", "The service was told you declined."),
                              ("es", "No aceptado", "Se le avisó al servicio de que usted no aceptó.")):
        phone.locator("#lang").select_option(lang)
        phone.wait_for_selector(f"html[lang={lang}]")
        desk, page, link = service_page(browser, city.library, "library-signup", lang=lang)
        ask(phone, link)
        phone.locator("#decline").click()
        phone.wait_for_selector("#declined-told")
        assert phone.locator("#declined-told").inner_text() == told
        assert phone.locator("#agree").count() == 0
        shot(phone, SHOTS, f"wallet-declined-{lang}.png", full_page=True)
        assert accessibility_problems(phone) == []
        page.wait_for_selector("#result:not([hidden])", timeout=SLOW_MS)  # at once, not when the request expires
        assert page.locator("#result-title").inner_text() == title
        assert page.locator("#result-reasons li").all_inner_texts() == [error_message("declined", lang)]
        assert items(page, "#result-claims dt") == []
        shot(page, SHOTS, f"service-declined-{lang}.png", full_page=True)
        assert accessibility_problems(page) == []
        desk.close()
    # What left the phone: the request fetched, then only the refusal and the request's state, twice.
    assert [method for method, url in fetched if url.startswith(city.library)] == ["GET", "POST"] * 2
    assert [sorted(urllib.parse.parse_qs(body)) for body in posted] == [["error", "state"]] * 2
    assert all(urllib.parse.parse_qs(body)["error"] == ["access_denied"] for body in posted)
    phone.locator("#lang").select_option("en")
    phone.wait_for_selector("html[lang=en]")
    fetched.clear()
    posted.clear()

    # The pools are listed for residency only; their sign-up page asks for name and address.
    desk, page, link = service_page(browser, city.pool, "library-signup")
    ask(phone, link)
    assert phone.locator("#error").inner_text() == error_message("request_out_of_scope", "en")
    assert phone.locator("#agree").count() == 0
    shot(phone, SHOTS, "wallet-out-of-scope-en.png", full_page=True)
    assert accessibility_problems(phone) == []
    phone.locator("#lang").select_option("es")
    phone.wait_for_selector("html[lang=es]")
    ask(phone, link)
    assert phone.locator("#error").inner_text() == error_message("request_out_of_scope", "es")
    shot(phone, SHOTS, "wallet-out-of-scope-es.png", full_page=True)
    assert not [url for method, url in fetched if method == "POST"]
    desk.close()

    # With a PIN, the answer goes only after it.
    phone.locator("#lang").select_option("en")
    phone.wait_for_selector("html[lang=en]")
    go(phone, "manage")
    phone.locator("#pin-new").fill(PIN)
    phone.locator("#pin-repeat").fill(PIN)
    phone.locator("#pin-save").click()
    phone.wait_for_selector("#pin-on", timeout=SLOW_MS)
    desk, page, link = service_page(browser, city.library, "library-card")
    ask(phone, link)
    phone.locator("#agree").click()
    phone.wait_for_selector("#screen-pin")
    assert phone.locator("h1").inner_text() == "Enter your PIN to answer"
    assert not [url for method, url in fetched if method == "POST"]
    phone.locator("#pin-input").fill(PIN)
    phone.locator("#pin-unlock").click()
    phone.wait_for_selector("#screen-answered", timeout=SLOW_MS)
    assert result(page) == {"Resident of": "Springfield"}
    desk.close()
    context.close()


def test_the_same_device_link_opens_the_wallet_with_the_request(browser: Any, city: City) -> None:
    """On the phone itself: the page's link to the city's web wallet, the request's parameters in its fragment."""
    context, phone = phone_with_credentials(browser, city.issuer.url, SHOTS, viewport=PHONE)
    desk, page, link = service_page(browser, city.library, "library-card")
    same_device = page.locator("#same-device-web").get_attribute("href") or ""
    assert same_device == f"{city.issuer.url}/wallet/#{urllib.parse.urlsplit(link).query}"
    opened = context.new_page()  # the link opens the wallet beside the page, which waits for the result
    opened.goto(same_device)
    opened.wait_for_selector("#asker", timeout=SLOW_MS)
    assert "#" not in opened.url  # the request does not linger in the address bar
    assert items(opened, "#asked li") == ["Resident of"]
    opened.locator("#agree").click()
    opened.wait_for_selector("#screen-answered", timeout=SLOW_MS)
    assert result(page) == {"Resident of": "Springfield"}
    desk.close()

    # The wallet already open in this tab: the link changes only its fragment.
    desk, page, link = service_page(browser, city.library, "library-signup")
    phone.goto(page.locator("#same-device-web").get_attribute("href") or "")
    phone.wait_for_selector("#asker", timeout=SLOW_MS)
    assert items(phone, "#asked li") == ENGLISH["library-signup"]
    phone.locator("#decline").click()
    phone.wait_for_selector("#declined-told")  # the refusal is posted first, then the phone says so
    assert phone.locator("#declined-told").inner_text() == "The service was told you declined."
    page.wait_for_selector("#result:not([hidden])", timeout=SLOW_MS)
    assert page.locator("#result-title").inner_text() == "Declined"
    desk.close()
    context.close()


def test_the_wallet_reads_the_services_qr_code_with_the_camera(
    playwright: Any, browser: Any, city: City, tmp_path: Path
) -> None:
    image = pytest.importorskip("PIL.Image")
    desk, page, link = service_page(browser, city.library, "library-card")
    code = image.open(io.BytesIO(page.locator("#request-qr").screenshot())).convert("RGB")
    code.thumbnail((600, 440))
    frame = image.new("RGB", (640, 480), "white")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    video = tmp_path / "service-qr.y4m"
    video.write_bytes(y4m(frame))
    camera = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=[*FLAGS, *CAMERA_FLAGS, f"--use-file-for-fake-video-capture={video}"])
    try:
        context, phone = phone_with_credentials(camera, city.issuer.url, SHOTS, viewport=PHONE, permissions=["camera"])
        go(phone, "answer")
        phone.locator("#scan").click()
        phone.wait_for_selector("#asker", timeout=SLOW_MS)
        assert phone.locator("#request-input").input_value() == link
        assert phone.locator("#scan-video").count() == 0  # the camera stopped once it read the code
        assert items(phone, "#asked li") == ["Resident of"]
        phone.locator("#agree").click()
        phone.wait_for_selector("#screen-answered", timeout=SLOW_MS)
        assert result(page) == {"Resident of": "Springfield"}
        context.close()
    finally:
        camera.close()
        desk.close()
