"""The scanner's decisions through its local API, as the page gets them: words, not codes.

A Springfield kiosk (verifier directory with the pinned root and a synced
bundle) serves `verifier.scanner.app` through a TestClient whose clock is set
by the test. Each test presents what residents really carry: key-bound codes
from a wallet, answers to the kiosk's own challenge, paper cards printed by
the desk's code, and camera frames (PNG of the QR code).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import segno
from fastapi.testclient import TestClient

from issuer.batch import revoke_with_receipt
from tests.verifier.kiosk import KIOSK_AUD, make_gate, make_home, paper_card_text, resident
from tests.verifier.springfield import DAY, PASSPHRASE, T0, City, Holder
from verifier.scanner.app import create_app
from verifier.scanner.gate import Gate
from wallet_spec import qr
from wallet_spec.request import parse_request
from wallet_spec.sdjwt import ClaimPath


class Kiosk:
    def __init__(self, gate: Gate, now: int) -> None:
        self.gate, self.now = gate, now
        self.client = TestClient(create_app(gate, clock=lambda: self.now))

    def scan(self, text: str, lang: str = "en") -> dict[str, Any]:
        response = self.client.post(f"/api/scan?lang={lang}", json={"text": text})
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def kiosk_for(tmp_path: Path, city: City) -> Iterator[Any]:
    gates: list[Gate] = []

    def make(policy: str, *, now: int = T0) -> Kiosk:
        home = make_home(tmp_path / f"kiosk-{len(gates)}", city, now=T0)
        gates.append(make_gate(home, policy))
        return Kiosk(gates[-1], now)

    yield make
    for gate in gates:
        gate.close()


def one_way(holder: Holder, *, now: int, paths: list[ClaimPath], nonce: str = "wallet-own-nonce-1") -> str:
    return qr.encode(holder.present(now=now, paths=paths, nonce=nonce, aud=KIOSK_AUD))


def test_a_library_card_is_accepted_once_then_already_used_in_plain_words(city: City, kiosk_for: Any) -> None:
    holder = city.enrol(resident(1), now=T0)
    kiosk = kiosk_for("library-card", now=T0 + 5)
    text = one_way(holder, now=T0 + 5, paths=[("resident_of",)])
    first = kiosk.scan(text)
    assert first["outcome"] == "accepted", first["codes"]
    assert first["title"] == "Accepted"
    assert first["claims"] == [{"label": "Resident of", "value": "Springfield"}]
    assert first["paper"] is None
    again = kiosk.scan(text)
    assert again["outcome"] == "refused"
    assert again["reasons"] == ["This code was already used — ask for a new one."]
    spanish = kiosk.scan(text, lang="es")
    assert spanish["title"] == "Rechazado"
    assert spanish["reasons"] == ["Este código ya se usó: pida uno nuevo."]


def test_revoked_other_service_and_unreadable_codes_are_refused_with_reasons(city: City, kiosk_for: Any) -> None:
    holder = city.enrol(resident(2), now=T0)
    assert revoke_with_receipt(holder.batch.receipt, store=city.store, registry=city.registry,
                               passphrase=PASSPHRASE) == 4
    city_bundle_now = T0 + 60
    kiosk = kiosk_for("library-card", now=city_bundle_now)
    from citykey_io.files import atomic_write
    from verifier.sync import BUNDLE_FILE

    atomic_write(kiosk.gate.directory / BUNDLE_FILE, city.bundle_text(now=city_bundle_now).encode())
    revoked = kiosk.scan(one_way(holder, now=city_bundle_now, paths=[("resident_of",)]))
    assert revoked["outcome"] == "refused"
    assert "revoked" in revoked["codes"]
    assert "This credential has been cancelled" in revoked["reasons"][0]
    other = city.enrol(resident(3), now=T0)
    elsewhere = qr.encode(other.present(now=city_bundle_now, paths=[("resident_of",)], nonce="n" * 16,
                                        aud="https://bus.example"))
    assert kiosk.scan(elsewhere)["reasons"] == ["This code was made for another service. Ask for a new one."]
    assert kiosk.scan("CK1:NOT-A-CODE")["reasons"] == ["This could not be read. Scan the code again."]


def test_a_challenge_is_answered_once_and_its_nonce_is_used_up(city: City, kiosk_for: Any) -> None:
    person = resident(4)
    holder = city.enrol(person, now=T0)
    kiosk = kiosk_for("bank-account", now=T0 + 10)
    challenge = kiosk.client.post("/api/challenge").json()
    assert challenge["svg"].startswith("<svg")
    request = parse_request(challenge["text"], now=T0 + 10)
    assert request.aud == KIOSK_AUD
    assert request.claims == ("given_name", "family_name", "birthdate", "address")
    answer, _ = holder.wallet.answer(request, iat=T0 + 12)
    accepted = kiosk.scan(qr.encode(answer))
    assert accepted["outcome"] == "accepted"
    shown = {c["label"]: c["value"] for c in accepted["claims"]}
    assert shown == {"Given name": person.given_name, "Family name": person.family_name,
                     "Date of birth": person.birthdate.isoformat(),
                     "Address": "4 Zq7street0004x Ave, Z00004 Springfield"}
    replay = kiosk.scan(qr.encode(answer))
    assert replay["outcome"] == "refused"
    assert "nonce_mismatch" in replay["codes"]  # the nonce was used up by the first answer
    assert "This code was already used — ask for a new one." in replay["reasons"]
    own_nonce, _ = holder.wallet.present([("given_name",)], nonce="made-up-nonce-123", aud=KIOSK_AUD, iat=T0 + 12)
    assert "nonce_mismatch" in kiosk.scan(qr.encode(own_nonce))["codes"]


def test_a_paper_card_is_accepted_only_where_the_policy_allows_and_says_so(city: City, kiosk_for: Any) -> None:
    card = paper_card_text(city, resident(5), now=T0)
    library = kiosk_for("library-card", now=T0 + 30)
    from citykey_io.files import atomic_write
    from verifier.sync import BUNDLE_FILE

    atomic_write(library.gate.directory / BUNDLE_FILE, city.bundle_text(now=T0 + 20).encode())
    shown = library.scan(card)
    assert shown["outcome"] == "paper"
    assert shown["paper"] == "Paper card: compare the holder with a photo ID"
    assert {"label": "Resident of", "value": "Springfield"} in shown["claims"]
    assert library.scan(card, lang="es")["paper"].startswith("Tarjeta de papel")
    bank = kiosk_for("age-21", now=T0 + 30)
    atomic_write(bank.gate.directory / BUNDLE_FILE, city.bundle_text(now=T0 + 20).encode())
    refused = bank.scan(card)
    assert refused["outcome"] == "refused"
    assert refused["codes"] == ["kb_missing"]


def test_a_senior_fare_needs_age_over_65_to_be_true(city: City, kiosk_for: Any) -> None:
    young = city.enrol(resident(300), now=T0)  # born 2013
    old = city.enrol(resident(0), now=T0)  # born 1931
    kiosk = kiosk_for("senior-fare", now=T0 + 5)
    refused = kiosk.scan(one_way(young, now=T0 + 5, paths=[("resident_of",), ("age_over_65",)]))
    assert refused["codes"] == ["claim_not_met"]
    assert refused["claims"] == []
    accepted = kiosk.scan(one_way(old, now=T0 + 5, paths=[("resident_of",), ("age_over_65",)]))
    assert accepted["outcome"] == "accepted"
    assert {"label": "65 or over", "value": "Yes"} in accepted["claims"]


def test_a_stale_bundle_is_announced_then_refused(city: City, kiosk_for: Any) -> None:
    holder = city.enrol(resident(6), now=T0)
    kiosk = kiosk_for("library-card", now=T0 + 3 * DAY)
    state = kiosk.client.get("/api/state?lang=en").json()
    assert state["stale"] is True
    assert state["banners"] == [
        "The city's key list on this device is 3 days old. Connect it to the network to update."]
    assert kiosk.scan(one_way(holder, now=T0 + 3 * DAY, paths=[("resident_of",)]))["outcome"] == "accepted"
    kiosk.now = T0 + 8 * DAY
    late = kiosk.scan(one_way(holder, now=T0 + 8 * DAY, paths=[("resident_of",)], nonce="wallet-own-nonce-2"))
    assert late["codes"][0] == "bundle_stale"
    assert late["reasons"][0] == "This device's list of city keys is out of date. Update the device."
    assert "too old" in kiosk.client.get("/api/state").json()["banners"][0]


def test_a_camera_frame_is_decided_once_while_the_phone_stays_in_view(city: City, kiosk_for: Any) -> None:
    holder = city.enrol(resident(7), now=T0)
    kiosk = kiosk_for("library-card", now=T0 + 5)
    buffer = io.BytesIO()
    segno.make(one_way(holder, now=T0 + 5, paths=[("resident_of",)]), error="m").save(buffer, kind="png", scale=3)
    frame = buffer.getvalue()
    first = kiosk.client.post("/api/frame", content=frame, headers={"Content-Type": "image/png"}).json()
    assert first["outcome"] == "accepted"
    again = kiosk.client.post("/api/frame", content=frame, headers={"Content-Type": "image/png"}).json()
    assert again == {"outcome": "none"}  # the same code still in front of the camera: no second decision
    empty = kiosk.client.post("/api/frame", content=b"not an image").json()
    assert empty == {"outcome": "none"}
    big = kiosk.client.post("/api/frame", content=b"x" * (2 << 20 + 1))
    assert big.status_code == 413


def test_the_page_is_served_locally_in_the_policys_language(kiosk_for: Any) -> None:
    kiosk = kiosk_for("clinic-checkin", now=T0 + 5)
    page = kiosk.client.get("/")
    assert page.status_code == 200
    assert '<html lang="es">' in page.text
    assert "Muestre su código a la cámara" in page.text
    assert "http" not in page.text.split("<body", 1)[1].replace("http://", "")  # nothing from the network
    assert kiosk.client.get("/static/scanner.js").status_code == 200
    assert '<html lang="en">' in kiosk.client.get("/?lang=en").text
