"""Status index allocation: random, never repeated, also when many allocators race."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from issuer.db import create_schema, make_engine, metadata, status_lists
from issuer.statuslists import StatusRef, StatusRegistry, _free_positions, _sample
from wallet_spec.errors import UsageError

Registry = Callable[..., StatusRegistry]
BASE_URI = "https://city.example/status"


def allocated_bits(engine: Engine) -> dict[int, set[int]]:
    """What the database says is allocated, per list id."""
    with engine.connect() as conn:
        rows = conn.execute(select(status_lists.c.list_id, status_lists.c.allocated)).all()
    return {
        row.list_id: {i for i in range(len(row.allocated) * 8) if row.allocated[i >> 3] >> (i & 7) & 1} for row in rows
    }


def assert_consistent(engine: Engine, refs: list[StatusRef], list_size: int) -> None:
    """Every ref distinct, and the allocation bitmaps hold exactly the refs handed out."""
    assert len(set(refs)) == len(refs)
    by_list: dict[int, set[int]] = {}
    for ref in refs:
        by_list.setdefault(int(ref.uri.rsplit("/", 1)[1]), set()).add(ref.idx)
    assert allocated_bits(engine) == {k: by_list.get(k, set()) for k in allocated_bits(engine)}
    with engine.connect() as conn:
        for row in conn.execute(select(status_lists)):
            assert row.unallocated == list_size - len(by_list.get(row.list_id, ()))
    # A new list is opened only when the open ones cannot hold a request.
    assert len(by_list) <= -(-len(refs) // list_size) + 1


def test_allocating_a_whole_list_hands_out_each_index_once_then_opens_a_second_list(
    make_registry: Registry,
) -> None:
    registry = make_registry(list_size=64)
    refs = [ref for _ in range(8) for ref in registry.allocate(8)]
    assert {ref.uri for ref in refs} == {f"{BASE_URI}/1"}
    assert sorted(ref.idx for ref in refs) == list(range(64))

    (next_ref,) = registry.allocate(1)
    assert next_ref.uri == f"{BASE_URI}/2"
    assert [uri for uri, _ in registry.lists()] == [f"{BASE_URI}/1", f"{BASE_URI}/2"]


def test_a_request_larger_than_the_free_room_spans_lists(make_registry: Registry, engine: Engine) -> None:
    registry = make_registry(list_size=64)
    refs = registry.allocate(60) + registry.allocate(100)
    assert Counter(ref.uri for ref in refs).keys() <= {f"{BASE_URI}/{i}" for i in (1, 2, 3)}
    assert_consistent(engine, refs, 64)


def test_lists_are_created_full_size_and_all_valid(make_registry: Registry) -> None:
    registry = make_registry(list_size=1024)
    registry.allocate(3)
    [(uri, status_list)] = registry.lists()
    assert uri == f"{BASE_URI}/1"
    assert status_list.bits == 1
    assert status_list.size == 1024
    assert not any(status_list.data)


def test_indices_are_spread_at_random_not_handed_out_in_order(make_registry: Registry) -> None:
    registry = make_registry(list_size=131_072)
    refs = registry.allocate(32)
    indices = [ref.idx for ref in refs]
    assert indices != sorted(indices)
    assert max(indices) - min(indices) > 131_072 // 4


def test_a_small_list_taken_one_index_at_a_time_comes_out_shuffled(make_registry: Registry) -> None:
    small = make_registry(list_size=64)
    one_by_one = [small.allocate(1)[0].idx for _ in range(64)]
    assert sorted(one_by_one) == list(range(64))
    assert one_by_one != list(range(64))


def test_indices_are_roughly_uniform_over_the_list(make_registry: Registry) -> None:
    registry = make_registry(list_size=131_072)
    refs = registry.allocate(2048)
    buckets = Counter(ref.idx * 16 // 131_072 for ref in refs)
    # 128 expected per bucket, standard deviation ~11: 64..192 fails with probability < 1e-8.
    assert all(64 <= buckets[b] <= 192 for b in range(16)), buckets


def test_allocation_from_a_large_list_is_fast(make_registry: Registry) -> None:
    registry = make_registry(list_size=131_072)
    start = time.perf_counter()
    for _ in range(50):
        registry.allocate(20)
    assert time.perf_counter() - start < 10


def test_zero_and_negative_requests(make_registry: Registry) -> None:
    registry = make_registry()
    assert registry.allocate(0) == []
    assert registry.lists() == []
    with pytest.raises(UsageError):
        registry.allocate(-1)
    with pytest.raises(UsageError):
        registry.allocate(True)


@pytest.mark.parametrize("size", [0, 7, 12, 9 * 1024 * 1024])
def test_list_size_must_be_whole_bytes_and_within_the_format_limit(engine: Engine, size: int) -> None:
    with pytest.raises(UsageError):
        StatusRegistry(engine, BASE_URI, list_size=size)


# --- the selection helpers, against brute force ---------------------------


@given(st.binary(min_size=1, max_size=300), st.data())
def test_kth_free_entry_matches_brute_force(bitmap: bytes, data: st.DataObject) -> None:
    free = [i for i in range(len(bitmap) * 8) if not bitmap[i >> 3] >> (i & 7) & 1]
    if not free:
        return
    ranks = sorted(data.draw(st.sets(st.integers(0, len(free) - 1), min_size=1)))
    assert _free_positions(bitmap, ranks) == [free[r] for r in ranks]


def test_kth_free_entry_in_a_nearly_full_large_list() -> None:
    bitmap = bytearray(b"\xff" * 16_384)
    bitmap[9_000] = 0b1110_1111
    bitmap[16_383] = 0b0111_1111
    assert _free_positions(bytes(bitmap), [0, 1]) == [9_000 * 8 + 4, 131_071]


@given(st.integers(1, 200), st.data())
def test_sampling_gives_distinct_values_in_range(population: int, data: st.DataObject) -> None:
    n = data.draw(st.integers(0, population))
    sample = _sample(population, n)
    assert len(set(sample)) == n
    assert all(0 <= v < population for v in sample)


# --- concurrency ----------------------------------------------------------


def _allocate_in_threads(registries: list[StatusRegistry], threads: int, rounds: int, n: int) -> list[StatusRef]:
    barrier = threading.Barrier(threads)
    results: list[list[StatusRef]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                results[i].extend(registries[i % len(registries)].allocate(n))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    return [ref for result in results for ref in result]


def test_eight_threads_never_receive_the_same_index(make_registry: Registry, engine: Engine) -> None:
    refs = _allocate_in_threads([make_registry(list_size=128)], threads=8, rounds=20, n=3)
    assert len(refs) == 480
    assert_consistent(engine, refs, 128)


_WORKER = """
import json, sys
from issuer.db import make_engine
from issuer.statuslists import StatusRegistry

