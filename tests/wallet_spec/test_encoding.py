"""Strict base64url and JSON: one spelling per value, nothing a lenient parser would guess at."""

from __future__ import annotations

import json

import pytest

from wallet_spec.encoding import (
    b64url_decode,
    b64url_encode,
    b64url_json,
    json_dumps,
    json_dumps_spaced,
    json_loads,
    sha256_b64url,
)
from wallet_spec.errors import FormatError


@pytest.mark.parametrize("data", [b"", b"\x00", b"ab", b"abc", b"\xff\xfe\xfd\xfc", bytes(range(256))])
def test_base64url_round_trips_without_padding(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert "+" not in text
    assert "/" not in text
    assert b64url_decode(text) == data


def test_base64url_uses_the_url_safe_alphabet() -> None:
    assert b64url_encode(b"\xfb\xff") == "-_8"


@pytest.mark.parametrize(
    "text",
    [
        "QQ==",  # padding
        "QQ=",
        "+/8",  # standard alphabet, not URL-safe
        "QU JD",  # whitespace
        "QUJD\n",
        "QUJDR",  # length 1 mod 4 can encode nothing
        "QR",  # non-zero trailing bits: decodes to b"A" but "QQ" is the one spelling
        "QUJDRF",  # likewise for two bytes of tail
        "é",
    ],
)
def test_base64url_refuses_non_canonical_spellings(text: str) -> None:
    with pytest.raises(FormatError):
        b64url_decode(text)


def test_base64url_error_names_what_was_decoded() -> None:
    with pytest.raises(FormatError, match="KB-JWT header"):
        b64url_decode("QQ==", what="KB-JWT header")


def test_disclosure_digest_matches_rfc9901_example() -> None:
    # RFC 9901 §4.2.3: digest of the family_name disclosure.
    disclosure = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    assert sha256_b64url(disclosure) == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"


def test_json_loads_reads_ordinary_json() -> None:
    assert json_loads('{"a": [1, 2.5, "Köln", null, true]}') == {"a": [1, 2.5, "Köln", None, True]}
    assert json_loads(b'"x"') == "x"


@pytest.mark.parametrize(
    "text",
    ['{"a": 1, "a": 2}', '{"x": {"a": 1, "a": 1}}', '[{"b": 0, "b": 0}]'],
)
def test_json_with_duplicate_member_names_is_refused(text: str) -> None:
    with pytest.raises(FormatError, match="duplicate"):
        json_loads(text)


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"exp": -Infinity}'])
def test_json_nan_and_infinity_are_refused(text: str) -> None:
    with pytest.raises(FormatError):
        json_loads(text)


@pytest.mark.parametrize("text", ["1e400", "[-1e400]", '{"exp": 1E999}'])
def test_json_numbers_overflowing_to_infinity_are_refused(text: str) -> None:
    with pytest.raises(FormatError):
        json_loads(text)


@pytest.mark.parametrize("text", ["", "{", "{'a': 1}", '{"a": 1,}', "[1] [2]", "\xff"])
def test_invalid_json_is_a_format_error(text: str) -> None:
    with pytest.raises(FormatError):
        json_loads(text)


def test_absurdly_nested_json_is_a_format_error_not_a_crash() -> None:
    with pytest.raises(FormatError):
        json_loads("[" * 100_000 + "]" * 100_000)


def test_json_error_names_what_was_parsed() -> None:
    with pytest.raises(FormatError, match="issuer payload"):
        json_loads('{"a":1,"a":1}', what="issuer payload")


def test_json_dumps_is_compact_and_keeps_unicode() -> None:
    assert json_dumps({"a": [1, "Möbius"], "b": None}) == '{"a":[1,"Möbius"],"b":null}'


def test_json_dumps_refuses_nan() -> None:
    with pytest.raises(ValueError, match="JSON"):
        json_dumps({"x": float("nan")})


def test_json_dumps_spaced_uses_rfc_example_separators() -> None:
    assert json_dumps_spaced(["salt", "name", {"a": 1}]) == '["salt", "name", {"a": 1}]'
    assert json.loads(json_dumps_spaced({"k": "Möbius"})) == {"k": "Möbius"}


def test_b64url_json_decodes_then_parses_strictly() -> None:
    assert b64url_json(b64url_encode(b'{"a":1}'), what="x") == {"a": 1}
    with pytest.raises(FormatError):
        b64url_json(b64url_encode(b'{"a":1,"a":2}'), what="x")
    with pytest.raises(FormatError):
        b64url_json(b64url_encode(b'{"a":1}') + "=", what="x")


# --- JSON is UTF-8 (RFC 8259 §8.1, RFC 9901 §4.2.1): docs/security.md item 11 -------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_json_in_utf16_or_utf32_is_refused(codec: str) -> None:
    # With a BOM it is not UTF-8; without one its NUL bytes are UTF-8 but not JSON. Never guessed.
    with pytest.raises(FormatError, match=r"not UTF-8|byte order mark|not valid JSON"):
        json_loads('{"alg":"ES256"}'.encode(codec), what="header")


def test_json_with_a_utf8_byte_order_mark_is_refused() -> None:
    for data in (b'\xef\xbb\xbf{"a":1}', '\ufeff{"a":1}'):
        with pytest.raises(FormatError, match="byte order mark"):
            json_loads(data, what="header")


@pytest.mark.parametrize("data", [b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"caf\xe9"'])
def test_json_bytes_that_are_not_utf8_are_refused(data: bytes) -> None:
    with pytest.raises(FormatError, match="not UTF-8"):
        json_loads(data)


def test_utf8_json_with_non_ascii_text_still_reads() -> None:
    assert json_loads('{"n":"Möbius 😀"}'.encode()) == {"n": "Möbius 😀"}
    assert json_loads(b'"\\ud83d\\ude00"') == "😀"  # an escaped surrogate *pair* is one character


# --- lone surrogates are not Unicode: docs/security.md item 12 ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '"\\ud800"',  # high surrogate alone
        '"\\udc00"',  # low surrogate alone
        '"a\\ude00\\ud83d"',  # a pair in the wrong order
        '{"sd_hash":"\\ud800"}',
        '{"\\ud800":1}',  # in a member name
        '[1,["x","\\udfff"]]',
        '"\ud800"',  # a raw lone surrogate in a str
    ],
)
def test_json_with_a_lone_surrogate_is_refused(text: str) -> None:
    with pytest.raises(FormatError, match="surrogate"):
        json_loads(text, what="KB-JWT payload")


def test_every_json_reader_in_the_project_goes_through_json_loads() -> None:
    """One reader, so the UTF-8 and surrogate rules above hold for every token, file and request body."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = {"loads", "load", "JSONDecoder", "raw_decode"}
    found = []
    for package in ("wallet_spec", "wallet", "keys", "issuer", "verifier", "citykey", "citykey_io"):
        for path in sorted((root / package).rglob("*.py")):
            if path == root / "wallet_spec" / "encoding.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in readers and getattr(node.value, "id", "") == "json":
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
                if isinstance(node, ast.ImportFrom) and node.module == "json":
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
