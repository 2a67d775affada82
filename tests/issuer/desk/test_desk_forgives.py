"""The desk forgives: dates typed as the hint says, no second offer on reload, nothing cut silently,
plain pages for unknown addresses, and administrators told what their buttons did."""

from __future__ import annotations

import html
import re

import pytest

from issuer import clerks
from issuer.desk import audit
from issuer.desk.forms import MAX_LENGTH
from tests.issuer.desk.desk_support import CLERK, PASSWORD, RESIDENT, Desk, csrf_of, offer_uri_in


def counts(desk: Desk) -> dict[str, int]:
    return {c.event: c.count for c in audit.counts(desk.state.engine)}


# --- the date of birth ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1950-03-17", "1950-3-17", "1950/03/17", "1950.03.17", "1950 03 17", "19500317"])
def test_the_date_of_birth_is_typed_year_first_with_or_without_separators(signed_in: Desk, typed: str) -> None:
    response = signed_in.enrol({**RESIDENT, "birthdate": typed})
    assert response.status_code == 200, typed
    assert offer_uri_in(response.text)


@pytest.mark.parametrize("typed", ["17/03/1950", "03/17/1950", "1950-02-30", "yesterday"])
def test_a_refused_date_stays_in_the_field_for_correction(signed_in: Desk, typed: str) -> None:
    response = signed_in.enrol({**RESIDENT, "birthdate": typed})
    assert response.status_code == 422
    assert f'id="birthdate" name="birthdate" type="text" value="{html.escape(typed)}"' in response.text
    assert "Enter a valid date as year-month-day (YYYY-MM-DD)." in response.text


# --- post/redirect/get ---------------------------------------------------------------------


def test_an_offer_is_shown_by_its_own_address_and_a_reload_makes_no_second_offer(signed_in: Desk) -> None:
    token = signed_in.csrf("/desk/enrol")
    posted = signed_in.client.post("/desk/enrol", data={"csrf": token, **RESIDENT}, follow_redirects=False)
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert re.fullmatch(r"/desk/offers/[A-Za-z0-9_-]{22}", location)
    first = signed_in.client.get(location)
    again = signed_in.client.get(location)  # reload, or back then forward
    assert first.status_code == again.status_code == 200
    assert offer_uri_in(first.text) == offer_uri_in(again.text)
    assert counts(signed_in) == {"offer_created": 1}
    assert again.headers["cache-control"] == "no-store"


def test_an_offer_page_is_for_the_clerk_who_made_it_and_ends_with_the_offer(signed_in: Desk) -> None:
    signed_in.enrol()
    location = signed_in.redirects[-1].headers["location"]
    clerks.add_clerk(signed_in.state.engine, "bo", PASSWORD)
    signed_in.client.cookies.clear()
    assert signed_in.login("bo").status_code == 303
    other = signed_in.client.get(location)
    assert other.status_code == 404
    assert "This page has ended" in other.text
    signed_in.client.cookies.clear()
    assert signed_in.login(CLERK).status_code == 303
    assert signed_in.client.get(location).status_code == 200
    signed_in.now += signed_in.state.settings.offer_ttl
    ended = signed_in.client.get(location)
    assert ended.status_code == 404
    assert 'href="/desk/enrol"' in ended.text


