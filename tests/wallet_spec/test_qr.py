"""The QR text codec (wallet_spec/qr.py): exact round trips, the alphabet, and strict, bounded decoding.

Crafted codes are built byte by byte as the module docstring specifies (tags spelled
out below, not taken from the module, so the wire format itself is pinned), then
raw-deflated with the preset dictionary and Base45-encoded like `qr.encode` does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallet_spec import keybinding, qr
from wallet_spec.alphanumeric import b45decode, b45encode, varint
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps, json_dumps_spaced, json_loads
from wallet_spec.errors import CitykeyError, FormatError, TooLarge
from wallet_spec.jwk import PrivateKey, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import signing_kid
from wallet_spec.present import present
from wallet_spec.profile import CREDENTIAL_TYPES, RESIDENT_VCT, Address, Resident, issue_credential, verify_credential
from wallet_spec.sdjwt import DEFAULT_LIMITS, SD, SdJwt, issue, unfold
from wallet_spec.verify import verify

# The spec's tags (module docstring).
NULL, FALSE, TRUE, UINT, NINT, TEXT, B64, ARRAY, OBJECT, B64_32 = range(0x80, 0x8A)
RAW, PROPERTY, ELEMENT, P256, DAYS = range(0x8A, 0x8F)
HAS_KB = 0x01

ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
COMPACT = re.compile(r"[A-Za-z0-9_\-.~]*")
NONCE = "n-0S6_WzA2Mj"
AUD = "https://verifier.example"
TYP = "example+sd-jwt"
SALT = bytes(range(16))

RESIDENT = Resident(
    given_name="Zoë Ångström",
    family_name="Nguyễn-Müller 山田",
    birthdate=dt.date(1950, 2, 28),
    resident_of="Köln",
    address=Address("Straße des 17. Juni 135 🏠", "Köln", "50667"),
    extra={"library_card": "LC-ÄÖÜ-7", "fare_zone": 2, "discount": 0.5},
)
"""Non-ASCII everywhere; the city's extra claims add an integer and a float (a raw disclosure)."""


def _deflate(body: bytes) -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, qr.DICTIONARY)
    return deflater.compress(body) + deflater.flush()


def _code(body: bytes) -> str:
    return qr.PREFIX + b45encode(_deflate(body))


def _inflate(text: str) -> bytes:
    inflater = zlib.decompressobj(-15, zdict=qr.DICTIONARY)
    body = inflater.decompress(b45decode(text.removeprefix(qr.PREFIX)))
    assert inflater.eof
    assert not inflater.unused_data
    return body


def _text(value: str) -> bytes:
    return bytes([TEXT]) + qr._bytes(value.encode("utf-8"))


def _part(value: Any) -> str:
    return b64url_encode(json_dumps(value).encode("utf-8"))


HEADER = {"alg": "ES256", "typ": "dc+sd-jwt"}
POINT_X = bytes.fromhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")
POINT_Y = bytes.fromhex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
"""P-256's generator (SEC 2 §2.4.2): a point on the curve whose y is odd."""
POINT = bytes([0x03]) + POINT_X
JWK = {"kty": "EC", "crv": "P-256", "x": b64url_encode(POINT_X), "y": b64url_encode(POINT_Y)}


def _jwk_object(x: bytes, y: bytes) -> bytes:
    """{"kty": "EC", "crv": "P-256", "x": x, "y": y} as a plain object of 32-octet strings."""
    return bytes([OBJECT, 4, 0x15, 0x16, 0x17, 0x18, 0x19, B64_32, *x, 0x1A, B64_32, *y])
PAYLOAD = {"iss": "https://id.example"}


def _body(
    *,
    flags: int = 0,
    payload: bytes | None = None,
    disclosures: Sequence[bytes] = (),
    count: int | None = None,
    kb: bytes = b"",
) -> bytes:
    """A crafted body: fixed header and signature, `payload` as given, then disclosures and KB."""
    n = len(disclosures) if count is None else count
    return (
        bytes([flags])
        + _jws(qr._value(PAYLOAD) if payload is None else payload)
        + varint(n)
        + b"".join(disclosures)
        + kb
    )


def _jws(payload: bytes) -> bytes:
    """A crafted JWS: fixed header and signature around `payload`."""
    return qr._value(HEADER) + payload + qr._bytes(bytes(64))


def _decoded_with_payload(part: bytes) -> str:
    """What `_body(payload=...)` decodes to when the payload decodes to the JSON bytes `part`."""
    return ".".join([_part(HEADER), b64url_encode(part), b64url_encode(bytes(64))]) + "~"


def _round_trip(presentation: str) -> str:
    text = qr.encode(presentation)
    assert set(text) <= ALPHANUMERIC, sorted(set(text) - ALPHANUMERIC)
    assert qr.decode(text) == presentation
    return text


# --- round trips of real presentations ------------------------------------------------


