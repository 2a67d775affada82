"""`citykey sdjwt decode` and `citykey sdjwt verify`: output, JSON shape and exit codes.

A few cases run the installed console script end to end; the rest use typer's
CliRunner, which is much faster. Every credential is made here, at the current
time, because `verify` checks against the real clock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citykey.demo import DOLORES
from citykey.main import app
from wallet_spec.encoding import b64url_decode, b64url_encode
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk
from wallet_spec.keylist import signing_kid
from wallet_spec.present import present
from wallet_spec.profile import issue_credential
from wallet_spec.sdjwt import SdJwt

REPO = Path(__file__).resolve().parents[2]
NONCE = "cli-test-nonce-1"
AUD = "https://library.springfield.example"
RESIDENT = DOLORES
"""The demo's resident (`citykey demo`): a full address, born 1957."""

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def citykey_script() -> str:
    """The `citykey` console script of the environment running the tests."""
    for candidate in (Path(sys.executable).with_name("citykey"), REPO / ".venv" / "bin" / "citykey"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("citykey", path=str(Path(sys.executable).parent)) or shutil.which("citykey")
    assert found, "the citykey console script is not installed (pip install -e .)"
    return found


# --- data ---------------------------------------------------------------------------------------


class Keys:
    def __init__(self) -> None:
        self.issuer: PrivateKey = generate_private_key()
        self.holder: PrivateKey = generate_private_key()
        self.other: PrivateKey = generate_private_key()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def credential(keys: Keys) -> SdJwt:
    return issue_credential(
        RESIDENT,
        issuer="https://id.springfield.example",
        signing_key=keys.issuer,
        kid=signing_kid(keys.issuer),
        holder_key=keys.holder.public_key(),
        status_idx=7,
        status_uri="https://id.springfield.example/statuslists/1",
        now=int(time.time()),
    )


@pytest.fixture(scope="module")
def with_kb(credential: SdJwt, keys: Keys) -> str:
    """Residency and 65+, key-bound to AUD and NONCE, made now."""
    wanted = [("resident_of",), ("age_over_65",)]
    return present(credential, wanted, holder_key=keys.holder, nonce=NONCE, aud=AUD)


@pytest.fixture(scope="module")
def without_kb(credential: SdJwt) -> str:
    return present(credential, [("resident_of",)])


@pytest.fixture(scope="module")
def issuer_jwk(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Path:
    path = tmp_path_factory.mktemp("jwk") / "issuer.json"
    path.write_text(json.dumps(public_jwk(keys.issuer)))
    return path


@pytest.fixture(scope="module")
def other_jwk(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Path:
    path = tmp_path_factory.mktemp("jwk") / "other.json"
    path.write_text(json.dumps(public_jwk(keys.other)))
    return path


# --- helpers ----------------------------------------------------------------------------------


def run(args: list[str], stdin: str | bytes) -> Any:
    """Invoke the app in process; the result has exit_code, stdout and stderr."""
    return CliRunner().invoke(app, args, input=stdin, env={"COLUMNS": "200", "NO_COLOR": "1"})


def verify_json(jwk: Path, stdin: str | bytes, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(jwk), "--json", *extra], stdin)
    return result.exit_code, json.loads(result.stdout)


def codes(report: dict[str, Any]) -> list[str]:
    return [e["code"] for e in report["errors"]]


def assert_report_shape(report: dict[str, Any]) -> None:
    assert set(report) == {"valid", "claims", "errors"}
    assert isinstance(report["valid"], bool)
    assert isinstance(report["claims"], dict)
    for error in report["errors"]:
        assert set(error) == {"code", "message"}
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)


def tamper_signature(presentation: str) -> str:
    jwt, rest = presentation.split("~", 1)
    head, body, sig = jwt.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[0] ^= 0x01
    return f"{head}.{body}.{b64url_encode(bytes(raw))}~{rest}"


# --- end to end through the installed script ------------------------------------------------------


def script(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [citykey_script(), *args], input=stdin, capture_output=True, text=True, timeout=60, env=env, check=False
    )


def test_script_valid_presentation_with_kb(issuer_jwk: Path, with_kb: str) -> None:
    done = script(
        ["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk), "--nonce", NONCE, "--aud", AUD, "--json"],
        with_kb + "\n",
    )
    assert done.returncode == EXIT_OK, done.stderr
    report = json.loads(done.stdout)
    assert_report_shape(report)
    assert report["valid"] is True
    assert report["errors"] == []
    assert report["claims"]["resident_of"] == "Springfield"
    assert report["claims"]["age_over_65"] is True
    assert "given_name" not in report["claims"]
    assert "birthdate" not in report["claims"]


def test_script_wrong_nonce(issuer_jwk: Path, with_kb: str) -> None:
    done = script(
        ["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk), "--nonce", "not-the-nonce", "--json"], with_kb
    )
    assert done.returncode == EXIT_REJECTED
    report = json.loads(done.stdout)
    assert_report_shape(report)
    assert report["valid"] is False
    assert report["claims"] == {}
    assert codes(report) == ["nonce_mismatch"]


def test_script_garbage_stdin(issuer_jwk: Path) -> None:
    done = script(["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk)], "this is not an SD-JWT\n")
    assert done.returncode == EXIT_USAGE


def test_script_decode_human(with_kb: str) -> None:
    done = script(["sdjwt", "decode"], with_kb)
    assert done.returncode == EXIT_OK, done.stderr
    assert "KB-JWT" in done.stdout
    assert "resident_of" in done.stdout
    assert "2 disclosures" in done.stdout


# --- verify: outcomes -----------------------------------------------------------------------------


def test_valid_with_kb_and_full_policy(issuer_jwk: Path, with_kb: str) -> None:
    status, report = verify_json(issuer_jwk, with_kb, "--nonce", NONCE, "--aud", AUD, "--require-kb")
    assert status == EXIT_OK
    assert report["valid"] is True
    assert {"resident_of", "age_over_65", "iss", "vct", "cnf"} <= set(report["claims"])


def test_typ_option(issuer_jwk: Path, with_kb: str) -> None:
    assert verify_json(issuer_jwk, with_kb, "--typ", "dc+sd-jwt")[0] == EXIT_OK
    status, report = verify_json(issuer_jwk, with_kb, "--typ", "example+sd-jwt")
    assert status == EXIT_REJECTED
    assert codes(report) == ["typ_invalid"]


def test_aud_mismatch(issuer_jwk: Path, with_kb: str) -> None:
    status, report = verify_json(issuer_jwk, with_kb, "--nonce", NONCE, "--aud", "https://clinic.example")
    assert status == EXIT_REJECTED
    assert codes(report) == ["aud_mismatch"]


def test_replay_reports_every_failure(issuer_jwk: Path, with_kb: str) -> None:
    status, report = verify_json(issuer_jwk, with_kb, "--nonce", "other", "--aud", "https://clinic.example")
    assert status == EXIT_REJECTED
    assert codes(report) == ["nonce_mismatch", "aud_mismatch"]
    assert all(e["message"] for e in report["errors"])


def test_require_kb_without_kb(issuer_jwk: Path, without_kb: str) -> None:
    status, report = verify_json(issuer_jwk, without_kb, "--require-kb")
    assert status == EXIT_REJECTED
    assert report["valid"] is False
    assert codes(report) == ["kb_missing"]


@pytest.mark.parametrize("option", [["--nonce", NONCE], ["--aud", AUD]])
def test_nonce_or_aud_imply_require_kb(issuer_jwk: Path, without_kb: str, option: list[str]) -> None:
    """A nonce can only be checked in a KB-JWT; a presentation without one must not pass as VALID."""
    status, report = verify_json(issuer_jwk, without_kb, *option)
    assert status == EXIT_REJECTED
    assert codes(report) == ["kb_missing"]


def test_no_kb_accepted_when_not_required(issuer_jwk: Path, without_kb: str) -> None:
    status, report = verify_json(issuer_jwk, without_kb)
    assert status == EXIT_OK
    assert report["claims"]["resident_of"] == "Springfield"


def test_tampered_signature(issuer_jwk: Path, with_kb: str) -> None:
    status, report = verify_json(issuer_jwk, tamper_signature(with_kb))
    assert status == EXIT_REJECTED
    assert "signature_invalid" in codes(report)


def test_wrong_issuer_key(other_jwk: Path, with_kb: str) -> None:
    status, report = verify_json(other_jwk, with_kb, "--nonce", NONCE, "--aud", AUD)
    assert status == EXIT_REJECTED
    assert codes(report) == ["signature_invalid"]


def test_kb_by_another_holder(issuer_jwk: Path, credential: SdJwt, keys: Keys) -> None:
    stolen = present(credential, [("resident_of",)], holder_key=keys.other, nonce=NONCE, aud=AUD)
    status, report = verify_json(issuer_jwk, stolen, "--nonce", NONCE, "--aud", AUD)
    assert status == EXIT_REJECTED
    assert codes(report) == ["kb_signature_invalid"]


# --- verify: unreadable input and usage errors -----------------------------------------------------


@pytest.mark.parametrize(
    "stdin",
    [
        pytest.param("this is not an SD-JWT", id="words"),
        pytest.param("abc~def", id="no-jwt"),
        pytest.param("a.b.c~", id="jwt-not-base64-json"),
        pytest.param("eyJhbGciOiJFUzI1NiJ9~", id="not-a-jws"),
    ],
)
def test_garbage_stdin_is_usage_error(issuer_jwk: Path, stdin: str) -> None:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk)], stdin)
    assert result.exit_code == EXIT_USAGE


def test_garbage_stdin_json_report(issuer_jwk: Path) -> None:
    status, report = verify_json(issuer_jwk, "not an sd-jwt at all")
    assert status == EXIT_USAGE
    assert_report_shape(report)
    assert report["valid"] is False
    assert codes(report) == ["malformed"]


def test_malformed_disclosure_is_usage_error(issuer_jwk: Path, with_kb: str) -> None:
    jwt, rest = with_kb.split("~", 1)
    broken = f"{jwt}~{b64url_encode(b'{}')}~{rest}"
    status, report = verify_json(issuer_jwk, broken)
    assert status == EXIT_USAGE
    assert codes(report) == ["disclosure_malformed"]


@pytest.mark.parametrize("stdin", [b"", b"\n", b"   \n\t"], ids=["empty", "newline", "whitespace"])
def test_empty_stdin(issuer_jwk: Path, stdin: bytes) -> None:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk), "--json"], stdin)
    assert result.exit_code == EXIT_USAGE
    assert "no SD-JWT" in result.stderr


