"""One scanner's decisions: a presentation in, yes or no out, in words a librarian or bus driver reads.

A `Gate` holds what a kiosk needs between scans and nothing about anyone:
its identity (`aud`), its service policy, the trust bundle (re-read when
`sync` replaces the file), the replay cache, the nonces of the challenges it
is showing (in memory, until used or expired), and the day's counts per
outcome. `decide(text, now=...)` returns a `Decision` whose claims exist only
in memory, for the page to show until the next scan or a timeout.

Which rules apply is decided by the presentation's form, never by its content's say-so:

* with a KB-JWT: this verifier's `aud`, and in challenge mode a nonce this gate
  showed and has not yet seen answered; in one-way mode, the replay cache;
* without one (a paper card): only under a policy with `paper = true`, and the
  decision says so, so staff compare a photo ID.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citykey_io.files import atomic_write
from verifier.decision import Decision, shown
from verifier.policies import ServicePolicy
from verifier.replay import ReplayCache
from verifier.sync import (
    BUNDLE_FILE,
    REPLAY_FILE,
    Freshness,
    Identity,
    held_bundle,
    read_sync_state,
)
from verifier.verify import verify
from wallet_spec import jws, qr
from wallet_spec.bundle import TrustBundle
from wallet_spec.errors import BundleStale, CitykeyError, VerificationFailed
from wallet_spec.jwk import PrivateKey
from wallet_spec.request import DEFAULT_TTL, encode_request, make_request, sign_request
from wallet_spec.sdjwt import SdJwt

log = logging.getLogger("citykey.verifier")

COUNTS_FILE = "counts.json"
MAX_OPEN_CHALLENGES = 8
"""Challenges shown and not yet answered that still count (a kiosk refreshes its QR every DEFAULT_TTL)."""
SAME_CODE_QUIET_S = 15
"""A camera frame showing the code just decided is ignored for this long (the phone is still in view)."""


@dataclass
class Counts:
    """Decisions per outcome per day (UTC), the only record a gate keeps of its work; flushed now and then."""

    path: Path
    days: dict[str, dict[str, int]] = field(default_factory=dict)
    dirty: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, path: Path) -> Counts:
        from wallet_spec.encoding import json_loads

        try:
            days = json_loads(path.read_bytes(), what=COUNTS_FILE)
        except (OSError, CitykeyError):
            days = {}
        ok = isinstance(days, dict) and all(isinstance(v, dict) for v in days.values())
        return cls(path, days if ok else {})

    def add(self, outcome: str, *, now: int) -> None:
        day = dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()
        with self.lock:
            bucket = self.days.setdefault(day, {})
            bucket[outcome] = bucket.get(outcome, 0) + 1
            self.dirty = True

    def flush(self) -> None:
        from wallet_spec.encoding import json_dumps

        with self.lock:
            if not self.dirty:
                return
            data = (json_dumps(self.days) + "\n").encode("utf-8")
            self.dirty = False
        atomic_write(self.path, data)


class Gate:
    """A scanner's state between scans; thread-safe (the page's requests come on a thread pool)."""

    def __init__(
        self,
        directory: Path,
        policy: ServicePolicy,
        identity: Identity,
        *,
        replay: ReplayCache | None = None,
        signing_key: PrivateKey | None = None,
    ) -> None:
        self.directory = directory
        self.policy = policy
        self.identity = identity
        self.replay = replay if replay is not None else ReplayCache(directory / REPLAY_FILE)
        self.signing_key = signing_key
        self.counts = Counts.open(directory / COUNTS_FILE)
        self._lock = threading.Lock()
        self._bundle: TrustBundle | None = None
        self._bundle_stamp: tuple[int, int] | None = None
        self._challenges: dict[str, int] = {}
        self._last_frame: tuple[bytes, float] | None = None

    # --- the trust bundle --------------------------------------------------------------

    def bundle(self, *, now: int) -> TrustBundle | None:
        """The held bundle, re-read and re-verified only when `sync` has replaced the file."""
        try:
            stat = os.stat(self.directory / BUNDLE_FILE)
            stamp = (stat.st_mtime_ns, stat.st_ino)
        except OSError:
            return None
        with self._lock:
            if stamp != self._bundle_stamp:
                self._bundle, self._bundle_stamp = held_bundle(self.directory, now=now), stamp
            return self._bundle

    def status(self, *, now: int) -> dict[str, Any]:
        """Freshness and network state for the page's banners: no personal data."""
        bundle = self.bundle(now=now)
        sync_state = read_sync_state(self.directory)
        fresh = Freshness.of(bundle, now=now) if bundle is not None else None
        return {
            "bundle": None if fresh is None else {
                "age": fresh.age,
                "issued_at": fresh.issued_at,
                "stale": fresh.age > self.policy.warn_bundle_age or fresh.due,
                "too_old": fresh.age > self.policy.max_bundle_age,
            },
            "offline": sync_state.get("error") == "sync_failed",
            "checked_at": sync_state.get("checked_at"),
        }

    # --- challenges ----------------------------------------------------------------------

    def signs_challenges(self, *, now: int) -> bool:
        """Sign only with a key the city lists for this `aud`: wallets refuse a signature they cannot place."""
        bundle = self.bundle(now=now)
        if self.signing_key is None or bundle is None:
            return False
        return any(v.kid == self.identity.kid and v.aud == self.identity.aud for v in bundle.verifiers)

    def new_challenge(self, *, now: int) -> tuple[str, int]:
        """A fresh request (`CKQ1:` text) and its expiry; its nonce is good for one answer."""
        request = make_request(aud=self.identity.aud, claims=self.policy.claims, name=self.identity.name,
                               now=now, ttl=DEFAULT_TTL)
        signed = self.signs_challenges(now=now)
        text = encode_request(sign_request(request, self.signing_key) if signed and self.signing_key else request)
        with self._lock:
            self._challenges = {n: exp for n, exp in self._challenges.items() if exp > now}
            while len(self._challenges) >= MAX_OPEN_CHALLENGES:
                self._challenges.pop(next(iter(self._challenges)))
            self._challenges[request.nonce] = request.exp
        return text, request.exp

    def _take_nonce(self, sd_jwt: SdJwt, *, now: int) -> str | None:
        """The nonce the KB-JWT names, if it is one of ours and open; it is used up by this scan."""
        try:
            nonce = jws.parse(sd_jwt.kb_jwt or "", what="KB-JWT").payload.get("nonce")
        except CitykeyError:
            return None
        with self._lock:
            exp = self._challenges.pop(nonce, None) if isinstance(nonce, str) else None
        return nonce if exp is not None and exp > now else None

    # --- deciding ------------------------------------------------------------------------

    def seen_frame(self, text: str, *, clock: float | None = None) -> bool:
        """Whether a camera frame shows the code decided a moment ago (then the page keeps its result)."""
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        at = time.monotonic() if clock is None else clock
        with self._lock:
            last = self._last_frame
            self._last_frame = (digest, at)
        return last is not None and last[0] == digest and at - last[1] < SAME_CODE_QUIET_S

    def decide(self, text: str, *, now: int) -> Decision:
        decision = self._decide(text.strip(), now=now)
        self.counts.add(decision.outcome, now=now)
        log.info("decision %s %s", decision.outcome, ",".join(decision.codes))
        return decision

    def _decide(self, text: str, *, now: int) -> Decision:
        bundle = self.bundle(now=now)
        if bundle is None:
            return Decision(False, (BundleStale.code,))
        try:
            compact = qr.decode(text)
            sd_jwt = SdJwt.parse(compact)
            paper = sd_jwt.kb_jwt is None and self.policy.paper
            if paper:
                rules = self.policy.paper_card(aud=self.identity.aud)
            else:
                nonce = self._take_nonce(sd_jwt, now=now) if self.policy.mode == "challenge" else None
                if self.policy.mode == "challenge" and nonce is None:
                    nonce = "not-a-challenge-of-this-gate"  # refused below with nonce_mismatch (or kb_missing)
                rules = self.policy.key_bound(aud=self.identity.aud, nonce=nonce)
            accepted = verify(compact, bundle, rules, now=now, replay=None if paper else self.replay)
        except VerificationFailed as exc:
            return Decision(False, tuple(dict.fromkeys(exc.codes)))
        except CitykeyError as exc:
            return Decision(False, (exc.code,))
        unmet = self.policy.unmet(accepted.claims)
        if unmet:
            return Decision(False, tuple(dict.fromkeys(e.code for e in unmet)))
        warnings = tuple(w.split(":", 1)[0] for w in accepted.warnings)
        return Decision(True, (), shown(accepted, self.policy.claims), paper, warnings)

    def close(self) -> None:
        self.counts.flush()
        self.replay.close()

