"""Two gates, two processes, one Redis: a code accepted at one gate is `replayed` at the other.

Each gate is its own Python process running `verifier.verify` in one-way mode
with `open_replay_cache("redis://…?prefix=…")`; the prefix is random per test and
every key under it is deleted afterwards. Skipped when no Redis answers on
127.0.0.1:6379.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.verifier.springfield import T0, City, Holder
from verifier import Policy, verify
from verifier.replay import RedisReplayCache, ReplayCache, open_replay_cache
from wallet_spec.errors import VerificationFailed
from wallet_spec.profile import Resident

REDIS = "redis://127.0.0.1:6379/0"
GATE_AUD = "https://gates.springfield.example"
ROOT = Path(__file__).resolve().parents[2]
GATE = """
import json, sys
from verifier import Policy, verify
from verifier.replay import open_replay_cache
from wallet_spec.bundle import load_bundle
from wallet_spec.errors import VerificationFailed
url, bundle_file, root, now = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = sys.stdin.read()
bundle = load_bundle(open(bundle_file).read(), root, now=now)
policy = Policy(required=(("resident_of",),), aud=sys.argv[5], one_way=True, kb_max_age=60)
with open_replay_cache(url) as cache:
    try:
        verify(text, bundle, policy, now=now, replay=cache)
        print(json.dumps(["accepted"]))
    except VerificationFailed as exc:
        print(json.dumps(exc.codes))
"""


@pytest.fixture
def redis_url() -> Iterator[str]:
    server = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"citykey-test:{secrets.token_hex(8)}:"
    yield f"{REDIS}?prefix={prefix}"
    for key in server.scan_iter(match=prefix + "*"):
        server.delete(key)
    assert list(server.scan_iter(match=prefix + "*")) == []
    server.close()


@pytest.fixture
def holder(city: City, erika: Resident) -> Holder:
    return city.enrol(erika, now=T0)


def _gates(url: str, bundle_file: Path, root: str, text: str, now: int, count: int) -> list[list[str]]:
    """Start `count` gate processes at once, each scanning `text`; their outcomes in start order."""
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", GATE, url, str(bundle_file), root, str(now), GATE_AUD],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        for _ in range(count)
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(text, timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(json.loads(out))
    return outcomes


def test_a_code_accepted_at_one_gate_is_replayed_at_the_other(
    tmp_path: Path, city: City, holder: Holder, redis_url: str
) -> None:
    now = T0 + 10
    bundle_file = tmp_path / "bundle.jwt"
    bundle_file.write_text(city.bundle_text(now=T0))
    root = city.store.root_thumbprint
    text = holder.present(now=now, paths=[("resident_of",)], nonce="gate-own-nonce-1", aud=GATE_AUD)
    (first,) = _gates(redis_url, bundle_file, root, text, now, 1)
    assert first == ["accepted"]
    (second,) = _gates(redis_url, bundle_file, root, text, now + 2, 1)
    assert second == ["replayed"]
    fresh = holder.present(now=now, paths=[("resident_of",)], nonce="gate-own-nonce-2", aud=GATE_AUD)
    together = _gates(redis_url, bundle_file, root, fresh, now + 3, 2)  # two gates scan one code at once
    assert sorted(map(tuple, together)) == [("accepted",), ("replayed",)]


def test_urls_choose_the_backend_and_keys_expire_with_the_window(
    tmp_path: Path, city: City, holder: Holder, redis_url: str
) -> None:
    with open_replay_cache(tmp_path / "gate.db") as local:
        assert type(local) is ReplayCache
    with open_replay_cache(redis_url) as shared:
        assert isinstance(shared, RedisReplayCache)
        assert shared.prefix.startswith("citykey-test:")
        text = holder.present(now=T0, paths=[("resident_of",)], nonce="gate-own-nonce-3", aud=GATE_AUD)
        policy = Policy(required=(("resident_of",),), aud=GATE_AUD, one_way=True, kb_max_age=60)
        verify(text, city.bundle(now=T0), policy, now=T0, replay=shared)
        assert len(shared) == 1
        (name,) = shared._redis.scan_iter(match=shared.prefix + "*")
        assert 60 <= shared._redis.ttl(name) <= 60 + 60 + 1  # window + leeway, then Redis forgets it
        assert shared._redis.get(name) == b"1"  # a hash as the key, nothing about the holder as the value
        with pytest.raises(VerificationFailed):
            verify(text, city.bundle(now=T0), policy, now=T0 + 1, replay=shared)
