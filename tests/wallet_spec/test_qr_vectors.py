"""wallet_spec/vectors/qr.json is what tests/vectors/make_qr.py makes, and our codec agrees with every case.

The web wallet's codec (wallet/web) is held to the same file by `node --test`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from wallet_spec import qr
from wallet_spec.errors import CitykeyError

REPO = Path(__file__).resolve().parents[2]
FILE = REPO / "wallet_spec" / "vectors" / "qr.json"
GENERATOR = REPO / "tests" / "vectors" / "make_qr.py"
VECTORS = json.loads(FILE.read_text(encoding="utf-8"))
CK1 = json.loads((REPO / "wallet_spec" / "vectors" / "qr_ck1.json").read_text(encoding="utf-8"))


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("citykey_make_qr", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_file_is_what_the_generator_makes() -> None:
    module = generator()
    assert FILE.read_text(encoding="utf-8") == module.render(module.build()), "rerun tests/vectors/make_qr.py"


def test_the_codec_constants_file_is_what_the_generator_makes() -> None:
    module = generator()
    codec = module.CODEC_OUT.read_text(encoding="utf-8")
    assert codec == module.render(module.codec()), "rerun tests/vectors/make_qr.py"


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_each_case_round_trips(case: dict[str, str]) -> None:
    assert qr.encode(case["presentation"]) == case["qr"]
    assert qr.decode(case["qr"]) == case["presentation"]


@pytest.mark.parametrize("case", CK1["cases"], ids=lambda c: c["name"])
def test_each_published_ck1_code_still_decodes_and_is_now_written_as_ck2(case: dict[str, str]) -> None:
    assert case["qr"].startswith(qr.LEGACY_PREFIX)
    assert qr.decode(case["qr"]) == case["presentation"]
    assert qr.encode(case["presentation"]).startswith(qr.PREFIX)


@pytest.mark.parametrize("case", VECTORS["decode_errors"], ids=lambda c: c["name"])
def test_each_bad_text_is_refused_with_its_code(case: dict[str, str]) -> None:
    with pytest.raises(CitykeyError) as caught:
        qr.decode(case["qr"])
    assert caught.value.code == case["error"]


def test_the_file_covers_raw_parts_and_values() -> None:
    names = {c["name"] for c in VECTORS["cases"]}
    assert {"city-id-everything", "raw-float", "raw-lone-surrogate", "value-integers", "disclosure-element"} <= names
    assert VECTORS["known"] == list(qr.KNOWN)
