"""The pre-application code (`CKA1:`): its vectors, its strict decoder, and the desk's rules it shares."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.desk.forms import read_resident
from tests.support import CONFORMANCE, vector
from tests.vectors import make_preapplication
from wallet_spec import attributes, preapplication
from wallet_spec.alphanumeric import b45encode
from wallet_spec.errors import CitykeyError, FormatError, PreapplicationDamaged, PreapplicationInvalid, TooLarge
from wallet_spec.preapplication import PREFIX, Preapplication, decode, encode

VECTORS: dict[str, Any] = vector(CONFORMANCE, "preapplication.json")
TODAY = dt.date.fromisoformat(VECTORS["today"])
EXTRA = frozenset(VECTORS["extra_fields"])


def test_the_vector_file_is_what_its_script_makes() -> None:
    path = make_preapplication.OUT
    assert path.read_text(encoding="utf-8") == make_preapplication.render(), (
        "wallet_spec/vectors/preapplication.json is stale: .venv/bin/python tests/vectors/make_preapplication.py"
    )


@pytest.mark.parametrize("case", VECTORS["encode"], ids=lambda c: c["name"])
def test_each_vector_encodes_to_its_body_and_decodes_to_its_values(case: dict[str, Any]) -> None:
    token = bytes.fromhex(case["token"]) if case["token"] else None
    application = Preapplication(case["values"], case["extra"], token)
    assert preapplication.encode_body(application).hex() == case["body"]
    assert decode(case["text"], today=TODAY, extra_fields=EXTRA) == application
    assert case["text"].startswith(PREFIX)
    assert set(case["text"][len(PREFIX):]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@pytest.mark.parametrize("case", VECTORS["decode_errors"], ids=lambda c: c["name"])
def test_each_bad_code_is_refused_with_its_code(case: dict[str, Any]) -> None:
    with pytest.raises(CitykeyError) as info:
        decode(case["text"], today=TODAY, extra_fields=EXTRA)
    assert info.value.code == case["code"]
    if isinstance(info.value, PreapplicationInvalid):
        assert info.value.problems == case["problems"]


def test_a_refusal_names_fields_and_faults_never_values() -> None:
    text = encode(Preapplication({"given_name": "Zq7secretx", "family_name": "Zq7family\u202ex", "birthdate": "1999"}))
    with pytest.raises(PreapplicationInvalid) as info:
        decode(text, today=TODAY)
    assert "Zq7" not in str(info.value)
    assert "1999" not in str(info.value)
    assert info.value.problems == {"family_name": "bad_characters", "birthdate": "bad_date"}


@pytest.mark.parametrize("case", VECTORS["field_checks"], ids=lambda c: c["name"])
def test_the_desk_form_finds_exactly_the_faults_the_code_does(case: dict[str, Any]) -> None:
    """One rule: the clerk's form refuses a field exactly when a pre-application with it is refused."""
    form = read_resident(case["values"], city="Springfield", today=TODAY)
    assert sorted(form.errors) == sorted(case["problems"])
    if any("\ud800" <= ch <= "\udfff" for v in case["values"].values() for ch in v):
        with pytest.raises(FormatError):  # not text at all: no code can carry it
            encode(Preapplication(case["values"]))
        return
    text = encode(Preapplication(case["values"]))
    if case["problems"]:
        with pytest.raises(PreapplicationInvalid) as info:
            decode(text, today=TODAY)
        assert info.value.problems == case["problems"]
    else:
        decoded = decode(text, today=TODAY)
        assert form.ok
        assert decoded.values == form.values


def test_the_size_is_bounded_before_base45_and_while_inflating() -> None:
    with pytest.raises(TooLarge):
        decode(PREFIX + "0" * preapplication.MAX_CHARS, today=TODAY)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, preapplication.DICTIONARY)
    bomb = deflater.compress(b"\x00" * (preapplication.MAX_BODY + 1)) + deflater.flush()
    text = PREFIX + b45encode(bomb)
    assert len(text) < 100
    with pytest.raises(TooLarge):
        decode(text, today=TODAY)


def test_a_code_that_is_not_a_preapplication_is_not_called_damaged() -> None:
    with pytest.raises(FormatError) as info:
        decode("CK1:ABC", today=TODAY)
    assert not isinstance(info.value, PreapplicationDamaged)
    assert "CKA1:" in info.value.message


def test_a_scanner_s_trailing_newline_is_ignored() -> None:
    case = VECTORS["encode"][0]
    assert decode(case["text"] + "\r\n", today=TODAY).values == case["values"]


def test_the_rules_for_pages_are_the_desk_s() -> None:
    rules = attributes.rules()
    assert rules["max_length"] == dict(attributes.MAX_LENGTH)
    assert rules == VECTORS["rules"]


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp")),
                min_size=1, max_size=40)


@settings(max_examples=80, deadline=None)
@given(given_name=names, family_name=names, street=names, day=st.dates(dt.date(1900, 1, 1), TODAY),
       token=st.none() | st.binary(min_size=16, max_size=16))
def test_every_valid_application_comes_back_unchanged(
    given_name: str, family_name: str, street: str, day: dt.date, token: bytes | None
) -> None:
    values = {name: attributes.clean(v) for name, v in (
        ("given_name", given_name), ("family_name", family_name), ("birthdate", day.isoformat()),
        ("street_address", street), ("locality", ""), ("postal_code", ""),
    )}
    if not values["given_name"] or not values["family_name"]:
        return
    application = Preapplication(values, token=token)
    assert decode(encode(application), today=TODAY) == application


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=len(PREFIX)), replacement=st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
def test_an_edited_code_never_fills_the_form_with_something_else(position: int, replacement: str) -> None:
    text = VECTORS["encode"][2]["text"]
    position = len(PREFIX) + position % (len(text) - len(PREFIX))
    edited = text[:position] + replacement + text[position + 1:]
    if edited == text:
        return
    with pytest.raises(FormatError):
        decode(edited, today=TODAY)