def test_the_paper_card_from_the_offer_page_is_its_own_page_and_a_reload_prints_no_second_card(
    signed_in: Desk,
) -> None:
    page = signed_in.enrol().text
    handle = signed_in.redirects[-1].headers["location"].removeprefix("/desk/offers/")
    posted = signed_in.client.post("/desk/paper-card", data={"csrf": csrf_of(page), "offer": handle},
                                   follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/desk/cards/")
    card = signed_in.client.get(posted.headers["location"])
    again = signed_in.client.get(posted.headers["location"])
    assert card.status_code == again.status_code == 200
    assert 'id="card-qr"' in card.text
    assert card.text == again.text
    assert counts(signed_in) == {"offer_created": 1, "paper_card_printed": 1}
    another = signed_in.client.post("/desk/paper-card", data={"csrf": csrf_of(page), "offer": "not-a-handle"})
    assert another.status_code == 404
    assert counts(signed_in) == {"offer_created": 1, "paper_card_printed": 1}


# --- nothing cut silently ------------------------------------------------------------------


def test_a_name_longer_than_the_limit_is_refused_with_the_message_and_shown_whole(signed_in: Desk) -> None:
    long_name = "Zelda" * 21  # 105 characters
    page = signed_in.client.get("/desk/enrol").text
    assert "maxlength" not in page[page.index('id="given_name"') :][:300]  # the browser cuts nothing
    response = signed_in.enrol({**RESIDENT, "given_name": long_name})
    assert response.status_code == 422
    assert f"This field is too long (at most {MAX_LENGTH['given_name']} characters)." in response.text
    assert f'value="{long_name}"' in response.text


# --- accessibility of refused forms ----------------------------------------------------------


def test_the_error_summary_links_to_each_field_in_error(signed_in: Desk) -> None:
    response = signed_in.enrol({**RESIDENT, "given_name": "", "birthdate": "soon"})
    summary = response.text[response.text.index('id="form-errors"') :]
    summary = summary[: summary.index("</div>")]
    assert 'tabindex="-1"' in summary
    assert '<a href="#given_name">Given name(s): This field is required.</a>' in summary
    assert '<a href="#birthdate">Date of birth: Enter a valid date' in summary
    assert 'href="#family_name"' not in summary


def test_a_refused_sign_in_marks_both_fields_invalid_and_links_them_to_the_message(desk: Desk) -> None:
    page = desk.login(password="wrong password").text
    for field in ("name", "password"):
        tag = page[page.index(f'<input id="{field}"') :]
        tag = tag[: tag.index(">")]
        assert 'aria-invalid="true"' in tag, field
        assert 'aria-describedby="login-error"' in tag, field
    assert 'aria-invalid' not in desk.client.get("/desk/login").text


def test_the_offer_qr_codes_say_what_to_do_with_them(signed_in: Desk) -> None:
    page = signed_in.enrol().text
    assert "<title>Credential offer QR code: the resident scans it with the city wallet app</title>" in page
    assert "<title>Web wallet QR code: the resident scans it with the phone camera</title>" in page


# --- unknown addresses ----------------------------------------------------------------------


def test_a_browser_gets_a_page_in_its_language_and_an_api_client_json_for_an_unknown_address(desk: Desk) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "es-ES,es;q=0.9"}
    page = desk.client.get("/desk/nowhere", headers=browser)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="es">' in page.text
    assert "Página no encontrada" in page.text
    api = desk.client.get("/api/nowhere", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.json() == {"error": "not_found", "error_description": "Not Found"}  # the one error body
    assert desk.client.get("/nowhere").json()["error"] == "not_found"  # no Accept: the same


# --- administrators' buttons -----------------------------------------------------------------


def test_admin_buttons_name_the_account_and_announce_what_they_did(desk: Desk) -> None:
    clerks.add_clerk(desk.state.engine, "boss", PASSWORD, "admin")
    for _ in range(clerks.MAX_FAILURES):
        desk.login(password="wrong password")
    assert desk.login("boss").status_code == 303
    page = desk.client.get("/desk/admin").text
    assert f">Unlock {CLERK}</button>" in page
    assert f">End sessions of {CLERK}</button>" in page
    assert ">End sessions of boss</button>" in page
    token = csrf_of(page)
    unlocked = desk.client.post("/desk/admin/unlock", data={"csrf": token, "name": CLERK})
    status = unlocked.text[unlocked.text.index('id="admin-status"') :]
    assert status.startswith(f'id="admin-status" role="status"><p class="notice">{CLERK} is unlocked')
    ended = desk.client.post("/desk/admin/end-sessions", data={"csrf": token, "name": CLERK})
    assert f"Every session of {CLERK} has ended" in ended.text
    unknown = desk.client.post("/desk/admin/end-sessions", data={"csrf": token, "name": "nobody"})
    assert "There is no account named nobody." in unknown.text


def test_end_sessions_signs_the_account_out_everywhere(desk: Desk) -> None:
    assert desk.login().status_code == 303
    clerk_cookies = dict(desk.client.cookies)
    clerks.add_clerk(desk.state.engine, "boss", PASSWORD, "admin")
    desk.client.cookies.clear()
    assert desk.login("boss").status_code == 303
    desk.client.post("/desk/admin/end-sessions", data={"csrf": desk.csrf("/desk/admin"), "name": CLERK})
    desk.client.cookies.clear()
    desk.client.cookies.update(clerk_cookies)
    assert desk.client.get("/desk/enrol", follow_redirects=False).headers["location"].startswith("/desk/login")


def test_the_spanish_admin_page_is_spanish_throughout(desk: Desk) -> None:
    clerks.add_clerk(desk.state.engine, "boss", PASSWORD, "admin")
    assert desk.login("boss").status_code == 303
    desk.client.get("/desk/lang/es")
    page = desk.client.get("/desk/admin").text
    for spanish in ("Acciones", "administrador", "empleado", "Cerrar las sesiones de boss",
                    "Añada o elimine cuentas en el ordenador del emisor"):
        assert spanish in page, spanish
    for english in ("Actions", ">clerk<", ">admin<", "End sessions", "Add or remove"):
        assert english not in page, english
