"""`citykey issue`, `citykey revoke`, `citykey bundle`: the city's terminal flow, end to end.

One test runs the whole story through the installed console script at the
production KDF cost; the others use typer's CliRunner in process, with the key
store's and the wallet's scrypt cost lowered (as in tests/keys), at the real
clock because `verify` checks against it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from citykey import keys as keys_cli
from citykey import wallet as wallet_cli
from citykey.main import app
from issuer.batch import MAX_BATCH
from issuer.db import make_engine, sqlite_url, status_lists
from issuer.inventory import database_tables
from keys import KeyStore
from wallet_spec import jws
from wallet_spec.bundle import load_bundle
from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.jwk import generate_private_key, private_jwk, public_jwk
from wallet_spec.sdjwt import SdJwt

REPO = Path(__file__).resolve().parents[2]
ISSUER = "https://id.springfield.example"
KEY_PASSPHRASE = "correct horse battery staple"
WALLET_PASSPHRASE = "wallet passphrase, test only"
NONCE = "bus-nonce-7f3a"
AUD = "https://transit.springfield.example"
REGISTERED = frozenset({"iss", "iat", "exp", "vct", "cnf", "status"})
DOLORES: dict[str, Any] = {
    "given_name": "Dolores",
    "family_name": "Sample",
    "birthdate": "1957-04-02",
    "resident_of": "Springfield",
    "address": {"street_address": "100 Example Ave", "locality": "Springfield", "postal_code": "00000"},
}
ENV: dict[str, str | None] = {
    "COLUMNS": "200",
    "NO_COLOR": "1",
    keys_cli.PASSPHRASE_ENV: KEY_PASSPHRASE,
    wallet_cli.PASSPHRASE_ENV: WALLET_PASSPHRASE,
    "CITYKEY_ROOT": None,
}


def citykey(*args: object, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin, env=ENV)


def ok(*args: object, stdin: str | None = None) -> str:
    result = citykey(*args, stdin=stdin)
    assert result.exit_code == 0, f"{args}: {result.stdout}{result.stderr}"
    out: str = result.stdout
    return out


def disclosed(claims: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in REGISTERED}


def allocated(db: Path) -> int:
    """Status indices ever handed out: the set bits of every list's allocation bitmap."""
    engine = make_engine(sqlite_url(db))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(status_lists.c.allocated)).all()
        return sum(int.from_bytes(r.allocated, "little").bit_count() for r in rows)
    finally:
        engine.dispose()


def revoked_bits(db: Path) -> int:
    engine = make_engine(sqlite_url(db))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(status_lists.c.status)).all()
        return sum(int.from_bytes(r.status, "little").bit_count() for r in rows)
    finally:
        engine.dispose()


def table_summary(db: Path) -> list[Any]:
    engine = make_engine(sqlite_url(db))
    try:
        return database_tables(engine)
    finally:
        engine.dispose()


