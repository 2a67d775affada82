"""`citykey keys …`: happy paths, JSON shapes, passphrase handling and exit codes.

Everything runs in process (typer's CliRunner) at the real clock, with the
KDF cost lowered as in tests/keys; one case runs the installed console script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citykey import keys as keys_cli
from citykey.main import app
from citykey_io import pem
from keys import KeyStore
from wallet_spec.errors import VerificationFailed
from wallet_spec.keylist import verify_key_list

PASSPHRASE = "correct horse battery staple"
ISSUER = "https://id.springfield.example"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pem, "DEFAULT_COST", pem.ScryptCost(n=16, r=8, p=1))


def run(args: list[str], *, passphrase: str | None = PASSPHRASE, stdin: str | None = None) -> Any:
    env = {"COLUMNS": "200", "NO_COLOR": "1", keys_cli.PASSPHRASE_ENV: passphrase}
    return CliRunner().invoke(app, ["keys", *args], input=stdin, env=env)


def run_json(args: list[str], **kwargs: Any) -> dict[str, Any]:
    """Run with --json, placed before any `--` that ends the options."""
    at = args.index("--") if "--" in args else len(args)
    result = run([*args[:at], "--json", *args[at:]], **kwargs)
    assert result.exit_code == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    path = tmp_path / "ks"
    run_json(["init", "--dir", str(path), "--issuer-id", ISSUER])
    return path


def test_init_creates_a_store_and_prints_the_root_thumbprint_to_pin(tmp_path: Path) -> None:
    out = run_json(["init", "--dir", str(tmp_path / "ks"), "--issuer-id", ISSUER])
    store = KeyStore.open(tmp_path / "ks")
    assert out == {"dir": str(tmp_path / "ks"), "issuer": ISSUER, "root_thumbprint": store.root_thumbprint,
                   "active_kid": store.active().kid, "receipt_mac_id": store.receipt_mac_id}
    human = run(["init", "--dir", str(tmp_path / "ks2"), "--issuer-id", ISSUER])
    assert human.exit_code == 0
    assert KeyStore.open(tmp_path / "ks2").root_thumbprint in human.stdout


def test_list_warns_about_loose_permissions(store_dir: Path) -> None:
    os.chmod(store_dir, 0o755)  # noqa: S103 - the mistake under test
    result = run(["list", "--dir", str(store_dir)], passphrase=None)
    assert result.exit_code == 0
    assert f"warning: {store_dir} is accessible to group or others" in result.stderr


def test_rotate_then_list_jwks_and_keylist(store_dir: Path, tmp_path: Path) -> None:
    first = KeyStore.open(store_dir).active().kid
    rotated = run_json(["rotate", "--dir", str(store_dir), "--max-lifetime-days", "30"])
    assert rotated["retiring"]["kid"] == first
    assert rotated["retiring"]["retire_after"] - rotated["retiring"]["not_after"] == 30 * 86_400
    new = rotated["active"]["kid"]

    listed = run_json(["list", "--dir", str(store_dir)], passphrase=None)  # no passphrase needed
    assert [(k["kid"], k["state"]) for k in listed["keys"]] == [(first, "retiring"), (new, "active")]
    assert listed["root_thumbprint"] == KeyStore.open(store_dir).root_thumbprint
    assert listed["root_key_present"] is True

    jwks = run(["jwks", "--dir", str(store_dir)], passphrase=None)
    assert jwks.exit_code == 0
    metadata = json.loads(jwks.stdout)
    assert metadata["issuer"] == ISSUER
    assert [k["kid"] for k in metadata["jwks"]["keys"]] == [first, new]

    out = tmp_path / "keylist.jwt"
    summary = run_json(["keylist", "--dir", str(store_dir), "--out", str(out), "--validity-days", "2"])
    assert summary["keys"] == [first, new]
    key_list = verify_key_list(out.read_text(), listed["root_thumbprint"], now=int(time.time()))
    assert [k.kid for k in key_list.keys] == [first, new]
    assert key_list.exp - key_list.iat == 2 * 86_400


def test_list_shows_a_table_with_the_root_thumbprint(store_dir: Path) -> None:
    result = run(["list", "--dir", str(store_dir)], passphrase=None)
    assert result.exit_code == 0
    store = KeyStore.open(store_dir)
    assert f"root thumbprint: {store.root_thumbprint}" in result.stdout
    assert store.active().kid in result.stdout
    assert "active" in result.stdout


def test_revoking_the_active_key_prints_its_replacement(store_dir: Path, tmp_path: Path) -> None:
    stolen = KeyStore.open(store_dir).active().kid
    out = run_json(["revoke", "--dir", str(store_dir), "--reason", "compromised", "--", stolen])
    store = KeyStore.open(store_dir)
    assert out["revoked"] == stolen
    assert out["new_active"]["kid"] == store.active().kid != stolen
    run_json(["keylist", "--dir", str(store_dir), "--out", str(tmp_path / "kl.jwt")])
    key_list = verify_key_list((tmp_path / "kl.jwt").read_text(), store.root_thumbprint, now=int(time.time()))
    assert stolen in key_list.revoked


def test_a_keylist_from_another_store_is_not_accepted_with_our_pin(store_dir: Path, tmp_path: Path) -> None:
    run_json(["init", "--dir", str(tmp_path / "other"), "--issuer-id", ISSUER])
    run_json(["keylist", "--dir", str(tmp_path / "other"), "--out", str(tmp_path / "kl.jwt")])
    with pytest.raises(VerificationFailed):
        verify_key_list((tmp_path / "kl.jwt").read_text(), KeyStore.open(store_dir).root_thumbprint,
                        now=int(time.time()))


def test_no_passphrase_and_no_terminal_exits_2(store_dir: Path) -> None:
    result = run(["rotate", "--dir", str(store_dir)], passphrase=None)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: usage: no passphrase")
    assert keys_cli.PASSPHRASE_ENV in result.stderr
    assert len(KeyStore.open(store_dir).records()) == 1


def test_an_empty_passphrase_variable_is_a_usage_error(store_dir: Path) -> None:
    result = run(["rotate", "--dir", str(store_dir)], passphrase="")
    assert result.exit_code == 2
    assert "empty" in result.stderr


def test_init_prompts_twice_for_the_passphrase_in_a_terminal(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys_cli, "_stdin_is_tty", lambda: True)
    result = run(["init", "--dir", str(tmp_path / "ks"), "--issuer-id", ISSUER], passphrase=None,
                 stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.stderr
    assert PASSPHRASE not in result.stdout  # hidden input is not echoed
    store = KeyStore.open(tmp_path / "ks")
    assert store.active_signing_key(PASSPHRASE.encode())[0] == store.active().kid


def test_init_prompt_refuses_a_mismatched_confirmation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys_cli, "_stdin_is_tty", lambda: True)
    result = run(["init", "--dir", str(tmp_path / "ks"), "--issuer-id", ISSUER], passphrase=None,
                 stdin=f"{PASSPHRASE}\nsomething else entirely\n")
    assert result.exit_code != 0
    assert not (tmp_path / "ks" / "keystore.json").exists()


def test_a_wrong_passphrase_exits_2_with_its_code(store_dir: Path, tmp_path: Path) -> None:
    for args in (["rotate", "--dir", str(store_dir)],
                 ["keylist", "--dir", str(store_dir), "--out", str(tmp_path / "kl.jwt")]):
        result = run(args, passphrase="not the right passphrase")
        assert result.exit_code == 2
        assert result.stderr.startswith("error: passphrase_invalid: ")
        assert "Traceback" not in result.output
    assert not (tmp_path / "kl.jwt").exists()


def test_init_refusals_exit_2_before_asking_for_a_passphrase(store_dir: Path, tmp_path: Path) -> None:
    again = run(["init", "--dir", str(store_dir), "--issuer-id", ISSUER], passphrase=None)
    assert again.exit_code == 2
    assert again.stderr.startswith("error: keystore_error: ")
    bad_url = run(["init", "--dir", str(tmp_path / "new"), "--issuer-id", "id.city.example"], passphrase=None)
    assert bad_url.exit_code == 2
    assert bad_url.stderr.startswith("error: usage: ")
    short = run(["init", "--dir", str(tmp_path / "new"), "--issuer-id", ISSUER], passphrase="short")
    assert short.exit_code == 2
    assert "at least 12" in short.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["revoke", "A" * 43, "--reason", "compromised"], "keystore_error"),
        (["revoke", "A" * 43, "--reason", "bored"], "usage"),
    ],
)
def test_revoke_refusals_exit_2(store_dir: Path, args: list[str], code: str) -> None:
    result = run([*args, "--dir", str(store_dir)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {code}: ")


def test_a_missing_or_damaged_store_exits_2_without_a_traceback(tmp_path: Path, store_dir: Path) -> None:
    missing = run(["list", "--dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: keystore_error: there is no key store")
    (store_dir / "keystore.json").write_text("{broken")
    for command in (["list"], ["jwks"], ["rotate"]):
        result = run([*command, "--dir", str(store_dir)])
        assert result.exit_code == 2
        assert result.stderr.startswith("error: keystore_error: ")
        assert "damaged" in result.stderr
        assert "Traceback" not in result.output


def test_keylist_without_the_root_key_explains_that_it_is_offline(store_dir: Path, tmp_path: Path) -> None:
    root = KeyStore.open(store_dir).root_thumbprint
    shutil.move(store_dir / f"{root}.pem", tmp_path / "offline.pem")
    listed = run_json(["list", "--dir", str(store_dir)])
    assert listed["root_key_present"] is False
    result = run(["keylist", "--dir", str(store_dir), "--out", str(tmp_path / "kl.jwt")])
    assert result.exit_code == 2
    assert "offline" in result.stderr


def test_the_console_script_runs_keys_end_to_end(tmp_path: Path) -> None:
    citykey = REPO / ".venv" / "bin" / "citykey"
    if not citykey.exists():
        pytest.skip("the console script is not installed in .venv")
    env = {**os.environ, keys_cli.PASSPHRASE_ENV: PASSPHRASE}
    init = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(citykey), "keys", "init", "--dir", str(tmp_path / "ks"), "--issuer-id", ISSUER, "--json"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False, timeout=60,
    )
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout)["root_thumbprint"] == KeyStore.open(tmp_path / "ks").root_thumbprint
