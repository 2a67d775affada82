"""wallet_spec/vectors/openid4vp.json is what tests/vectors/make_openid4vp.py makes, and our rules judge every case so.

The web wallet's rules (wallet/web/src/openid4vp.js) are held to the same file by `node --test`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wallet_spec import openid4vp
from wallet_spec.bundle import load_bundle
from wallet_spec.errors import CitykeyError, VerificationFailed

REPO = Path(__file__).resolve().parents[2]
FILE = REPO / "wallet_spec" / "vectors" / "openid4vp.json"
GENERATOR = REPO / "tests" / "vectors" / "make_openid4vp.py"
VECTORS = json.loads(FILE.read_text(encoding="utf-8"))
BUNDLE = load_bundle(VECTORS["bundle"], VECTORS["root"], now=VECTORS["now"])


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("citykey_make_openid4vp", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def codes(exc: CitykeyError) -> list[str]:
    return sorted(exc.codes) if isinstance(exc, VerificationFailed) else [exc.code]


def test_the_file_is_what_the_generator_makes() -> None:
    module = generator()
    assert FILE.read_text(encoding="utf-8") == module.render(module.build()), "rerun tests/vectors/make_openid4vp.py"


@pytest.mark.parametrize("case", VECTORS["requests"], ids=lambda c: c["name"])
def test_each_request_object_is_judged_as_the_file_says(case: dict[str, Any]) -> None:
    def judge() -> openid4vp.VerifiedRequest:
        return openid4vp.verify_authorization_request(case["request_object"], client_id_param=case["client_id"],
                                                      key_list=BUNDLE.key_list, now=VECTORS["now"])

    if "accepted" in case["expected"]:
        found = judge()
        assert found.verifier.name == case["expected"]["accepted"]["name"]
        assert list(found.request.dcql.claim_names) == case["expected"]["accepted"]["claim_names"]
    else:
        with pytest.raises(CitykeyError) as refused:
            judge()
        assert codes(refused.value) == case["expected"]["codes"]


@pytest.mark.parametrize("case", VECTORS["links"], ids=lambda c: c["name"])
def test_each_link_is_read_as_the_file_says(case: dict[str, Any]) -> None:
    if "accepted" in case["expected"]:
        assert openid4vp.parse_invocation(case["link"]) == tuple(case["expected"]["accepted"].values())
    else:
        with pytest.raises(CitykeyError) as refused:
            openid4vp.parse_invocation(case["link"])
        assert codes(refused.value) == case["expected"]["codes"]


def test_the_file_covers_the_refusals_a_wallet_must_make() -> None:
    found = {code for case in VECTORS["requests"] for code in case["expected"].get("codes", [])}
    assert {"request_out_of_scope", "verifier_unknown", "request_expired", "request_invalid", "signature_invalid",
            "unknown_key", "key_revoked", "key_not_valid", "typ_invalid", "alg_not_allowed", "too_large"} <= found
