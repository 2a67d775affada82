"""Nothing to subpoena: 1,000 credentials issued through HTTP leave no personal value in anything the issuer wrote.

DESIGN.md, principle 1. For each of `RESIDENTS` residents with unique seeded values
(names, birthdate, street, postal code) the clerk desk (`POST /desk/enrol`, for most) or
`issuer.offers.create_offer` makes an offer; a wallet then fetches the offer document,
redeems the code at `/token`, gets nonces and asks `/credential` for two `residency` and
two `identity` credentials (`PER_RESIDENT`). Rejected requests whose bodies carry seeded
values run too: an enrolment with a bad birthdate, a credential request with garbage
proofs, a token request with a name for a code, a renewal with a tampered presentation.

Logging is at DEBUG throughout (root, citykey, uvicorn, fastapi, sqlalchemy, httpx),
into the data directory and pytest's capture; each request is also written as uvicorn's
access log line would be (TestClient runs no uvicorn). Then every byte is searched: every
file under the data directory (key store, SQLite database, -wal, -shm, the log), read
before and after the engine is disposed, the captured log records, and on PostgreSQL a
`pg_dump` of the database plus every row of every table read back. Each value is looked
for as UTF-8, UTF-16-LE, hex, and base64/base64url at the three byte alignments: zero hits.
The same search run over the issued credentials finds every value, so it cannot pass blind.

Runs on SQLite and on PostgreSQL (skipped when the server is unreachable): `make test`, or
`.venv/bin/pytest -q tests/issuer/test_nothing_to_subpoena.py --durations=0`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from issuer import clerks
from issuer.app import create_app
from issuer.db import make_engine, metadata, sqlite_url
from issuer.offers import create_offer
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore
from tests.issuer.oid4vci_kit import GRANT, ISSUER, PASSPHRASE, proof
from tests.support import debug_logs_into
from wallet_spec.encoding import b64url_encode
from wallet_spec.jwk import generate_private_key
from wallet_spec.profile import Address, Resident
from wallet_spec.sdjwt import SdJwt

RESIDENTS = 250
PER_RESIDENT = {"residency": 2, "identity": 2}
DESK_EVERY = 2
"""Every DESK_EVERY-th resident is enrolled through the desk's HTML form, the others by `create_offer`."""
CITY = "Springfield"
CLERK, PASSWORD = "ana", "desk password 1234"
LOGGERS = ("", "citykey", "uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", "sqlalchemy", "sqlalchemy.engine",
           "sqlalchemy.pool", "httpx", "httpcore", "starlette")
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
OFFER_RE = re.compile(r"/offers/([A-Za-z0-9_-]+)")


# --- seeded personal values -------------------------------------------------------------


def seeded(i: int) -> dict[str, str]:
    """Resident i's attributes as the desk form has them; every value unique to i."""
    birthdate = dt.date(1931, 1, 1) + dt.timedelta(days=97 * i + 13)  # 1931 to 1997
    return {
        "given_name": f"Zq7given{i:04d}x",
        "family_name": f"Zq7family{i:04d}x",
        "birthdate": birthdate.isoformat(),
        "street_address": f"{i} Zq7street{i:04d}x Ave",
        "locality": CITY,
        "postal_code": f"Z{i:05d}",
    }


def personal_values(fields: dict[str, str]) -> list[str]:
    return [value for name, value in fields.items() if name != "locality"]


def resident_of(fields: dict[str, str]) -> Resident:
    return Resident(
        fields["given_name"],
        fields["family_name"],
        dt.date.fromisoformat(fields["birthdate"]),
        CITY,
        Address(fields["street_address"], fields["locality"], fields["postal_code"]),
    )


# --- the search ----------------------------------------------------------------------------


