"""A short load run (benchmarks/load.py): every request answered, none with a 5xx, on SQLite and PostgreSQL.

The 60-second runs are `make load`; this one lasts a few seconds so it can stay in the suite.
"""

from __future__ import annotations

import pytest

from benchmarks.load import CITYKEY, OPERATIONS, run

pytestmark = pytest.mark.skipif(not CITYKEY.exists(), reason=f"{CITYKEY} is not installed (make installs it)")


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_a_short_load_run_answers_every_request_without_a_server_error(db: str, request: pytest.FixtureRequest) -> None:
    if db == "postgresql":
        request.getfixturevalue("postgresql_url")  # skips, with the reason, when PostgreSQL is unreachable
    report = run(seconds=3, db=db, concurrency=4, prepared=8)
    assert report.server_errors == 0, report.table()
    assert report.unanswered == 0, report.table()
    for name in OPERATIONS:
        op = report.operations[name]
        assert op.latencies, f"no {name} was answered in the run:\n{report.table()}"
        assert op.client_errors == 0, report.table()
