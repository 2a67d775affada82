"""Durable, private file operations: atomic replace, deletion, the store's lock.

Every write goes to a temporary file in the same directory, is fsynced, then
renamed over the target, and the directory is fsynced, so a crash leaves
either the old file or the new one, never a torn one. Files are created 0600
and the directory is 0700 whatever the umask.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
LOCK_NAME = ".lock"


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Replace `path` with `data` all at once; the temporary file is removed if anything fails."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def remove(path: Path) -> None:
    """Delete a file if present and make the deletion durable."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        fsync_dir(path.parent)


def make_private_dir(directory: Path) -> None:
    """Create the directory (and parents) if needed; the store's own directory is always 0700."""
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(directory, DIR_MODE)


@contextlib.contextmanager
def exclusive_lock(directory: Path) -> Iterator[None]:
    """Hold `flock(LOCK_EX)` on the store's lock file; blocks until another holder is done."""
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
