"""Everything the issuer has persisted, listed for a city's lawyers and for the privacy tests.

The list is read from disk and database each time, never from what the code
believes it wrote, so a stray file or table shows up here too.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, table

from keys import KeyStore
from keys.store import KEY_LIST_FILE, METADATA_NAME


@dataclass(frozen=True, slots=True)
class StoredFile:
    name: str
    size: int
    mode: str
    holds: str


@dataclass(frozen=True, slots=True)
class StoredTable:
    name: str
    columns: tuple[str, ...]
    rows: int


def _describe(name: str, store: KeyStore) -> str:
    kid = name.removesuffix(".pem")
    if name == METADATA_NAME:
        return "public key metadata: states, validity windows, public keys"
    if name == KEY_LIST_FILE:
        return "the root-signed list of public signing keys (published)"
    if name == ".lock":
        return "empty lock file"
    if kid == store.root_thumbprint:
        return "root private key, encrypted (keep offline)"
    if kid == store.receipt_mac_id:
        return "receipt MAC key, encrypted"
    record = next((r for r in store.records() if r.kid == kid), None) if name.endswith(".pem") else None
    if record is not None:  # a .pem no key is named after is as unexpected as any other stray file
        return f"signing private key, encrypted ({record.state})"
    return "UNEXPECTED FILE"


def key_store_files(store: KeyStore) -> list[StoredFile]:
    found = []
    for path in sorted(store.directory.iterdir()):
        info = path.stat()
        found.append(StoredFile(path.name, info.st_size, stat.filemode(info.st_mode), _describe(path.name, store)))
    return found


def database_tables(engine: Engine) -> list[StoredTable]:
    found = []
    inspector = inspect(engine)
    with engine.connect() as conn:
        for name in sorted(inspector.get_table_names()):
            columns = tuple(c["name"] for c in inspector.get_columns(name))
            rows = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            found.append(StoredTable(name, columns, int(rows)))
    return found


def database_files(url_path: Path) -> list[StoredFile]:
    """SQLite's files beside the database (the database, its WAL and shared memory)."""
    return [
        StoredFile(p.name, p.stat().st_size, stat.filemode(p.stat().st_mode), "issuer database (SQLite)")
        for p in sorted(url_path.parent.glob(url_path.name + "*"))
    ]


def other_files(directory: Path, known: set[Path]) -> list[StoredFile]:
    """Everything else at the top of the data directory: the issuer keeps nothing there but its
    database and key store, so whatever else is found (an export, a log, a dump) is unexpected."""
    if not directory.is_dir():
        return []
    found = []
    known = {k.resolve() for k in known}
    for path in sorted(directory.iterdir()):
        if path.resolve() in known:
            continue
        info = path.lstat()
        kind = "UNEXPECTED DIRECTORY" if stat.S_ISDIR(info.st_mode) else "UNEXPECTED FILE"
        found.append(StoredFile(path.name, info.st_size, stat.filemode(info.st_mode), kind))
    return found
