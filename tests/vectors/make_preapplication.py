"""Generate wallet_spec/vectors/preapplication.json: pre-applications ↔ `CKA1:` texts, for every other codec.

Run by hand from the repository root after a deliberate change to `wallet_spec.preapplication`
or `wallet_spec.attributes`:

    .venv/bin/python tests/vectors/make_preapplication.py

Every input is fixed, so the file is byte-identical on every run and
`tests/wallet_spec/test_preapplication.py` holds it to this script. `encode` fixes each
body byte for byte and gives Python's text (another deflate may pick other matches; every
decoder must read every encoder's text). `decode_errors` are texts every decoder must refuse,
with the error code and, for attribute faults, the problem of each field. `field_checks` are
the desk's rules on single forms (what the `/apply/` page checks before it encodes), and
`rules` the JSON the page is built with (`citykey apply rules`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from wallet_spec import attributes, preapplication
from wallet_spec.alphanumeric import b45decode, b45encode, pack
from wallet_spec.errors import CitykeyError, PreapplicationInvalid
from wallet_spec.preapplication import DICTIONARY, PREFIX, Preapplication, encode, encode_body

OUT = Path(__file__).resolve().parents[2] / "wallet_spec" / "vectors" / "preapplication.json"
TODAY = dt.date(2025, 6, 1)
EXTRA_FIELDS = ["library_branch", "ward"]


def token(label: str) -> bytes:
    return hashlib.sha256(f"citykey-preapplication:{label}".encode()).digest()[:16]


FULL = {
    "given_name": "Dolores",
    "family_name": "Abernathy",
    "birthdate": "1950-03-17",
    "street_address": "742 Evergreen Terrace",
    "locality": "Springfield",
    "postal_code": "49007",
}
VALID: list[tuple[str, Preapplication]] = [
    ("required fields only", Preapplication({"given_name": "Ann", "family_name": "Lee", "birthdate": "2001-12-31"})),
    ("every field", Preapplication(FULL)),
    ("with an appointment token", Preapplication(FULL, token=token("slot"))),
    (
        "non-ASCII names and address",
        Preapplication({
            "given_name": "José María", "family_name": "Núñez-Ó'Brien", "birthdate": "1900-01-01",
            "street_address": "Calle de la Ñandú 5, 3º izq.", "locality": "São Paulo", "postal_code": "01310-100",
        }),
    ),
    ("scripts beyond Latin", Preapplication(
        {"given_name": "美咲", "family_name": "Дмитриева", "birthdate": "1988-02-29", "locality": "القاهرة"}
    )),
    ("extra fields of the city", Preapplication(FULL, extra={"library_branch": "Main", "ward": "12"},
                                               token=token("extra"))),
    ("fields at their limits", Preapplication({
        "given_name": "G" * 100, "family_name": "𝔉" * 100, "birthdate": "1999-01-01",
        "street_address": "S" * 200, "locality": "L" * 100, "postal_code": "9" * 20,
    })),
]


def body_text(body: bytes) -> str:
    return pack(PREFIX, body, DICTIONARY)


def with_check(content: bytes) -> bytes:
    return content + hashlib.sha256(content).digest()[:4]


def bad_texts() -> list[tuple[str, str]]:
    good = encode(Preapplication(FULL, token=token("slot")))
    body = encode_body(Preapplication(FULL))
    flipped = bytearray(body)
    flipped[5] ^= 0x01  # a letter of the given name, checksum unchanged
    content = body[:-4]
    last = good[-1]
    return [
        ("not ours: another prefix", "CK1:" + good[len(PREFIX):]),
        ("not ours: a URL", "https://id.springfield.example/apply/"),
        ("cut short: the last characters missing", good[:-6]),
        ("cut short: one character missing", good[:-1]),
        ("not Base45: a lower-case letter", good[:12] + "a" + good[13:]),
        ("one character changed", good[:-1] + ("0" if last != "0" else "1")),
        ("a field's letter changed, the checksum kept", body_text(bytes(flipped))),
        ("checksum missing", body_text(content)),
        ("unknown version", body_text(with_check(bytes([2]) + content[1:]))),
        ("unknown flag", body_text(with_check(bytes([1, 0x02]) + content[2:]))),
        ("token flag without a token", body_text(with_check(bytes([1, 0x01]) + content[2:]))),
        ("trailing octet", body_text(with_check(content + b"\x00"))),
        ("a length not in shortest form", body_text(with_check(bytes([1, 0, 0x83, 0x00]) + b"Ann" + content[10:]))),
        ("a field that is not UTF-8", body_text(with_check(bytes([1, 0, 2, 0xC3, 0x28]) + content[9:]))),
        ("no body", PREFIX),
        ("trailing deflate data", PREFIX + b45encode(b45decode(good[len(PREFIX):]) + b"\x00")),
    ]


INVALID: list[tuple[str, Preapplication]] = [
    ("nothing filled in", Preapplication({})),
    ("birthdate missing", Preapplication({**FULL, "birthdate": ""})),
    ("birthdate in another spelling", Preapplication({**FULL, "birthdate": "17/03/1950"})),
    ("birthdate not a day", Preapplication({**FULL, "birthdate": "1950-02-30"})),
    ("birthdate in the future", Preapplication({**FULL, "birthdate": "2025-06-02"})),
    ("birthdate before 1900", Preapplication({**FULL, "birthdate": "1899-12-31"})),
    ("birthdate with non-ASCII digits", Preapplication({**FULL, "birthdate": "١٩٥٠-03-17"})),
    ("a name too long", Preapplication({**FULL, "given_name": "G" * 101})),
    ("a bidi override in a name", Preapplication({**FULL, "family_name": "Aber\u202enathy"})),
    ("a zero-width space in the street", Preapplication({**FULL, "street_address": "742\u200b Evergreen"})),
    ("a newline in the locality", Preapplication({**FULL, "locality": "Spring\nfield"})),
    ("a private-use character", Preapplication({**FULL, "postal_code": "49\ue000"})),
    ("only white space for a name", Preapplication({**FULL, "given_name": " \t "})),
    ("an extra field the city does not ask for", Preapplication(FULL, extra={"favourite_colour": "blue"})),
    ("an extra field too long", Preapplication(FULL, extra={"ward": "1" * 201})),
]

FIELD_CHECKS: list[tuple[str, dict[str, str]]] = [
    ("every field", FULL),
    ("untrimmed and decomposed: cleaned first", {**FULL, "given_name": "  Jose\u0301 ", "family_name": "\tLee"}),
    ("leap day", {**FULL, "birthdate": "2000-02-29"}),
    ("not a leap year", {**FULL, "birthdate": "1900-02-29"}),
    ("today", {**FULL, "birthdate": TODAY.isoformat()}),
    ("a year with five digits", {**FULL, "birthdate": "19500-03-17"}),
    ("a week date", {**FULL, "birthdate": "1950-W11-5"}),
    *[(name, dict(application.values)) for name, application in INVALID if not application.extra],
    ("a name at the limit in astral characters", {**FULL, "family_name": "𝔉" * 100}),
    ("a name one over the limit in astral characters", {**FULL, "family_name": "𝔉" * 101}),
    ("a postal code too long", {**FULL, "postal_code": "1" * 21}),
    ("a soft hyphen", {**FULL, "family_name": "Aber\u00adnathy"}),
    ("an unassigned code point", {**FULL, "locality": "Spring\U000e0fffield"}),
    ("a lone surrogate", {**FULL, "locality": "Spring\ud800field"}),
]


def error_of(text: str) -> dict[str, Any]:
    try:
        preapplication.decode(text, today=TODAY, extra_fields=frozenset(EXTRA_FIELDS))
    except PreapplicationInvalid as exc:
        return {"code": exc.code, "problems": dict(sorted(exc.problems.items()))}
    except CitykeyError as exc:
        return {"code": exc.code}
    raise AssertionError(f"accepted: {text}")


def vectors() -> dict[str, Any]:
    encoded = []
    for name, application in VALID:
        text = encode(application)
        decoded = preapplication.decode(text, today=TODAY, extra_fields=frozenset(EXTRA_FIELDS))
        assert decoded == Preapplication(
            {f: application.values.get(f, "") for f in attributes.FIELDS}, application.extra, application.token
        ), name
        encoded.append({
            "name": name,
            "values": {f: application.values.get(f, "") for f in attributes.FIELDS},
            "extra": dict(application.extra),
            "token": application.token.hex() if application.token else None,
            "body": encode_body(application).hex(),
            "text": text,
        })
    errors = [{"name": name, "text": text, **error_of(text)} for name, text in bad_texts()]
    errors += [{"name": name, "text": encode(application), **error_of(encode(application))}
               for name, application in INVALID]
    checks = []
    for name, values in FIELD_CHECKS:
        cleaned = {f: attributes.clean(values.get(f, "")) for f in attributes.FIELDS}
        problems = attributes.check_fields(cleaned, today=TODAY)
        checks.append({"name": name, "values": values, "problems": {k: str(v) for k, v in sorted(problems.items())}})
    return {
        "about": "CKA1: pre-application codes (wallet_spec/preapplication.py); tests/vectors/make_preapplication.py",
        "today": TODAY.isoformat(),
        "extra_fields": EXTRA_FIELDS,
        "prefix": PREFIX,
        "dictionary": DICTIONARY.decode("ascii"),
        "rules": attributes.rules(),
        "encode": encoded,
        "decode_errors": errors,
        "field_checks": checks,
    }


def render() -> str:
    return json.dumps(vectors(), indent=1, ensure_ascii=True) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
