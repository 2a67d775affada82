"""`/token`, `/nonce`, `/revocations` and bookings are limited per client address (security issue 4).

A script hammering an endpoint gets 429 with `Retry-After` and the one error body once its
address has spent its budget, before any work is done; another address is not affected.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from issuer.ratelimit import LIMITS
from tests.issuer.desk.desk_support import make_desk

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _send(client: TestClient, endpoint: str) -> httpx.Response:
    if endpoint == "token":
        return client.post("/token", content=b"grant_type=nonsense", headers=FORM)
    if endpoint == "nonce":
        return client.post("/nonce")
    return client.post("/revocations", json={"receipt": "ckr1.not-a-receipt"})


@pytest.mark.parametrize("endpoint", ["token", "nonce", "revocations"])
def test_an_endpoint_hammered_from_one_address_answers_429_with_retry_after(tmp_path: Path, endpoint: str) -> None:
    desk = make_desk(tmp_path)
    allowed = LIMITS[endpoint][0]
    answers = [_send(desk.client, endpoint) for _ in range(allowed + 20)]  # the budget refills as time passes
    statuses = [a.status_code for a in answers]
    assert 429 not in statuses[:allowed]
    refused = answers[statuses.index(429)]
    assert refused.json()["error"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    other = TestClient(desk.app, client=("127.0.3.9", 50000))
    assert _send(other, endpoint).status_code != 429  # the budget is the address's, not the endpoint's
    desk.state.engine.dispose()