@pytest.fixture(scope="module")
def city_credentials(issuer_key: PrivateKey, holder_key: PrivateKey, now: int) -> dict[str, SdJwt]:
    return {
        name: issue_credential(
            RESIDENT,
            issuer="https://id.köln.example",
            signing_key=issuer_key,
            kid=signing_kid(issuer_key),
            holder_key=holder_key.public_key(),
            status_idx=131_071,
            status_uri="https://id.köln.example/statuslists/12",
            now=now,
            credential_type=kind,
        )
        for name, kind in CREDENTIAL_TYPES.items()
    }


@pytest.mark.parametrize("kb", [True, False], ids=["kb", "no-kb"])
@pytest.mark.parametrize("type_name", sorted(CREDENTIAL_TYPES))
def test_every_credential_type_round_trips_byte_for_byte_with_any_number_of_disclosures_and_still_verifies(
    type_name: str,
    kb: bool,
    city_credentials: dict[str, SdJwt],
    issuer_key: PrivateKey,
    holder_key: PrivateKey,
    now: int,
) -> None:
    credential = city_credentials[type_name]
    paths = [ref.path for ref in unfold(credential.payload(), credential.disclosures).references.values()]
    assert paths or CREDENTIAL_TYPES[type_name].vct == RESIDENT_VCT, "every type but a fact pass has disclosable claims"
    policy = KeyBindingPolicy(required=kb, nonce=NONCE, aud=AUD)
    disclosed = []
    for k in range(len(paths) + 1):
        if kb:
            presentation = present(credential, paths[:k], holder_key=holder_key, nonce=NONCE, aud=AUD, iat=now)
        else:
            presentation = present(credential, paths[:k])
        _round_trip(presentation)
        verified = verify_credential(
            qr.decode(qr.encode(presentation)), issuer_key.public_key(), key_binding=policy, now=now
        )
        assert (verified.key_binding is not None) == kb
        disclosed.append(len(verified.disclosed))
    assert disclosed[0] == 0
    assert disclosed[-1] == len(paths)
    assert disclosed == sorted(disclosed)


def test_an_array_element_disclosure_of_a_generic_credential_round_trips_and_verifies(
    credential: SdJwt, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    element = next(d for d in credential.disclosures if d.is_array_element)
    assert qr._shaped(json_loads(b64url_decode(element.encoded)))[0] == ELEMENT  # carried without framing
    policy = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)
    for paths in ([("nationalities", 0)], [("nationalities", 0), ("nationalities", 1), ("address",)]):
        presentation = present(credential, paths, holder_key=holder_key, nonce=NONCE, aud=AUD, iat=now)
        assert element.encoded in presentation.split("~")
        _round_trip(presentation)
        verified = verify(
            qr.decode(qr.encode(presentation)), issuer_key.public_key(), typ=TYP, now=now, key_binding=policy
        )
        assert verified.claims["nationalities"][0] == "DE"


def test_full_disclosure_of_a_generic_credential_round_trips(credential: SdJwt, holder_key: PrivateKey) -> None:
    _round_trip(credential.serialize())
    _round_trip(credential.sd_part + keybinding.create(credential.sd_part, holder_key, nonce=NONCE, aud=AUD))


def _escaped(value: Any) -> str:
    """Compact, but non-ASCII as \\u escapes: valid JSON that is not our spelling."""
    return json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize("dumps", [json_dumps_spaced, _escaped], ids=["spaced", "escaped"])
def test_parts_in_another_json_spelling_travel_raw_and_still_verify(
    dumps: Callable[[Any], str], issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    claims = {"iss": "https://issuer.example", "iat": now, "name": SD("Zoë"), "list": [SD("é"), "ü"]}
    credential = issue(claims, issuer_key, header={"typ": TYP}, holder_jwk=public_jwk(holder_key), dumps=dumps)
    header, payload, _ = credential.jwt.split(".")
    parts = [header, payload, *(d.encoded for d in credential.disclosures)]
    for part in map(b64url_decode, parts):  # raw exactly when our spelling differs
        assert (qr._json_part(part)[0] == RAW) == (json_dumps(json_loads(part)).encode() != part)
    assert qr._json_part(b64url_decode(payload))[0] == RAW
    presentation = credential.sd_part + keybinding.create(credential.sd_part, holder_key, nonce=NONCE, aud=AUD, iat=now)
    _round_trip(presentation)
    policy = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)
    verified = verify(qr.decode(qr.encode(presentation)), issuer_key.public_key(), typ=TYP, now=now, key_binding=policy)
    assert verified.claims["name"] == "Zoë"
    assert verified.claims["list"] == ["é", "ü"]


