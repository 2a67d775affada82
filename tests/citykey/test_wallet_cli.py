"""`citykey wallet …`: init, keys, import, list, present; passphrases and refusals.

The wallet commands run in process (typer's CliRunner) with the wallet's
scrypt cost lowered; batches are issued by the issuer library on a throw-away
key store and SQLite database, as `citykey issue` would.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citykey import wallet as wallet_cli
from citykey.main import app
from issuer.batch import issue_batch
from issuer.db import create_schema, make_engine, sqlite_url
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import status_base_uri
from keys import KeyStore
from wallet_spec import jws
from wallet_spec.jwk import public_key_from_jwk, thumbprint
from wallet_spec.profile import Resident
from wallet_spec.sdjwt import SdJwt

ISSUER = "https://id.springfield.example"
KEY_PASSPHRASE = b"correct horse battery staple"
WALLET_PASSPHRASE = "wallet passphrase, test only"
RESIDENT = Resident("Dolores", "Sample", dt.date(1957, 4, 2), "Springfield")


def wallet(*args: object, passphrase: str | None = WALLET_PASSPHRASE) -> Any:
    env = {"COLUMNS": "200", "NO_COLOR": "1", wallet_cli.PASSPHRASE_ENV: passphrase}
    return CliRunner().invoke(app, ["wallet", *map(str, args)], env=env)


def ok(*args: object) -> str:
    result = wallet(*args)
    assert result.exit_code == 0, f"{args}: {result.stderr}"
    out: str = result.stdout
    return out


class Issuer:
    def __init__(self, tmp: Path) -> None:
        self.store = KeyStore.init(tmp / "keys", ISSUER, KEY_PASSPHRASE, now=int(time.time()))
        self.engine = make_engine(sqlite_url(tmp / "issuer.db"))
        create_schema(self.engine)
        self.registry = StatusRegistry(self.engine, status_base_uri(ISSUER), list_size=1024)
        self.tmp = tmp

    def batch_file(self, holder_jwks: list[dict[str, Any]], name: str = "batch.json") -> Path:
        batch = issue_batch(RESIDENT, holder_jwks, registry=self.registry,
                            keys=SigningKeys.open(self.store, KEY_PASSPHRASE), now=int(time.time()))
        path = self.tmp / name
        path.write_text(json.dumps(batch.to_json()))
        return path


@pytest.fixture
def issuer(tmp_path: Path) -> Any:
    made = Issuer(tmp_path)
    yield made
    made.engine.dispose()


def new_wallet(tmp: Path, name: str = "w") -> Path:
    directory = tmp / name
    ok("init", "--dir", directory)
    return directory


def filled_wallet(tmp: Path, issuer: Issuer, count: int) -> Path:
    directory = new_wallet(tmp)
    holders = json.loads(ok("keys", "--dir", directory, "--count", count))
    ok("import", "--dir", directory, issuer.batch_file(holders))
    return directory


def listing(directory: Path) -> dict[str, Any]:
    listed: dict[str, Any] = json.loads(ok("list", "--dir", directory, "--json"))
    return listed


def holder_thumbprint(presentation: str) -> str:
    return thumbprint(SdJwt.parse(presentation.strip()).payload()["cnf"]["jwk"])


def test_init_makes_an_empty_private_wallet_and_refuses_a_second_init(tmp_path: Path) -> None:
    directory = new_wallet(tmp_path)
    sealed = (directory / wallet_cli.FILENAME).read_bytes()
    assert (directory.stat().st_mode & 0o777, (directory / wallet_cli.FILENAME).stat().st_mode & 0o777) == (
        0o700, 0o600)
    assert WALLET_PASSPHRASE.encode() not in sealed
    assert listing(directory) == {"credentials": [], "receipts": 0}
    again = wallet("init", "--dir", directory)
    assert again.exit_code == 2
    assert again.stderr.startswith("error: ")
    assert "already holds a wallet" in again.stderr
    assert (directory / wallet_cli.FILENAME).read_bytes() == sealed


def test_a_wrong_passphrase_exits_2(tmp_path: Path) -> None:
    directory = new_wallet(tmp_path)
    for args in (["list", "--dir", directory], ["keys", "--dir", directory, "--count", "1"]):
        result = wallet(*args, passphrase="not the wallet passphrase")
        assert result.exit_code == 2
        assert result.stderr.startswith("error: passphrase_invalid: ")
        assert "Traceback" not in result.output


def test_a_missing_or_short_passphrase_exits_2(tmp_path: Path) -> None:
    directory = new_wallet(tmp_path)
    missing = wallet("list", "--dir", directory, passphrase=None)  # CliRunner's stdin is not a terminal
    assert missing.exit_code == 2
    assert wallet_cli.PASSPHRASE_ENV in missing.stderr
    short = wallet("init", "--dir", tmp_path / "other", passphrase="short")
    assert short.exit_code == 2
    assert "at least 8" in short.stderr
    assert not (tmp_path / "other" / wallet_cli.FILENAME).exists()


def test_a_missing_wallet_exits_2_and_says_how_to_make_one(tmp_path: Path) -> None:
    result = wallet("list", "--dir", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "citykey wallet init" in result.stderr


def test_keys_prints_n_fresh_public_jwks(tmp_path: Path) -> None:
    directory = new_wallet(tmp_path)
    printed = json.loads(ok("keys", "--dir", directory, "--count", "5"))
    assert isinstance(printed, list)
    assert len(printed) == 5
    for jwk in printed:
        assert set(jwk) == {"kty", "crv", "x", "y"}  # public only: no "d"
        public_key_from_jwk(jwk)
    assert len({thumbprint(jwk) for jwk in printed}) == 5
    more = json.loads(ok("keys", "--dir", directory, "--count", "1"))
    assert thumbprint(more[0]) not in {thumbprint(jwk) for jwk in printed}
    for count in ("0", "65"):
        assert wallet("keys", "--dir", directory, "--count", count).exit_code == 2


def test_import_stores_the_batch_and_its_receipt(tmp_path: Path, issuer: Issuer) -> None:
    directory = filled_wallet(tmp_path, issuer, count=3)
    listed = listing(directory)
    assert listed["receipts"] == 1
    assert [(c["vct"], c["uses"]) for c in listed["credentials"]] == [("urn:citykey:id:1", 0)] * 3
    assert len({c["holder_kid"] for c in listed["credentials"]}) == 3


def test_import_of_a_batch_for_another_wallet_is_refused(tmp_path: Path, issuer: Issuer) -> None:
    theirs = new_wallet(tmp_path, "theirs")
    batch = issuer.batch_file(json.loads(ok("keys", "--dir", theirs, "--count", "2")))
    mine = new_wallet(tmp_path, "mine")
    ok("keys", "--dir", mine, "--count", "2")
    result = wallet("import", "--dir", mine, batch)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "does not hold" in result.stderr
    assert listing(mine) == {"credentials": [], "receipts": 0}


@pytest.mark.parametrize("content", ["{not json", "[]", '{"credentials": []}', '{"credentials": ["garbage"]}'])
def test_import_of_a_broken_batch_file_exits_2(tmp_path: Path, content: str) -> None:
    directory = new_wallet(tmp_path)
    path = tmp_path / "broken.json"
    path.write_text(content)
    result = wallet("import", "--dir", directory, path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_present_uses_a_fresh_credential_each_time_and_list_counts_uses(tmp_path: Path, issuer: Issuer) -> None:
    directory = filled_wallet(tmp_path, issuer, count=3)
    shown = [ok("present", "--dir", directory, "--claims", "resident_of", "--nonce", f"n{i}", "--aud", "https://v")
             for i in range(3)]
    assert len({holder_thumbprint(p) for p in shown}) == 3  # three presentations, three unlinkable credentials
    assert [c["uses"] for c in listing(directory)["credentials"]] == [1, 1, 1]
    ok("present", "--dir", directory, "--claims", "resident_of")  # all used: one is used again
    assert sorted(c["uses"] for c in listing(directory)["credentials"]) == [1, 1, 2]


def test_present_discloses_only_the_requested_claims(tmp_path: Path, issuer: Issuer) -> None:
    directory = filled_wallet(tmp_path, issuer, count=1)
    shown = ok("present", "--dir", directory, "--claims", "resident_of, age_over_65")
    sd_jwt = SdJwt.parse(shown.strip())
    assert sorted(d.name for d in sd_jwt.disclosures if d.name) == ["age_over_65", "resident_of"]
    assert sd_jwt.kb_jwt is None  # no nonce and audience: nothing to bind to


def test_present_of_an_unknown_claim_exits_2(tmp_path: Path, issuer: Issuer) -> None:
    directory = filled_wallet(tmp_path, issuer, count=2)
    result = wallet("present", "--dir", directory, "--claims", "resident_of,shoe_size")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: claim_not_found: ")
    assert result.stdout == ""
    assert [c["uses"] for c in listing(directory)["credentials"]] == [0, 0]


def test_a_nonce_without_an_audience_exits_2(tmp_path: Path, issuer: Issuer) -> None:
    directory = filled_wallet(tmp_path, issuer, count=1)
    result = wallet("present", "--dir", directory, "--claims", "resident_of", "--nonce", "n-1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: usage: ")
    assert result.stdout == ""


def test_an_audience_without_a_nonce_is_one_way_and_key_bound(tmp_path: Path, issuer: Issuer) -> None:
    directory = filled_wallet(tmp_path, issuer, count=1)
    shown = SdJwt.parse(ok("present", "--dir", directory, "--claims", "resident_of", "--aud", "https://v.example")
                        .strip())
    assert shown.kb_jwt is not None
    kb = jws.parse(shown.kb_jwt).payload
    assert kb["aud"] == "https://v.example"
    assert len(kb["nonce"]) == 16  # the wallet's own 96 random bits


def test_present_from_an_empty_wallet_exits_2(tmp_path: Path) -> None:
    result = wallet("present", "--dir", new_wallet(tmp_path), "--claims", "resident_of")
    assert result.exit_code == 2
    assert "holds no credential" in result.stderr
