"""The scanner page in a real browser: Debian's chromium, a fake camera showing a phone's QR code, a handheld scanner.

Each gate is `verifier.scanner.app` on uvicorn on 127.0.0.1, with a Springfield
verifier directory (pinned root, synced bundle). The camera is chromium's fake
capture device fed from a `.y4m` video of a presentation's QR code; the
handheld scanner is the keyboard typing `CK2:…` and Enter into the wedge field.
Every result is screenshotted at phone and kiosk size under
test-output/scanner/ (gitignored), and axe-core (axe-playwright-python) finds no
serious or critical violation on the page or on a result. Skipped, with the
reason, when chromium or playwright is missing.

Playwright's `set_offline(True)` cuts the page off from everything, the
kiosk's own service included; the test shows the page says so and recovers.
A kiosk whose network is unplugged still reaches its own service: that case is
the bundle server being unreachable, and the page keeps deciding and says it
works offline.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image

from issuer.batch import revoke_with_receipt
from issuer.signing import SigningKeys
from tests.browser.support import CAMERA_FLAGS, CHROMIUM, FLAGS, free_port, serving
from tests.browser.support import sync_api as playwright_api
from tests.verifier.conftest import new_city as new_city
from tests.verifier.kiosk import KIOSK_AUD, make_gate, make_home, paper_card_text, resident
from tests.verifier.springfield import DAY, PASSPHRASE, City, CityMaker
from verifier.replay import open_replay_cache
from verifier.scanner.app import create_app
from verifier.scanner.gate import Gate
from verifier.sync import sync
from wallet_spec import qr
from wallet_spec.errors import SyncFailed

sync_api = playwright_api()

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-output" / "scanner"
AUTOPLAY = ["--autoplay-policy=no-user-gesture-required"]  # the result's tone plays without a tap
SIZES = {"phone": {"width": 390, "height": 844}, "kiosk": {"width": 1280, "height": 800}}


@contextmanager
def kiosk(gate: Gate) -> Iterator[str]:
    try:
        with serving(create_app(gate), free_port(), what="the scanner") as url:
            yield url
    finally:
        gate.close()


def y4m(text: str, path: Path, *, frames: int = 15) -> Path:
    """A 640×480 video (YUV4MPEG2, 4:2:0) of the QR code of `text`, as a phone held up to a webcam shows it."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=4, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    side = min(code.width, 460)
    frame = Image.new("RGB", (640, 480), (90, 90, 90))
    frame.paste(code.resize((side, side), Image.Resampling.NEAREST), ((640 - side) // 2, (480 - side) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (320, 240)
    planes = y.tobytes() + cb.resize(half, Image.Resampling.BILINEAR).tobytes() + cr.resize(
        half, Image.Resampling.BILINEAR).tobytes()
    with path.open("wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            f.write(b"FRAME\n" + planes)
    return path


@pytest.fixture
def city(new_city: CityMaker) -> City:
    return new_city("springfield", now=int(time.time()) - 60)


def open_page(playwright: Any, url: str, *, size: str = "kiosk", camera: Path | None = None) -> Any:
    args = FLAGS + AUTOPLAY + ([*CAMERA_FLAGS, f"--use-file-for-fake-video-capture={camera}"] if camera else [])
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    context = browser.new_context(viewport=SIZES[size], locale="en-US")
    if camera is not None:
        context.grant_permissions(["camera"], origin=url)
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(url) else None)
    page.goto(url + ("" if "?" in url else "/"))
    page.external = external
    return page


def decide_by_wedge(page: Any, text: str) -> str:
    page.locator("#wedge").fill(text)
    page.locator("#wedge").press("Enter")
    page.wait_for_selector("body[data-outcome]:not([data-outcome=''])")
    outcome: str = page.locator("body").get_attribute("data-outcome")
    return outcome


def shots(page: Any, name: str) -> None:
    """The result at phone and kiosk size."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"))


def no_serious_violations(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def one_way(city: City, i: int, *, now: int, aud: str = KIOSK_AUD) -> tuple[str, Any]:
    holder = city.enrol(resident(i), now=now - 30, count=1)
    text, _ = holder.wallet.present([("resident_of",)], nonce=secrets.token_urlsafe(12), aud=aud, iat=now)
    return qr.encode(text), holder


def test_the_camera_reads_a_phone_and_the_page_says_accepted(playwright: Any, city: City, tmp_path: Path) -> None:
    now = int(time.time())
    code, _ = one_way(city, 1, now=now)
    home = make_home(tmp_path / "library", city, now=now)
    with kiosk(make_gate(home, "library-card")) as url:
        page = open_page(playwright, url, camera=y4m(code, tmp_path / "phone.y4m"))
        page.wait_for_selector("body[data-outcome='accepted']", timeout=20_000)
        assert page.locator("#result-title").inner_text() == "Accepted"
        assert page.locator("#result-claims").inner_text().split("\n") == ["Resident of", "Springfield"]
        assert page.locator("#result .icon").is_visible()
        shots(page, "01-camera-accepted")
        no_serious_violations(page)
        assert page.external == []
        page.context.browser.close()


def test_revoked_paper_and_spanish_by_the_handheld_scanner(playwright: Any, city: City, tmp_path: Path) -> None:
    now = int(time.time())
    revoked_code, holder = one_way(city, 2, now=now)
    revoke_with_receipt(holder.batch.receipt, keys=SigningKeys.open(city.store, PASSPHRASE), registry=city.registry)
    card = paper_card_text(city, resident(3), now=now - 20)
    home = make_home(tmp_path / "library", city, now=now)
    with kiosk(make_gate(home, "library-card")) as url:
        page = open_page(playwright, url)
        no_serious_violations(page)
        assert decide_by_wedge(page, revoked_code) == "refused"
        assert page.locator("#result-title").inner_text() == "Refused"
        assert "This credential has been cancelled" in page.locator("#result-reasons").inner_text()
        assert page.locator("#result-claims").inner_text() == ""
        shots(page, "02-revoked")
        no_serious_violations(page)
        page.locator("#result-next").click()
        assert page.locator("#result").is_hidden()
        assert decide_by_wedge(page, card) == "paper"
        assert page.locator("#result-paper").inner_text() == "Paper card: compare the holder with a photo ID"
        shots(page, "03-paper-card")
        page.goto(url + "/?lang=es")
        assert decide_by_wedge(page, revoked_code) == "refused"
        assert page.locator("#result-title").inner_text() == "Rechazado"
        assert "Esta credencial ha sido anulada" in page.locator("#result-reasons").inner_text()
        shots(page, "04-spanish-refused")
        page.keyboard.press("Escape")
        page.context.browser.close()


def test_a_code_used_at_one_gate_is_already_used_at_the_other(playwright: Any, city: City, tmp_path: Path) -> None:
    now = int(time.time())
    code, _ = one_way(city, 5, now=now)
    shared = f"redis://127.0.0.1:6379/0?prefix=citykey-test:{secrets.token_hex(8)}:"
    try:
        caches = [open_replay_cache(shared), open_replay_cache(shared)]
        caches[0].check_and_remember(b"probe", expires=now + 5, now=now)
    except Exception:
        caches = [open_replay_cache(tmp_path / "shared.db"), open_replay_cache(tmp_path / "shared.db")]
    homes = [make_home(tmp_path / f"gate-{i}", city, now=now) for i in range(2)]
    with kiosk(make_gate(homes[0], "library-card", replay=caches[0])) as first, \
            kiosk(make_gate(homes[1], "library-card", replay=caches[1])) as second:
        page = open_page(playwright, first)
        assert decide_by_wedge(page, code) == "accepted"
        page.goto(second + "/")
        assert decide_by_wedge(page, code) == "refused"
        assert page.locator("#result-reasons").inner_text() == "This code was already used — ask for a new one."
        shots(page, "05-replayed-other-gate")
        page.context.browser.close()


def test_a_stale_bundle_is_announced_and_then_refuses(playwright: Any, new_city: CityMaker, tmp_path: Path) -> None:
    now = int(time.time())
    old_city = new_city("old", now=now - 9 * DAY)
    code, _ = one_way(old_city, 6, now=now)
    home = make_home(tmp_path / "bus", old_city, now=now - 8 * DAY)
    with kiosk(make_gate(home, "senior-fare")) as url:
        page = open_page(playwright, url, size="phone")
        banner = page.locator("#banners").inner_text()
        assert "too old" in banner
        assert decide_by_wedge(page, code) == "refused"
        assert "out of date" in page.locator("#result-reasons").inner_text()
        shots(page, "06-stale-bundle")
        page.context.browser.close()


def test_offline_the_page_keeps_deciding_and_says_so(playwright: Any, city: City, tmp_path: Path) -> None:
    now = int(time.time())
    code, _ = one_way(city, 7, now=now)
    second, _ = one_way(city, 8, now=now)
    home = make_home(tmp_path / "library", city, now=now)
    with pytest.raises(SyncFailed):  # the network is unplugged: the city's server cannot be reached
        sync(home, "http://127.0.0.1:9/trust-bundle", now=now)
    with kiosk(make_gate(home, "library-card")) as url:
        page = open_page(playwright, url)
        assert "No network: working offline" in page.locator("#banners").inner_text()
        assert decide_by_wedge(page, code) == "accepted"
        shots(page, "07-offline-accepted")
        page.locator("#result-next").click()
        page.context.set_offline(True)  # the browser cut off from everything, its own kiosk service too
        page.locator("#wedge").fill(code)
        page.locator("#wedge").press("Enter")
        page.wait_for_selector(".banner.gone")
        assert page.locator("#result").is_hidden()  # no result is invented
        page.context.set_offline(False)
        assert decide_by_wedge(page, second) == "accepted"
        page.context.browser.close()


def test_a_challenge_kiosk_shows_its_request_qr(playwright: Any, city: City, tmp_path: Path) -> None:
    now = int(time.time())
    home = make_home(tmp_path / "bank", city, now=now)
    with kiosk(make_gate(home, "bank-account")) as url:
        page = open_page(playwright, url)
        page.wait_for_selector("#challenge-qr svg")
        request = page.locator("#challenge-qr").get_attribute("data-request")
        assert request.startswith("CKQ1:")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "08-challenge-kiosk.png"))
        no_serious_violations(page)
        page.context.browser.close()
