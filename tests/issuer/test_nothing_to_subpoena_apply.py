"""Nothing to subpoena from the online channel: 50 pre-applications, bookings and enrolments leave no value.

Each of `RESIDENTS` residents with unique seeded values books a desk slot (`POST /appointments`,
the slot only), makes a pre-application code (as the `/apply/` page does, in the resident's
browser), and at the desk the clerk scans it (`POST /desk/scan`: the code checks the booking
in and fills the form) and posts the filled form (`POST /desk/enrol`). Refused scans (a code
cut short, a code changed, a code breaking a rule) carry seeded values too. Logging is at
DEBUG throughout, to a file in the data directory and to pytest's capture, with an access-log
line per request. Then the search of `test_nothing_to_subpoena` runs over every file under the
data directory, every table row and every log record: zero hits, and the same search finds
every value in the codes that were scanned (so it cannot pass blind).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer import clerks
from issuer.api import apply
from issuer.app import create_app
from issuer.settings import IssuerSettings
from keys import KeyStore
from tests.issuer.desk.desk_support import csrf_of
from tests.issuer.oid4vci_kit import ISSUER, PASSPHRASE
from tests.issuer.test_nothing_to_subpoena import (
    CITY,
    CLERK,
    LOGGERS,
    PASSWORD,
    Needles,
    cheap_argon2,  # noqa: F401 - the autouse fixture, for this module too
    files_under,
    personal_values,
    seeded,
    table_rows,
)
from tests.support import debug_logs_into
from wallet_spec.encoding import b64url_decode
from wallet_spec.preapplication import Preapplication, encode

RESIDENTS = 50
NOW = 1_893_999_600 - 1_893_999_600 % 86_400 + 8 * 3600 + 4 * 86_400  # a Friday in 2030, 08:00 UTC


def test_fifty_preapplications_bookings_and_enrolments_leave_no_personal_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log_file = data_dir / "issuer-debug.log"
    caplog.set_level(logging.DEBUG)  # first: caplog puts back the level it finds now
    restore = debug_logs_into(log_file, LOGGERS)
    codes: list[str] = []
    values: list[str] = []
    try:
        KeyStore.init(data_dir / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()) - 3600)
        app = create_app(IssuerSettings(
            data_dir=data_dir, key_passphrase=PASSPHRASE,  # type: ignore[arg-type]
            session_secret="s" * 48, city_name=CITY, appointment_capacity=100,  # type: ignore[arg-type]
        ))
        app.dependency_overrides[apply.clock] = lambda: NOW
        app.state.budgets["bookings"].capacity = RESIDENTS * 2
        engine = app.state.issuer.engine
        clerks.add_clerk(engine, CLERK, PASSWORD, "clerk")
        access = logging.getLogger("uvicorn.access")
        with TestClient(app, base_url=ISSUER) as client:
            client.event_hooks["response"] = [lambda r: access.info(
                '%s - "%s %s HTTP/1.1" %d', "127.0.0.1:50000", r.request.method, r.request.url.raw_path.decode(),
                r.status_code)]
            login = client.post("/desk/login", data={"csrf": csrf_of(client.get("/desk/login").text),
                                                     "name": CLERK, "password": PASSWORD}, follow_redirects=False)
            assert login.status_code == 303
            slot = client.get("/appointments/slots").json()["slots"][0]["start"]
            for i in range(RESIDENTS):
                fields = seeded(i * 5)
                values.extend(personal_values(fields))
                booked = client.post("/appointments", json={"slot": slot})
                assert booked.status_code == 201, booked.text
                code = encode(Preapplication(fields, token=b64url_decode(booked.json()["token"])))
                codes.append(code)
                csrf = csrf_of(client.get("/desk/enrol").text)
                scanned = client.post("/desk/scan", data={"csrf": csrf, "code": code})
                assert scanned.status_code == 200, scanned.text
                assert "Appointment checked in" in scanned.text
                assert f'value="{fields["family_name"]}"' in scanned.text  # the values went through the issuer
                enrolled = client.post("/desk/enrol", data={"csrf": csrf, **fields})
                assert enrolled.status_code == 200, enrolled.text
                for bad in (code[:-7], code[:-1] + ("A" if code[-1] != "A" else "B"),
                            encode(Preapplication({**fields, "birthdate": "2999-01-01"}))):
                    refused = client.post("/desk/scan", data={"csrf": csrf, "code": bad})
                    assert refused.status_code == 422
            client.event_hooks["response"] = []
            during = files_under(data_dir)
            rows = table_rows(engine)
        engine.dispose()
    finally:
        restore()

    needles = Needles()
    needles.add(values)
    pattern = needles.pattern()
    for value in values[:10]:  # the search works on what it is meant to find
        assert value in needles.values_in(pattern, b"<" + value.encode() + b">")
    assert b"/desk/scan HTTP/1.1" in log_file.read_bytes(), "no access log was written"
    assert b"appointments" in log_file.read_bytes(), "no DEBUG SQL was logged"

    searched = {f"{name} (while running)": data for name, data in during.items()}
    searched.update({f"{name} (after dispose)": data for name, data in files_under(data_dir).items()})
    searched["every table row"] = rows
    searched["captured log records"] = "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    ).encode("utf-8", "backslashreplace")
    hits = [hit for where, data in searched.items() for hit in needles.hits(pattern, where, data)]
    code_hits = [c for c in codes if any(c[5:40].encode() in data for data in searched.values())]
    print(f"\n{RESIDENTS} pre-applications, bookings and enrolments; {len(values)} values, "
          f"{sum(map(len, searched.values())):,} bytes searched; {len(hits)} hits, {len(code_hits)} codes found")
    assert not hits, "\n".join(hits[:20])
    assert not code_hits, "a scanned code was kept"
