"""The attributes form and the offer page: validation in two languages, the offer QR, and privacy."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from issuer import offers
from issuer.db import pending_offers
from issuer.desk import audit
from issuer.desk.auth import COOKIE
from tests.issuer.desk.desk_support import PERSONAL_VALUES, RESIDENT, Desk, offer_uri_in, svg_in, svg_to_png
from verifier.scan import read_qr

OFFER_PREFIX = "openid-credential-offer://?credential_offer_uri="
HIDDEN_RE = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else None


def test_the_form_needs_a_signed_in_clerk(desk: Desk) -> None:
    response = desk.client.get("/desk/enrol", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login"


def test_the_form_labels_every_input_and_shows_the_city(signed_in: Desk) -> None:
    page = signed_in.client.get("/desk/enrol").text
    for name in ("given_name", "family_name", "birthdate", "street_address", "locality", "postal_code", "tx_code"):
        assert f'<label for="{name}">' in page, name
        assert f'id="{name}"' in page, name
    assert 'type="date"' in page
    assert 'autocomplete="off"' in page
    assert "Resident of: <strong>Springfield</strong>" in page


@pytest.mark.parametrize(
    ("lang", "required", "bad_date", "summary"),
    [
        ("en", "This field is required.", "Enter a valid date", "Please correct the fields marked below."),
        ("es", "Este campo es obligatorio.", "Introduzca una fecha válida", "Corrija los campos señalados abajo."),
    ],
)
def test_errors_are_shown_per_field_in_the_page_language(
    signed_in: Desk, lang: str, required: str, bad_date: str, summary: str
) -> None:
    signed_in.client.get(f"/desk/lang/{lang}")
    response = signed_in.enrol({**RESIDENT, "given_name": "  ", "birthdate": "1950-02-30"})
    assert response.status_code == 422
    assert f'<html lang="{lang}">' in response.text
    assert summary in response.text
    assert field_error(response.text, "given_name") == required
    assert (field_error(response.text, "birthdate") or "").startswith(bad_date)
    assert field_error(response.text, "family_name") is None
    assert 'value="Okonkwo-Vasquez"' in response.text  # what was typed stays in the form
    assert response.headers["cache-control"] == "no-store"
    assert audit.counts(signed_in.state.engine) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"family_name": ""}, "family_name", "This field is required."),
        ({"birthdate": ""}, "birthdate", "This field is required."),
        ({"birthdate": "17/03/1950"}, "birthdate", "Enter a valid date as year-month-day (YYYY-MM-DD)."),
        ({"birthdate": "2999-01-01"}, "birthdate", "The date of birth cannot be in the future."),
        ({"birthdate": "1850-01-01"}, "birthdate", "The date of birth cannot be before 1900."),
        ({"given_name": "x" * 101}, "given_name", "This field is too long (at most 100 characters)."),
        ({"locality": "Spring\x00field"}, "locality", "This field contains characters that are not allowed."),
    ],
)
def test_each_field_is_checked(signed_in: Desk, changes: dict[str, str], field: str, message: str) -> None:
    response = signed_in.enrol({**RESIDENT, **changes})
    assert response.status_code == 422
    assert field_error(response.text, field) == message


def test_accept_language_chooses_spanish_until_the_switch_says_otherwise(signed_in: Desk) -> None:
    headers = {"accept-language": "es-MX,es;q=0.9,en;q=0.5"}
    assert '<html lang="es">' in signed_in.client.get("/desk/enrol", headers=headers).text
    switched = signed_in.client.get("/desk/lang/en", follow_redirects=False)
    assert switched.status_code == 303
    assert "samesite=strict" in switched.headers["set-cookie"].lower()
    assert '<html lang="en">' in signed_in.client.get("/desk/enrol", headers=headers).text


def test_a_submitted_form_shows_a_one_time_offer_as_a_qr_code(signed_in: Desk) -> None:
    response = signed_in.enrol()
    assert response.status_code == 200
    page = response.text
    uri = offer_uri_in(page)
    assert uri.startswith(offers.OFFER_SCHEME)
    assert uri.startswith(OFFER_PREFIX + "https%3A%2F%2Fid.springfield.example%2Foffers%2F")  # by reference
    assert read_qr(svg_to_png(svg_in(page, "offer-qr", "qr-box"))) == uri
    assert response.headers["cache-control"] == "no-store"
    assert 'id="tx-code"' not in page
    # the offer document behind the reference names the standard types and a pre-authorized code
    offer_id = uri.rsplit("%2F", 1)[1]
    document = offers.take_offer_document(signed_in.state, offer_id, now=signed_in.now)
    assert document is not None
    assert document["credential_issuer"] == "https://id.springfield.example"
    assert "tx_code" not in document["grants"][offers.PRE_AUTHORIZED_GRANT]
    assert [(c.event, c.count) for c in audit.counts(signed_in.state.engine)] == [("offer_created", 1)]


def test_the_offer_page_states_its_expiry_without_javascript_and_counts_down_with_it(signed_in: Desk) -> None:
    page = signed_in.enrol().text
    ttl = signed_in.state.settings.offer_ttl
    assert f'data-seconds="{ttl}"' in page
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" id="expires">Expires at \d\d:\d\d:\d\d', page)
    assert '<script src="/desk/static/desk.js" defer></script>' in page
    script = signed_in.client.get("/desk/static/desk.js")
    assert script.status_code == 200
    assert "countdown" in script.text


def test_a_transaction_code_is_shown_when_the_clerk_asks_for_one(signed_in: Desk) -> None:
    page = signed_in.enrol(tx_code="on").text
    found = re.search(r'<p class="code" id="tx-code">(\d+)</p>', page)
    assert found
    assert len(found.group(1)) == 6
    assert found.group(1) not in offer_uri_in(page)
    offer_id = offer_uri_in(page).rsplit("%2F", 1)[1]
    document = offers.take_offer_document(signed_in.state, offer_id, now=signed_in.now)
    assert document is not None
    assert document["grants"][offers.PRE_AUTHORIZED_GRANT]["tx_code"]["length"] == 6


def test_the_offer_page_carries_the_attributes_for_the_paper_card_in_a_post_form(signed_in: Desk) -> None:
    page = signed_in.enrol().text
    form = page[page.index('<form method="post" action="/desk/paper-card"') :]
    form = form[: form.index("</form>")]
    hidden = {name: html.unescape(value) for name, value in HIDDEN_RE.findall(form)}
    assert hidden.pop("csrf")
    assert hidden == RESIDENT


def test_no_personal_value_reaches_a_log_a_cookie_a_url_or_the_database_in_the_clear(
    signed_in: Desk, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    responses = [
        signed_in.enrol({**RESIDENT, "birthdate": "1950-02-30"}),  # a refused form
        signed_in.enrol(),
        signed_in.enrol(tx_code="on"),
        signed_in.enrol(path="/desk/paper-card"),
    ]
    assert [r.status_code for r in responses] == [422, 200, 200, 200]
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert logged  # httpx and the desk did log
    for value in PERSONAL_VALUES:
        assert value not in logged, value
        for response in responses:
            assert value not in " ".join(response.headers.get_list("set-cookie")), value
            assert value not in response.headers.get("location", ""), value
            assert value not in str(response.url), value
    assert all(value not in (signed_in.client.cookies.get(COOKIE) or "") for value in PERSONAL_VALUES)
    signed_in.state.engine.dispose()  # checkpoint nothing: read the files as they are, WAL included
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for value in PERSONAL_VALUES:
                assert value.encode() not in data, (path.name, value)
    with signed_in.state.engine.connect() as conn:
        assert len(conn.execute(select(pending_offers)).all()) == 4  # two offers: sealed offer + document each


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name", "\u202eakirE"),  # right-to-left override: a verifier would show "Erika"
        ("family_name", "Muster\u200bmann"),  # zero width space: a look-alike of another name
        ("street_address", "1 Main\u2066 Street"),  # bidi isolate
        ("locality", "Spring\u00adfield"),  # soft hyphen
    ],
)
def test_an_invisible_or_bidi_character_is_refused_like_a_control_character(
    signed_in: Desk, field: str, value: str
) -> None:
    """docs/security.md item 8: the desk applies the contract's one rule (`wallet_spec.profile.attribute_text`)."""
    response = signed_in.enrol({**RESIDENT, field: value})
    assert response.status_code == 422
    assert field_error(response.text, field) == "This field contains characters that are not allowed."