SPELLINGS = {
    "spaced": b'["AAECAwQFBgcICQoLDA0ODw", "given_name", "Zo\\u00eb"]',
    "escaped": b'["AAECAwQFBgcICQoLDA0ODw","given_name","Zo\\u00eb"]',
    "escaped slash": b'["AAECAwQFBgcICQoLDA0ODw","url","a\\/b"]',
    "float": b'["AAECAwQFBgcICQoLDA0ODw","score",1.5]',
    "exponent": b'["AAECAwQFBgcICQoLDA0ODw","n",1E2]',
    "negative zero": b'["AAECAwQFBgcICQoLDA0ODw","n",-0]',
    "duplicate names": b'{"a":1,"a":2}',
    "lone surrogate": b'"\\ud800"',
    "trailing newline": b"[1,2]\n",
    "NaN": b"NaN",
    "not JSON": b"\xff\x00 not json",
    "empty": b"",
}


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_part_that_is_not_compact_json_of_our_spelling_travels_raw_and_round_trips(spelling: bytes) -> None:
    assert qr._json_part(spelling)[0] == RAW
    disclosure = b64url_encode(spelling)
    jwt = ".".join([b64url_encode(spelling), _part(PAYLOAD), b64url_encode(b"sig")])
    _round_trip(f"{jwt}~{disclosure}~")
    _round_trip(f"{jwt}~{disclosure}~{disclosure}~{jwt}")


def test_member_order_is_kept_exactly() -> None:
    for obj in ({"b": 1, "a": 2}, {"typ": "kb+jwt", "alg": "ES256"}):
        jwt = ".".join([_part(obj), _part(dict(reversed(list(obj.items())))), ""])
        _round_trip(f"{jwt}~{_part(['AAECAwQFBgcICQoLDA0ODw', 'o', obj])}~")


def test_integers_too_large_for_a_varint_and_nesting_deeper_than_the_limit_travel_raw_and_verify(
    issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    deep: Any = "bottom"
    for _ in range(qr.MAX_DEPTH + 4):
        deep = [deep]
    claims = {"iat": now, "population": SD(10**30), "negative": -(10**30), "deep": SD(deep), "deeper": deep}
    credential = issue(claims, issuer_key, header={"typ": TYP}, holder_jwk=public_jwk(holder_key))
    presentation = credential.sd_part + keybinding.create(credential.sd_part, holder_key, nonce=NONCE, aud=AUD, iat=now)
    _round_trip(presentation)
    verified = verify(qr.decode(qr.encode(presentation)), issuer_key.public_key(), typ=TYP, now=now)
    assert verified.claims["population"] == 10**30
    assert verified.claims["deep"] == deep


@pytest.mark.parametrize(
    ("number", "mode"),
    [(2**70 - 1, UINT), (2**70, RAW), (-(2**70), NINT), (-(2**70) - 1, RAW)],
    ids=["2^70-1", "2^70", "-2^70", "-2^70-1"],
)
def test_integers_are_values_exactly_as_far_as_the_decoder_reads_them(number: int, mode: int) -> None:
    part = str(number).encode()
    assert qr._json_part(part)[0] == mode
    assert qr.decode(_code(_body(payload=qr._json_part(part)))) == _decoded_with_payload(part)


def test_nesting_is_a_value_exactly_as_deep_as_the_decoder_reads_it() -> None:
    for depth, mode in ((qr.MAX_DEPTH, ARRAY), (qr.MAX_DEPTH + 1, RAW)):
        part = b"[" * depth + b"1" + b"]" * depth
        assert qr._json_part(part)[0] == mode
        assert qr.decode(_code(_body(payload=qr._json_part(part)))) == _decoded_with_payload(part)


def test_a_plain_compact_sd_jwt_passes_through_decode_unchanged(credential: SdJwt, holder_key: PrivateKey) -> None:
    key_bound = credential.sd_part + keybinding.create(credential.sd_part, holder_key, nonce=NONCE, aud=AUD)
    for presentation in (credential.serialize(), key_bound):
        assert qr.decode(presentation) == presentation
        assert qr.decode(f"  {presentation}\r\n") == presentation


def test_surrounding_whitespace_and_a_scanners_trailing_newline_are_ignored(credential: SdJwt) -> None:
    presentation = credential.serialize()
    text = qr.encode(presentation)
    assert text == text.strip(), "a code never begins or ends with the alphabet's space"
    for scanned in (text + "\n", text + "\r\n", f" \t{text} ", "\n" + text):
        assert qr.decode(scanned) == presentation
    assert qr.decode(" " * qr.MAX_QR_CHARS + text + "\n") == presentation  # padding is not part of the code


def test_encode_refuses_what_is_not_a_compact_sd_jwt() -> None:
    jwt = ".".join([_part(HEADER), _part(PAYLOAD), ""])
    for bad in ("", jwt, "a.b~", f"{jwt.rsplit('.', 1)[0]}~", f"{jwt}+~", f"{jwt}~d!~", f"{jwt}~~a.b"):
        with pytest.raises(FormatError):
            qr.encode(bad)


def test_a_hand_built_body_decodes_to_the_presentation_the_spec_describes_and_encode_builds_it() -> None:
    digest = bytes(range(32))
    body = bytes(
        [
            HAS_KB,
            OBJECT, 2, 0x00, 0x01, 0x02, 0x03,  # {"alg": "ES256", "typ": "dc+sd-jwt"}
            OBJECT, 7,
            0x0A, TEXT, 5, *"Köln".encode(),  # "iss": "Köln"
            0x0B, DAYS, *varint(20_454),  # "iat": 1,767,225,600, day 20,454
            0x0C, UINT, *varint(1_767_225_601),  # "exp": not a whole day
            0x06, ARRAY, 1, B64_32, *digest,  # "_sd": [32 octets]
            0x1C, B64, 12, *range(12),  # "nonce": 12 octets, 16 characters
            0x19, ARRAY, 4, NULL, FALSE, TRUE, NINT, 0x81, 0x01,  # "x": [null, false, true, -130]
            0x14, P256, *POINT,  # "jwk": the key, its point compressed
            3, 0xAB, 0xCD, 0xEF,  # signature
            3,  # disclosures
            PROPERTY, *SALT, 0x1E, TEXT, 4, *"Zoë".encode(),  # [salt, "given_name", "Zoë"]
            ELEMENT, *SALT, 0x2C,  # [salt, "age_over_65"]
            RAW, 3, *b"1.5",
            OBJECT, 2, 0x00, 0x01, 0x02, 0x04,  # {"alg": "ES256", "typ": "kb+jwt"}
            OBJECT, 1, 0x1B, TEXT, 1, *b"a",  # {"aud": "a"}
            0,  # empty signature
        ]
    )  # fmt: skip
    salt = b64url_encode(SALT)
    payload = {
        "iss": "Köln",
        "iat": 1_767_225_600,
        "exp": 1_767_225_601,
        "_sd": [b64url_encode(digest)],
        "nonce": b64url_encode(bytes(range(12))),
        "x": [None, False, True, -130],
        "jwk": JWK,
    }
    expected = "~".join(
        [
            ".".join([_part(HEADER), _part(payload), b64url_encode(b"\xab\xcd\xef")]),
            _part([salt, "given_name", "Zoë"]),
            _part([salt, "age_over_65"]),
            b64url_encode(b"1.5"),
            ".".join([_part({"alg": "ES256", "typ": "kb+jwt"}), _part({"aud": "a"}), ""]),
        ]
    )
    assert qr.decode(_code(body)) == expected
    assert _inflate(qr.encode(expected)) == body


# --- hypothesis: random claim trees, random parts -----------------------------------

RESERVED = {"_sd", "..."}
TOP_RESERVED = RESERVED | {"_sd_alg", "cnf"}
b64_strings = st.binary(max_size=40).map(b64url_encode)
names = (st.text(max_size=6) | st.sampled_from(qr.KNOWN) | b64_strings).filter(lambda s: s not in RESERVED)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**72), max_value=2**72)
    | st.sampled_from([2**70 - 1, 2**70, -(2**70), -(2**70) - 1])  # the varint's edge
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(qr.KNOWN)
    | b64_strings
)


