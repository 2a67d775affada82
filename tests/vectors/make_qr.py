"""Generate wallet_spec/vectors/qr.json: presentation text ↔ `CK1:` QR text, for every other codec.

Run by hand from the repository root after a deliberate change to `wallet_spec.qr`:

    .venv/bin/python tests/vectors/make_qr.py

Every input is fixed: salts and signature bytes are derived from labels
(SHA-256 of "citykey-qr:<label>"), so the file is byte-identical on every run
and `tests/wallet_spec/test_qr_vectors.py` can hold it to this script. The
signatures are not valid ECDSA signatures (the codec carries signature bytes
as they are and never checks them); everything else is shaped like what the
city issues, plus the corners of the format: parts that must travel raw
(spaces, floats, escapes, huge integers, duplicate names, deep nesting) and
the value forms (known strings, base64url of 32 and other lengths, integers
beyond 2**53, non-ASCII text, array-element disclosures).

`decode_errors` are QR texts that every decoder must refuse (a `FormatError`
or `TooLarge` in Python), each with the reason.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from wallet_spec import qr, request
from wallet_spec.alphanumeric import b45decode, b45encode, pack
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps, json_dumps_spaced, sha256_b64url
from wallet_spec.errors import FormatError, TooLarge, VerificationFailed
from wallet_spec.jwk import public_jwk, thumbprint
from wallet_spec.sdjwt import DEFAULT_LIMITS

OUT = Path(__file__).resolve().parents[2] / "wallet_spec" / "vectors" / "qr.json"
CODEC_OUT = OUT.with_name("qr_codec.json")
"""The codec's constants, which the web wallet's codec (wallet/web/src/qr.js) imports instead of repeating."""

ISSUER = "https://id.springfield.example"
BUS = "https://transit.springfield.example"
HOLDER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "TVCk8MaeyHFP4MP2kzZjFS6pU82grcHqhFl9g2CMAHo",
    "y": "ig0lKcmWI_Y_DGZfRhXh6dAcPbuTrTS5HJ1NU_H8E4M",
}


def octets(label: str, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"citykey-qr:{label}:{counter}".encode("ascii")).digest()
        counter += 1
    return out[:n]


def salt(label: str) -> str:
    return b64url_encode(octets("salt:" + label, 16))


def part(value: Any, dumps: Any = json_dumps) -> str:
    return b64url_encode(dumps(value).encode("utf-8"))


def raw_part(text: str) -> str:
    return b64url_encode(text.encode("utf-8"))


def disclosure(label: str, *rest: Any, dumps: Any = json_dumps) -> str:
    return part([salt(label), *rest], dumps)


def jwt(header: str, payload: str, label: str, sig_len: int = 64) -> str:
    return f"{header}.{payload}.{b64url_encode(octets('sig:' + label, sig_len))}"


def kb(sd_part: str, label: str, *, nonce: str = "xK9ptOa2Qv-one-way", iat: int = 1_767_225_600) -> str:
    header = part({"alg": "ES256", "typ": "kb+jwt"})
    payload = part({"iat": iat, "aud": BUS, "nonce": nonce, "sd_hash": sha256_b64url(sd_part)})
    return jwt(header, payload, "kb:" + label)


def sd_jwt(label: str, header: str, payload: str, disclosures: list[str], *, with_kb: bool = True) -> str:
    sd_part = jwt(header, payload, label) + "~" + "".join(d + "~" for d in disclosures)
    return sd_part + (kb(sd_part, label) if with_kb else "")


CITY_HEADER = part({"alg": "ES256", "typ": "dc+sd-jwt", "kid": "A6RrjBzG"})


def city_credential(label: str) -> tuple[str, list[str]]:
    """A city id credential's payload and all its disclosures, shaped as the issuer makes them."""
    claims = [
        ("given_name", "Dolores"),
        ("family_name", "Abernathy"),
        ("birthdate", "1950-03-17"),
        ("resident_of", "Springfield"),
        ("age_over_18", True),
        ("age_over_65", True),
        ("age_over_21", True),
    ]
    address = [("street_address", "742 Evergreen Terrace"), ("locality", "Springfield"), ("postal_code", "49007")]
    inner = [disclosure(f"{label}:addr:{n}", n, v) for n, v in address]
    address_value = {"_sd": sorted(sha256_b64url(d) for d in inner)}
    outer = [disclosure(f"{label}:{n}", n, v) for n, v in claims]
    outer.append(disclosure(f"{label}:address", "address", address_value))
    decoys = [b64url_encode(octets(f"decoy:{label}:{i}", 32)) for i in range(3)]
    payload = {
        "_sd": sorted([sha256_b64url(d) for d in outer] + decoys),
        "iss": ISSUER,
        "iat": 1_767_225_600,
        "exp": 1_798_761_600,
        "vct": "urn:citykey:id:1",
        "status": {"status_list": {"idx": 4711, "uri": f"{ISSUER}/statuslists/1"}},
        "cnf": {"jwk": HOLDER_JWK},
        "_sd_alg": "sha-256",
    }
    return part(payload), [*outer, *inner]