url, base_uri, list_size, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
engine = make_engine(url)
registry = StatusRegistry(engine, base_uri, list_size=list_size)
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
refs = [[ref.uri, ref.idx] for _ in range(rounds) for ref in registry.allocate(3)]
engine.dispose()
print(json.dumps(refs), flush=True)
"""


def test_two_processes_never_receive_the_same_index_on_sqlite(sqlite_db_url: str) -> None:
    engine = make_engine(sqlite_db_url)
    create_schema(engine)
    args = [sys.executable, "-c", _WORKER, sqlite_db_url, BASE_URI, "64", "40"]
    procs = [
        subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready"
        for p in procs:  # both are connected and waiting: release them together
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=60)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0]
    refs = [StatusRef(uri, idx) for out in outputs for uri, idx in json.loads(out)]
    assert len(refs) == 240
    assert_consistent(engine, refs, 64)
    engine.dispose()


def test_two_engines_on_one_postgresql_database_never_hand_out_the_same_index(postgresql_url: str) -> None:
    engines = [make_engine(postgresql_url) for _ in range(2)]
    try:
        metadata.drop_all(engines[0])
        create_schema(engines[0])
        create_schema(engines[1])
        registries = [StatusRegistry(e, BASE_URI, list_size=64) for e in engines]
        refs = _allocate_in_threads(registries, threads=8, rounds=20, n=3)
        assert len(refs) == 480
        assert_consistent(engines[0], refs, 64)
    finally:
        metadata.drop_all(engines[0])
        for e in engines:
            e.dispose()
