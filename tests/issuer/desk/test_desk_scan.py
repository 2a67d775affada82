"""The desk reads a pre-application (`POST /desk/scan`): the form is filled exactly, or nothing is."""

from __future__ import annotations

import html
import logging
import re

import pytest
from sqlalchemy import func, select

from issuer.api import apply
from issuer.db import appointments, pending_offers
from tests.issuer.desk.desk_support import PERSONAL_VALUES, RESIDENT, Desk
from wallet_spec.attributes import FIELDS
from wallet_spec.encoding import b64url_decode
from wallet_spec.preapplication import Preapplication, encode

VALUE_RE = re.compile(r'<input id="([a-z_]+)" name="[a-z_]+" type="[a-z]+" value="([^"]*)"')


def form_values(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in VALUE_RE.findall(page) if name in FIELDS}


def scan(desk: Desk, code: str) -> str:
    token = desk.csrf("/desk/enrol")
    response = desk.client.post("/desk/scan", data={"csrf": token, "code": code}, follow_redirects=False)
    return f"{response.status_code}\n{response.text}"


def test_a_scanned_code_fills_every_field_exactly_and_makes_nothing(
    signed_in: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = scan(signed_in, encode(Preapplication(RESIDENT)) + "\r\n")  # a scanner's Enter
    status, page = answer.split("\n", 1)
    assert status == "200"
    assert form_values(page) == RESIDENT
    assert 'id="scan-filled"' in page
    assert "Check every field against the documents" in page
    with signed_in.state.engine.connect() as conn:  # filling the form creates no offer: the clerk still posts it
        assert conn.execute(select(func.count()).select_from(pending_offers)).scalar_one() == 0
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "pre-application read" in logged
    for value in PERSONAL_VALUES:
        assert value not in logged


def test_the_clerk_continues_as_today_with_the_filled_form(signed_in: Desk) -> None:
    status, page = scan(signed_in, encode(Preapplication(RESIDENT))).split("\n", 1)
    assert status == "200"
    offer = signed_in.enrol(form_values(page))
    assert offer.status_code == 200
    assert 'id="offer-uri"' in offer.text


@pytest.mark.parametrize(
    ("what", "code", "message"),
    [
        ("cut short", encode(Preapplication(RESIDENT))[:-5], "incomplete or was changed"),
        ("changed", encode(Preapplication(RESIDENT))[:-1] + "Z", "incomplete or was changed"),
        ("not a pre-application", "CK1:6BFOXN*TS0BI$ZD", "could not be read"),
        ("empty", "", "could not be read"),
        ("huge", "CKA1:" + "0" * 5000, "too large"),
        ("a rule broken", encode(Preapplication({**RESIDENT, "birthdate": "2999-01-01"})), "breaks the desk's rules"),
    ],
)
def test_a_bad_code_is_refused_plainly_and_fills_nothing(
    signed_in: Desk, caplog: pytest.LogCaptureFixture, what: str, code: str, message: str
) -> None:
    caplog.set_level(logging.DEBUG)
    status, page = scan(signed_in, code).split("\n", 1)
    assert status == "422", what
    assert 'id="scan-error"' in page
    assert message in html.unescape(page), what
    assert set(form_values(page).values()) == {""}, "a refused code fills nothing"
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "pre-application refused" in logged
    for value in PERSONAL_VALUES:
        assert value not in logged
    if code:
        assert code[5:25] not in logged


def test_a_broken_rule_names_the_field_not_the_value(signed_in: Desk) -> None:
    status, page = scan(signed_in, encode(Preapplication({**RESIDENT, "family_name": "Okonkwo\u202eVasquez"}))).split(
        "\n", 1
    )
    assert status == "422"
    assert "Fields refused: Family name(s)" in html.unescape(page)
    assert "Okonkwo" not in page


def test_scanning_needs_a_signed_in_clerk_and_the_csrf_token(desk: Desk) -> None:
    code = encode(Preapplication(RESIDENT))
    response = desk.client.post("/desk/scan", data={"csrf": "x", "code": code}, follow_redirects=False)
    assert response.status_code == 403
    assert desk.login().status_code == 303
    response = desk.client.post("/desk/scan", data={"csrf": "wrong", "code": code}, follow_redirects=False)
    assert response.status_code == 403
    assert "Zelda" not in response.text


def test_the_scan_page_speaks_spanish(signed_in: Desk) -> None:
    signed_in.client.cookies.set("citykey_desk_lang", "es", path="/desk")
    _, page = scan(signed_in, encode(Preapplication(RESIDENT))[:-4]).split("\n", 1)
    assert "Escanear solicitud previa" in page
    assert "incompleto o fue modificado" in html.unescape(page)


def test_a_booked_appointment_is_checked_in_by_the_code_and_forgotten(signed_in: Desk) -> None:
    signed_in.app.dependency_overrides[apply.clock] = lambda: signed_in.now
    slots = signed_in.client.get("/appointments/slots").json()["slots"]
    booked = signed_in.client.post("/appointments", json={"slot": slots[0]["start"]})
    assert booked.status_code == 201, booked.text
    token = b64url_decode(booked.json()["token"])
    listing = signed_in.client.get("/desk/appointments").text
    assert re.search(r"<td class=\"num\">1</td>", listing)

    code = encode(Preapplication(RESIDENT, token=token))
    _, page = scan(signed_in, code).split("\n", 1)
    assert 'id="scan-appointment"' in page
    assert "Appointment checked in" in page
    with signed_in.state.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(appointments)).scalar_one() == 0
    _, again = scan(signed_in, code).split("\n", 1)
    assert "does not know" in html.unescape(again)
    assert form_values(again) == RESIDENT  # the form is filled all the same


def test_only_the_scan_form_s_page_may_run_the_camera_reader(signed_in: Desk) -> None:
    enrol = signed_in.client.get("/desk/enrol")
    policy = enrol.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy  # the reader compiles its WebAssembly
    assert "connect-src 'self';" in policy  # and fetches it from the desk, nowhere else
    assert "default-src 'none'" in policy
    assert "media-src" not in policy  # the camera's stream is not fetched
    assert 'src="/desk/static/camera/camera.js"' in enrol.text
    button = '<button type="button" class="secondary" id="camera-start" hidden>Scan with the camera</button>'
    assert button in enrol.text  # shown by the reader's script, so a page without it offers no dead button
    status, scanned = scan(signed_in, encode(Preapplication(RESIDENT))).split("\n", 1)
    assert status == "200"
    assert button in scanned
    other = signed_in.client.get("/desk/appointments")
    assert other.status_code == 200
    assert "wasm-unsafe-eval" not in other.headers["content-security-policy"]
    assert "connect-src" not in other.headers["content-security-policy"]
