"""The attack corpus as the tests read it: the case files, the shared city, and one way to run a case.

`outcome` turns whatever a verifier does into (sorted codes, unreadable): a `VerificationFailed`
gives its codes, a `FormatError` its one code and `unreadable`, any other `CitykeyError` its code.
Anything else (a traceback) propagates: no input may end that way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from verifier import Policy, ReplayCache, verify
from wallet_spec import qr
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.errors import CitykeyError, FormatError, VerificationFailed
from wallet_spec.jwk import public_key_from_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.profile import VC_TYP
from wallet_spec.request import parse_request
from wallet_spec.statuslist import verify_token
from wallet_spec.verify import verify as core_verify

CORPUS = Path(__file__).resolve().parent / "corpus"

Outcome = tuple[list[str], bool]


@cache
def _text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def city() -> dict[str, Any]:
    city: dict[str, Any] = json.loads(_text("_city.json"))
    return city


def cases() -> list[dict[str, Any]]:
    return [json.loads(_text(p.name)) for p in sorted(CORPUS.glob("*.json")) if p.name != "_city.json"]


def outcome(run: Callable[[], object]) -> Outcome:
    try:
        run()
    except VerificationFailed as exc:
        return sorted(exc.codes), False
    except FormatError as exc:
        return [exc.code], True
    except CitykeyError as exc:
        return [exc.code], False
    return [], False


def expected(case: dict[str, Any], *, core: bool = False) -> Outcome:
    want = case["expected"]
    codes = want.get("core_codes", want["codes"]) if core else want["codes"]
    return list(codes), bool(want.get("unreadable", False)) and bool(codes)


def city_bundle(now: int | None = None) -> TrustBundle:
    c = city()
    return load_bundle(c["bundle"], c["root_thumbprint"], now=c["now"] if now is None else now)


def verifier_policy(case: dict[str, Any]) -> Policy:
    p = case["policy"]
    return Policy(nonce=p["nonce"], aud=p["aud"], require_key_binding=p["require_kb"], one_way=p["one_way"])


def text_of(case: dict[str, Any]) -> str:
    """The case's input; a huge one is stored as a short text and how many times to repeat it."""
    text: str = case["input"] * case.get("repeat", 1)
    return text


def inputs(case: dict[str, Any]) -> list[str]:
    """What is shown to the verifier, in order: `times` scans, the last one `then` when the case has it."""
    shown = [text_of(case)] * case["policy"]["times"]
    if "then" in case:
        shown[-1] = case["then"]
    return shown


def run_api(case: dict[str, Any], replay_db: Path) -> Outcome:
    """The verifier's answer to the case through the Python API (`verifier.verify` and friends)."""
    c = city()
    now = c["now"]
    kind, text = case["kind"], text_of(case)
    if kind == "presentation":
        policy = verifier_policy(case)
        with ReplayCache(replay_db) as replay:
            bundle = city_bundle()
            result: Outcome = ([], False)
            for shown in inputs(case):
                result = outcome(lambda s=shown: verify(s, bundle, policy, now=now, replay=replay))
            return result
    if kind == "bundle":
        policy = Policy(nonce=c["defaults"]["nonce"], aud=c["defaults"]["aud"])
        return outcome(lambda: verify(c["valid_presentation"], load_bundle(text, c["root_thumbprint"], now=now),
                                      policy, now=now))
    if kind == "statuslist":
        key_list = city_bundle().key_list
        return outcome(lambda: verify_token(text, lambda h, p: key_list.key_for(h.get("kid"), p.get("iat")), now=now))
    if kind == "qr":
        policy = Policy(nonce=c["defaults"]["nonce"], aud=c["defaults"]["aud"])
        return outcome(lambda: verify(qr.decode(text), city_bundle(), policy, now=now))
    if kind == "request":
        require = bool(case["policy"].get("require_signed", False))
        return outcome(lambda: parse_request(text, now=now, verifiers=city_bundle().verifiers,
                                             require_signed=require))
    raise AssertionError(f"unknown kind {kind}")


def core_policy(case: dict[str, Any]) -> KeyBindingPolicy:
    p = case["policy"]
    return KeyBindingPolicy(required=p["require_kb"], nonce=p["nonce"], aud=p["aud"])


def run_core(case: dict[str, Any]) -> Outcome:
    """The profile-free SD-JWT verifier (`wallet_spec.verify.verify`) given the city's active key."""
    c = city()
    key = public_key_from_jwk(c["issuer_public_jwk"])
    return outcome(lambda: core_verify(text_of(case), key, typ=VC_TYP, key_binding=core_policy(case), now=c["now"]))
