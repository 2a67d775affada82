"""Logging that can carry no personal data and no secret that would unlock some.

Routes never log bodies or claim values. The one secret that reaches a log line
by itself is the offer id in the path `/offers/<id>` (uvicorn's access log):
it unlocks the offer document, whose code unlocks the sealed offer row. The
access log therefore shows that path with the id replaced.
"""

from __future__ import annotations

import logging
import re

_OFFER_PATH = re.compile(r"(/offers/)[^/?\s]+")


class RedactOfferIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _OFFER_PATH.sub(r"\1<redacted>", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _OFFER_PATH.sub(r"\1<redacted>", record.msg)
        return True


def install() -> None:
    """Attach the redaction to the access log (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactOfferIds) for f in access.filters):
        access.addFilter(RedactOfferIds())