class City:
    """A key store and an issuer database in tmp, driven through the CLI."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.keys = tmp / "keys"
        self.db = tmp / "issuer.db"
        self.root = json.loads(ok("keys", "init", "--dir", self.keys, "--issuer-id", ISSUER, "--json"))[
            "root_thumbprint"
        ]
        self.claims = self.write("claims.json", json.dumps(DOLORES))

    def write(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.write_text(text)
        return path

    def wallet(self, name: str, count: int = 2) -> tuple[Path, Path]:
        """A new wallet and the file of its `count` fresh holder public keys."""
        directory = self.tmp / name
        ok("wallet", "init", "--dir", directory)
        holders = self.write(f"{name}-holders.json", ok("wallet", "keys", "--dir", directory, "--count", count))
        return directory, holders

    def issue(self, holders: Path, out: Path, claims: Path | None = None) -> Any:
        return citykey("issue", "--keys", self.keys, "--db", self.db, "--claims", claims or self.claims,
                       "--holder-keys", holders, "--out", out)

    def enrol(self, name: str, count: int = 2) -> tuple[Path, Path]:
        """A wallet holding a freshly issued batch; returns (wallet dir, batch file)."""
        directory, holders = self.wallet(name, count)
        batch = self.tmp / f"{name}-batch.json"
        result = self.issue(holders, batch)
        assert result.exit_code == 0, result.stderr
        ok("wallet", "import", "--dir", directory, batch)
        return directory, batch

    def bundle(self, name: str = "bundle.jwt") -> Path:
        out = self.tmp / name
        ok("bundle", "--keys", self.keys, "--db", self.db, "--out", out)
        return out

    def verify(self, bundle: Path, presentation: str, *extra: object) -> tuple[int, dict[str, Any]]:
        result = citykey("verify", "--bundle", bundle, "--root", self.root, "--nonce", NONCE, "--aud", AUD,
                         "--json", *extra, stdin=presentation)
        verdict: dict[str, Any] = json.loads(result.stdout)
        return result.exit_code, verdict


def present(wallet: Path, claims: str = "resident_of,age_over_65") -> str:
    return ok("wallet", "present", "--dir", wallet, "--claims", claims, "--nonce", NONCE, "--aud", AUD)


def signing_kid(presentation: str) -> str:
    return str(jws.parse(SdJwt.parse(presentation.strip()).jwt).header["kid"])


@pytest.fixture
def city(tmp_path: Path) -> City:
    return City(tmp_path)


# --- the whole flow, as an operator types it --------------------------------------------------------


def citykey_script() -> str:
    for candidate in (Path(sys.executable).with_name("citykey"), REPO / ".venv" / "bin" / "citykey"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("citykey")
    if not found:
        pytest.skip("the citykey console script is not installed (pip install -e .)")
    return found


def test_the_whole_flow_runs_through_the_installed_script(tmp_path: Path) -> None:
    script = citykey_script()
    env = {**os.environ, keys_cli.PASSPHRASE_ENV: KEY_PASSPHRASE, wallet_cli.PASSPHRASE_ENV: WALLET_PASSPHRASE,
           "NO_COLOR": "1"}
    env.pop("CITYKEY_ROOT", None)

    def sh(*args: object, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            [script, *map(str, args)], input=stdin, capture_output=True, text=True, env=env, timeout=60,
            check=False, stdin=None if stdin is not None else subprocess.DEVNULL,
        )

    def run_ok(*args: object, stdin: str | None = None) -> str:
        done = sh(*args, stdin=stdin)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stdout

    keys, db, wallet = tmp_path / "keys", tmp_path / "issuer.db", tmp_path / "wallet"
    bundle, batch = tmp_path / "bundle.jwt", tmp_path / "batch.json"
    root = json.loads(run_ok("keys", "init", "--dir", keys, "--issuer-id", ISSUER, "--json"))["root_thumbprint"]
    run_ok("wallet", "init", "--dir", wallet)
    holders = tmp_path / "holders.json"
    holders.write_text(run_ok("wallet", "keys", "--dir", wallet, "--count", "3"))
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(DOLORES))

    run_ok("issue", "--keys", keys, "--db", db, "--claims", claims, "--holder-keys", holders, "--out", batch)
    assert stat.S_IMODE(batch.stat().st_mode) == 0o600
    assert len(json.loads(batch.read_text())["credentials"]) == 3
    run_ok("wallet", "import", "--dir", wallet, batch)
    run_ok("bundle", "--keys", keys, "--db", db, "--out", bundle)

    wanted = ["resident_of", "age_over_65"]
    verify = ("verify", "--bundle", bundle, "--root", root, "--nonce", NONCE, "--aud", AUD, "--require",
              ",".join(wanted), "--json")
    shown = run_ok("wallet", "present", "--dir", wallet, "--claims", ",".join(wanted), "--nonce", NONCE,
                   "--aud", AUD)
    done = sh(*verify, stdin=shown)
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["valid"] is True
    assert verdict["errors"] == []
    assert disclosed(verdict["claims"]) == {"resident_of": "Springfield", "age_over_65": True}

    receipt = tmp_path / "receipt.txt"
    receipt.write_text(json.loads(batch.read_text())["receipt"] + "\n")
    run_ok("revoke", "--receipt", receipt, "--keys", keys, "--db", db)
    run_ok("bundle", "--keys", keys, "--db", db, "--out", bundle)
    shown = run_ok("wallet", "present", "--dir", wallet, "--claims", ",".join(wanted), "--nonce", NONCE,
                   "--aud", AUD)
    done = sh(*verify, stdin=shown)
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["valid"] is False
    assert [e["code"] for e in verdict["errors"]] == ["revoked"]


# --- issue ------------------------------------------------------------------------------------------


def test_issue_writes_one_credential_per_holder_key_to_a_private_file(city: City) -> None:
    _, holders = city.wallet("w", count=4)
    out = city.tmp / "batch.json"
    out.write_text("an older file, readable by others")
    out.chmod(0o644)
    result = city.issue(holders, out)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    batch = json.loads(out.read_text())
    assert set(batch) == {"credentials", "receipt"}
    assert len(batch["credentials"]) == 4
    assert allocated(city.db) == 4
    cnf = [SdJwt.parse(c).payload()["cnf"]["jwk"] for c in batch["credentials"]]
    assert cnf == json.loads(holders.read_text())


def _holder_keys(spec: str) -> str:
    if spec == "duplicate":
        jwk = public_jwk(generate_private_key())
        return json.dumps([jwk, jwk])
    if spec == "private":
        return json.dumps([private_jwk(generate_private_key())])
    if spec == "one too many":
        return json.dumps([public_jwk(generate_private_key()) for _ in range(MAX_BATCH + 1)])
    return spec


@pytest.mark.parametrize(
    ("claims", "holders", "says"),
    [
        pytest.param("{not json", None, "error: malformed: ", id="malformed-claims-json"),
        pytest.param(json.dumps({**DOLORES, "ssn": "078-05-1120"}), None, "unknown attribute", id="unknown-attribute"),
        pytest.param(json.dumps({**DOLORES, "birthdate": "1957-02-30"}), None, "birthdate", id="bad-birthdate"),
        pytest.param(json.dumps({**DOLORES, "birthdate": "2 April 1957"}), None, "birthdate", id="birthdate-text"),
        pytest.param(None, json.dumps({"kty": "EC"}), "must be a JSON list", id="holder-keys-not-a-list"),
        pytest.param(None, "duplicate", "own holder key", id="duplicate-holder-keys"),
        pytest.param(None, "one too many", f"between 1 and {MAX_BATCH}", id="too-many-holder-keys"),
        pytest.param(None, "[]", f"between 1 and {MAX_BATCH}", id="no-holder-keys"),
        pytest.param(None, json.dumps([{"kty": "EC", "crv": "P-256"}]), "error: ", id="holder-key-not-a-jwk"),
        pytest.param(None, "private", "must be public", id="holder-key-with-its-private-part"),
        pytest.param(json.dumps({**DOLORES, "extra": {"age_over_18": False}}), None, "clashes",
                     id="extra-claim-clashes-with-profile"),
        pytest.param(json.dumps({**DOLORES, "extra": {f"card_{i}": str(i) for i in range(5)}}), None, "exceed",
                     id="more-claims-than-digests"),
    ],
)
def test_a_refused_issue_exits_2_and_allocates_no_index(
    city: City, claims: str | None, holders: str | None, says: str
) -> None:
    _, good_holders = city.wallet("w")
    assert city.issue(good_holders, city.tmp / "first.json").exit_code == 0  # the database now exists
    before, tables = allocated(city.db), table_summary(city.db)
    claims_file = city.write("bad-claims.json", claims) if claims is not None else None
    holders_file = city.write("bad-holders.json", _holder_keys(holders)) if holders is not None else good_holders
    out = city.tmp / "refused.json"
    result = city.issue(holders_file, out, claims=claims_file)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: ")
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert allocated(city.db) == before == 2
    assert table_summary(city.db) == tables


# --- revoke -----------------------------------------------------------------------------------------


def _tampered(receipt: str) -> str:
    """The same receipt naming another index, under the original MAC."""
    version, payload, mac = receipt.split(".")
    body = json.loads(b64url_decode(payload, what="payload"))
    body["lists"][0][1][0] += 1
    return ".".join([version, b64url_encode(json.dumps(body, separators=(",", ":")).encode()), mac])


def test_revoke_with_a_tampered_receipt_exits_2_and_revokes_nothing(city: City) -> None:
    _, batch = city.enrol("w")
    receipt = json.loads(batch.read_text())["receipt"]
    other = City(city.tmp / "other-city")
    _, foreign = other.enrol("w")
    cases = {
        "index-changed.txt": _tampered(receipt),
        "mac-changed.txt": receipt[:-2] + ("AA" if not receipt.endswith("AA") else "BA"),
        "another-city.txt": json.loads(foreign.read_text())["receipt"],
        "garbage.txt": "not a receipt at all",
    }
    for name, text in cases.items():
        result = citykey("revoke", "--receipt", city.write(name, text), "--keys", city.keys, "--db", city.db)
        assert result.exit_code == 2, name
        assert result.stderr.startswith("error: receipt_invalid: "), (name, result.stderr)
    tampered_batch = city.write("tampered-batch.json", json.dumps({**json.loads(batch.read_text()),
                                                                    "receipt": _tampered(receipt)}))
    result = citykey("revoke", "--receipt", tampered_batch, "--keys", city.keys, "--db", city.db)
    assert result.exit_code == 2
    assert "receipt_invalid" in result.stderr
    assert revoked_bits(city.db) == 0


def test_revoke_accepts_the_receipt_or_the_batch_file_and_twice_is_fine(city: City) -> None:
    lost, batch = city.enrol("lost", count=3)
    kept, _ = city.enrol("kept", count=2)
    receipt = city.write("receipt.txt", json.loads(batch.read_text())["receipt"] + "\n")

    first = citykey("revoke", "--receipt", batch, "--keys", city.keys, "--db", city.db)
    assert first.exit_code == 0, first.stderr
    assert "revoked: 3 credential(s) newly marked" in first.stdout
    again = citykey("revoke", "--receipt", receipt, "--keys", city.keys, "--db", city.db)
    assert again.exit_code == 0, again.stderr
    assert "revoked: 0 credential(s) newly marked" in again.stdout
    assert revoked_bits(city.db) == 3

    bundle = city.bundle()
    for _ in range(3):  # every credential of the batch is refused
        code, verdict = city.verify(bundle, present(lost))
        assert (code, verdict["valid"], verdict["claims"]) == (1, False, {})
        assert [e["code"] for e in verdict["errors"]] == ["revoked"]
    code, verdict = city.verify(bundle, present(kept))
    assert (code, verdict["valid"]) == (0, True)


# --- bundle and the keys ----------------------------------------------------------------------------


def test_bundle_holds_the_key_list_and_fresh_status_lists(city: City) -> None:
    city.enrol("w")
    out = city.tmp / "bundle.jwt"
    summary = json.loads(ok("bundle", "--keys", city.keys, "--db", city.db, "--out", out, "--json"))
    assert summary["root"] == city.root
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # published, not secret
    trust = load_bundle(out.read_text(), city.root, now=summary["issued_at"])
    assert trust.issued_at == summary["issued_at"]
    assert trust.next_update > trust.issued_at
    assert [k.kid for k in trust.key_list.keys] == [KeyStore.open(city.keys).active().kid]
    assert len(trust.status_lists) == 1


def test_bundle_after_a_rotation_verifies_old_credentials_and_new_ones_carry_the_new_kid(city: City) -> None:
    old_wallet, _ = city.enrol("old")
    old_kid = KeyStore.open(city.keys).active().kid
    ok("keys", "rotate", "--dir", city.keys)
    new_kid = KeyStore.open(city.keys).active().kid
    new_wallet, _ = city.enrol("new")
    bundle = city.bundle()
    for wallet, kid in ((old_wallet, old_kid), (new_wallet, new_kid)):
        shown = present(wallet)
        assert signing_kid(shown) == kid  # credentials carry the key list's kid
        code, verdict = city.verify(bundle, shown)
        assert (code, verdict["errors"]) == (0, [])
    assert old_kid != new_kid


def test_a_revoked_signing_key_makes_its_credentials_fail_with_key_revoked(city: City) -> None:
    wallet, _ = city.enrol("w")
    stolen = KeyStore.open(city.keys).active().kid
    ok("keys", "revoke", "--dir", city.keys, "--reason", "compromised", "--", stolen)
    code, verdict = city.verify(city.bundle(), present(wallet))
    assert code == 1
    assert "key_revoked" in [e["code"] for e in verdict["errors"]]


def _take_root_offline(city: City) -> Path:
    offline = city.tmp / "offline-root.pem"
    shutil.move(city.keys / f"{city.root}.pem", offline)
    return offline


def test_bundle_works_with_the_root_offline_while_the_key_list_is_current(city: City) -> None:
    wallet, _ = city.enrol("w")
    first = city.bundle("first.jwt")  # the root signs the key list once; the store keeps it
    _take_root_offline(city)
    second = city.bundle("second.jwt")
    key_list = [jws.parse(p.read_text()).payload["key_list"] for p in (first, second)]
    assert key_list[0] == key_list[1]
    code, verdict = city.verify(second, present(wallet))
    assert (code, verdict["valid"]) == (0, True)


def test_bundle_after_a_rotation_without_the_root_says_the_root_is_needed(city: City) -> None:
    city.bundle("first.jwt")
    offline = _take_root_offline(city)
    ok("keys", "rotate", "--dir", city.keys)  # rotation needs only the passphrase
    out = city.tmp / "bundle.jwt"
    result = citykey("bundle", "--keys", city.keys, "--db", city.db, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: keystore_error: ")
    assert "root" in result.stderr
    assert "offline" in result.stderr
    assert not out.exists()
    shutil.move(offline, city.keys / f"{city.root}.pem")  # the root ceremony: bring it back, publish
    assert citykey("bundle", "--keys", city.keys, "--db", city.db, "--out", out).exit_code == 0


def test_a_world_readable_issuer_database_is_reported_on_the_command_line(city: City) -> None:
    city.enrol("ana")
    city.db.chmod(0o644)
    result = citykey("bundle", "--keys", city.keys, "--db", city.db, "--out", city.tmp / "b.jwt")
    assert result.exit_code == 0
    assert "has mode 0644" in result.stderr
    assert f"chmod 0600 {city.db}" in result.stderr


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"given_name": "Dol\x00ores"}, "given_name contains U+0000"),
        ({"family_name": "\u202eelpmaS"}, "family_name contains U+202E"),
        ({"family_name": "Sam\u200bple"}, "family_name contains U+200B"),
        ({"address": {"locality": "Spring\x1b[2Jfield"}}, "address.locality contains U+001B"),
        ({"birthdate": "2999-01-01"}, "birthdate lies in the future"),
    ],
    ids=["nul", "right-to-left-override", "zero-width-space", "terminal-escape", "future-birthdate"],
)
def test_issue_refuses_what_the_desk_refuses_naming_the_field_not_the_value(
    city: City, change: dict[str, Any], says: str
) -> None:
    """docs/security.md item 8: the command line applies the contract's rule, as the desk does."""
    _, holders = city.wallet("w")
    out = city.tmp / "refused.json"
    result = city.issue(holders, out, claims=city.write("spoofed.json", json.dumps({**DOLORES, **change})))
    assert result.exit_code == 2, result.stdout
    assert says in result.stderr
    values = [v for v in change.values() if isinstance(v, str)] + [v for d in change.values() if isinstance(d, dict)
                                                                   for v in d.values()]
    assert not any(value in result.stderr for value in values)  # the field is named, its value never shown
    assert not out.exists()


