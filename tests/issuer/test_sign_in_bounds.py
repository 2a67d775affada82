"""Sign-in cannot be turned into a memory or password-guessing amplifier (security issue 4).

argon2id holds 64 MiB per hash. A real `citykey issuer serve` (production argon2 parameters)
answers 64 concurrent sign-ins from 64 loopback addresses with unknown names: the number of
hashes running at once is bounded by the machine's cores, so the server's peak memory grows by
a few hashes' worth, not 64. (The per-address and per-name throttles are tested at the desk.)
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from issuer.clerks import HASH_SLOTS
from keys import KeyStore
from tests.issuer.test_durability import ISSUER, PASSPHRASE, serving

ARGON2_MIB = 64
ATTEMPTS = 64


def _csrf(client: httpx.Client, base: str) -> str:
    page = client.get(f"{base}/desk/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match[1]


def _sign_in(base: str, index: int) -> int:
    """One sign-in with an unknown name from its own loopback address (127.0.1.x): no throttle applies."""
    transport = httpx.HTTPTransport(local_address=f"127.0.1.{index + 1}")
    with httpx.Client(transport=transport, timeout=120, follow_redirects=False) as client:
        token = _csrf(client, base)
        response = client.post(
            f"{base}/desk/login",
            data={"name": f"nobody{index}", "password": "x" * 16, "csrf": token},
            headers={"origin": base},
        )
        return response.status_code


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def test_64_concurrent_sign_ins_keep_memory_bounded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    KeyStore.init(data / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYKEY_")}
    env.update(CITYKEY_DATA_DIR=str(data), CITYKEY_KEY_PASSPHRASE=PASSPHRASE, CITYKEY_SESSION_SECRET="s" * 32)
    with serving(env, tmp_path / "server.log") as (proc, base):
        assert _sign_in(base, 250) == 401  # warm: one argon2 hash has run, its memory counted
        before = _peak_rss_mib(proc.pid)
        with ThreadPoolExecutor(ATTEMPTS) as pool:
            statuses = list(pool.map(lambda i: _sign_in(base, i), range(ATTEMPTS)))
        after = _peak_rss_mib(proc.pid)
    assert statuses == [401] * ATTEMPTS  # every attempt answered, none throttled, none failed
    growth = after - before
    bound = (HASH_SLOTS + 2) * ARGON2_MIB  # the hashes allowed at once, plus one hash's worth of slack
    print(f"\npeak RSS {before:.0f} MiB -> {after:.0f} MiB (+{growth:.0f}) for {ATTEMPTS} concurrent sign-ins")
    assert growth < bound, f"memory grew by {growth:.0f} MiB, over {bound} MiB: argon2 work is not bounded"