def encodings(value: str) -> dict[str, bytes]:
    """The forms a value could be written in: UTF-8, UTF-16-LE, hex, base64 and base64url at each alignment.

    A base64 form keeps only the characters that depend on the value's bytes alone, so it is
    found wherever the value sits inside a longer encoded byte string (a disclosure, a JSON blob).
    """
    raw = value.encode("utf-8")
    found = {"utf-8": raw, "utf-16-le": value.encode("utf-16-le"), "hex": raw.hex().encode()}
    for shift in range(3):
        data = bytes(shift) + raw
        whole = (len(data) // 3) * 4
        skip = {0: 0, 1: 2, 2: 3}[shift]  # characters that also depend on the `shift` bytes before
        url = base64.urlsafe_b64encode(data)[skip:whole]
        std = base64.b64encode(data)[skip:whole]
        found[f"base64url+{shift}"] = url
        if std != url:
            found[f"base64+{shift}"] = std
    return found


@dataclass
class Needles:
    """Every encoded form of every seeded value, searched for at once (a trie-shaped regular expression)."""

    forms: dict[bytes, set[tuple[str, str]]] = field(default_factory=dict)
    """Each needle and the (value, form)s it stands for: a shifted base64 form drops the value's last
    byte or two, so `Z00001` and `Z00002` can share one."""

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            for form, encoded in encodings(value).items():
                assert len(encoded) >= 5, (value, form)
                self.forms.setdefault(encoded, set()).add((value, form))

    def values_in(self, pattern: re.Pattern[bytes], data: bytes) -> set[str]:
        return {value for match in pattern.finditer(data) for value, _ in self.forms[match.group()]}

    def pattern(self) -> re.Pattern[bytes]:
        trie: dict[int, Any] = {}
        for needle in self.forms:
            node = trie
            for byte in needle:
                node = node.setdefault(byte, {})
            node[-1] = {}

        def emit(node: dict[int, Any]) -> bytes:
            branches = [re.escape(bytes([b])) + emit(child) for b, child in sorted(node.items()) if b != -1]
            if not branches:
                return b""
            body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
            return b"(?:" + body + b")?" if -1 in node else body

        return re.compile(emit(trie))

    def hits(self, pattern: re.Pattern[bytes], where: str, data: bytes) -> list[str]:
        found = []
        for match in pattern.finditer(data):
            named = " or ".join(f"{value!r} as {form}" for value, form in sorted(self.forms[match.group()]))
            context = data[max(0, match.start() - 40) : match.end() + 40]
            found.append(f"{where}: {named} at byte {match.start()}: ...{context!r}...")
        return found


# --- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    client: TestClient
    state: IssuerState
    access_log: logging.Logger
    credentials: list[str] = field(default_factory=list)
    rejected_values: list[str] = field(default_factory=list)

    def csrf(self, path: str) -> str:
        found = CSRF_RE.search(self.client.get(path).text)
        assert found, f"no CSRF field on {path}"
        return found.group(1).replace("&#x27;", "'").replace("&amp;", "&")

    def login(self) -> None:
        response = self.client.post(
            "/desk/login", data={"csrf": self.csrf("/desk/login"), "name": CLERK, "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    def desk_offer(self, fields: dict[str, str]) -> str:
        response = self.client.post("/desk/enrol", data={"csrf": self.csrf("/desk/enrol"), **fields})
        assert response.status_code == 200, response.text
        found = OFFER_RE.search(unquote(response.text))
        assert found, "the offer page shows no offer URI"
        return found.group(1)

    def wallet(self, offer_id: str) -> None:
        document = self.client.get(f"/offers/{offer_id}")
        assert document.status_code == 200, document.text
        code = document.json()["grants"][GRANT]["pre-authorized_code"]
        token = self.client.post("/token", data={"grant_type": GRANT, "pre-authorized_code": code})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for configuration, count in PER_RESIDENT.items():
            nonce = self.client.post("/nonce").json()["c_nonce"]
            now = int(time.time())
            proofs = [proof(generate_private_key(), nonce=nonce, iat=now) for _ in range(count)]
            body = {"credential_configuration_id": configuration, "proofs": {"jwt": proofs}}
            response = self.client.post("/credential", json=body, headers=headers)
            assert response.status_code == 200, response.text
            self.credentials.extend(item["credential"] for item in response.json()["credentials"])

    def rejected(self, fields: dict[str, str]) -> None:
        """Requests refused with seeded values in their bodies: each error path must drop them too."""
        self.rejected_values.extend(personal_values(fields))
        bad_date = {**fields, "birthdate": fields["birthdate"].replace("-", "/") + "x"}
        page = self.client.post("/desk/enrol", data={"csrf": self.csrf("/desk/enrol"), **bad_date})
        assert page.status_code == 422, page.text
        self.rejected_values.append(bad_date["birthdate"])

        garbage = b64url_encode(json.dumps(fields).encode())
        body = {"credential_configuration_id": "identity", "proofs": {"jwt": [f"{garbage}.{garbage}.x"]}, **fields}
        response = self.client.post("/credential", json=body, headers={"Authorization": f"Bearer {garbage[:64]}"})
        assert response.status_code in (400, 401), response.text
        response = self.client.post("/credential", content=json.dumps(fields)[:-3].encode(),
                                    headers={"Content-Type": "application/json"})
        assert response.status_code in (400, 401, 422), response.text

        token = self.client.post("/token", data={"grant_type": GRANT, "pre-authorized_code": fields["given_name"],
                                                 "tx_code": fields["postal_code"], **fields})
        assert token.status_code == 400, token.text

        # An identity credential of someone else, its signature broken, with a made-up key binding JWT.
        issued = next(c for c in self.credentials if "Zq7" not in c)  # credentials are encoded: none has it raw
        jwt, _, rest = issued.partition("~")
        head, payload, signature = jwt.split(".")
        tampered = f"{head}.{payload}.{signature[:-4]}AAAA~{rest}{garbage}.{garbage}.sig"
        body = {"presentation": tampered, "credential_requests": [
            {"credential_configuration_id": "identity", "proofs": {"jwt": [garbage]}}]}
        response = self.client.post("/renewal", json=body)
        assert 400 <= response.status_code < 500, response.text
        response = self.client.post("/renewal", json={"presentation": json.dumps(fields), "credential_requests": [
            {"credential_configuration_id": "identity", "proofs": {"jwt": [garbage]}}]})
        assert 400 <= response.status_code < 500, response.text

    def log_access(self, response: httpx.Response) -> None:
        """What uvicorn's access log would write: client, method, path with query string, version, status."""
        request = response.request
        path = request.url.raw_path.decode("ascii")
        self.access_log.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", request.method, path, "1.1",
                             response.status_code)


def disclosed_values(credentials: Iterable[str]) -> bytes:
    """Every disclosure of the issued credentials, decoded: where the seeded values must be found."""
    out = []
    for text in credentials:
        for disclosure in SdJwt.parse(text).disclosures:
            out.append(json.dumps(disclosure.value, ensure_ascii=False).encode("utf-8"))
    return b"\n".join(out)


def files_under(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def table_rows(engine: Engine) -> bytes:
    """Every row of every table, bytes as they are, other values as text."""
    out = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    out.append(value if isinstance(value, bytes) else str(value).encode("utf-8"))
    return b"\n".join(out)


def pg_dump(url: str) -> bytes:
    """A full plain-text dump of the test database (bytea comes out as hex: the needles include hex)."""
    executable = shutil.which("pg_dump")
    if executable is None:
        return b""
    libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
    done = subprocess.run([executable, "--no-owner", "--dbname", libpq], capture_output=True, check=True, timeout=120)  # noqa: S603
    assert b"pending_offers" in done.stdout, "pg_dump dumped nothing of ours"
    return done.stdout


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    url: str = request.getfixturevalue("postgresql_url")
    engine = make_engine(url)
    metadata.drop_all(engine)  # this run's rows only
    engine.dispose()
    yield url
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clerks, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def test_a_thousand_credentials_leave_no_personal_value_in_anything_the_issuer_wrote(
    database: str | None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log_file = data_dir / "issuer-debug.log"
    caplog.set_level(logging.DEBUG)  # first: caplog puts back the level it finds now
    restore = debug_logs_into(log_file, LOGGERS)
    started = time.monotonic()
    try:
        KeyStore.init(data_dir / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()) - 3600)
        settings = IssuerSettings(rate_limits=False,
            data_dir=data_dir,
            db_url=database or sqlite_url(data_dir / "issuer.db"),
            key_passphrase=PASSPHRASE,  # type: ignore[arg-type]
            session_secret="s" * 48,  # type: ignore[arg-type]
            city_name=CITY,
        )
        app = create_app(settings)
        state: IssuerState = app.state.issuer
        clerks.add_clerk(state.engine, CLERK, PASSWORD, "clerk")
        with TestClient(app, base_url=ISSUER) as client:
            run = Run(client, state, logging.getLogger("uvicorn.access"))
            client.event_hooks["response"] = [run.log_access]
            run.login()
            values: list[str] = []
            for i in range(RESIDENTS):
                fields = seeded(i)
                values.extend(personal_values(fields))
                if i % DESK_EVERY == 0:
                    offer_id = run.desk_offer(fields)
                else:
                    offer_id = create_offer(state, resident_of(fields), now=int(time.time())).offer_id
                run.wallet(offer_id)
            for i in range(RESIDENTS, RESIDENTS + 5):
                run.rejected(seeded(i))
            client.event_hooks["response"] = []
            during = files_under(data_dir)  # the SQLite WAL, before closing checkpoints it away
            rows = table_rows(state.engine)
            dump = pg_dump(database) if database else b""
        state.engine.dispose()
    finally:
        restore()
    issuing = time.monotonic() - started
    assert len(run.credentials) == RESIDENTS * sum(PER_RESIDENT.values()) >= 1000

    needles = Needles()
    needles.add(values + run.rejected_values)
    pattern = needles.pattern()

    # The search works: it finds each issued value in the credentials (base64url disclosures) and decoded.
    issued_text = "\n".join(run.credentials).encode("ascii")
    decoded = disclosed_values(run.credentials)
    for value in values:
        assert value in needles.values_in(pattern, value.encode("utf-16-le")), value
        assert value in needles.values_in(pattern, value.encode().hex().encode()), value
        assert value in needles.values_in(pattern, b"<" + value.encode() + b">"), value
        assert value.encode() in decoded, f"{value!r} is not in the credentials' disclosures"
    found = needles.values_in(pattern, issued_text)
    assert found >= set(values), f"the search misses {sorted(set(values) - found)[:5]} in the encoded credentials"
    assert b"pending_offers" in log_file.read_bytes(), "no DEBUG SQL was logged"
    assert b'"POST /credential HTTP/1.1" 200' in log_file.read_bytes(), "no access log was written"

    searched: dict[str, bytes] = {f"{name} (while running)": data for name, data in during.items()}
    searched.update({f"{name} (after dispose)": data for name, data in files_under(data_dir).items()})
    searched["every table row"] = rows
    searched["captured log records"] = "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    ).encode("utf-8", "backslashreplace")
    if database:
        searched["pg_dump"] = dump
    assert any(name.startswith("issuer.db") or name == "pg_dump" or name == "every table row" for name in searched)
    hits = [hit for where, data in searched.items() for hit in needles.hits(pattern, where, data)]
    searched_bytes = sum(map(len, searched.values()))
    total = time.monotonic() - started
    print(f"\n{(database and 'postgresql') or 'sqlite'}: {len(run.credentials)} credentials, {len(values)} values "
          f"+ {len(run.rejected_values)} in refused requests, {len(needles.forms)} needles; issuing {issuing:.1f} s, "
          f"total {total:.1f} s; searched {len(searched)} sources, {searched_bytes:,} bytes; {len(hits)} hits")
    assert not hits, f"{len(hits)} personal value(s) persisted:\n" + "\n".join(hits[:20])