def test_non_ascii_stdin(issuer_jwk: Path) -> None:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk)], "Zoë~".encode())
    assert result.exit_code == EXIT_USAGE


def test_missing_jwk_file(tmp_path: Path, with_kb: str) -> None:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(tmp_path / "absent.json")], with_kb)
    assert result.exit_code == EXIT_USAGE
    assert "issuer JWK" in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("", id="empty"),
        pytest.param("{not json", id="not-json"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param('{"kty": "RSA", "n": "AQAB", "e": "AQAB"}', id="rsa"),
        pytest.param('{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}', id="short-coordinates"),
        pytest.param("[" * 100_000, id="deeply-nested"),
    ],
)
def test_invalid_jwk_file(tmp_path: Path, with_kb: str, content: str) -> None:
    path = tmp_path / "issuer.json"
    path.write_text(content)
    result = run(["sdjwt", "verify", "--issuer-jwk", str(path), "--json"], with_kb)
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""


def test_jwk_file_not_on_curve(tmp_path: Path, issuer_jwk: Path, with_kb: str) -> None:
    jwk = json.loads(issuer_jwk.read_text())
    jwk["y"] = jwk["x"]
    path = tmp_path / "issuer.json"
    path.write_text(json.dumps(jwk))
    assert run(["sdjwt", "verify", "--issuer-jwk", str(path)], with_kb).exit_code == EXIT_USAGE


