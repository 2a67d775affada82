"""What the issuer persists (`issuer.inventory`), and the privacy promise: nothing about a resident.

The inventory is read from disk and from the database, so it must show every
file and every table, including ones the code did not mean to write. The
privacy test issues 50 batches with unique, recognisable personal values,
revokes some, and then searches every byte the issuer stored, and every log
record, for each value in several encodings.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from issuer.batch import issue_batch, revoke_with_receipt
from issuer.db import create_schema, make_engine, metadata, sqlite_url
from issuer.inventory import StoredTable, database_files, database_tables, key_store_files
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle, status_base_uri
from keys import KeyStore
from wallet_spec.jwk import generate_private_key, public_jwk
from wallet_spec.profile import Address, Resident

NOW = 1_767_225_600 + 37_000
"""2026-01-01T10:16:40Z."""
DAY = 86_400
ISSUER = "https://id.springfield.example"
PASSPHRASE = b"correct horse battery staple"
PRIVATE_FILE = "-rw-------"


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE, now=NOW)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "issuer.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    db_path.parent.mkdir()
    made = make_engine(sqlite_url(db_path))
    create_schema(made)
    yield made
    made.dispose()


def holders(n: int) -> list[dict[str, str]]:
    return [public_jwk(generate_private_key()) for _ in range(n)]


# --- the inventory --------------------------------------------------------------------------------------


def test_the_inventory_lists_every_file_of_the_key_store(store: KeyStore, engine: Engine) -> None:
    registry = StatusRegistry(engine, status_base_uri(ISSUER), list_size=64)
    build_bundle(store, registry, PASSPHRASE, now=NOW)  # saves the root-signed key list
    old = store.active().kid
    new = store.rotate(PASSPHRASE, now=NOW + 3600, max_credential_lifetime=365 * DAY).kid
    (store.directory / "notes.txt").write_text("someone's notes")
    (store.directory / "copy.pem").write_bytes(store.key_file(new).read_bytes())

    listed = {f.name: f for f in key_store_files(store)}
    assert set(listed) == set(os.listdir(store.directory))
    holds = {name: f.holds for name, f in listed.items()}
    assert holds == {
        "keystore.json": "public key metadata: states, validity windows, public keys",
        "keylist.jwt": "the root-signed list of public signing keys (published)",
        ".lock": "empty lock file",
        f"{store.root_thumbprint}.pem": "root private key, encrypted (keep offline)",
        f"{store.receipt_mac_id}.pem": "receipt MAC key, encrypted",
        f"{old}.pem": "signing private key, encrypted (retiring)",
        f"{new}.pem": "signing private key, encrypted (active)",
        "notes.txt": "UNEXPECTED FILE",
        "copy.pem": "UNEXPECTED FILE",
    }
    for name, found in listed.items():
        assert found.size == (store.directory / name).stat().st_size
        if name not in ("notes.txt", "copy.pem"):
            assert found.mode == PRIVATE_FILE, name


def test_the_inventory_lists_every_table_with_its_columns(engine: Engine, db_path: Path) -> None:
    registry = StatusRegistry(engine, status_base_uri(ISSUER), list_size=8)
    registry.allocate(12)  # two lists
    declared = sorted((t.name, tuple(c.name for c in t.columns)) for t in metadata.sorted_tables)
    listed = database_tables(engine)
    assert [(t.name, t.columns) for t in listed] == declared
    assert ("status_lists", ("list_id", "status", "allocated", "unallocated")) in declared
    assert ("renewals", ("from_list", "from_idx", "to_list", "to_idx", "expires")) in declared
    assert {t.name: t.rows for t in listed}["status_lists"] == 2

    with engine.begin() as conn:  # a table the code did not declare still shows up
        conn.execute(text("CREATE TABLE audit_log (resident TEXT, at INTEGER)"))
    assert StoredTable("audit_log", ("resident", "at"), 0) in database_tables(engine)
    assert {t.name for t in database_tables(engine)} == set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
    assert names == {"audit_log", *(name for name, _ in declared)}

    files = [f.name for f in database_files(db_path)]
    assert files[0] == "issuer.db"
    assert set(files) <= {"issuer.db", "issuer.db-wal", "issuer.db-shm"}
    assert "issuer.db-wal" in files  # WAL mode, and the engine is still open


# --- privacy ----------------------------------------------------------------------------------------------


def _personal_values(rng: random.Random, n: int) -> list[tuple[Resident, list[str]]]:
    """`n` residents whose every attribute is unique and recognisable, with the values to search for."""
    made, birthdates = [], set()
    while len(birthdates) < n:
        birthdates.add(dt.date.fromordinal(rng.randrange(dt.date(1920, 1, 1).toordinal(),
                                                          dt.date(2008, 1, 1).toordinal())))
    for i, birthdate in enumerate(sorted(birthdates, key=lambda _: rng.random())):
        tag = f"{i:02d}{rng.getrandbits(40):010x}"
        resident = Resident(
            given_name=f"Zq7given_{tag}",
            family_name=f"Zq7family_{tag}",
            birthdate=birthdate,
            resident_of="Springfield",
            address=Address(street_address=f"{rng.randrange(1, 999)} Zq7street_{tag} Avenue",
                            locality=f"Zq7town_{tag}", postal_code=f"Zq7zip{tag}"),
            extra={"library_card": f"Zq7card_{tag}", "preferred_name": f"Zq7nick_{tag}"},
        )
        values = [resident.given_name, resident.family_name, birthdate.isoformat(),
                  str(resident.address.street_address), str(resident.address.locality),
                  str(resident.address.postal_code), *map(str, resident.extra.values())]
        made.append((resident, values))
    return made


def _base64_forms(raw: bytes) -> set[bytes]:
    """The characters of base64 and base64url that depend on `raw` alone, at each of the 3 alignments."""
    found = set()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw)
            start, end = -(-8 * shift // 6), 8 * (shift + len(raw)) // 6
            found.add(encoded[start:end])
    return found


def _forms(value: str) -> set[bytes]:
    raw = value.encode("utf-8")
    return {raw, value.encode("utf-16-le"), value.encode("utf-16-be"), *_base64_forms(raw)}


def _stored_bytes(roots: Iterable[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for root in roots for p in sorted(root.rglob("*")) if p.is_file()}


def _hits(blobs: dict[Path, bytes], needles: dict[bytes, str]) -> list[tuple[str, str]]:
    return [(path.name, value) for path, blob in blobs.items() for needle, value in needles.items() if needle in blob]


def test_nothing_personal_is_stored_or_logged_after_50_batches(
    store: KeyStore, engine: Engine, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    rng = random.Random(20260101)  # a fixed seed: a failure can be replayed
    registry = StatusRegistry(engine, status_base_uri(ISSUER))  # production-size lists
    residents = _personal_values(rng, 50)
    issued = []
    signing_keys = SigningKeys.open(store, PASSPHRASE)
    for i, (resident, _) in enumerate(residents):
        if i == 25:
            store.rotate(PASSPHRASE, now=NOW + 3600, max_credential_lifetime=365 * DAY)
            signing_keys = SigningKeys.open(store, PASSPHRASE)
        batch = issue_batch(resident, holders(rng.randint(1, 4)), registry=registry,
                            keys=signing_keys, now=NOW + 3600 * (i >= 25))
        issued.append(batch)
        if i % 3 == 0:
            revoke_with_receipt(batch.receipt, keys=signing_keys, registry=registry)
        if i % 10 == 9:
            build_bundle(store, registry, PASSPHRASE, now=NOW + 3600 * (i >= 25))

    needles = {form: value for _, values in residents for value in values for form in _forms(value)}
    # The search can see them: each value is in its credentials, base64url-encoded in a disclosure.
    for (_, values), batch in zip(residents, issued, strict=True):
        credential = batch.credentials[0].encode()
        for value in values:
            assert any(form in credential for form in _base64_forms(value.encode())), value

    roots = [store.directory, db_path.parent]
    while_open = _stored_bytes(roots)
    assert {"issuer.db", "issuer.db-wal", "issuer.db-shm"} <= {p.name for p in while_open}
    assert _hits(while_open, needles) == []
    engine.dispose()  # the last connection checkpoints the WAL into the database file
    assert _hits(_stored_bytes(roots), needles) == []

    assert any(r.name.startswith("sqlalchemy") for r in caplog.records)  # the capture did see the SQL
    logged = caplog.text.encode("utf-8")
    assert [value for needle, value in needles.items() if needle in logged] == []