def cases() -> list[dict[str, str]]:
    found: list[tuple[str, str, str]] = []

    def add(name: str, description: str, presentation: str) -> None:
        found.append((name, description, presentation))

    payload, disclosures = city_credential("a")
    add(
        "city-id-everything",
        "A city id, every claim disclosed, key-bound.",
        sd_jwt("a", CITY_HEADER, payload, disclosures),
    )
    add(
        "city-id-bus",
        "Residency and 65+ only, key-bound: what a bus validator sees.",
        sd_jwt("a", CITY_HEADER, payload, [disclosures[3], disclosures[5]]),
    )
    add(
        "city-id-address-locality",
        "A nested claim: the address disclosure and one of its own.",
        sd_jwt("a", CITY_HEADER, payload, [disclosures[7], disclosures[9]]),
    )
    add(
        "city-id-no-kb",
        "Disclosures without key binding (the SD-JWT ends with '~').",
        sd_jwt("a", CITY_HEADER, payload, disclosures[:2], with_kb=False),
    )
    add("city-id-no-disclosures", "Nothing disclosed, key-bound.", sd_jwt("a", CITY_HEADER, payload, []))
    add("city-id-bare", "Nothing disclosed, no key binding.", sd_jwt("a", CITY_HEADER, payload, [], with_kb=False))

    residency_payload = part(
        {
            "_sd": sorted(sha256_b64url(d) for d in disclosures[3:6]),
            "iss": ISSUER,
            "iat": 1_767_225_600,
            "exp": 1_775_001_600,
            "vct": "urn:citykey:residency:1",
            "status": {"status_list": {"idx": 0, "uri": f"{ISSUER}/statuslists/2"}},
            "cnf": {"jwk": HOLDER_JWK},
            "_sd_alg": "sha-256",
        }
    )
    add("residency-pass", "A residency pass, index 0.", sd_jwt("r", CITY_HEADER, residency_payload, disclosures[3:5]))

    spaced = part({"alg": "ES256", "typ": "dc+sd-jwt"}, json_dumps_spaced)
    add(
        "raw-header-spaced",
        "A header written with spaces travels raw, byte for byte.",
        sd_jwt(
            "s",
            spaced,
            part({"iss": ISSUER, "_sd_alg": "sha-256"}),
            [disclosure("s1", "given_name", "Ana", dumps=json_dumps_spaced)],
        ),
    )
    add(
        "raw-float",
        "A float is never carried as a value: the payload travels raw.",
        sd_jwt("f", CITY_HEADER, part({"iss": ISSUER, "score": 1.5}), []),
    )
    add("raw-float-integral", "1.0 is a float too.", sd_jwt("f2", CITY_HEADER, raw_part('{"n":1.0}'), []))
    add("raw-exponent", "An exponent makes a float.", sd_jwt("f3", CITY_HEADER, raw_part('{"n":1e2}'), []))
    add(
        "raw-minus-zero",
        "-0 re-serializes as 0, so it travels raw.",
        sd_jwt("z", CITY_HEADER, raw_part('{"n":-0}'), []),
    )
    add(
        "raw-escape-slash",
        "An escaped '/' is another spelling: raw.",
        sd_jwt("e", CITY_HEADER, raw_part('{"uri":"a\\/b"}'), []),
    )
    add(
        "raw-escape-unicode",
        "A \\u escape of a printable character: raw.",
        sd_jwt("e2", CITY_HEADER, raw_part('{"n":"\\u0041"}'), []),
    )
    add(
        "raw-lone-surrogate",
        "A lone surrogate cannot be UTF-8: raw.",
        sd_jwt("e3", CITY_HEADER, raw_part('{"n":"\\ud800"}'), []),
    )
    add("raw-duplicate-name", "A repeated member name: raw.", sd_jwt("d", CITY_HEADER, raw_part('{"a":1,"a":2}'), []))
    add("raw-huge-integer", "An integer of more than 70 bits: raw.", sd_jwt("h", CITY_HEADER, part({"n": 2**71}), []))
    add("raw-not-json", "A part that is not JSON at all: raw.", sd_jwt("nj", CITY_HEADER, raw_part("not json"), []))
    add("raw-trailing-space", "Trailing whitespace: raw.", sd_jwt("ts", CITY_HEADER, raw_part('{"a":1} '), []))
    add("raw-bom", "A byte order mark: raw.", sd_jwt("bom", CITY_HEADER, raw_part('\ufeff{"a":1}'), []))
    add("raw-deep", "Nesting deeper than 16: raw.", sd_jwt("deep", CITY_HEADER, part({"n": _nest(17)}), []))
    add(
        "value-deep-16",
        "Nesting of exactly 16 below the top: a value.",
        sd_jwt("deep16", CITY_HEADER, part({"n": _nest(15)}), []),
    )
    add(
        "value-integers",
        "Integers: zero, negatives, beyond 2**53, the largest of 70 bits.",
        sd_jwt(
            "i",
            CITY_HEADER,
            part({"z": 0, "m": -1, "big": 2**53 + 1, "neg": -(2**60) - 7, "max": 2**70 - 1, "nmax": -(2**70)}),
            [],
        ),
    )
    add(
        "value-text",
        "Text: non-ASCII, emoji, escapes Python and JSON agree on, a DEL and U+2028.",
        sd_jwt(
            "t",
            CITY_HEADER,
            part(
                {
                    "given_name": "José Ñúñez",
                    "emoji": "🏙️",
                    "cjk": "市民",
                    "esc": 'q"b\\s\n\t\r\b\f\x01\x1f',
                    "del": "\x7f",
                    "ls": "\u2028",
                }
            ),
            [],
        ),
    )
    add(
        "value-keys-order",
        "Member names that look like numbers keep their order.",
        sd_jwt("k", CITY_HEADER, part({"2": "b", "1": "a", "10": "c", "": "empty"}), []),
    )
    add(
        "value-base64",
        "Base64url strings of 32 and other lengths, short ones and non-canonical ones.",
        sd_jwt(
            "b",
            CITY_HEADER,
            part(
                {
                    "d32": b64url_encode(octets("b32", 32)),
                    "d12": b64url_encode(octets("b12", 12)),
                    "d33": b64url_encode(octets("b33", 33)),
                    "short": "abcDEF123",
                    "word": "Springfield-Transit",
                    "noncanon": "AAAAAAAAAAAAAAAB",
                    "pad": "AAAAAAAAAAAAAAAA=",
                    "empty": "",
                    "sixteen": "abcdefghijklmnop",
                }
            ),
            [],
        ),
    )
    add(
        "value-literals",
        "null, true, false, empty object and array, known strings as names and values.",
        sd_jwt(
            "l",
            CITY_HEADER,
            part(
                {
                    "n": None,
                    "t": True,
                    "f": False,
                    "o": {},
                    "a": [],
                    "alg": "ES256",
                    "vct": ["urn:citykey:identity:1", "kid", "P-256"],
                }
            ),
            [],
        ),
    )
    add(
        "disclosure-element",
        "An array-element disclosure [salt, value].",
        sd_jwt(
            "el",
            CITY_HEADER,
            part({"nationalities": [{"...": b64url_encode(octets("el", 32))}]}),
            [disclosure("el1", "DE"), disclosure("el2", {"nested": [1, 2]})],
        ),
    )
    add(
        "disclosure-other-salts",
        "Disclosures whose salt is not 16 octets, or not base64url, are plain arrays.",
        sd_jwt(
            "os",
            CITY_HEADER,
            part({"iss": ISSUER}),
            [
                part([b64url_encode(octets("s8", 8)), "given_name", "Ana"]),
                part(["not base64 salt!", "given_name", "Ana"]),
                part([salt("s-int-name"), 7, "x"]),
                part([salt("s4"), "a", "b", "c"]),
            ],
        ),
    )
    add(
        "disclosure-values",
        "Disclosed values of every kind.",
        sd_jwt(
            "dv",
            CITY_HEADER,
            part({"iss": ISSUER}),
            [
                disclosure("dv1", "age_over_65", False),
                disclosure("dv2", "n", None),
                disclosure("dv3", "address", {"locality": "Springfield", "postal_code": "49007"}),
                disclosure("dv4", "nums", [1, -2, 2**62]),
                disclosure("dv5", "given_name", "Zoë"),
            ],
            with_kb=True,
        ),
    )
    add(
        "signature-other-length",
        "Signatures of other lengths are carried as they are.",
        f"{CITY_HEADER}.{part({'iss': ISSUER})}.{b64url_encode(octets('short-sig', 10))}~",
    )
    add("signature-empty", "An empty signature.", f"{CITY_HEADER}.{part({'iss': ISSUER})}.~")
    add(
        "value-whole-days",
        "Whole UTC days (positive multiples of 86400) and their neighbours.",
        sd_jwt("wd", CITY_HEADER, part({"iat": 86_400, "exp": 1_798_761_600, "n": 86_401, "m": -86_400, "z": 0}), []),
    )
    off_curve = {**HOLDER_JWK, "y": HOLDER_JWK["x"]}
    add(
        "holder-key-off-curve",
        "A P-256 JWK whose point is not on the curve travels as the object it is.",
        sd_jwt("oc", CITY_HEADER, part({"iss": ISSUER, "cnf": {"jwk": off_curve}}), []),
    )
    add(
        "holder-key-other-spellings",
        "P-256 JWKs in another member order or with another member are plain objects.",
        sd_jwt(
            "ks",
            CITY_HEADER,
            part(
                {
                    "a": {"crv": "P-256", "kty": "EC", "x": HOLDER_JWK["x"], "y": HOLDER_JWK["y"]},
                    "b": {**HOLDER_JWK, "kid": "A6RrjBzG"},
                    "c": {"jwk": HOLDER_JWK},
                }
            ),
            [],
        ),
    )
    return [{"name": n, "description": d, "presentation": p, "qr": qr.encode(p)} for n, d, p in found]


