"""The clock every party reads: whole seconds since the epoch (UTC), behind one function a caller can replace.

Code that decides takes `now` as a parameter; only the edges (a command, a route,
a client) read the clock, through `now()` or a `Clock` they were given, so a test
moves time by passing another one (or by overriding the FastAPI dependency).
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]
"""What reads the time: `now`, or a test's fixed or moving clock."""


def now() -> int:
    """The current time in whole seconds."""
    return int(time.time())


__all__ = ["Clock", "now"]