def test_issuer_jwk_option_required(with_kb: str) -> None:
    assert run(["sdjwt", "verify"], with_kb).exit_code == EXIT_USAGE


# --- verify: human output -------------------------------------------------------------------------


def test_human_output_valid(issuer_jwk: Path, with_kb: str) -> None:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk), "--nonce", NONCE, "--aud", AUD], with_kb)
    assert result.exit_code == EXIT_OK
    assert result.stdout.splitlines()[0] == "VALID"
    assert "REJECTED" not in result.stdout
    assert "Springfield" in result.stdout


def test_human_output_rejected(issuer_jwk: Path, with_kb: str) -> None:
    args = ["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk), "--nonce", "other", "--aud", "https://x.example"]
    result = run(args, with_kb)
    assert result.exit_code == EXIT_REJECTED
    lines = result.stdout.splitlines()
    assert lines[0].startswith("REJECTED nonce_mismatch")
    assert lines[1].startswith("REJECTED aud_mismatch")
    assert "VALID" not in result.stdout.replace("REJECTED", "")
    assert "Springfield" not in result.stdout


def test_human_output_kb_missing(issuer_jwk: Path, without_kb: str) -> None:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk), "--require-kb"], without_kb)
    assert result.exit_code == EXIT_REJECTED
    assert "REJECTED kb_missing" in result.stdout


# --- decode ---------------------------------------------------------------------------------------


def decode_json(stdin: str) -> dict[str, Any]:
    result = run(["sdjwt", "decode", "--json"], stdin)
    assert result.exit_code == EXIT_OK, result.stderr
    decoded: dict[str, Any] = json.loads(result.stdout)
    return decoded


