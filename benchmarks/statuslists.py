"""Status lists at city scale: compressed size, lookup time and bundle load time.

Lists of 1 and 10 million one-bit entries with 0.1 %, 1 % and 10 % of them revoked at random
indices (as issued: each credential's index is random), compressed as published (zlib level 9,
draft-ietf-oauth-status-list). The draft's own table (its section on compression, 1 bit per
entry, random indices) is printed beside ours.
"""

from __future__ import annotations

import random
import statistics
import time
import zlib
from dataclasses import dataclass

from wallet_spec import jwk
from wallet_spec.bundle import load_bundle, sign_bundle
from wallet_spec.keylist import KeyList, ListedKey, sign_key_list, signing_kid
from wallet_spec.statuslist import MAX_LIST_BYTES, StatusList, sign_token

DRAFT_KB = {(1_000_000, 0.01): 13.7}
"""The draft's own figure (compressed size of one 1-bit list of 1 million entries, 1 % revoked)."""

SIZES = (1_000_000, 10_000_000)
RATES = (0.001, 0.01, 0.1)
ISSUED_LIST = 131_072
"""The issuer's list size (issuer.statuslists.DEFAULT_LIST_SIZE): a city's credentials spread over
lists of this many entries, each its own signed token in the bundle."""


@dataclass(frozen=True)
class ListFigures:
    entries: int
    revoked_rate: float
    one_list_bytes: int | None
    """Compressed size of one list holding every entry; None when it exceeds MAX_LIST_BYTES (refused)."""
    lookup_ns: float
    """Median nanoseconds of one `StatusList.get` (a verifier's status check) on a list as held after loading."""
    lists: int
    issued_bytes: int
    """Compressed size of all the issuer's lists together."""
    bundle_chars: int
    load_ms: float
    """Median milliseconds of `load_bundle` for the bundle with all the issuer's lists (each verified, inflated)."""


def _lists(size: int, rate: float, rng: random.Random, list_size: int) -> list[StatusList]:
    count = -(-size // list_size)
    lists = [StatusList.new(list_size) for _ in range(count)]
    for index in rng.sample(range(size), int(size * rate)):
        lists[index // list_size].set(index % list_size, 1)
    return lists


def _compressed(status: StatusList) -> int:
    return len(zlib.compress(bytes(status.data), 9))


def measure(size: int, rate: float, *, lookups: int = 20_000, loads: int = 3, seed: int = 7) -> ListFigures:
    """Figures for `size` credentials with `rate` of them revoked at random indices."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    whole = _lists(size, rate, random.Random(seed), -(-size // 8) * 8)[0]  # noqa: S311
    one_list = _compressed(whole) if len(whole.data) <= MAX_LIST_BYTES else None
    held = StatusList(whole.bits, bytearray(whole.data))
    indices = [rng.randrange(size) for _ in range(lookups)]
    get = held.get
    start = time.perf_counter()
    for index in indices:
        get(index)
    lookup_ns = (time.perf_counter() - start) / lookups * 1e9

    issued = _lists(size, rate, random.Random(seed), ISSUED_LIST)  # noqa: S311
    now = int(time.time())
    issuer, root = jwk.generate_private_key(), jwk.generate_private_key()
    kid = signing_kid(issuer)
    key_list = sign_key_list(
        KeyList("https://id.example", now, now + 86_400, (ListedKey(kid, jwk.public_jwk(issuer), 0),)), root
    )
    tokens = [
        sign_token(status, uri=f"https://id.example/statuslists/{i}", key=issuer, kid=kid, iat=now,
                   exp=now + 86_400, ttl=3600)
        for i, status in enumerate(issued)
    ]
    bundle = sign_bundle(key_list_token=key_list, status_list_tokens=tokens, issuer="https://id.example",
                         issued_at=now, next_update=now + 86_400, signing_key=issuer, kid=kid)
    pinned = jwk.thumbprint(root)
    times = []
    for _ in range(loads):
        start = time.perf_counter()
        loaded = load_bundle(bundle, pinned, now=now)
        times.append(time.perf_counter() - start)
    assert len(loaded.status_lists) == len(issued)
    return ListFigures(size, rate, one_list, lookup_ns, len(issued), sum(_compressed(s) for s in issued),
                       len(bundle), statistics.median(times) * 1e3)
