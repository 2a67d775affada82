"""`/token`, `/nonce`, `/revocations` and bookings are limited per client address (security issue 4).

A script hammering an endpoint gets 429 with `Retry-After` and the one error body once its
address has spent its budget, before any work is done; another address is not affected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.ratelimit import LIMITS
from tests.issuer.desk.desk_support import make_desk

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _send(client: TestClient, endpoint: str) -> int:
    if endpoint == "token":
        return client.post("/token", content=b"grant_type=nonsense", headers=FORM).status_code
    if endpoint == "nonce":
        return client.post("/nonce").status_code
    return client.post("/revocations", json={"receipt": "ckr1.not-a-receipt"}).status_code


@pytest.mark.parametrize("endpoint", ["token", "nonce", "revocations"])
def test_an_endpoint_hammered_from_one_address_answers_429_with_retry_after(tmp_path: Path, endpoint: str) -> None:
    desk = make_desk(tmp_path)
    allowed = LIMITS[endpoint][0]
    statuses = [_send(desk.client, endpoint) for _ in range(allowed)]
    assert 429 not in statuses
    refused = desk.client.post(f"/{endpoint}", json={}) if endpoint != "token" else desk.client.post(
        "/token", content=b"grant_type=nonsense", headers=FORM)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    other = TestClient(desk.app, client=("127.0.3.9", 50000))
    assert _send(other, endpoint) != 429  # the budget is the address's, not the endpoint's
    desk.state.engine.dispose()
