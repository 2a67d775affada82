"""`citykey verifier …`, `wallet present --request`, and `verify` with requests, photos and one-way mode.

The city (key store, issuer database, bundles) is made with the issuer library
at the real clock, with KDF costs lowered; verifiers, wallets and verification
run as commands in process (typer's CliRunner).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citykey import verifier as verifier_cli
from citykey import wallet as wallet_cli
from citykey.main import app
from citykey_io import pem
from issuer.batch import issue_batch
from issuer.db import create_schema, make_engine, sqlite_url
from issuer.publish import build_bundle, status_base_uri
from issuer.statuslists import StatusRegistry
from keys import KeyStore
from wallet_spec import jws, qr
from wallet_spec.jwk import generate_private_key, private_jwk, public_jwk
from wallet_spec.profile import Address, Resident
from wallet_spec.request import encode_request, make_request, parse_request
from wallet_spec.sdjwt import SdJwt

ISSUER = "https://id.springfield.example"
KEY_PASSPHRASE = b"correct horse battery staple"
WALLET_PASSPHRASE = "wallet passphrase, test only"
VERIFIER_PASSPHRASE = "verifier passphrase, test only"
BUS = "https://bus.springfield.example"
REGISTERED = frozenset({"iss", "iat", "exp", "vct", "cnf", "status"})
RESIDENT = Resident("Dolores", "Sample", dt.date(1957, 4, 2), "Springfield",
                    Address("100 Example Ave", "Springfield", "00000"))
ENV: dict[str, str | None] = {
    "COLUMNS": "200",
    "NO_COLOR": "1",
    wallet_cli.PASSPHRASE_ENV: WALLET_PASSPHRASE,
    verifier_cli.PASSPHRASE_ENV: VERIFIER_PASSPHRASE,
    "CITYKEY_ROOT": None,
}


def citykey(*args: object, stdin: str | None = None, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin, env={**ENV, **(env or {})})


def ok(*args: object, stdin: str | None = None) -> str:
    result = citykey(*args, stdin=stdin)
    assert result.exit_code == 0, f"{args}: {result.stdout}{result.stderr}"
    out: str = result.stdout
    return out


@dataclass
class City:
    tmp: Path
    store: KeyStore
    registry: StatusRegistry

    @property
    def keys(self) -> Path:
        return self.store.directory

    @property
    def root(self) -> str:
        return self.store.root_thumbprint

    def bundle(self, name: str = "bundle.jwt") -> Path:
        path = self.tmp / name
        path.write_text(build_bundle(self.store, self.registry, KEY_PASSPHRASE, now=int(time.time())))
        return path

    def wallet(self, name: str = "w", count: int = 4) -> Path:
        directory = self.tmp / name
        ok("wallet", "init", "--dir", directory)
        holders = json.loads(ok("wallet", "keys", "--dir", directory, "--count", count))
        batch = issue_batch(RESIDENT, holders, store=self.store, registry=self.registry,
                            passphrase=KEY_PASSPHRASE, now=int(time.time()))
        (self.tmp / f"{name}-batch.json").write_text(json.dumps(batch.to_json()))
        ok("wallet", "import", "--dir", directory, self.tmp / f"{name}-batch.json")
        return directory

    def verify(self, *args: object, stdin: str | None = None, bundle: Path | None = None) -> tuple[int, Any]:
        result = citykey("verify", "--bundle", bundle or self.bundle(), "--root", self.root, "--json", *args,
                         stdin=stdin)
        assert result.stdout, result.stderr
        return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def city(tmp_path: Path) -> Any:
    engine = make_engine(sqlite_url(tmp_path / "issuer.db"))
    create_schema(engine)
    store = KeyStore.init(tmp_path / "keys", ISSUER, KEY_PASSPHRASE, now=int(time.time()))
    yield City(tmp_path, store, StatusRegistry(engine, status_base_uri(ISSUER), list_size=1024))
    engine.dispose()


def new_verifier(tmp: Path, name: str = "v", aud: str = BUS, title: str = "Springfield Transit") -> Path:
    directory = tmp / name
    jwk = json.loads(ok("verifier", "init", "--dir", directory, "--aud", aud, "--name", title))
    (tmp / f"{name}.jwk").write_text(json.dumps(jwk))
    return directory


def codes(out: dict[str, Any]) -> list[str]:
    return [e["code"] for e in out["errors"]]


def disclosed(claims: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in REGISTERED}


# --- verifier init / register / remove / list -------------------------------------------------------


def test_init_makes_an_encrypted_key_and_prints_the_public_jwk(tmp_path: Path) -> None:
    directory = new_verifier(tmp_path)
    jwk = json.loads((tmp_path / "v.jwk").read_text())
    assert set(jwk) == {"kty", "crv", "x", "y"}
    public = json.loads((directory / verifier_cli.PUBLIC_FILE).read_text())
    assert (public["aud"], public["name"], public["jwk"]) == (BUS, "Springfield Transit", jwk)
    key_file = directory / verifier_cli.KEY_FILE
    assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert (directory.stat().st_mode & 0o777, key_file.stat().st_mode & 0o777) == (0o700, 0o600)
    key = pem.decrypt(key_file.read_bytes(), VERIFIER_PASSPHRASE.encode(), what="test")
    assert public_jwk(key) == jwk  # type: ignore[arg-type]

    again = citykey("verifier", "init", "--dir", directory, "--aud", BUS, "--name", "X")
    assert again.exit_code == 2
    assert "not an empty directory" in again.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--aud", "https://bus example", "--name", "Bus"], {}, "aud"),
        (["--aud", BUS, "--name", "Bus\n"], {}, "name"),
        (["--aud", BUS, "--name", "Bus"], {verifier_cli.PASSPHRASE_ENV: "short"}, "at least 12"),
        (["--aud", BUS, "--name", "Bus"], {verifier_cli.PASSPHRASE_ENV: None}, "no passphrase"),
    ],
)
def test_init_refusals_exit_2_and_leave_nothing(tmp_path: Path, args: list[str], env: dict[str, str | None],
                                                message: str) -> None:
    result = citykey("verifier", "init", "--dir", tmp_path / "v", *args, env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert not (tmp_path / "v").exists()


def test_the_city_registers_lists_and_removes_verifiers_without_a_passphrase(city: City) -> None:
    new_verifier(city.tmp)
    result = citykey("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Springfield Transit",
                     "--jwk", city.tmp / "v.jwk", "--json", env={"CITYKEY_KEY_PASSPHRASE": None})
    assert result.exit_code == 0, result.stderr
    entry = json.loads(result.stdout)
    (listed,) = KeyStore.open(city.keys).verifiers()
    assert entry == {"kid": listed.kid, "aud": BUS, "name": "Springfield Transit"}
    assert json.loads(ok("verifier", "list", "--keys", city.keys, "--json"))["verifiers"] == [
        {**listed.to_json(), "kid": listed.kid}]
    # verifier.json handed over whole works too
    ok("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Transit",
       "--jwk", city.tmp / "v" / verifier_cli.PUBLIC_FILE)
    assert [v.name for v in KeyStore.open(city.keys).verifiers()] == ["Transit"]
    removed = json.loads(ok("verifier", "remove", "--keys", city.keys, "--json", "--", listed.kid))
    assert removed["removed"] == listed.kid
    assert KeyStore.open(city.keys).verifiers() == ()
    gone = citykey("verifier", "remove", "--keys", city.keys, "--", listed.kid)
    assert (gone.exit_code, gone.stderr.split(":")[:2]) == (2, ["error", " keystore_error"])


def test_registering_a_private_jwk_or_into_no_key_store_exits_2(city: City) -> None:
    (city.tmp / "private.jwk").write_text(json.dumps(private_jwk(generate_private_key())))
    result = citykey("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Bus",
                     "--jwk", city.tmp / "private.jwk")
    assert result.exit_code == 2
    assert "private key" in result.stderr
    (city.tmp / "public.jwk").write_text(json.dumps(public_jwk(generate_private_key())))
    nowhere = citykey("verifier", "register", "--keys", city.tmp / "nowhere", "--aud", BUS, "--name", "Bus",
                      "--jwk", city.tmp / "public.jwk")
    assert nowhere.exit_code == 2
    assert nowhere.stderr.startswith("error: keystore_error: ")


# --- challenge ----------------------------------------------------------------------------------------


def test_challenge_prints_an_unsigned_request_with_a_fresh_nonce(tmp_path: Path) -> None:
    texts = [ok("verifier", "challenge", "--aud", BUS, "--claims", "resident_of, age_over_65").strip()
             for _ in range(2)]
    requests = [parse_request(t, now=int(time.time())) for t in texts]
    assert requests[0].nonce != requests[1].nonce
    assert (requests[0].aud, requests[0].claims, requests[0].name, requests[0].signed) == (
        BUS, ("resident_of", "age_over_65"), BUS, False)
    assert 100 <= requests[0].exp - int(time.time()) <= 120


def test_challenge_json_and_ttl(tmp_path: Path) -> None:
    out = json.loads(ok("verifier", "challenge", "--aud", BUS, "--claims", "age_over_18", "--name", "Bar",
                        "--ttl", "30", "--json"))
    assert set(out) == {"request", "aud", "nonce", "claims", "exp", "name", "signed", "qr"}
    assert parse_request(out["request"], now=int(time.time())).nonce == out["nonce"]
    assert (out["claims"], out["name"], out["signed"], out["qr"]) == (["age_over_18"], "Bar", False, None)
    assert out["exp"] - int(time.time()) <= 30


def test_a_signed_challenge_takes_aud_and_name_from_the_verifier(tmp_path: Path) -> None:
    directory = new_verifier(tmp_path)
    text = ok("verifier", "challenge", "--dir", directory, "--claims", "resident_of").strip()
    request = parse_request(text, now=int(time.time()))
    assert (request.signed, request.aud, request.name) == (True, BUS, "Springfield Transit")
    mismatch = citykey("verifier", "challenge", "--dir", directory, "--aud", "https://other.example",
                       "--claims", "resident_of")
    assert mismatch.exit_code == 2
    assert "wallets would refuse" in mismatch.stderr
    wrong = citykey("verifier", "challenge", "--dir", directory, "--claims", "resident_of",
                    env={verifier_cli.PASSPHRASE_ENV: "not the verifier passphrase"})
    assert wrong.exit_code == 2
    assert wrong.stderr.startswith("error: passphrase_invalid: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claims", "resident_of"], "give --aud"),
        (["--aud", BUS, "--claims", "a..b"], "empty segment"),
        (["--aud", BUS, "--claims", "resident_of", "--ttl", "0"], "ttl"),
    ],
)
def test_challenge_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = citykey("verifier", "challenge", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_challenge_writes_a_qr_png_that_scans_back_to_the_same_text(tmp_path: Path) -> None:
    from verifier.scan import read_qr

    png = tmp_path / "challenge.png"
    result = citykey("verifier", "challenge", "--aud", BUS, "--claims", "resident_of", "--qr", png, "--terminal")
    assert result.exit_code == 0, result.stderr
    assert png.read_bytes().startswith(b"\x89PNG")
    assert read_qr(png) == result.stdout.strip()
    assert "█" in result.stderr or "▀" in result.stderr or "▄" in result.stderr


# --- the whole flow: challenge → present --request → verify ------------------------------------------


def test_challenge_answer_verify_with_a_listed_signed_verifier(city: City) -> None:
    directory = new_verifier(city.tmp)
    ok("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Springfield Transit",
       "--jwk", city.tmp / "v.jwk")
    wallet = city.wallet()
    bundle = city.bundle()  # after the issuance, so that it holds the batch's status list
    request = ok("verifier", "challenge", "--dir", directory, "--claims", "resident_of,age_over_65").strip()
    result = citykey("wallet", "present", "--dir", wallet, "--request", request, "--bundle", bundle,
                     "--root", city.root, "--require-signed")
    assert result.exit_code == 0, result.stderr
    assert "Springfield Transit" in result.stderr
    assert "the city lists" in result.stderr
    presentation = result.stdout.strip()
    assert sorted(d.name or "" for d in SdJwt.parse(presentation).disclosures) == ["age_over_65", "resident_of"]

    code, out = city.verify("--request", request, stdin=presentation, bundle=bundle)
    assert (code, out["valid"]) == (0, True)
    assert disclosed(out["claims"]) == {"resident_of": "Springfield", "age_over_65": True}
    other = ok("verifier", "challenge", "--dir", directory, "--claims", "resident_of,age_over_65").strip()
    code, out = city.verify("--request", other, stdin=presentation, bundle=bundle)
    assert (code, codes(out)) == (1, ["nonce_mismatch"])


def test_an_unsigned_request_is_answered_and_verified_with_its_own_nonce(city: City) -> None:
    wallet = city.wallet()
    request = ok("verifier", "challenge", "--aud", BUS, "--claims", "address.postal_code").strip()
    result = citykey("wallet", "present", "--dir", wallet, "--request", request)
    assert result.exit_code == 0, result.stderr
    assert "unsigned" in result.stderr
    code, out = city.verify("--request", request, "--require", "resident_of", stdin=result.stdout)
    assert (code, codes(out)) == (1, ["missing_claim"])  # --require adds to what the request asked
    code, out = city.verify("--request", request, stdin=result.stdout)
    assert (code, disclosed(out["claims"])) == (0, {"address": {"postal_code": "00000"}})


def test_present_to_a_qr_png_and_verify_from_the_photo(city: City) -> None:
    wallet = city.wallet()
    request = ok("verifier", "challenge", "--aud", BUS, "--claims", "resident_of,age_over_65").strip()
    png = city.tmp / "presentation.png"
    result = citykey("wallet", "present", "--dir", wallet, "--request", request, "--qr", png)
    assert result.exit_code == 0, result.stderr
    text = result.stdout.strip()
    assert text.startswith(qr.PREFIX)
    assert png.read_bytes().startswith(b"\x89PNG")
    code, out = city.verify("--request", request, "--image", png)
    assert (code, disclosed(out["claims"])) == (0, {"resident_of": "Springfield", "age_over_65": True})
    code, out = city.verify("--request", request, stdin=text)  # a keyboard-wedge scanner types the CK1 text
    assert code == 0
    terminal = citykey("wallet", "present", "--dir", wallet, "--request", request, "--terminal")
    assert terminal.exit_code == 0
    assert terminal.stdout.startswith(qr.PREFIX)
    assert len(terminal.stderr.splitlines()) > 20  # the drawing


def test_an_unreadable_photo_is_exit_2(city: City) -> None:
    (city.tmp / "blank.png").write_bytes(b"not an image")
    code, out = city.verify("--aud", BUS, "--nonce", "n" * 16, "--image", city.tmp / "blank.png")
    assert code == 2
    assert codes(out) == ["malformed"]


def test_the_wallet_refuses_unlisted_askers_and_expired_requests_with_exit_1(city: City) -> None:
    wallet = city.wallet()
    bundle = city.bundle()  # lists no verifier
    signed = ok("verifier", "challenge", "--dir", new_verifier(city.tmp), "--claims", "resident_of").strip()
    cases: dict[str, list[object]] = {
        "verifier_unknown": ["--request", signed, "--bundle", bundle, "--root", city.root],
        "request_unsigned": ["--request", ok("verifier", "challenge", "--aud", BUS, "--claims", "resident_of").strip(),
                             "--bundle", bundle, "--root", city.root, "--require-signed"],
        "request_expired": ["--request", encode_request(make_request(
            aud=BUS, claims=["resident_of"], name="Bus", now=int(time.time()) - 600))],
    }
    for code, args in cases.items():
        result = citykey("wallet", "present", "--dir", wallet, *args)
        assert result.exit_code == 1, (code, result.stderr)
        assert result.stderr.startswith(f"error: {code}: "), result.stderr
        assert result.stdout == ""
    listing = json.loads(ok("wallet", "list", "--dir", wallet, "--json"))
    assert [c["uses"] for c in listing["credentials"]] == [0, 0, 0, 0]  # nothing was shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "either --claims or --request"),
        (["--claims", "resident_of", "--request", "CKQ1:X"], "either --claims or --request"),
        (["--request", "CKQ1:X", "--nonce", "n"], "do not give --nonce"),
        (["--claims", "resident_of", "--bundle", "b.jwt"], "check a --request"),
        (["--request", "CKQ1:X", "--require-signed"], "needs --bundle"),
    ],
)
def test_present_option_conflicts_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = citykey("wallet", "present", "--dir", tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unreadable_request_exits_2(city: City) -> None:
    result = citykey("wallet", "present", "--dir", city.wallet(), "--request", "CKQ1:not base45")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: malformed: ")


# --- one-way -------------------------------------------------------------------------------------------


def test_one_way_accepts_a_presentation_once_then_says_replayed(city: City) -> None:
    wallet = city.wallet()
    bundle = city.bundle()
    presentation = ok("wallet", "present", "--dir", wallet, "--claims", "resident_of,age_over_65", "--aud", BUS)
    assert jws.parse(SdJwt.parse(presentation.strip()).kb_jwt or "").payload["aud"] == BUS
    gate = ["--one-way", "--aud", BUS, "--replay-db", city.tmp / "gate.db", "--require", "age_over_65"]
    code, out = city.verify(*gate, stdin=presentation, bundle=bundle)
    assert (code, out["valid"]) == (0, True)
    code, out = city.verify(*gate, stdin=presentation, bundle=bundle)
    assert (code, out["valid"], codes(out)) == (1, False, ["replayed"])
    fresh = ok("wallet", "present", "--dir", wallet, "--claims", "resident_of,age_over_65", "--aud", BUS, "--qr",
               city.tmp / "fresh.png")
    code, _ = city.verify(*gate, stdin=fresh, bundle=bundle)
    assert code == 0
    human = citykey("verify", "--bundle", bundle, "--root", city.root, *gate, stdin=fresh)
    assert (human.exit_code, human.stdout.split(":")[0]) == (1, "REJECTED replayed")


def test_a_rejected_one_way_presentation_does_not_use_up_the_code(city: City) -> None:
    wallet = city.wallet()
    presentation = ok("wallet", "present", "--dir", wallet, "--claims", "resident_of", "--aud", BUS)
    gate = ["--one-way", "--aud", BUS, "--replay-db", city.tmp / "gate.db"]
    code, out = city.verify(*gate, "--require", "given_name", stdin=presentation)
    assert (code, codes(out)) == (1, ["missing_claim"])
    code, _ = city.verify(*gate, stdin=presentation)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--one-way", "--aud", BUS], "--replay-db"),
        (["--one-way", "--replay-db", "r.db"], "--aud"),
        (["--one-way", "--aud", BUS, "--replay-db", "r.db", "--nonce", "n"], "excludes --nonce"),
        (["--one-way", "--aud", BUS, "--replay-db", "r.db", "--no-require-kb"], "needs key binding"),
        (["--request", "CKQ1:X", "--aud", BUS], "already names"),
    ],
)
def test_verify_option_conflicts_exit_2(city: City, args: list[str], message: str) -> None:
    result = citykey("verify", "--bundle", city.tmp / "none.jwt", "--root", city.root, *args, stdin="x")
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unusable_replay_db_exits_2(city: City) -> None:
    junk = city.tmp / "junk.db"
    junk.write_bytes(b"not a database, not at all" * 100)
    result = citykey("verify", "--bundle", city.bundle(), "--root", city.root, "--one-way", "--aud", BUS,
                     "--replay-db", junk, stdin="x")
    assert result.exit_code == 2
    assert "cannot open the replay cache" in result.stderr
    assert os.path.getsize(junk) == 2600
