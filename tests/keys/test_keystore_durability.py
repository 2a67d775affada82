"""Crashes and concurrency: every change is atomic and serialised by the store's lock."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citykey_io import files
from keys import KeyStore
from keys.store import METADATA_NAME
from wallet_spec.errors import KeyStoreError

DAY = 86_400
LIFETIME = 365 * DAY


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


@contextlib.contextmanager
def crash_on(name: str) -> Iterator[None]:
    """Make the rename onto `name` fail, as a crash between writing and committing would."""
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name == name or (name == "*.pem" and str(dst).endswith(".pem")):
            raise OSError(28, "No space left on device")
        real(src, dst)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", replace)
        yield


def test_a_crash_while_writing_metadata_leaves_the_previous_metadata_intact(
    store: KeyStore, store_dir: Path, passphrase: bytes, now: int
) -> None:
    before = (store_dir / METADATA_NAME).read_bytes()
    files_before = sorted(p.name for p in store_dir.iterdir())
    active = store.active().kid
    with crash_on(METADATA_NAME), pytest.raises(KeyStoreError, match="No space left"):
        store.rotate(passphrase, now=now, max_credential_lifetime=LIFETIME)
    assert (store_dir / METADATA_NAME).read_bytes() == before
    assert sorted(p.name for p in store_dir.iterdir()) == files_before  # the new key file was removed too
    reopened = KeyStore.open(store_dir)
    assert reopened.active().kid == active
    assert len(reopened.records()) == 1
    assert reopened.active_signing_key(passphrase)[0] == active
    new = reopened.rotate(passphrase, now=now, max_credential_lifetime=LIFETIME)  # and it still works
    assert reopened.record(active).state == "retiring"
    assert reopened.active().kid == new.kid


def test_a_failed_revocation_leaves_no_replacement_key_behind(
    store: KeyStore, store_dir: Path, passphrase: bytes, now: int
) -> None:
    before = sorted(p.name for p in store_dir.iterdir()), (store_dir / METADATA_NAME).read_bytes()
    with crash_on(METADATA_NAME), pytest.raises(KeyStoreError):
        store.revoke(store.active().kid, reason="compromised", now=now, passphrase=passphrase)
    assert (sorted(p.name for p in store_dir.iterdir()), (store_dir / METADATA_NAME).read_bytes()) == before


def test_a_crash_while_writing_a_key_file_changes_nothing(
    store: KeyStore, store_dir: Path, passphrase: bytes, now: int
) -> None:
    before = sorted(p.name for p in store_dir.iterdir()), (store_dir / METADATA_NAME).read_bytes()
    with crash_on("*.pem"), pytest.raises(KeyStoreError):
        store.revoke(store.active().kid, reason="compromised", now=now, passphrase=passphrase)
    assert (sorted(p.name for p in store_dir.iterdir()), (store_dir / METADATA_NAME).read_bytes()) == before


def test_an_interrupted_init_leaves_an_empty_directory_and_can_be_run_again(
    store_dir: Path, issuer_id: str, passphrase: bytes, now: int
) -> None:
    with crash_on(METADATA_NAME), pytest.raises(KeyStoreError):
        KeyStore.init(store_dir, issuer_id, passphrase, now=now)
    assert [p.name for p in store_dir.iterdir()] == [".lock"]
    assert KeyStore.init(store_dir, issuer_id, passphrase, now=now).active()


def test_a_key_file_left_behind_by_a_crash_is_deleted_on_the_next_change(
    store: KeyStore, store_dir: Path, passphrase: bytes, now: int
) -> None:
    old = store.active().kid
    saved = (store_dir / f"{old}.pem").read_bytes()
    store.rotate(passphrase, now=now, max_credential_lifetime=DAY)
    store.refresh(now + DAY)
    (store_dir / f"{old}.pem").write_bytes(saved)  # as if the crash came between commit and delete
    assert store.refresh(now + DAY + 1) == ()
    assert not (store_dir / f"{old}.pem").exists()


def test_a_writer_waits_for_the_lock(store: KeyStore, store_dir: Path, passphrase: bytes, now: int) -> None:
    done = threading.Event()

    def rotate() -> None:
        KeyStore.open(store_dir).rotate(passphrase, now=now, max_credential_lifetime=LIFETIME)
        done.set()

    with files.exclusive_lock(store_dir):
        worker = threading.Thread(target=rotate)
        worker.start()
        assert not done.wait(0.3)
    worker.join(10)
    assert done.is_set()
    assert len(KeyStore.open(store_dir).records()) == 2


def _rotate_many(directory: str, passphrase: bytes, now: int, start: Any, times: int) -> None:
    store = KeyStore.open(directory)  # opened before the other process changes anything: a stale view
    start.wait()
    for _ in range(times):  # one clock for both: the processes' rotations interleave in any order
        store.rotate(passphrase, now=now, max_credential_lifetime=LIFETIME)


def test_concurrent_rotations_from_two_processes_leave_one_active_key(
    store: KeyStore, store_dir: Path, passphrase: bytes, now: int
) -> None:
    ctx = multiprocessing.get_context("fork")  # children inherit the test's cheap KDF setting
    start = ctx.Event()
    times = 6
    workers = [ctx.Process(target=_rotate_many, args=(str(store_dir), passphrase, now, start, times))
               for _ in range(2)]
    for w in workers:
        w.start()
    time.sleep(0.1)
    start.set()
    for w in workers:
        w.join(30)
    assert [w.exitcode for w in workers] == [0, 0]
    final = KeyStore.open(store_dir)
    records = final.records()
    assert len(records) == 1 + 2 * times
    assert len({k.kid for k in records}) == len(records)
    assert [k.state for k in records].count("active") == 1
    assert [k.state for k in records] == ["retiring"] * 2 * times + ["active"]
    for k in records:
        assert (store_dir / f"{k.kid}.pem").exists()
    assert final.active_signing_key(passphrase)[0] == records[-1].kid
    assert len(final.signed_key_list(passphrase, now=now).split(".")) == 3
    assert leftovers(store_dir) == []


def test_refresh_with_nothing_due_does_not_wait_for_the_lock(store: KeyStore, store_dir: Path, now: int) -> None:
    with files.exclusive_lock(store_dir):
        assert store.refresh(now + 10 * 365 * DAY) == ()  # would block forever if it took the lock
