"""Disclosures (RFC 9901 §4.2): salted claims, digested as the text received."""

from __future__ import annotations

from typing import Any

import pytest

from wallet_spec.disclosure import SALT_BYTES, Disclosure, new_salt
from wallet_spec.encoding import b64url_decode, b64url_encode, json_loads, sha256_b64url
from wallet_spec.errors import DisclosureMalformed, FormatError, UsageError

# RFC 9901 §4.2.1: one claim, four spellings, all valid, each with its own digest.
MOEBIUS = [
    "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
    "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNXHUwMGY2Yml1cyJd",
    "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsImZhbWlseV9uYW1lIiwiTcO2Yml1cyJd",
    "WwoiXzI2YmM0TFQtYWM2cTJLSTZjQlc1ZXMiLAoiZmFtaWx5X25hbWUiLAoiTcO2Yml1cyIKXQ",
]


def test_object_property_disclosure_encodes_salt_name_and_value() -> None:
    d = Disclosure.create("c2FsdA", "given_name", "Erika")
    assert json_loads(b64url_decode(d.encoded)) == ["c2FsdA", "given_name", "Erika"]
    assert d.digest == sha256_b64url(d.encoded)
    assert not d.is_array_element


def test_array_element_disclosure_encodes_salt_and_value_only() -> None:
    d = Disclosure.create("c2FsdA", None, "FR")
    assert json_loads(b64url_decode(d.encoded)) == ["c2FsdA", "FR"]
    assert d.is_array_element
    assert d.name is None


@pytest.mark.parametrize(
    "value", ["Möbius", 0, -1, 2**70, 1.5, True, False, None, [], {}, {"a": [1, {"b": None}]}, "🙂\u0000"]
)
def test_created_disclosure_parses_back_to_the_same_claim(value: Any) -> None:
    created = Disclosure.create(new_salt(), "claim", value)
    assert Disclosure.parse(created.encoded) == created


@pytest.mark.parametrize("name", ["_sd", "..."])
def test_reserved_claim_names_cannot_be_disclosed(name: str) -> None:
    with pytest.raises(UsageError):
        Disclosure.create(new_salt(), name, "x")


def test_every_rfc_spelling_of_a_claim_parses_to_the_same_claim_with_its_own_digest() -> None:
    parsed = [Disclosure.parse(text) for text in MOEBIUS]
    assert {(d.salt, d.name, d.value) for d in parsed} == {("_26bc4LT-ac6q2KI6cBW5es", "family_name", "Möbius")}
    assert len({d.digest for d in parsed}) == len(MOEBIUS)
    assert parsed[0].digest == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
    assert all(d.encoded == text for d, text in zip(parsed, MOEBIUS, strict=True))


def test_rfc_array_element_example_parses() -> None:
    d = Disclosure.parse("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0")
    assert (d.salt, d.name, d.value, d.is_array_element) == ("lklxF5jMYlGTPUovMNIvCA", None, "FR", True)


def _raw(text: str) -> str:
    return b64url_encode(text.encode())


@pytest.mark.parametrize(
    "encoded",
    [
        "!!",
        _raw('["s","n","v"]') + "=",
        _raw("not json"),
        _raw('{"salt":"s"}'),
        _raw('"s"'),
        _raw("[]"),
        _raw('["s"]'),
        _raw('["s","n","v","extra"]'),
        _raw('[1,"n","v"]'),
        _raw('[null,"v"]'),
        _raw('["s",7,"v"]'),
        _raw('["s",null,"v"]'),
        _raw('["s","n",{"a":1,"a":2}]'),
        _raw('["s","n",NaN]'),
    ],
)
def test_malformed_disclosure_is_refused(encoded: str) -> None:
    with pytest.raises(DisclosureMalformed) as info:
        Disclosure.parse(encoded)
    assert isinstance(info.value, FormatError)
    assert info.value.code == "disclosure_malformed"


def test_salts_carry_128_bits_and_never_repeat() -> None:
    salts = {new_salt() for _ in range(200)}
    assert len(salts) == 200
    assert all(len(b64url_decode(s)) == SALT_BYTES == 16 for s in salts)


def test_same_claim_with_fresh_salts_has_unlinkable_digests() -> None:
    a = Disclosure.create(new_salt(), "given_name", "Erika")
    b = Disclosure.create(new_salt(), "given_name", "Erika")
    assert a.digest != b.digest
    assert a.encoded != b.encoded