def _mark(member: tuple[bool, Any]) -> Any:
    sd, value = member
    return SD(value) if sd else value


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    member = st.tuples(st.booleans(), children).map(_mark)
    return st.lists(member, max_size=4) | st.dictionaries(names, member, max_size=4)


nodes = st.recursive(leaves, _extend, max_leaves=12)
trees = st.dictionaries(
    names.filter(lambda s: s not in TOP_RESERVED), st.tuples(st.booleans(), nodes).map(_mark), max_size=5
)
PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(data=st.data(), claims=trees, dumps=st.sampled_from([json_dumps, json_dumps_spaced]), kb=st.booleans())
def test_encode_then_decode_is_the_identity_on_random_presentations(
    data: st.DataObject,
    claims: dict[str, Any],
    dumps: Callable[[Any], str],
    kb: bool,
    issuer_key: PrivateKey,
    holder_key: PrivateKey,
) -> None:
    credential = issue(claims, issuer_key, header={"typ": TYP}, holder_jwk=public_jwk(holder_key), dumps=dumps)
    indices = range(len(credential.disclosures))
    chosen = data.draw(st.lists(st.sampled_from(indices), unique=True) if indices else st.just([]), label="chosen")
    shown = SdJwt(credential.jwt, tuple(credential.disclosures[i] for i in chosen))
    presentation = shown.sd_part + (keybinding.create(shown.sd_part, holder_key, nonce=NONCE, aud=AUD) if kb else "")
    _round_trip(presentation)


json_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(names, children, max_size=3),
    max_leaves=8,
)
disclosure_shaped = st.tuples(st.binary(min_size=16, max_size=16).map(b64url_encode), names, json_values).map(list)
spellings = st.sampled_from(
    [
        json_dumps,
        json_dumps_spaced,
        _escaped,
        lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True, indent=1),
    ]
)
part_bytes = st.binary(max_size=40) | st.builds(
    lambda value, dumps: dumps(value).encode("utf-8", "surrogatepass"), json_values | disclosure_shaped, spellings
)


@PROPS
@given(
    jwt=st.lists(part_bytes, min_size=3, max_size=3),
    disclosures=st.lists(part_bytes, max_size=5),
    kb=st.none() | st.lists(part_bytes, min_size=3, max_size=3),
)
def test_any_bytes_in_any_part_round_trip(jwt: list[bytes], disclosures: list[bytes], kb: list[bytes] | None) -> None:
    pieces = [".".join(map(b64url_encode, jwt)), *map(b64url_encode, disclosures)]
    _round_trip("~".join([*pieces, ".".join(map(b64url_encode, kb)) if kb else ""]))