def _nest(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def _b45(data: bytes) -> str:
    return b45encode(data)


def decode_errors() -> list[dict[str, str]]:
    good = qr.encode(sd_jwt("err", CITY_HEADER, part({"iss": ISSUER}), []))
    body_ok = bytes([0x00, 0x88, 0x01, 0x00, 0x01, 0x88, 0x00, 0x00, 0x00])  # {"alg":"ES256"} {} sig(0), none
    holder_x, holder_y = b64url_decode(HOLDER_JWK["x"]), b64url_decode(HOLDER_JWK["y"])

    def packed(body: bytes) -> str:
        return pack(qr.PREFIX, body, qr.DICTIONARY)

    found = [
        ("no-prefix", "Not CK2: (nor CK1:) and not a compact SD-JWT.", "CK3:" + good[4:]),
        ("base45-bad-character", "A character outside Base45.", good[:10] + "a" + good[11:]),
        ("base45-dangling", "A Base45 text of length 3n+1.", good + "0"),
        ("base45-overflow", "A Base45 triple above 65535.", qr.PREFIX + ":::"),
        ("not-deflate", "Base45 of bytes that are not deflate data.", qr.PREFIX + _b45(b"\xff\xff\xff\xff")),
        ("deflate-truncated", "Deflate data cut short.", qr.PREFIX + _b45(b45decode(good[4:])[:-2])),
        (
            "deflate-trailing",
            "Bytes after the end of the deflate stream.",
            qr.PREFIX + _b45(b45decode(good[4:]) + b"\x00"),
        ),
        ("empty-body", "Nothing inside.", packed(b"")),
        ("unknown-flags", "A flag byte with unknown bits.", packed(bytes([0x02]) + body_ok[1:])),
        ("trailing-bytes", "A byte after the presentation.", packed(body_ok + b"\x00")),
        ("truncated", "The body stops inside a part.", packed(body_ok[:-2])),
        (
            "unknown-known-index",
            "A known-string index past the table.",
            packed(bytes([0x00, 0x88, 0x01, 0x7F, 0x01]) + body_ok[5:]),
        ),
        ("unknown-tag", "A tag that is not defined.", packed(bytes([0x00, 0x8F]) + body_ok[2:])),
        (
            "text-long-way",
            "A known string spelled as text.",
            packed(bytes([0x00, 0x88, 0x01, 0x00, 0x85, 0x05]) + b"ES256" + body_ok[5:]),
        ),
        (
            "base64-as-text",
            "A base64url string spelled as text.",
            packed(bytes([0x00, 0x88, 0x01, 0x00, 0x85, 0x10]) + b"abcdefghijklmnop" + body_ok[5:]),
        ),
        (
            "b64-32-long-way",
            "32 octets with a length.",
            packed(bytes([0x00, 0x88, 0x01, 0x00, 0x86, 0x20]) + bytes(32) + body_ok[5:]),
        ),
        (
            "b64-too-short",
            "Base64url octets too few to be worth it.",
            packed(bytes([0x00, 0x88, 0x01, 0x00, 0x86, 0x03, 1, 2, 3]) + body_ok[5:]),
        ),
        (
            "varint-non-canonical",
            "A length with a needless zero group.",
            packed(bytes([0x00, 0x88, 0x81, 0x00, 0x00, 0x01]) + body_ok[5:]),
        ),
        (
            "repeated-name",
            "An object naming a member twice.",
            packed(bytes([0x00, 0x88, 0x02, 0x00, 0x01, 0x00, 0x01]) + body_ok[5:]),
        ),
        (
            "raw-that-is-a-value",
            "A raw part that compact JSON would carry as a value.",
            packed(bytes([0x00, 0x8A, 0x02]) + b"{}" + body_ok[5:]),
        ),
        (
            "not-utf8",
            "Text that is not UTF-8.",
            packed(bytes([0x00, 0x88, 0x01, 0x00, 0x85, 0x01, 0xFF]) + body_ok[5:]),
        ),
        (
            "too-deep",
            "Nesting beyond 16.",
            packed(bytes([0x00]) + bytes([0x87, 0x01]) * 18 + bytes([0x80]) + body_ok[5:]),
        ),
        ("too-long", "Longer than any QR code holds.", qr.PREFIX + "0" * 4_300),
        (
            "day-long-way",
            "A whole day (86400) spelled as a plain integer.",
            packed(bytes([0x00, 0x88, 0x01, 0x0B, 0x83, 0x80, 0xA3, 0x05]) + body_ok[5:]),
        ),
        (
            "days-zero",
            "Zero days (0 is a plain integer).",
            packed(bytes([0x00, 0x88, 0x01, 0x0B, 0x8E, 0x00]) + body_ok[5:]),
        ),
        (
            "key-long-way",
            "A P-256 key on the curve spelled as an object.",
            packed(bytes([0x00, 0x88, 0x01, 0x14, 0x88, 0x04, 0x15, 0x16, 0x17, 0x18, 0x19, 0x89]) + holder_x
                   + bytes([0x1A, 0x89]) + holder_y + body_ok[5:]),
        ),
        (
            "point-off-curve",
            "A compressed point whose x has no point on P-256.",
            packed(bytes([0x00, 0x88, 0x01, 0x14, 0x8D, 0x02]) + (1).to_bytes(32, "big") + body_ok[5:]),
        ),
        (
            "point-not-compressed",
            "A point tag whose first octet is not 02 or 03.",
            packed(bytes([0x00, 0x88, 0x01, 0x14, 0x8D, 0x04]) + holder_x + body_ok[5:]),
        ),
        (
            "ck1-day-tag",
            "A CK1: code using a tag CK1: did not have.",
            pack(qr.LEGACY_PREFIX, bytes([0x00, 0x88, 0x01, 0x0B, 0x8E, 0x01]) + body_ok[5:], qr.DICTIONARY),
        ),
    ]
    out = []
    for name, description, text in found:
        try:
            qr.decode(text)
        except (FormatError, TooLarge) as exc:
            out.append({"name": name, "description": description, "qr": text, "error": exc.code})
        else:
            raise SystemExit(f"decode-error case {name} decodes: fix the generator")
    return out


# --- presentation requests (CKQ1:) --------------------------------------------------------------

REQUEST_NOW = 1_767_225_600


def fixed_key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(octets("key:" + label, 32), "big") % (2**255)
    return ec.derive_private_key(scalar, ec.SECP256R1())


def deterministic_jws(header: dict[str, Any], payload: dict[str, Any], key: ec.EllipticCurvePrivateKey) -> str:
    """What `jws.sign` makes, with RFC 6979 signatures so the file never changes."""
    signing_input = part({"alg": "ES256", **header}) + "." + part(payload)
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def requests() -> dict[str, Any]:
    bus_key, library_key, rogue_key = fixed_key("bus"), fixed_key("library"), fixed_key("rogue")
    listed = [
        request.ListedVerifier.create(BUS, "Springfield Transit", public_jwk(bus_key), ["resident_of", "age_over_65"]),
        request.ListedVerifier.create(
            "https://library.springfield.example", "City Library", public_jwk(library_key), ["address"]
        ),
    ]
    base = {
        "aud": BUS,
        "nonce": "q3v-8ZtYpL0aBc9d",
        "claims": ["resident_of", "age_over_65"],
        "exp": REQUEST_NOW + 120,
        "name": "Springfield Transit",
    }

    def signed(obj: dict[str, Any], key: ec.EllipticCurvePrivateKey, **header: Any) -> str:
        return request.encode_request(
            deterministic_jws({"typ": request.REQUEST_TYP, "kid": thumbprint(key), **header}, obj, key)
        )

    unsigned = request.encode_request(request.Request(**{**base, "claims": tuple(base["claims"])}))
    found = [
        ("unsigned", "An unsigned request: answered, the asker unknown.", unsigned),
        ("signed-listed", "Signed by a listed verifier in its own aud.", signed(base, bus_key)),
        (
            "signed-nested-claim",
            "A listed verifier asking for a nested claim.",
            signed(
                {
                    **base,
                    "aud": "https://library.springfield.example",
                    "claims": ["address.locality"],
                    "name": "Library",
                },
                library_key,
            ),
        ),
        (
            "signed-out-of-scope",
            "A listed verifier asking for more than the claims the city lets it ask for (may_ask).",
            signed({**base, "claims": ["resident_of", "given_name", "birthdate"]}, bus_key),
        ),
        ("signed-unlisted", "Signed by a key the city does not list.", signed(base, rogue_key)),
        (
            "signed-other-aud",
            "A listed key asking in another verifier's aud.",
            signed({**base, "aud": "https://library.springfield.example"}, bus_key),
        ),
        (
            "signed-bad-signature",
            "The signature does not verify.",
            request.encode_request(signed_token_tampered(base, bus_key)),
        ),
        ("expired", "Expired a minute and more ago.", signed({**base, "exp": REQUEST_NOW - 61}, bus_key)),
        ("not-a-request", "A presentation, not a request.", qr.PREFIX + unsigned[5:]),
    ]
    cases = []
    for name, description, text in found:
        case: dict[str, Any] = {"name": name, "description": description, "qr": text}
        try:
            parsed = request.parse_request(text, now=REQUEST_NOW, verifiers=listed)
        except VerificationFailed as exc:
            case["errors"] = sorted({e.code for e in exc.errors})
        except FormatError as exc:
            case["error"] = exc.code
        else:
            case["request"] = {
                **parsed.to_json(),
                "signed": parsed.signed,
                "display_name": parsed.display_name,
                "signer": parsed.signer.aud if parsed.signer else None,
            }
        cases.append(case)
    return {"now": REQUEST_NOW, "verifiers": [v.to_json() for v in listed], "cases": cases}


def signed_token_tampered(obj: dict[str, Any], key: ec.EllipticCurvePrivateKey) -> str:
    token = deterministic_jws({"typ": request.REQUEST_TYP, "kid": thumbprint(key)}, obj, key)
    head, payload, _signature = token.split(".")
    other = deterministic_jws({"typ": request.REQUEST_TYP, "kid": thumbprint(key)}, {**obj, "exp": 1}, key)
    return f"{head}.{payload}.{other.split('.')[2]}"


def build() -> dict[str, Any]:
    found = cases()
    for case in found:
        if qr.decode(case["qr"]) != case["presentation"]:
            raise SystemExit(f"{case['name']} does not round-trip")
    return {
        "description": (
            "Presentation text and its CK1: QR text (wallet_spec/qr.py) for every codec to match both ways; "
            "decode_errors are texts every decoder must refuse. Generated by tests/vectors/make_qr.py."
        ),
        "prefix": qr.PREFIX,
        "dictionary": qr.DICTIONARY.decode("ascii"),
        "known": list(qr.KNOWN),
        "cases": found,
        "decode_errors": decode_errors(),
        "requests": requests(),
    }


def codec() -> dict[str, Any]:
    """What a CK1: codec must agree on besides the algorithm: `wallet_spec.qr`'s constants."""
    return {
        "description": "The CK1: QR codec's constants (wallet_spec/qr.py). Generated by tests/vectors/make_qr.py.",
        "prefix": qr.PREFIX,
        "legacy_prefix": qr.LEGACY_PREFIX,
        "dictionary": qr.DICTIONARY.decode("ascii"),
        "known": list(qr.KNOWN),
        "day": qr.DAY,
        "max_qr_chars": qr.MAX_QR_CHARS,
        "max_body": qr.MAX_BODY,
        "max_disclosures": DEFAULT_LIMITS.max_disclosures,
        "max_depth": qr.MAX_DEPTH,
    }


def render(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(build()), encoding="utf-8")
    CODEC_OUT.write_text(render(codec()), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT.name}: {len(build()['cases'])} cases\n")
