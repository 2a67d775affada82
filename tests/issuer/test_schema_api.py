"""A short schemathesis run against the issuer's OpenAPI description.

Every operation the application describes (those added later too) gets
generated requests, valid and invalid; no answer may be a server error, and
every answer must match what the description says: status code, content type,
headers and body schema. One default check is left out: `positive_data_acceptance`
expects a schema-valid request to succeed, but a string shaped like a receipt
is almost never one the city MACed, and is rightly refused (400
`receipt_invalid`). The run is bounded (`MAX_EXAMPLES` per operation) and
made on SQLite, with a status list in place so `/statuslists/1` exists.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation import GenerationMode

from issuer.app import create_app
from issuer.db import sqlite_url
from issuer.settings import IssuerSettings
from keys import KeyStore
from tests.support import cheap_kdfs

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
MAX_EXAMPLES = 20


@pytest.fixture(scope="module")
def application(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    root = tmp_path_factory.mktemp("schema")
    with pytest.MonkeyPatch.context() as patch:
        cheap_kdfs(patch)
        KeyStore.init(root / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    settings_ = IssuerSettings(rate_limits=False, data_dir=root / "data", keys_dir=root / "keys",
                               db_url=sqlite_url(root / "issuer.db"), key_passphrase=PASSPHRASE)
    app = create_app(settings_)
    app.state.issuer.registry.allocate(3)
    app.state.issuer.republish()
    yield app
    app.state.issuer.engine.dispose()


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_every_operation_answers_as_described_and_never_with_a_server_error(
    application: FastAPI, mode: GenerationMode
) -> None:
    # schemathesis' own pytest loaders need the schema at import time (`from_asgi`) or break on
    # pytest 9 (`from_fixture`), so the operations are walked here, each with its own Hypothesis run.
    schema = schemathesis.openapi.from_asgi("/openapi.json", application)
    failures: list[str] = []
    seen: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.append(operation.label)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Case) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            run()
        except Unsatisfiable:  # no way to make an operation without parameters or body invalid
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, not just the first
            failures.append(f"{operation.label}: {exc}")
    assert {"GET /trust-bundle", "GET /health", "POST /revocations"} <= set(seen)
    assert not failures, "\n\n".join(failures)
