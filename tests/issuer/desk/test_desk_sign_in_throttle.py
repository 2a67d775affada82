"""Sign-in attempts are throttled per client address and per clerk name, before any argon2 work (security 4)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.issuer.desk.desk_support import CLERK, Desk

REFUSED = {"en": "Too many sign-in attempts", "es": "Demasiados intentos de acceso"}


def _attempt(client: TestClient, name: str) -> httpx.Response:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/desk/login").text)
    assert token
    return client.post("/desk/login", data={"name": name, "password": "wrong password", "csrf": token[1]})


def test_sign_ins_from_one_address_are_throttled_with_retry_after(desk: Desk) -> None:
    statuses = [_attempt(desk.client, f"guess{i}").status_code for i in range(20)]
    assert statuses == [401] * 20
    throttled = _attempt(desk.client, "guess20")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert REFUSED["en"] in throttled.text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_guesses_at_one_name_from_many_addresses_are_throttled(desk: Desk, lang: str) -> None:
    answers = []
    for i in range(11):
        client = TestClient(desk.app, client=(f"127.0.2.{i + 1}", 50000), headers={"accept-language": lang})
        answers.append(_attempt(client, CLERK))
    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert answers[10].status_code == 429
    assert REFUSED[lang] in answers[10].text