# --- strictness -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(city_credentials: dict[str, SdJwt], holder_key: PrivateKey, now: int) -> tuple[str, bytes]:
    """A key-bound presentation of the full credential with every claim shown, and its body."""
    credential = city_credentials["full"]
    paths = [(name,) for name in unfold(credential.payload(), credential.disclosures).claims if name != "cnf"]
    presentation = present(credential, paths, holder_key=holder_key, nonce=NONCE, aud=AUD, iat=now)
    return presentation, _inflate(qr.encode(presentation))


def test_a_crafted_body_decodes_so_each_refusal_below_is_for_its_one_defect() -> None:
    assert qr.decode(_code(_body())) == _decoded_with_payload(json_dumps(PAYLOAD).encode())


@pytest.mark.parametrize(
    "prefix", ["CK3:", "CK0:", "CK2", "ck2:", "Ck2:", "CK2;", "CK1", "ck1:", "Ck1:", "CK1;", "CK:", "QR1:", ""]
)
def test_a_wrong_or_lowercase_prefix_is_refused(prefix: str, real: tuple[str, bytes]) -> None:
    with pytest.raises(FormatError, match="prefix"):
        qr.decode(prefix + qr.encode(real[0]).removeprefix(qr.PREFIX))


def test_a_lowercased_code_and_text_that_is_neither_code_nor_sd_jwt_are_refused(real: tuple[str, bytes]) -> None:
    for text in (qr.encode(real[0]).lower(), "", "   \n", real[0].split("~")[0], "HTTPS://ID.EXAMPLE/"):
        with pytest.raises(FormatError, match="prefix"):
            qr.decode(text)


@pytest.mark.parametrize(
    "base45_text",
    ["abc", "00_", "00é", "000\t00", "00!", "0#", "GGW", "GG", "000" * 10 + "0", "0"],
    ids=["lowercase", "underscore", "non-ASCII", "tab inside", "exclamation mark", "hash", "triple over 65535",
         "pair over 255", "dangling character", "lone character"],
)  # fmt: skip
def test_text_that_is_not_base45_is_refused(base45_text: str) -> None:
    with pytest.raises(FormatError, match="Base45"):
        qr.decode(qr.PREFIX + base45_text)


