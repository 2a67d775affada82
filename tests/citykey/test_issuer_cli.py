"""`citykey issuer …` and the service's settings: inventory, configuration errors, the settings file.

Settings come from `CITYKEY_*` variables or from the file `CITYKEY_SETTINGS_FILE`
names (the environment wins). `citykey issuer inventory` lists what the issuer
stores, read from disk and database; incomplete configuration is a usage error
(exit 2) whose message names the variables to set.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from citykey.main import app
from issuer.db import create_schema, make_engine, metadata
from issuer.settings import SETTINGS_FILE_ENV, IssuerSettings, start_up_public_url
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import status_base_uri
from keys import KeyStore
from wallet_spec.errors import UsageError

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
TABLES = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CITYKEY_* variable of the developer's shell leaks in (the KDF is cheap: tests/conftest.py)."""
    for name in list(os.environ):
        if name.startswith("CITYKEY_"):
            monkeypatch.delenv(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    KeyStore.init(data / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()))
    return data


def used(data_dir: Path, db_url: str | None = None) -> None:
    """What a running issuer leaves behind: its schema and a status list with a few indices handed out."""
    engine = make_engine(db_url or f"sqlite:///{data_dir / 'issuer.db'}")
    try:
        create_schema(engine)
        StatusRegistry(engine, status_base_uri(ISSUER), list_size=64).allocate(3)
    finally:
        engine.dispose()


def issuer(args: list[str], env: dict[str, str | None]) -> Any:
    return CliRunner().invoke(app, ["issuer", *args], env={"COLUMNS": "200", "NO_COLOR": "1", **env})


def configured(data_dir: Path, **extra: str) -> dict[str, str | None]:
    return {"CITYKEY_DATA_DIR": str(data_dir), "CITYKEY_KEY_PASSPHRASE": PASSPHRASE, **extra}


# --- settings --------------------------------------------------------------------------------------------------


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CITYKEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CITYKEY_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("CITYKEY_REPUBLISH_EVERY", "600")
    found = IssuerSettings()  # type: ignore[call-arg]
    assert found.key_passphrase.get_secret_value() == PASSPHRASE
    assert found.republish_every == 600
    assert found.keys_path == tmp_path / "keys"
    assert found.database_url == f"sqlite:///{tmp_path / 'issuer.db'}"
    assert PASSPHRASE not in repr(found)


def test_settings_come_from_the_file_named_by_citykey_settings_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "issuer.env"
    file.write_text(
        "# the issuer's settings\n"
        f"CITYKEY_DATA_DIR={tmp_path / 'from-file'}\n"
        f"CITYKEY_KEY_PASSPHRASE='{PASSPHRASE}'\n"
        "CITYKEY_OFFICE=north\n"
        "CITYKEY_PUBLIC_URL=https://issuer.springfield.example\n"
        "UNRELATED=ignored\n"
    )
    monkeypatch.setenv(SETTINGS_FILE_ENV, str(file))
    monkeypatch.setenv("CITYKEY_OFFICE", "south")  # the environment wins over the file
    found = IssuerSettings()  # type: ignore[call-arg]
    assert found.data_dir == tmp_path / "from-file"
    assert found.key_passphrase.get_secret_value() == PASSPHRASE
    assert found.public_url == "https://issuer.springfield.example"
    assert found.office == "south"


def test_an_explicit_env_file_argument_works_too(tmp_path: Path) -> None:
    file = tmp_path / "other.env"
    file.write_text(f"CITYKEY_KEY_PASSPHRASE={PASSPHRASE}\nCITYKEY_MAX_BATCH=4\n")
    found = IssuerSettings(_env_file=file)  # type: ignore[call-arg]
    assert (found.key_passphrase.get_secret_value(), found.max_batch) == (PASSPHRASE, 4)


def test_a_settings_file_that_does_not_exist_is_an_error_not_silence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SETTINGS_FILE_ENV, str(tmp_path / "missing.env"))
    monkeypatch.setenv("CITYKEY_KEY_PASSPHRASE", PASSPHRASE)
    with pytest.raises(UsageError, match=r"missing\.env"):
        IssuerSettings()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("given", "used_url"),
    [
        ("postgresql://postgres@127.0.0.1:5432/city", "postgresql+psycopg://postgres@127.0.0.1:5432/city"),
        ("postgres://u@db/city", "postgresql+psycopg://u@db/city"),
        ("postgresql+psycopg://u@db/city", "postgresql+psycopg://u@db/city"),
        ("sqlite:////var/lib/citykey/issuer.db", "sqlite:////var/lib/citykey/issuer.db"),
    ],
)
def test_a_postgresql_url_gets_the_installed_driver(given: str, used_url: str) -> None:
    assert IssuerSettings(db_url=given, key_passphrase=PASSPHRASE).database_url == used_url


