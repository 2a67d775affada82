"""Every offline case of the attack corpus (tests/attacks/corpus/, made by make_attacks.py) gives its code.

Each case runs through the Python API (`verifier.verify` with the bundle, and for presentations also the
profile-free `wallet_spec.verify.verify`) and through the command line (`citykey verify` and `citykey
sdjwt verify`, exit code and the codes of `--json`). The commands read the clock; it is set to the
corpus's clock for them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citykey.main import app
from tests.attacks import make_attacks
from tests.attacks.corpus import CORPUS, Outcome, cases, city, expected, inputs, run_api, run_core, text_of
from wallet_spec.errors import all_error_classes

PENDING: dict[str, str] = {}
"""Cases whose expected code depends on a fix not yet merged, by the `pending` their file names, with the
reason (e.g. "fixed by issue 9 item 9, not on main yet"): run as strict expected failures until it lands.
Empty at the last merge of main: every case gives its code."""

ALL = cases()
OFFLINE = [c for c in ALL if c["kind"] != "http"]
PRESENTATIONS = [c for c in OFFLINE if c["kind"] == "presentation"]
ON_THE_COMMAND_LINE = [c for c in OFFLINE if c["kind"] in {"presentation", "bundle", "qr"}]


def marked(selection: list[dict[str, Any]]) -> list[Any]:
    params = []
    for case in selection:
        marks = []
        if "pending" in case:
            marks.append(pytest.mark.xfail(strict=True, reason=PENDING[case["pending"]], raises=AssertionError))
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


# --- the corpus itself ---------------------------------------------------------------------------


def test_the_corpus_is_large_and_covers_the_brief() -> None:
    names = {c["name"] for c in ALL}
    assert len(ALL) >= 80
    for case in ALL:
        assert set(case) >= {"name", "source", "description", "kind", "expected"}, case["name"]
        assert case["source"], case["name"]
        assert case["description"], case["name"]
        assert (CORPUS / f"{case['name']}.json").is_file()
    for needed in ("alg-none-junk-signature", "key-injection-jwk", "key-injection-jku", "key-injection-x5c",
                   "key-injection-x5u", "signature-truncated", "signature-high-s-twin", "disclosure-duplicated",
                   "disclosure-overwrites-iss", "disclosure-reserved-name-sd", "array-element-referenced-from-sd",
                   "sd-alg-sha-1", "kb-missing", "kb-other-holder-key", "kb-sd-hash-missing", "kb-aud-other-verifier",
                   "kb-nonce-wrong", "kb-iat-stale", "kb-iat-future", "kb-typ-jwt", "replay-one-way-second-scan",
                   "replay-challenge-old-nonce", "revoked-credential", "signed-by-revoked-key",
                   "retired-key-signs-after-retirement", "bundle-stale", "bundle-foreign-root", "bundle-tampered",
                   "status-index-outside-list", "statuslist-compression-bomb", "presentation-oversize",
                   "disclosure-deep-nesting", "kb-duplicate-json-names", "kb-iat-1e400", "kb-iat-negative-zero",
                   "kb-iat-huge-integer", "kb-aud-homoglyph", "offer-code-reused", "offer-expired",
                   "proof-nonce-reused", "batch-overflow", "receipt-forged", "receipt-edited",
                   "desk-csrf-missing-token", "desk-session-fixation", "desk-password-guessing"):
        assert needed in names, needed


def test_every_expected_code_is_a_real_code() -> None:
    codes = {cls.code for cls in all_error_classes()}
    for case in OFFLINE:
        assert set(case["expected"]["codes"]) <= codes, case["name"]
        assert set(case["expected"].get("core_codes", [])) <= codes, case["name"]


def without_inputs(case: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in case.items() if k not in {"input", "then"}}


def test_files_match_the_generator() -> None:
    """Names, sources, descriptions, policies and expected codes are what make_attacks.py writes
    (inputs carry randomized ECDSA signatures, so they are compared by kind and length only)."""
    built = make_attacks.build()
    on_disk = {c["name"]: c for c in ALL}
    made = {v["name"]: v for k, v in built.items() if k != "_city.json"}
    assert sorted(made) == sorted(on_disk), "rerun tests/attacks/make_attacks.py"
    for name, case in made.items():
        assert without_inputs(case) == without_inputs(on_disk[name]), name
        if "input" in case:
            assert type(case["input"]) is type(on_disk[name]["input"]), name
    shared = json.loads((Path(__file__).resolve().parents[2] / "wallet_spec" / "vectors" / "attacks.json").read_text())
    assert sorted(c["name"] for c in shared["cases"]) == sorted(c["name"] for c in OFFLINE)


# --- the Python API -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", marked(OFFLINE))
def test_the_verifier_refuses_with_the_expected_codes(case: dict[str, Any], tmp_path: Path) -> None:
    assert run_api(case, tmp_path / "replay.db") == expected(case)


@pytest.mark.parametrize("case", marked([c for c in PRESENTATIONS if c["policy"]["times"] == 1]))
def test_the_sd_jwt_core_refuses_with_the_expected_codes(case: dict[str, Any]) -> None:
    assert run_core(case) == expected(case, core=True)


# --- the command line -----------------------------------------------------------------------------


def invoke(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, Any] | None]:
    monkeypatch.setattr(time, "time", lambda: float(city()["now"]))
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, None


def cli_outcome(code: int, body: dict[str, Any] | None) -> tuple[int, list[str]]:
    assert body is not None
    return code, sorted(e["code"] for e in body["errors"])


def exit_code(outcome: Outcome) -> int:
    codes, unreadable = outcome
    return 0 if not codes else 2 if unreadable else 1


@pytest.mark.parametrize("case", marked(ON_THE_COMMAND_LINE))
def test_citykey_verify_refuses_with_the_expected_codes(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = city()
    bundle = tmp_path / "bundle.jwt"
    bundle.write_text(text_of(case) if case["kind"] == "bundle" else c["bundle"], encoding="ascii")
    args = ["verify", "--bundle", str(bundle), "--root", c["root_thumbprint"], "--json"]
    p = case.get("policy", c["defaults"])
    if p["one_way"]:
        args += ["--one-way", "--aud", p["aud"], "--replay-db", str(tmp_path / "replay.db")]
    else:
        args += ["--nonce", p["nonce"], "--aud", p["aud"]]
    shown = inputs(case) if case["kind"] == "presentation" else [c["valid_presentation"]] \
        if case["kind"] == "bundle" else [text_of(case)]
    got: tuple[int, list[str]] = (0, [])
    for text in shown:
        got = cli_outcome(*invoke(args, text, monkeypatch))
    want = expected(case)
    assert got == (exit_code(want), want[0])


@pytest.mark.parametrize("case", marked([c for c in PRESENTATIONS if c["policy"]["times"] == 1]))
def test_citykey_sdjwt_verify_refuses_with_the_expected_codes(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwk = tmp_path / "issuer.jwk"
    jwk.write_text(json.dumps(city()["issuer_public_jwk"]))
    p = case["policy"]
    args = ["sdjwt", "verify", "--issuer-jwk", str(jwk), "--typ", "dc+sd-jwt", "--json", "--aud", p["aud"]]
    if p["nonce"] is not None:
        args += ["--nonce", p["nonce"]]
    want = expected(case, core=True)
    assert cli_outcome(*invoke(args, text_of(case), monkeypatch)) == (exit_code(want), want[0])
