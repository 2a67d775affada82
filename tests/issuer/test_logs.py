"""The access log never carries an offer id, which would unlock an offer for anyone holding the log."""

from __future__ import annotations

import logging

import pytest

from issuer import logs


def test_the_access_log_shows_offer_paths_without_their_id(caplog: pytest.LogCaptureFixture) -> None:
    logs.install()
    logs.install()  # idempotent
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, logs.RedactOfferIds) for f in access.filters) == 1
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/offers/Zq7SecretOfferId?x=1", "1.1", 200)
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/trust-bundle", "1.1", 200)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == '127.0.0.1:5 - "GET /offers/<redacted>?x=1 HTTP/1.1" 200'
    assert "Zq7SecretOfferId" not in caplog.text
    assert lines[1].endswith('"GET /trust-bundle HTTP/1.1" 200')