# --- configuration errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["serve"]])
def test_missing_configuration_is_exit_2_naming_the_variables(command: list[str], tmp_path: Path) -> None:
    result = issuer(command, {"CITYKEY_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "CITYKEY_KEY_PASSPHRASE" in result.stderr
    assert SETTINGS_FILE_ENV in result.stderr
    assert "docs/operations.md" in result.stderr
    assert result.stdout == ""


def test_inventory_needs_no_passphrase_since_it_opens_no_key(data_dir: Path) -> None:
    used(data_dir)
    result = issuer(["inventory", "--json"], {"CITYKEY_DATA_DIR": str(data_dir), "CITYKEY_KEY_PASSPHRASE": None})
    assert result.exit_code == 0, result.stderr
    assert "status_lists" in {t["name"] for t in json.loads(result.stdout)["tables"]}
    missing = issuer(["inventory"], {"CITYKEY_DATA_DIR": str(data_dir / "nowhere")})
    assert missing.exit_code == 2
    assert "no key store" in missing.stderr
    assert "CITYKEY_KEY_PASSPHRASE" not in missing.stderr


def test_an_invalid_setting_is_exit_2_naming_it(data_dir: Path) -> None:
    result = issuer(["serve"], configured(data_dir, CITYKEY_REPUBLISH_EVERY="0"))
    assert result.exit_code == 2
    assert "CITYKEY_REPUBLISH_EVERY" in result.stderr


def test_serve_without_a_key_store_is_exit_2(tmp_path: Path) -> None:
    result = issuer(["serve"], configured(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "keystore_error" in result.stderr


def test_a_settings_file_that_does_not_exist_is_exit_2(tmp_path: Path) -> None:
    result = issuer(["inventory"], {SETTINGS_FILE_ENV: str(tmp_path / "gone.env")})
    assert result.exit_code == 2
    assert "gone.env" in result.stderr


# --- inventory ------------------------------------------------------------------------------------------------------


def test_inventory_json_lists_key_store_files_database_files_and_tables(data_dir: Path) -> None:
    used(data_dir)
    result = issuer(["inventory", "--json"], configured(data_dir))
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert set(listed) == {"key_store", "database", "database_files", "tables", "other_files"}
    store = KeyStore.open(data_dir / "keys")
    files = {f["name"]: f for f in listed["key_store"]}
    assert set(files) == set(os.listdir(data_dir / "keys"))
    assert files["keystore.json"]["holds"].startswith("public key metadata")
    assert files[f"{store.root_thumbprint}.pem"]["holds"] == "root private key, encrypted (keep offline)"
    assert files[f"{store.active().kid}.pem"]["holds"] == "signing private key, encrypted (active)"
    assert all(f["mode"] == "-rw-------" and f["size"] > 0 for n, f in files.items() if n.endswith(".pem"))
    assert listed["database"] == "sqlite"
    assert "issuer.db" in {f["name"] for f in listed["database_files"]}
    assert {t["name"]: t["columns"] for t in listed["tables"]} == TABLES
    assert {t["name"]: t["rows"] for t in listed["tables"]}["status_lists"] == 1
    assert listed["other_files"] == []


def test_inventory_shows_files_nobody_expects_in_the_data_directory(data_dir: Path) -> None:
    used(data_dir)
    (data_dir / "export.csv").write_text("name,address\n")
    (data_dir / "backup").mkdir()
    listed = json.loads(issuer(["inventory", "--json"], configured(data_dir)).stdout)
    assert {f["name"]: f["holds"] for f in listed["other_files"]} == {
        "export.csv": "UNEXPECTED FILE", "backup": "UNEXPECTED DIRECTORY"
    }


def test_inventory_prints_a_table_for_people(data_dir: Path) -> None:
    used(data_dir)
    result = issuer(["inventory"], configured(data_dir))
    assert result.exit_code == 0, result.stderr
    assert "what the issuer stores" in result.stdout
    assert "keys/keystore.json" in result.stdout
    assert "root private key, encrypted" in result.stdout
    for name, columns in TABLES.items():
        assert f"table {name}" in result.stdout
        assert ", ".join(columns) in result.stdout


def test_inventory_reads_and_never_creates_a_database(data_dir: Path) -> None:
    result = issuer(["inventory", "--json"], configured(data_dir))
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert (listed["database_files"], listed["tables"]) == ([], [])
    assert not (data_dir / "issuer.db").exists()
    assert "no database yet" in issuer(["inventory"], configured(data_dir)).stdout


def test_inventory_is_configured_by_a_settings_file(data_dir: Path, tmp_path: Path) -> None:
    used(data_dir)
    file = tmp_path / "issuer.env"
    file.write_text(f"CITYKEY_DATA_DIR={data_dir}\nCITYKEY_KEY_PASSPHRASE={PASSPHRASE}\n")
    file.chmod(0o600)
    result = issuer(["inventory", "--json"], {SETTINGS_FILE_ENV: str(file)})
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    assert {t["name"] for t in json.loads(result.stdout)["tables"]} == set(TABLES)
    file.chmod(0o644)
    assert "chmod it 0600" in issuer(["inventory", "--json"], {SETTINGS_FILE_ENV: str(file)}).stderr


def test_inventory_on_postgresql_lists_its_tables(data_dir: Path, postgresql_url: str) -> None:
    engine = make_engine(postgresql_url)
    metadata.drop_all(engine)
    engine.dispose()
    used(data_dir, postgresql_url)
    result = issuer(["inventory", "--json"], configured(data_dir, CITYKEY_DB_URL=postgresql_url))
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["database"] == "postgresql"
    assert listed["database_files"] == []
    assert {t["name"]: t["columns"] for t in listed["tables"]} == TABLES
    engine = make_engine(postgresql_url)
    with engine.begin() as conn:  # a table the code did not declare shows up too
        conn.execute(text("CREATE TABLE stray (resident TEXT)"))
    engine.dispose()
    listed = json.loads(issuer(["inventory", "--json"], configured(data_dir, CITYKEY_DB_URL=postgresql_url)).stdout)
    assert {"name": "stray", "columns": ["resident"], "rows": 0} in listed["tables"]
    engine = make_engine(postgresql_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE stray"))
    engine.dispose()


def test_serve_refuses_to_start_while_the_root_must_sign_a_change(data_dir: Path, tmp_path: Path) -> None:
    store = KeyStore.open(data_dir / "keys")
    store.rotate(PASSPHRASE.encode(), now=int(time.time()), max_credential_lifetime=86_400)
    store.key_file(store.root_thumbprint).rename(tmp_path / "root.pem")  # the root is offline
    result = issuer(["serve"], configured(data_dir))
    assert result.exit_code == 2
    assert "keystore_error" in result.stderr
    assert "root" in result.stderr


def test_the_operations_guide_documents_every_setting() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    for name in [*IssuerSettings.model_fields, "settings_file"]:
        assert f"`CITYKEY_{name.upper()}`" in guide, name


# --- what `serve` says at start-up ------------------------------------------------------------------------------


def test_a_loopback_service_without_a_public_url_uses_where_it_listens_and_says_so() -> None:
    url, notes = start_up_public_url(None, ISSUER, "127.0.0.1", 8123)
    assert url == "http://127.0.0.1:8123"
    assert notes == [f"CITYKEY_PUBLIC_URL is not set: offers point at http://127.0.0.1:8123, where this service "
                     f"listens (for a trial on this machine); set it to the address wallets reach, normally {ISSUER}"]
    assert start_up_public_url(None, ISSUER, "::1", 80)[0] == "http://[::1]:80"
    url, notes = start_up_public_url(None, ISSUER, "0.0.0.0", 8080)  # noqa: S104 - the value under test
    assert url is None
    assert f"offers and metadata name {ISSUER}" in notes[0]


def test_a_public_url_on_another_host_than_the_issuer_id_is_explained() -> None:
    url, notes = start_up_public_url("http://10.0.0.5:8080", ISSUER, "0.0.0.0", 8080)  # noqa: S104
    assert url == "http://10.0.0.5:8080"
    assert notes[0].startswith("CITYKEY_PUBLIC_URL http://10.0.0.5:8080 is not on the issuer id's host "
                               "(id.springfield.example)")
    assert start_up_public_url(ISSUER + "/", ISSUER, "0.0.0.0", 8080) == (ISSUER + "/", [])  # noqa: S104