# --- one home for the command line and the service ------------------------------------------------------


def test_issue_revoke_and_bundle_use_the_services_home_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "citykey-data"
    ok("keys", "init", "--dir", home / "keys", "--issuer-id", ISSUER)
    claims, holders = tmp_path / "claims.json", tmp_path / "holders.json"
    claims.write_text(json.dumps(DOLORES))
    ok("wallet", "init", "--dir", tmp_path / "w")
    holders.write_text(ok("wallet", "keys", "--dir", tmp_path / "w", "--count", 2))
    ok("issue", "--claims", claims, "--holder-keys", holders, "--out", tmp_path / "batch.json")
    assert allocated(home / "issuer.db") == 2  # the service's database, next to its keys
    ok("bundle", "--out", tmp_path / "bundle.jwt")
    ok("revoke", "--receipt", tmp_path / "batch.json")
    assert revoked_bits(home / "issuer.db") == 2
    elsewhere = tmp_path / "elsewhere"
    ok("keys", "init", "--dir", elsewhere / "keys", "--issuer-id", ISSUER)
    ok("bundle", "--home", elsewhere, "--out", tmp_path / "other.jwt")
    assert (elsewhere / "issuer.db").is_file()


def test_a_database_refuses_another_key_store_in_plain_words(city: City) -> None:
    city.bundle()
    other = city.tmp / "other-keys"
    ok("keys", "init", "--dir", other, "--issuer-id", ISSUER)
    refused = citykey("bundle", "--keys", other, "--db", city.db, "--out", city.tmp / "b.jwt")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: keystore_mismatch: this issuer database belongs to the key store of")
    assert city.root in refused.stderr
    assert not (city.tmp / "b.jwt").exists()