def test_decode_json_presentation_with_kb(with_kb: str, keys: Keys) -> None:
    decoded = decode_json(with_kb)
    assert set(decoded) == {"header", "payload", "disclosures", "kb_jwt"}
    assert decoded["header"] == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": signing_kid(keys.issuer)}
    assert decoded["payload"]["cnf"]["jwk"] == public_jwk(keys.holder)
    assert len(decoded["payload"]["_sd"]) == 16
    assert decoded["kb_jwt"]["header"] == {"alg": "ES256", "typ": "kb+jwt"}
    assert set(decoded["kb_jwt"]["payload"]) == {"iat", "aud", "nonce", "sd_hash"}
    assert decoded["kb_jwt"]["payload"]["nonce"] == NONCE
    assert decoded["kb_jwt"]["payload"]["aud"] == AUD


def test_decode_json_disclosures(with_kb: str) -> None:
    decoded = decode_json(with_kb)
    shown = SdJwt.parse(with_kb).disclosures
    assert decoded["disclosures"] == [
        {"digest": d.digest, "salt": d.salt, "name": d.name, "value": d.value} for d in shown
    ]
    assert {d["name"] for d in decoded["disclosures"]} == {"resident_of", "age_over_65"}
    assert all(d["digest"] in decoded["payload"]["_sd"] for d in decoded["disclosures"])


def test_decode_json_nested_disclosures(credential: SdJwt) -> None:
    decoded = decode_json(credential.serialize())
    assert "kb_jwt" not in decoded
    assert len(decoded["disclosures"]) == len(credential.disclosures)
    address = next(d for d in decoded["disclosures"] if d["name"] == "address")
    assert set(address["value"]) == {"_sd"}


def test_decode_checks_nothing(credential: SdJwt) -> None:
    """decode shows a token whatever its signature: it is a tool for looking, not for trusting."""
    decoded = decode_json(tamper_signature(credential.serialize()))
    assert decoded["payload"]["vct"] == "urn:citykey:id:1"


def test_decode_human_with_kb(with_kb: str) -> None:
    result = run(["sdjwt", "decode"], with_kb)
    assert result.exit_code == EXIT_OK
    for text in ("header", "payload", "2 disclosures", "resident_of", "age_over_65", "KB-JWT", NONCE):
        assert text in result.stdout, text


def test_decode_human_without_kb(without_kb: str) -> None:
    result = run(["sdjwt", "decode"], without_kb)
    assert result.exit_code == EXIT_OK
    assert "KB-JWT" not in result.stdout
    assert "1 disclosures" in result.stdout


@pytest.mark.parametrize("stdin", ["", "garbage", "a.b.c~", "x" * 70_000], ids=["empty", "words", "jws", "huge"])
def test_decode_unreadable(stdin: str) -> None:
    result = run(["sdjwt", "decode", "--json"], stdin)
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""
    assert result.stderr.startswith("error:")


def test_an_issuer_jwk_file_in_utf16_is_refused_not_guessed(issuer_jwk: Path, with_kb: str, tmp_path: Path) -> None:
    """docs/security.md item 11: JSON is read as UTF-8 only, files included."""
    utf16 = tmp_path / "issuer-utf16.jwk"
    utf16.write_bytes(issuer_jwk.read_text(encoding="utf-8").encode("utf-16"))
    result = run(["sdjwt", "verify", "--issuer-jwk", str(utf16), "--json"], with_kb)
    assert result.exit_code == EXIT_USAGE
    assert "not UTF-8" in result.output
    assert verify_json(issuer_jwk, with_kb)[0] == EXIT_OK


def test_the_keys_jwks_output_is_accepted_and_its_key_picked_by_kid(tmp_path: Path, keys: Keys, with_kb: str) -> None:
    def entry(key: PrivateKey) -> dict[str, Any]:
        return {**public_jwk(key), "kid": signing_kid(key), "use": "sig", "alg": "ES256"}

    metadata = tmp_path / "jwks.json"  # what `citykey keys jwks` prints
    metadata.write_text(json.dumps({"issuer": "https://id.springfield.example",
                                    "jwks": {"keys": [entry(keys.other), entry(keys.issuer)]}}))
    status, report = verify_json(metadata, with_kb, "--nonce", NONCE, "--aud", AUD)
    assert (status, report["valid"]) == (EXIT_OK, True)
    only_other = tmp_path / "other-set.json"
    only_other.write_text(json.dumps({"keys": [entry(keys.other)]}))
    status, report = verify_json(only_other, with_kb, "--nonce", NONCE, "--aud", AUD)
    assert (status, codes(report)) == (EXIT_REJECTED, ["unknown_key"])


def test_unreadable_input_says_unreadable_not_rejected(issuer_jwk: Path) -> None:
    result = run(["sdjwt", "verify", "--issuer-jwk", str(issuer_jwk)], "not an sd-jwt")
    assert result.exit_code == EXIT_USAGE
    assert result.stdout.startswith("UNREADABLE ")
