"""Helpers for the desk tests: a running issuer with its clerk desk, a movable clock, QR reading.

The desk's time comes from the `issuer.desk.routes.clock` dependency, which
`make_desk` overrides with `desk.now`.
"""

from __future__ import annotations

import html
import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from issuer.app import create_app
from issuer.db import sqlite_url
from issuer.desk import routes
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
CITY = "Springfield"
CLERK = "ana"
PASSWORD = "desk password 1234"
SESSION_SECRET = "s" * 48

RESIDENT = {
    "given_name": "Zelda-Quintessa",
    "family_name": "Okonkwo-Vasquez",
    "birthdate": "1950-03-17",
    "street_address": "742 Evergreen Terrace",
    "locality": "Springfield",
    "postal_code": "49007",
}
"""Values unusual enough that finding one in a log or cookie cannot be a coincidence."""
PERSONAL_VALUES = ("Zelda-Quintessa", "Okonkwo-Vasquez", "1950-03-17", "742 Evergreen Terrace", "49007")

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Desk:
    app: FastAPI
    client: TestClient
    state: IssuerState
    now: int = field(default_factory=lambda: int(time.time()))
    redirects: list[httpx.Response] = field(default_factory=list)
    """The 303 answers `enrol` followed, for tests of what they carry."""

    def csrf(self, path: str = "/desk/login") -> str:
        page = self.client.get(path)
        return csrf_of(page.text)

    def login(self, name: str = CLERK, password: str = PASSWORD, **headers: str) -> httpx.Response:
        token = self.csrf()
        return self.client.post(
            "/desk/login", data={"csrf": token, "name": name, "password": password}, headers=headers,
            follow_redirects=False,
        )

    def enrol(self, fields: dict[str, str] | None = None, *, path: str = "/desk/enrol", **extra: str) -> httpx.Response:
        """Post the form; a made offer or card answers 303 to its page (post/redirect/get), which is fetched."""
        token = self.csrf("/desk/enrol")
        data = {"csrf": token, **(RESIDENT if fields is None else fields), **extra}
        response = self.client.post(path, data=data, follow_redirects=False)
        if response.status_code == 303 and response.headers["location"].startswith(("/desk/offers/", "/desk/cards/")):
            self.redirects.append(response)
            return self.client.get(response.headers["location"], follow_redirects=False)
        return response


def offer_uri_in(page: str) -> str:
    """The `openid-credential-offer://` link the offer page shows beside its QR code."""
    found = re.search(r'<a href="([^"]+)" id="offer-uri">', page)
    assert found, "the page shows no offer"
    return html.unescape(found.group(1))


def csrf_of(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found, "the page has no CSRF field"
    return html.unescape(found.group(1))


def make_desk(tmp_path: Path, **settings: Any) -> Desk:
    if not (tmp_path / "keys").exists():
        KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    config = IssuerSettings(
        data_dir=tmp_path / "data",
        keys_dir=tmp_path / "keys",
        db_url=sqlite_url(tmp_path / "issuer.db"),
        key_passphrase=PASSPHRASE,
        session_secret=SESSION_SECRET,
        city_name=CITY,
        **settings,
    )
    app = create_app(config)
    desk = Desk(app, TestClient(app), app.state.issuer)
    app.dependency_overrides[routes.clock] = lambda: desk.now
    return desk


# --- reading the QR codes a page shows ------------------------------------------------

SVG_RE = r'<div class="{cls}" id="{id}">(<svg.*?</svg>)\s*</div>'
PATH_RE = re.compile(r'<path stroke="#000" d="([^"]+)"')
VIEWBOX_RE = re.compile(r'viewBox="0 0 (\d+) (\d+)"')
STEP_RE = re.compile(r"([Mmh])(-?\d+(?:\.\d+)?)(?: (-?\d+(?:\.\d+)?))?")


def svg_in(page: str, element_id: str, css_class: str) -> str:
    found = re.search(SVG_RE.format(cls=re.escape(css_class), id=re.escape(element_id)), page, re.S)
    assert found, f"no QR code in #{element_id}"
    return found.group(1)


def svg_to_png(svg: str, *, scale: int = 6) -> bytes:
    """Rasterise segno's SVG (one path of 1-unit horizontal strokes at half-module heights) to a PNG."""
    size = VIEWBOX_RE.search(svg)
    path = PATH_RE.search(svg)
    assert size, "not a segno QR code SVG"
    assert path, "not a segno QR code SVG"
    width, height = int(size.group(1)), int(size.group(2))
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for op, a, b in STEP_RE.findall(path.group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a dark run of `a` modules on row y - 0.5
            row = int(y - 0.5)
            draw.rectangle([x * scale, row * scale, (x + float(a)) * scale - 1, (row + 1) * scale - 1], fill=0)
            x += float(a)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