def test_asking_one_presentation_for_a_name_and_an_age_says_how_to_ask(city: City) -> None:
    directory = city.tmp / "w"
    ok("wallet", "init", "--dir", directory)
    holders = city.write("holders.json", ok("wallet", "keys", "--dir", directory, "--count", 1, "--types", "standard"))
    batch = city.tmp / "batch.json"
    assert city.issue(holders, batch).exit_code == 0
    ok("wallet", "import", "--dir", directory, batch)
    result = citykey("wallet", "present", "--dir", directory, "--claims", "given_name,age_over_65")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: claim_not_found: no one credential holds all these claims")
    assert "separate presentations: --claims given_name and --claims age_over_65" in result.stderr
    printed = ok("wallet", "receipts", "--dir", directory).strip()
    assert printed == json.loads(batch.read_text())["receipt"]
    ok("revoke", "--keys", city.keys, "--db", city.db, "--receipt", city.write("receipt.txt", printed))
    assert revoked_bits(city.db) == 5  # "standard": three residency passes, identity, the resident pass


def test_revoke_takes_the_receipts_the_wallet_prints_one_a_line(city: City) -> None:
    directory = city.tmp / "w"
    ok("wallet", "init", "--dir", directory)
    for n in (1, 2):
        holders = city.write(f"holders-{n}.json", ok("wallet", "keys", "--dir", directory, "--count", 1))
        assert city.issue(holders, city.tmp / f"batch-{n}.json").exit_code == 0
        ok("wallet", "import", "--dir", directory, city.tmp / f"batch-{n}.json")
    printed = ok("wallet", "receipts", "--dir", directory)
    assert len(printed.splitlines()) == 2
    out = ok("revoke", "--keys", city.keys, "--db", city.db, "--receipt", city.write("receipts.txt", printed))
    assert out.startswith("revoked: 2 credential(s) newly marked")
    assert revoked_bits(city.db) == 2
