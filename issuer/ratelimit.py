"""Request budgets: how often one client address, or one clerk name, may try something.

A fixed budget per window and key (token bucket: `capacity` requests at once, refilled at
`capacity / window` per second), held in this process's memory. Keys are client addresses
and clerk names, never anything about a resident; entries are dropped when full again, so
the table stays as small as the set of clients currently over their budget. With several
instances each keeps its own (documented in docs/security.md): a budget of N per instance.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from wallet_spec.errors import RateLimited


@dataclass(slots=True)
class Budget:
    """At most `capacity` requests per `window` seconds for each key."""

    capacity: int
    window: float
    _tokens: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def spend(self, key: str, *, now: float, what: str) -> None:
        """Take one request from `key`'s budget or raise `RateLimited` saying when to come back."""
        rate = self.capacity / self.window
        with self._lock:
            tokens, at = self._tokens.get(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + max(0.0, now - at) * rate)
            if tokens < 1.0:
                retry_after = max(1, math.ceil((1.0 - tokens) / rate))
                self._tokens[key] = (tokens, now)
                raise RateLimited(f"too many {what}; try again in {retry_after} s", retry_after)
            tokens -= 1.0
            if tokens >= self.capacity - 1e-9:
                self._tokens.pop(key, None)
            else:
                self._tokens[key] = (tokens, now)
            if len(self._tokens) > 100_000:  # a flood of addresses: forget the fullest, keep memory bounded
                self._forget_refilled(now, rate)

    def _forget_refilled(self, now: float, rate: float) -> None:
        full = [k for k, (t, at) in self._tokens.items() if t + (now - at) * rate >= self.capacity]
        for key in full:
            del self._tokens[key]


LIMITS: dict[str, tuple[int, float, str]] = {
    "token": (30, 60, "token requests"),
    "nonce": (60, 60, "nonce requests"),
    "revocations": (10, 60, "revocations"),
    "bookings": (5, 3600, "bookings"),
}
"""Per client address: (requests at once, refilled over this many seconds, what the message calls them).

Generous for a wallet (a batch takes one token and a few nonces) and a resident revoking a lost
phone; a script hammering an endpoint gets 429 with `Retry-After` before any work is done."""


def budgets() -> dict[str, Budget]:
    """One `Budget` per limited endpoint, for `app.state.budgets`."""
    return {name: Budget(capacity=capacity, window=window) for name, (capacity, window, _) in LIMITS.items()}
