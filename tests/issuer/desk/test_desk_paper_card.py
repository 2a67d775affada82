"""The paper card: a static residency presentation a verifier accepts only without key binding."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from issuer.db import status_lists
from issuer.desk import audit
from issuer.receipts import open_receipt
from tests.issuer.desk.desk_support import CITY, PERSONAL_VALUES, RESIDENT, Desk, svg_in, svg_to_png
from verifier.policy import Policy
from verifier.scan import read_qr
from verifier.verify import verify
from wallet_spec import qr
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.sdjwt import SdJwt

HIDDEN_RE = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
NONCE, AUD = "library-nonce-0001", "https://library.springfield.example"
PAPER = Policy(required=(("resident_of",),), nonce=NONCE, aud=AUD, require_key_binding=False)


def receipt_in(page: str) -> str:
    found = re.search(r'<p class="receipt-text" id="receipt-text">([^<]+)</p>', page)
    assert found
    return html.unescape(found.group(1))


def presentation_in(page: str) -> str:
    return qr.decode(read_qr(svg_to_png(svg_in(page, "card-qr", "card-qr-box"))))


def bundle_of(desk: Desk) -> TrustBundle:
    desk.state.republish(now=desk.now)  # the card's status list is published with the next bundle
    return load_bundle(desk.state.published.bundle, desk.state.store.root_thumbprint, now=desk.now)


def test_the_card_qr_verifies_without_key_binding_and_shows_only_residency_and_age(signed_in: Desk) -> None:
    response = signed_in.enrol(path="/desk/paper-card")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    presentation = presentation_in(response.text)
    assert SdJwt.parse(presentation).kb_jwt is None
    accepted = verify(presentation, bundle_of(signed_in), PAPER, now=signed_in.now)
    assert accepted.claims["resident_of"] == CITY
    assert accepted.claims["vct"] == "urn:citykey:residency:1"
    disclosed = {path[0] for path in accepted.disclosed}
    assert disclosed == {"age_over_18", "age_over_21", "age_over_65"}
    assert (accepted.claims["age_over_18"], accepted.claims["age_over_65"]) == (True, True)  # born 1950
    for value in PERSONAL_VALUES:
        assert value not in presentation
        assert value not in response.text  # the card shows no name, birthdate or address


def test_a_verifier_that_requires_key_binding_refuses_the_card(signed_in: Desk) -> None:
    presentation = presentation_in(signed_in.enrol(path="/desk/paper-card").text)
    with pytest.raises(VerificationFailed) as refused:
        verify(presentation, bundle_of(signed_in), Policy(required=(("resident_of",),), nonce=NONCE, aud=AUD),
               now=signed_in.now)
    assert "kb_missing" in {e.code for e in refused.value.errors}


def test_the_printed_receipt_revokes_the_card(signed_in: Desk) -> None:
    page = signed_in.enrol(path="/desk/paper-card").text
    receipt = receipt_in(page)
    assert read_qr(svg_to_png(svg_in(page, "receipt-qr", "receipt-qr-box"))) == receipt
    store = signed_in.state.store
    (ref,) = open_receipt(store.receipt_mac_key(signed_in.state.passphrase), receipt)
    presentation = presentation_in(page)
    claims = SdJwt.parse(presentation).payload()["status"]["status_list"]
    assert (claims["uri"], claims["idx"]) == (ref.uri, ref.idx)
    assert signed_in.client.post("/revocations", json={"receipt": receipt}).status_code == 200
    with pytest.raises(VerificationFailed) as refused:
        verify(presentation, bundle_of(signed_in), PAPER, now=signed_in.now)
    assert "revoked" in {e.code for e in refused.value.errors}


def test_the_card_is_made_from_the_offer_pages_form_and_each_card_is_new(signed_in: Desk) -> None:
    offer_page = signed_in.enrol().text
    form = offer_page[offer_page.index('<form method="post" action="/desk/paper-card"') :]
    data = {name: html.unescape(value) for name, value in HIDDEN_RE.findall(form[: form.index("</form>")])}
    first = signed_in.client.post("/desk/paper-card", data=data)
    second = signed_in.client.post("/desk/paper-card", data=data)
    assert first.status_code == second.status_code == 200
    assert receipt_in(first.text) != receipt_in(second.text)
    assert presentation_in(first.text) != presentation_in(second.text)
    counts = {c.event: c.count for c in audit.counts(signed_in.state.engine)}
    assert counts == {"offer_created": 1, "paper_card_printed": 2}


def test_the_card_page_prints_cleanly_in_both_languages(signed_in: Desk) -> None:
    page = signed_in.enrol(path="/desk/paper-card").text
    assert "Springfield residency card" in page
    assert "65 or older: <strong>yes</strong>" in page
    assert re.search(r"Valid until \d{4}-\d\d-\d\d", page)
    assert 'id="print-button" hidden' in page  # shown by the script; without it the browser's Print works
    css = signed_in.client.get("/desk/static/desk.css").text
    assert "@media print" in css
    assert "@page" in css
    signed_in.client.get("/desk/lang/es")
    spanish = signed_in.enrol(path="/desk/paper-card").text
    assert "Tarjeta de residencia de Springfield" in spanish
    assert "65 años o más: <strong>sí</strong>" in spanish
    assert "Recibo de revocación" in spanish


def test_a_refused_form_makes_no_card(signed_in: Desk) -> None:
    response = signed_in.enrol({**RESIDENT, "birthdate": "tomorrow"}, path="/desk/paper-card")
    assert response.status_code == 422
    assert 'id="card-qr"' not in response.text
    assert audit.counts(signed_in.state.engine) == []
    with signed_in.state.engine.connect() as conn:  # no status index was spent (the first list is open, unused)
        bitmaps = conn.execute(select(status_lists.c.allocated)).scalars().all()
    assert sum(int.from_bytes(b, "little").bit_count() for b in bitmaps) == 0
