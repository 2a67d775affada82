"""Clerk accounts (`issuer.clerks`) and `citykey issuer clerk …`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from click.testing import Result
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from citykey import issuer as issuer_cli
from citykey.main import app
from issuer import clerks
from issuer.db import clerks as clerks_table
from issuer.db import create_schema, make_engine, sqlite_url
from wallet_spec.errors import UsageError

PASSWORD = "a long desk password"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(tmp_path / "issuer.db"))
    create_schema(engine)
    yield engine
    engine.dispose()


def test_the_production_hasher_is_argon2id_with_rfc_9106_low_memory_parameters() -> None:
    hasher = clerks.PRODUCTION_HASHER  # the autouse fixture swapped a cheap one into clerks.HASHER
    assert hasher.type is Type.ID
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (65_536, 3, 4)


def test_passwords_are_stored_as_argon2id_hashes_only(engine: Engine) -> None:
    clerks.add_clerk(engine, "ana", PASSWORD, "admin")
    with engine.connect() as conn:
        (row,) = conn.execute(select(clerks_table)).all()
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in str(tuple(row))
    assert (row.name, row.role, row.failed_logins, row.locked_until) == ("ana", "admin", 0, 0)


@pytest.mark.parametrize(
    ("name", "password", "role"),
    [
        ("ana", "too short", "clerk"),
        ("ana", PASSWORD, "root"),
        ("", PASSWORD, "clerk"),
        ("-ana", PASSWORD, "clerk"),
        ("ana lópez", PASSWORD, "clerk"),
        ("a" * 65, PASSWORD, "clerk"),
    ],
)
def test_bad_accounts_are_refused(engine: Engine, name: str, password: str, role: str) -> None:
    with pytest.raises(UsageError):
        clerks.add_clerk(engine, name, password, role)
    assert clerks.list_clerks(engine) == []


def test_a_name_is_taken_once(engine: Engine) -> None:
    clerks.add_clerk(engine, "ana", PASSWORD)
    with pytest.raises(UsageError, match="exists already"):
        clerks.add_clerk(engine, "ana", PASSWORD + "!")


def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    clerks.add_clerk(engine, "ana", PASSWORD)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(clerks, "HASHER", stronger)
    attempt = clerks.authenticate(engine, "ana", PASSWORD, now=int(time.time()))
    assert attempt.outcome is clerks.Outcome.OK
    with engine.connect() as conn:
        stored = conn.execute(select(clerks_table.c.password_hash)).scalar_one()
    assert "m=16,t=2,p=1" in stored
    assert attempt.clerk is not None
    assert clerks.session_clerk(engine, "ana", attempt.clerk.tag) is not None


def test_an_empty_or_overlong_password_never_signs_in(engine: Engine) -> None:
    clerks.add_clerk(engine, "ana", PASSWORD)
    now = int(time.time())
    assert clerks.authenticate(engine, "ana", "", now=now).outcome is clerks.Outcome.WRONG
    assert clerks.authenticate(engine, "ana", PASSWORD + "x" * 2000, now=now).outcome is clerks.Outcome.WRONG


# --- the command line -------------------------------------------------------------------


def run(tmp_path: Path, args: list[str], *, password: str | None = PASSWORD, stdin: str | None = None) -> Result:
    env = {
        "CITYKEY_DATA_DIR": str(tmp_path / "data"),
        "CITYKEY_KEY_PASSPHRASE": None,
        "CITYKEY_SETTINGS_FILE": None,
        issuer_cli.CLERK_PASSWORD_ENV: password,
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    return CliRunner().invoke(app, ["issuer", "clerk", *args], input=stdin, env=env)


def test_clerk_add_reads_the_password_from_the_environment_without_the_key_passphrase(tmp_path: Path) -> None:
    result = run(tmp_path, ["add", "ana", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "added admin ana" in result.output
    assert PASSWORD not in result.output
    engine = make_engine(sqlite_url(tmp_path / "data" / "issuer.db"))
    assert [(a.name, a.role) for a in clerks.list_clerks(engine)] == [("ana", "admin")]
    assert clerks.authenticate(engine, "ana", PASSWORD, now=int(time.time())).outcome is clerks.Outcome.OK
    engine.dispose()
    assert (tmp_path / "data").stat().st_mode & 0o077 == 0


def test_clerk_add_prompts_twice_without_echo(tmp_path: Path) -> None:
    result = run(tmp_path, ["add", "bo"], password=None, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    mismatch = run(tmp_path, ["add", "cy"], password=None, stdin=f"{PASSWORD}\nsomething else\n")
    assert mismatch.exit_code != 0
    listed = json.loads(run(tmp_path, ["list", "--json"]).output)
    assert [(row["name"], row["role"]) for row in listed] == [("bo", "clerk")]


def test_clerk_add_without_a_terminal_says_to_set_the_variable(tmp_path: Path) -> None:
    result = run(tmp_path, ["add", "ana"], password=None, stdin="")
    assert result.exit_code == 2
    assert "error: no password: set CITYKEY_CLERK_PASSWORD (at least 12 characters)" in result.stderr
    assert "Aborted" not in result.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["add", "ana"], "short", "12 to 1024 characters"),
        (["add", "ana", "--role", "root"], PASSWORD, "clerk, admin"),
        (["add", "bad name"], PASSWORD, "clerk name"),
        (["remove", "nobody"], PASSWORD, "no clerk named nobody"),
        (["unlock", "nobody"], PASSWORD, "no clerk named nobody"),
    ],
)
def test_clerk_usage_errors_exit_2(tmp_path: Path, args: list[str], password: str, message: str) -> None:
    result = run(tmp_path, args, password=password)
    assert result.exit_code == 2
    assert message in result.output


def test_clerk_add_twice_list_unlock_and_remove(tmp_path: Path) -> None:
    assert run(tmp_path, ["add", "ana"]).exit_code == 0
    again = run(tmp_path, ["add", "ana"])
    assert again.exit_code == 2
    assert "exists already" in again.output
    engine = make_engine(sqlite_url(tmp_path / "data" / "issuer.db"))
    now = int(time.time())
    for _ in range(clerks.MAX_FAILURES):
        clerks.authenticate(engine, "ana", "wrong password!", now=now)
    listed = run(tmp_path, ["list"])
    assert listed.exit_code == 0
    assert "ana" in listed.output
    assert "$argon2" not in listed.output
    assert json.loads(run(tmp_path, ["list", "--json"]).output)[0]["locked_for"] > 0
    assert run(tmp_path, ["unlock", "ana"]).exit_code == 0
    assert clerks.authenticate(engine, "ana", PASSWORD, now=now).outcome is clerks.Outcome.OK
    assert run(tmp_path, ["remove", "ana"]).exit_code == 0
    assert clerks.list_clerks(engine) == []
    engine.dispose()
