"""Interleaved timing: every candidate and the floor in the same loop, so a busy machine slows all alike.

One round times a batch of calls of each candidate in turn (the order rotates from round to
round); a candidate's ratio in that round is its time per call over the floor's in the same round,
and the figure reported is the median over all rounds. Absolute microseconds are medians too, but
only the ratios are compared with targets: on a shared machine they are what stays put.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

FLOOR = "floor"


@dataclass(frozen=True, slots=True)
class Timed:
    name: str
    micros: float
    """Median microseconds per call over the rounds."""
    ratio: float
    """Median over the rounds of (this candidate's time per call / the floor's in the same round)."""
    calls: int
    rounds: tuple[float, ...]
    """Seconds per call in each round, in round order: any two candidates compare round by round."""

    def over(self, other: Timed) -> float:
        """Median over the rounds of this candidate's time over `other`'s (e.g. the peer over ours)."""
        return statistics.median(a / b for a, b in zip(self.rounds, other.rounds, strict=True))


def _per_call(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def _batch_size(fn: Callable[[], object], target_seconds: float) -> int:
    fn()  # warm up (imports, caches)
    once = max(min(_per_call(fn, 1) for _ in range(7)), 1e-7)  # the least disturbed of a few calls
    return max(1, int(target_seconds / once))


def interleaved(
    candidates: Mapping[str, Callable[[], object]],
    *,
    floors: Mapping[str, str] | None = None,
    rounds: int = 30,
    batch_seconds: float = 0.01,
) -> dict[str, Timed]:
    """Time every candidate in one loop of `rounds` rounds; each one's ratio is over its floor.

    A candidate's floor is `floors[name]` when given, else `candidates[FLOOR]`.
    """
    floors = dict(floors or {})
    names = list(candidates)
    for name in names:
        if floors.setdefault(name, FLOOR) not in candidates:
            raise ValueError(f"the floor of {name!r} is not among the candidates")
    sizes = {name: _batch_size(fn, batch_seconds) for name, fn in candidates.items()}
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            seconds[name].append(_per_call(candidates[name], sizes[name]))
    return {
        name: Timed(
            name,
            statistics.median(seconds[name]) * 1e6,
            statistics.median(a / b for a, b in zip(seconds[name], seconds[floors[name]], strict=True)),
            sizes[name] * rounds,
            tuple(seconds[name]),
        )
        for name in names
    }


def load_average() -> str:
    """The machine's 1-minute load average and core count, to print beside the figures."""
    try:
        one, _, _ = os.getloadavg()
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"
    return f"{one:.1f} on {os.cpu_count()} cores"