def test_deflate_garbage_truncation_and_trailing_bytes_are_refused(real: tuple[str, bytes]) -> None:
    packed = _deflate(real[1])
    for bad in (b"\xff\xff\xff\xff", b"\x07", packed[:-1], packed[: len(packed) // 2], packed + b"\x00", b""):
        with pytest.raises(FormatError):
            qr.decode(qr.PREFIX + b45encode(bad))


def test_every_truncation_of_the_deflate_stream_is_refused(real: tuple[str, bytes]) -> None:
    packed = _deflate(real[1])
    for cut in range(len(packed)):
        with pytest.raises(FormatError):
            qr.decode(qr.PREFIX + b45encode(packed[:cut]))


def test_every_truncation_of_a_real_body_is_refused(real: tuple[str, bytes], credential: SdJwt) -> None:
    for body in (real[1], _inflate(qr.encode(credential.serialize()))):
        assert qr.decode(_code(body))
        for cut in range(len(body)):
            with pytest.raises(FormatError):
                qr.decode(_code(body[:cut]))
        with pytest.raises(FormatError, match="trailing"):
            qr.decode(_code(body + b"\x00"))


def test_a_body_inflating_beyond_max_body_is_too_large(real: tuple[str, bytes]) -> None:
    bomb = _code(bytes(200_000))
    assert len(bomb) <= qr.MAX_QR_CHARS  # the size cap, not the length cap, must stop it
    with pytest.raises(TooLarge):
        qr.decode(bomb)
    with pytest.raises(TooLarge):
        qr.decode(_code(bytes(qr.MAX_BODY + 1)))
    with pytest.raises(FormatError) as info:  # exactly MAX_BODY is inflated and then read (and refused)
        qr.decode(_code(bytes(qr.MAX_BODY)))
    assert not isinstance(info.value, TooLarge)


def test_max_body_is_exact(real: tuple[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    presentation, body = real
    monkeypatch.setattr(qr, "MAX_BODY", len(body))
    assert qr.decode(qr.encode(presentation)) == presentation
    monkeypatch.setattr(qr, "MAX_BODY", len(body) - 1)
    with pytest.raises(TooLarge):
        qr.decode(qr.encode(presentation))


def test_text_longer_than_a_qr_code_holds_is_too_large_before_any_decoding() -> None:
    for filler in ("0", "é", "a"):
        with pytest.raises(TooLarge):
            qr.decode(qr.PREFIX + filler * (qr.MAX_QR_CHARS - len(qr.PREFIX) + 1))
    with pytest.raises(FormatError) as info:  # one character shorter: Base45 is read, and refused
        qr.decode(qr.PREFIX + "a" * (qr.MAX_QR_CHARS - len(qr.PREFIX)))
    assert not isinstance(info.value, TooLarge)


@pytest.mark.parametrize("flags", [0x02, 0x03, 0x04, 0x80, 0xFF])
def test_an_unknown_flags_bit_is_refused(flags: int) -> None:
    with pytest.raises(FormatError, match="flags"):
        qr.decode(_code(_body(flags=flags)))


def test_the_kb_flag_without_a_kb_jwt_is_refused() -> None:
    with pytest.raises(FormatError, match="truncated"):
        qr.decode(_code(_body(flags=HAS_KB)))


def test_an_unknown_tag_is_refused_wherever_a_value_stands() -> None:
    for tag in range(DAYS + 1, 0x100):
        with pytest.raises(FormatError, match="unknown tag"):
            qr.decode(_code(_body(payload=bytes([tag]))))
    for tag in (RAW, PROPERTY, ELEMENT, *range(DAYS + 1, 0x100)):  # part modes are not values
        with pytest.raises(FormatError, match="unknown tag"):
            qr.decode(_code(_body(payload=bytes([ARRAY, 1, tag, 0]))))


def _legacy(body: bytes) -> str:
    return qr.LEGACY_PREFIX + _code(body).removeprefix(qr.PREFIX)


def test_a_ck1_code_is_read_by_its_own_rules_whole_days_and_keys_spelled_plainly() -> None:
    """Paper cards and wallets not yet updated show CK1: codes, which had no day or point tag."""
    plain = {"iat": 1_767_225_600, "cnf": {"jwk": JWK}}
    body = _body(payload=bytes([OBJECT, 2, 0x0B, UINT, *varint(1_767_225_600), 0x13, OBJECT, 1, 0x14])
                 + _jwk_object(POINT_X, POINT_Y))
    assert qr.decode(_legacy(body)) == _decoded_with_payload(json_dumps(plain).encode())
    with pytest.raises(FormatError, match="long way"):
        qr.decode(_code(body))
    assert qr.decode(qr.encode(qr.decode(_legacy(body)))) == qr.decode(_legacy(body))
    for tagged in (bytes([DAYS, 1]), bytes([P256, *POINT])):
        assert qr.decode(_code(_body(payload=tagged)))
        with pytest.raises(FormatError, match="unknown tag"):
            qr.decode(_legacy(_body(payload=tagged)))


def test_the_holder_key_travels_as_its_compressed_point_and_comes_back_byte_for_byte(
    real: tuple[str, bytes], holder_key: PrivateKey
) -> None:
    jwk = public_jwk(holder_key)
    x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
    point = bytes([P256, 2 | y[-1] & 1]) + x
    assert point in real[1]
    assert y not in real[1]
    assert json_dumps({"jwk": jwk}).encode() in b64url_decode(qr.decode(qr.encode(real[0])).split(".")[1])


def test_an_index_past_the_known_strings_is_refused() -> None:
    assert qr.decode(_code(_body(payload=bytes([len(qr.KNOWN) - 1]))))
    for index in range(len(qr.KNOWN), 0x80):
        with pytest.raises(FormatError, match="unknown string"):
            qr.decode(_code(_body(payload=bytes([index]))))


REFUSED = {
    "non-canonical varint 0x80 0x00": bytes([UINT, 0x80, 0x00]),
    "non-canonical varint 0x81 0x80 0x00": bytes([UINT, 0x81, 0x80, 0x00]),
    "non-canonical negative": bytes([NINT, 0x80, 0x00]),
    "non-canonical text length": bytes([TEXT, 0x81, 0x00, *b"x"]),
    "non-canonical array count": bytes([ARRAY, 0x80, 0x00]),
    "varint over 70 bits": bytes([UINT, *[0xFF] * 10, 0x01]),
    "repeated member name": bytes([OBJECT, 2, 0x00, 0x01, 0x00, 0x02]),
    "member name not a string": bytes([OBJECT, 1, UINT, 1, NULL]),
    "known string as text": _text("alg"),
    "vct as text": _text("urn:citykey:residency:1"),
    "16-char base64url as text": _text("abcdefghijklmnop"),
    "salt-like base64url as text": _text(b64url_encode(SALT)),
    "32 octets by the general tag": bytes([B64, 32, *range(32)]),
    "11 octets (15 characters) as base64url": bytes([B64, 11, *range(11)]),
    "3 octets as base64url": bytes([B64, 3, 1, 2, 3]),
    "text not UTF-8": bytes([TEXT, 2, 0xC3, 0x28]),
    "text truncated": bytes([TEXT, 5, *b"ab"]),
    "32 octets truncated": bytes([B64_32, *range(31)]),
    "array count beyond the body": bytes([ARRAY, 100, NULL]),
    "object count beyond the body": bytes([OBJECT, 100, 0x00, NULL]),
    "nesting past MAX_DEPTH": bytes([ARRAY, 1] * (qr.MAX_DEPTH + 1) + [NULL]),
    "object nesting past MAX_DEPTH": bytes([OBJECT, 1, 0x00] * (qr.MAX_DEPTH + 1) + [NULL]),
    "raw part truncated": bytes([RAW, 10, *b"{}"]),
    "property with a non-string name": bytes([PROPERTY, *SALT, NULL, NULL]),
    "property with a truncated salt": bytes([PROPERTY, *SALT[:15]]),
    "element without its value": bytes([ELEMENT, *SALT]),
    "a whole day as a plain integer": bytes([UINT, *varint(1_767_225_600)]),
    "86400 as a plain integer": bytes([UINT, *varint(86_400)]),
    "zero days": bytes([DAYS, 0]),
    "days beyond 70 bits": bytes([DAYS, *varint(2**70 // 86_400 + 1)]),
    "a P-256 key on the curve as an object": _jwk_object(POINT_X, POINT_Y),
    "an x with no point on the curve": bytes([P256, 0x02]) + bytes(31) + b"\x01",
    "an uncompressed-point prefix": bytes([P256, 0x04, *POINT_X]),
    "x not below the field prime": bytes([P256, 0x02]) + b"\xff" * 32,
    "a point cut short": bytes([P256, *POINT[:20]]),
}


@pytest.mark.parametrize("payload", REFUSED.values(), ids=REFUSED.keys())
def test_a_malformed_or_non_canonical_value_is_refused(payload: bytes) -> None:
    with pytest.raises(FormatError):
        qr.decode(_code(_body(payload=payload)))
    with pytest.raises(FormatError):  # the same in a disclosure, and inside a KB-JWT
        qr.decode(_code(_body(disclosures=[payload])))
    with pytest.raises(FormatError):
        qr.decode(_code(_body(flags=HAS_KB, kb=_jws(payload))))


ACCEPTED = {
    "zero": (bytes([UINT, 0]), 0),
    "128": (bytes([UINT, 0x80, 0x01]), 128),
    "minus one": (bytes([NINT, 0]), -1),
    "70-bit varint": (bytes([UINT, *[0xFF] * 9, 0x7F]), 2**70 - 1),
    "a text near a known string": (_text("alh"), "alh"),
    "15-char text": (_text("abcdefghijklmno"), "abcdefghijklmno"),
    "17-char text (never base64url)": (_text("abcdefghijklmnopq"), "abcdefghijklmnopq"),
    "base64url-alphabet text with padding bits set": (_text("abcdefghijklmnopqB"), "abcdefghijklmnopqB"),
    "empty text": (_text(""), ""),
    "12 octets as base64url": (bytes([B64, 12, *range(12)]), b64url_encode(bytes(range(12)))),
    "33 octets as base64url": (bytes([B64, 33, *range(33)]), b64url_encode(bytes(range(33)))),
    "32 octets": (bytes([B64_32, *range(32)]), b64url_encode(bytes(range(32)))),
    "nesting at MAX_DEPTH": (
        bytes([ARRAY, 1] * qr.MAX_DEPTH + [NULL]),
        json_loads("[" * qr.MAX_DEPTH + "null" + "]" * qr.MAX_DEPTH),
    ),
    "two members": (bytes([OBJECT, 2, 0x00, 0x01, 0x02, 0x03]), HEADER),
    "property": (bytes([PROPERTY, *SALT, 0x1E, TEXT, 2, *b"xx"]), [b64url_encode(SALT), "given_name", "xx"]),
    "element": (bytes([ELEMENT, *SALT, 0x00]), [b64url_encode(SALT), "alg"]),
    "a whole day": (bytes([DAYS, *varint(20_454)]), 1_767_225_600),
    "one second past a whole day": (bytes([UINT, *varint(1_767_225_601)]), 1_767_225_601),
    "the largest number of days": (
        bytes([DAYS, *varint((2**70 - 1) // 86_400)]), (2**70 - 1) // 86_400 * 86_400
    ),
    "a whole day, negative": (bytes([NINT, *varint(86_400 - 1)]), -86_400),
    "a P-256 key": (bytes([P256, *POINT]), JWK),
    "the same key's other point (even y)": (
        bytes([P256, 0x02, *POINT_X]),
        {**JWK, "y": b64url_encode((2**256 - 2**224 + 2**192 + 2**96 - 1 - int.from_bytes(POINT_Y)).to_bytes(32))},
    ),
    "a P-256 key off the curve, as an object": (
        _jwk_object(POINT_X, POINT_X),
        {**JWK, "y": JWK["x"]},
    ),
    "a P-256 key with its members in another order, as an object": (
        bytes([OBJECT, 4, 0x15, 0x16, 0x17, 0x18, 0x1A, B64_32, *POINT_Y, 0x19, B64_32, *POINT_X]),
        {"kty": "EC", "crv": "P-256", "y": JWK["y"], "x": JWK["x"]},
    ),
    "a P-256 key with a kid, as an object": (
        bytes([OBJECT, 5]) + _jwk_object(POINT_X, POINT_Y)[2:] + bytes([0x05, TEXT, 1, *b"k"]),
        {**JWK, "kid": "k"},
    ),
}


@pytest.mark.parametrize(("payload", "value"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_near_misses_of_each_refusal_are_accepted(payload: bytes, value: Any) -> None:
    assert qr.decode(_code(_body(payload=payload))) == _decoded_with_payload(json_dumps(value).encode())


def test_more_disclosures_than_the_limit_are_too_large() -> None:
    limit = DEFAULT_LIMITS.max_disclosures
    assert qr.decode(_code(_body(disclosures=[bytes([0x00])] * limit))).count("~") == limit + 1
    with pytest.raises(TooLarge):
        qr.decode(_code(_body(disclosures=[bytes([0x00])] * (limit + 1))))
    with pytest.raises(FormatError, match="truncated"):  # a count the body cannot hold is refused first
        qr.decode(_code(_body(count=10**9)))


def test_the_qr_text_is_qr_alphanumeric_only(real: tuple[str, bytes], credential: SdJwt) -> None:
    for presentation in (real[0], credential.serialize()):
        text = qr.encode(presentation)
        assert text.startswith(qr.PREFIX)
        assert set(text) <= ALPHANUMERIC


def _never_crashes(text: str) -> None:
    try:
        decoded = qr.decode(text)
    except CitykeyError:
        return
    assert COMPACT.fullmatch(decoded)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400), deflated=st.booleans())
def test_random_bytes_never_raise_anything_but_citykey_errors(data: bytes, deflated: bool) -> None:
    _never_crashes(_code(data) if deflated else qr.PREFIX + b45encode(data))


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet="".join(sorted(ALPHANUMERIC)), max_size=200))
def test_random_alphanumeric_text_never_raises_anything_but_citykey_errors(text: str) -> None:
    _never_crashes(qr.PREFIX + text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_real_body_with_random_bytes_changed_never_raises_anything_but_citykey_errors(
    data: st.DataObject, real: tuple[str, bytes]
) -> None:
    body = bytearray(real[1])
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        body[data.draw(st.integers(0, len(body) - 1), label="at")] = data.draw(st.integers(0, 255), label="to")
    _never_crashes(_code(bytes(body)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_body_the_decoder_accepts_is_the_one_encode_makes_of_its_presentation(
    data: st.DataObject, real: tuple[str, bytes]
) -> None:
    """The decoder checks each spelling as it reads (no re-encoding): whatever changed body it
    still accepts must be exactly the body `encode` builds from the presentation it decodes to."""
    body = bytearray(real[1])
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        body[data.draw(st.integers(0, len(body) - 1), label="at")] = data.draw(st.integers(0, 255), label="to")
    text = _code(bytes(body))
    try:
        presentation = qr.decode(text)
    except CitykeyError:
        return
    assert _inflate(qr.encode(presentation)) == bytes(body)


# --- the known strings are append-only -------------------------------------------------

PUBLISHED_KNOWN = (
    "alg", "ES256", "typ", "dc+sd-jwt", "kb+jwt", "kid",
    "_sd", "...", "_sd_alg", "sha-256", "iss", "iat", "exp", "nbf", "vct",
    "status", "status_list", "idx", "uri", "cnf", "jwk", "kty", "EC", "crv", "P-256", "x", "y",
    "aud", "nonce", "sd_hash",
    "given_name", "family_name", "birthdate", "address", "street_address", "locality", "postal_code",
    "resident_of", "age_over_13", "age_over_16", "age_over_18", "age_over_21", "age_over_55", "age_over_62",
    "age_over_65", "urn:citykey:id:1", "urn:citykey:identity:1", "urn:citykey:residency:1",
)  # fmt: skip
"""Every index in published codes. KNOWN is built from profile constants: a new age threshold
or credential type must be appended at the end, never slot into the middle."""


def test_known_strings_keep_their_published_indices() -> None:
    assert len(PUBLISHED_KNOWN) >= 40
    assert qr.KNOWN[: len(PUBLISHED_KNOWN)] == PUBLISHED_KNOWN


def test_known_strings_are_distinct_and_fit_below_the_first_tag() -> None:
    assert len(qr.KNOWN) <= 128
    assert len(set(qr.KNOWN)) == len(qr.KNOWN)


def test_no_known_string_also_has_a_base64url_spelling() -> None:
    """Else `0x86` could spell a known string the long way, and the decoder does not look."""
    assert all(qr._canonical_b64(s) is None for s in qr.KNOWN)


def test_a_packable_part_sent_raw_is_refused_so_each_presentation_has_one_code() -> None:
    raw_payload = bytes([qr._RAW]) + qr._bytes(json_dumps(PAYLOAD).encode("utf-8"))
    with pytest.raises(FormatError, match="one way"):
        qr.decode(_code(_body(payload=raw_payload)))


def test_a_disclosure_packed_as_a_plain_array_is_refused_so_each_presentation_has_one_code() -> None:
    salt = b64url_encode(bytes(range(16)))
    as_array = qr._value([salt, "given_name", "Ana"])
    as_disclosure = qr._shaped([salt, "given_name", "Ana"])
    assert as_array != as_disclosure
    assert qr.decode(_code(_body(disclosures=[as_disclosure]))).split("~")[1]
    with pytest.raises(FormatError, match="one way"):
        qr.decode(_code(_body(disclosures=[as_array])))
