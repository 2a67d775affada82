"""Where an online verifier keeps a transaction for the few minutes it is open: memory, or Redis.

A transaction is the state of one "prove you live here" request between the page
that shows the QR code and the wallet that answers it: its nonce and state, the
one-transaction decryption key, and, once answered, the result. Nothing in it
outlives its expiry (`SET … EX`; the memory store drops expired entries on every
call), and the result is stored only encrypted to a key whose private half the waiting page
holds and this store never sees (`verifier.openid4vp`), so neither a memory dump
between polls nor a Redis snapshot shows a disclosed value.

Several verifier processes behind one load balancer share a Redis store; one
process keeps its own memory store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from wallet_spec.errors import ReplayUnavailable, UsageError


class TransactionStore(Protocol):
    """Short-lived values by name; every value has an expiry."""

    def put(self, name: str, value: bytes, *, ttl: int) -> None: ...

    def get(self, name: str) -> bytes | None: ...

    def take(self, name: str) -> bytes | None:
        """The value, removed in the same step: of two callers, one gets it."""
        ...

    def close(self) -> None: ...


class MemoryTransactions:
    """One process's transactions, in a dict guarded by a lock."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _sweep(self, now: float) -> None:
        for name in [n for n, (_, until) in self._items.items() if until <= now]:
            del self._items[name]

    def put(self, name: str, value: bytes, *, ttl: int) -> None:
        with self._lock:
            now = float(self._clock())
            self._sweep(now)
            self._items[name] = (value, now + ttl)

    def get(self, name: str) -> bytes | None:
        with self._lock:
            self._sweep(float(self._clock()))
            found = self._items.get(name)
            return None if found is None else found[0]

    def take(self, name: str) -> bytes | None:
        with self._lock:
            self._sweep(float(self._clock()))
            found = self._items.pop(name, None)
            return None if found is None else found[0]

    def __len__(self) -> int:
        with self._lock:
            self._sweep(float(self._clock()))
            return len(self._items)

    def close(self) -> None:
        with self._lock:
            self._items.clear()


class RedisTransactions:
    """Transactions shared by several verifier processes: `SET … EX`, `GETDEL`."""

    def __init__(self, url: str, *, prefix: str = "citykey:openid4vp:", timeout: float = 5.0) -> None:
        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)

    def _call(self, what: str, op: Callable[[], object]) -> bytes | None:
        try:
            value = op()
        except redis.RedisError as exc:
            raise ReplayUnavailable(f"the transaction store cannot {what}: {exc}") from None
        return value if isinstance(value, bytes) else None

    def put(self, name: str, value: bytes, *, ttl: int) -> None:
        self._call("keep a transaction", lambda: self._redis.set(self.prefix + name, value, ex=max(1, ttl)))

    def get(self, name: str) -> bytes | None:
        return self._call("read a transaction", lambda: self._redis.get(self.prefix + name))

    def take(self, name: str) -> bytes | None:
        return self._call("read a transaction", lambda: self._redis.getdel(self.prefix + name))

    def close(self) -> None:
        self._redis.close()


def open_transactions(location: str | None) -> TransactionStore:
    """A Redis store from a `redis://`, `rediss://` or `unix://` URL; memory for None."""
    if location is None:
        return MemoryTransactions()
    if not location.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError("the transaction store must be a redis:// URL, or none for memory")
    return RedisTransactions(location)
