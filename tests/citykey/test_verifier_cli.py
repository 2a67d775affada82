"""`citykey verifier …`, `wallet present --request`, and `verify` with requests, photos and one-way mode.

The city (key store, issuer database, bundles) is made with the issuer library
at the real clock, with KDF costs lowered; verifiers, wallets and verification
run as commands in process (typer's CliRunner).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from citykey import verifier as verifier_cli
from citykey_io import pem
from keys import KeyStore
from tests.citykey.cli import (  # noqa: F401
    BUS,
    ENV,
    ISSUER,
    KEY_PASSPHRASE,
    REGISTERED,
    RESIDENT,
    VERIFIER_PASSPHRASE,
    City,
    citykey,
    ok,
)
from wallet_spec import jws, qr
from wallet_spec.jwk import generate_private_key, private_jwk, public_jwk
from wallet_spec.request import encode_request, make_request, parse_request
from wallet_spec.sdjwt import SdJwt


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
                     "--jwk", city.tmp / "v.jwk", "--may-ask", "resident_of,age_over_65", "--json",
                     env={"CITYKEY_KEY_PASSPHRASE": None})
    assert result.exit_code == 0, result.stderr
    entry = json.loads(result.stdout)
    (listed,) = KeyStore.open(city.keys).verifiers()
    assert entry == {"kid": listed.kid, "aud": BUS, "name": "Springfield Transit",
                     "may_ask": ["resident_of", "age_over_65"]}  # the scope is recorded (security item 3)
    assert json.loads(ok("verifier", "list", "--keys", city.keys, "--json"))["verifiers"] == [
        {**listed.to_json(), "kid": listed.kid}]
    # verifier.json handed over whole works too
    ok("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Transit",
       "--jwk", city.tmp / "v" / verifier_cli.PUBLIC_FILE, "--may-ask", "resident_of,age_over_65")
    assert [v.name for v in KeyStore.open(city.keys).verifiers()] == ["Transit"]
    removed = json.loads(ok("verifier", "remove", "--keys", city.keys, "--json", "--", listed.kid))
    assert removed["removed"] == listed.kid
    assert KeyStore.open(city.keys).verifiers() == ()
    gone = citykey("verifier", "remove", "--keys", city.keys, "--", listed.kid)
    assert (gone.exit_code, gone.stderr.split(":")[:2]) == (2, ["error", " keystore_error"])


def test_registering_a_private_jwk_or_into_no_key_store_exits_2(city: City) -> None:
    (city.tmp / "private.jwk").write_text(json.dumps(private_jwk(generate_private_key())))
    result = citykey("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Bus",
                     "--jwk", city.tmp / "private.jwk", "--may-ask", "resident_of,age_over_65")
    assert result.exit_code == 2
    assert "private key" in result.stderr
    (city.tmp / "public.jwk").write_text(json.dumps(public_jwk(generate_private_key())))
    nowhere = citykey("verifier", "register", "--keys", city.tmp / "nowhere", "--aud", BUS, "--name", "Bus",
                      "--jwk", city.tmp / "public.jwk", "--may-ask", "resident_of,age_over_65")
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
       "--jwk", city.tmp / "v.jwk", "--may-ask", "resident_of,age_over_65")
    wallet = city.wallet()
    bundle = city.bundle()  # after the issuance, so that it holds the batch's status list
    request = ok("verifier", "challenge", "--dir", directory, "--claims", "resident_of,age_over_65").strip()
    result = citykey("wallet", "present", "--dir", wallet, "--request", request, "--bundle", bundle,
                     "--root", city.root)
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
    result = citykey("wallet", "present", "--dir", wallet, "--request", request, "--allow-unsigned")
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
    result = citykey("wallet", "present", "--dir", wallet, "--request", request, "--allow-unsigned", "--qr", png)
    assert result.exit_code == 0, result.stderr
    text = result.stdout.strip()
    assert text.startswith(qr.PREFIX)
    assert png.read_bytes().startswith(b"\x89PNG")
    code, out = city.verify("--request", request, "--image", png)
    assert (code, disclosed(out["claims"])) == (0, {"resident_of": "Springfield", "age_over_65": True})
    code, out = city.verify("--request", request, stdin=text)  # a keyboard-wedge scanner types the CK2 text
    assert code == 0
    terminal = citykey("wallet", "present", "--dir", wallet, "--request", request, "--allow-unsigned", "--terminal")
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
                             "--bundle", bundle, "--root", city.root],
        "request_expired": ["--request", encode_request(make_request(
            aud=BUS, claims=["resident_of"], name="Bus", now=int(time.time()) - 600)), "--allow-unsigned"],
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
        (["--claims", "resident_of", "--allow-unsigned"], "check a --request"),
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
        (["--one-way", "--aud", BUS, "--replay-db", "r.db", "--accept-paper"], "needs key binding"),
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


# --- docs/security.md item 3: verifiers are scoped by the city -------------------------------------------


def test_verifier_register_records_what_it_may_ask_and_list_shows_it(city: City) -> None:
    new_verifier(city.tmp)
    missing = citykey("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Springfield Transit",
                      "--jwk", city.tmp / "v.jwk")
    assert missing.exit_code == 2
    assert "--may-ask" in missing.stderr
    ok("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Springfield Transit",
       "--jwk", city.tmp / "v.jwk", "--may-ask", "resident_of, age_over_65")
    assert "may ask: resident_of, age_over_65" in ok("verifier", "list", "--keys", city.keys)


def test_the_wallet_refuses_a_listed_verifier_asking_beyond_its_scope_with_exit_1(city: City) -> None:
    directory = new_verifier(city.tmp)
    ok("verifier", "register", "--keys", city.keys, "--aud", BUS, "--name", "Springfield Transit",
       "--jwk", city.tmp / "v.jwk", "--may-ask", "resident_of,age_over_65")
    wallet = city.wallet()
    bundle = city.bundle()
    greedy = ok("verifier", "challenge", "--dir", directory, "--claims", "resident_of,given_name,birthdate").strip()
    for extra in ([], ["--allow-unsigned"]):
        result = citykey("wallet", "present", "--dir", wallet, "--request", greedy, "--bundle", bundle,
                         "--root", city.root, *extra)
        assert result.exit_code == 1, result.stderr
        assert result.stderr.startswith("error: request_out_of_scope: ")
        assert result.stdout == ""
    listing = json.loads(ok("wallet", "list", "--dir", wallet, "--json"))
    assert [c["uses"] for c in listing["credentials"]] == [0, 0, 0, 0]  # nothing was shown


def test_an_unsigned_request_is_answered_only_with_allow_unsigned_never_silently(city: City) -> None:
    wallet = city.wallet()
    bundle = city.bundle()
    fake = ok("verifier", "challenge", "--aud", "https://cityhall.example", "--name", "Springfield City Hall",
              "--claims", "resident_of").strip()
    for where in ([], ["--bundle", bundle, "--root", city.root]):
        refused = citykey("wallet", "present", "--dir", wallet, "--request", fake, *where)
        assert refused.exit_code == 1
        assert refused.stderr.startswith("error: request_unsigned: unknown asker")
        assert "--allow-unsigned" in refused.stderr
        assert refused.stdout == ""
    answered = citykey("wallet", "present", "--dir", wallet, "--request", fake, "--allow-unsigned")
    assert answered.exit_code == 0, answered.stderr
    assert "UNKNOWN ASKER 'Springfield City Hall'" in answered.stderr
