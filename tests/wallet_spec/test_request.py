"""Presentation requests (challenge QR): forms, QR text, who may ask, and the city's list of verifiers.

The request format is pure (`wallet_spec.request`); the list of verifiers goes
from the key store (`KeyStore.register_verifier`) into the root-signed key list in the trust bundle,
built as the city builds it, with the key store's KDF cost lowered.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle
from keys import KeyStore
from keys.store import VERIFIERS_NAME
from tests.support import CITY_NOW, CITY_PASSPHRASE, SPRINGFIELD
from wallet_spec import jws
from wallet_spec import request as request_module
from wallet_spec.alphanumeric import b45decode, b45encode
from wallet_spec.bundle import load_bundle, sign_bundle
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps
from wallet_spec.errors import FormatError, KeyStoreError, TooLarge, UsageError, VerificationFailed
from wallet_spec.jwk import PrivateKey, generate_private_key, private_jwk, public_jwk, thumbprint
from wallet_spec.request import (
    DICTIONARY_V1,
    MAX_BODY,
    MAX_REQUEST_CHARS,
    PREFIX,
    REQUEST_TYP,
    ListedVerifier,
    Request,
    encode_request,
    make_request,
    parse_request,
    sign_request,
    verifiers_from_json,
)

NOW = CITY_NOW
BUS = "https://bus.springfield.example"
LIBRARY = "https://library.springfield.example"
ISSUER = SPRINGFIELD
PASSPHRASE = CITY_PASSPHRASE
SCOPE = ("resident_of", "age_over_65")
"""What the bus may ask for (`may_ask`)."""
QR_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]*")


@pytest.fixture(scope="module")
def bus_key() -> PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def listed(bus_key: PrivateKey) -> list[ListedVerifier]:
    return [ListedVerifier.create(BUS, "Springfield Transit", public_jwk(bus_key), SCOPE)]


def bus_request(**changes: Any) -> Request:
    options: dict[str, Any] = {"aud": BUS, "claims": ["resident_of", "age_over_65"], "name": "Bus 42", "now": NOW}
    return make_request(**{**options, **changes})


def codes(action: Any) -> list[str]:
    with pytest.raises(VerificationFailed) as info:
        action()
    return sorted(info.value.codes)


def packed(body: bytes, *, dictionary: bytes = DICTIONARY_V1) -> str:
    """Request text around an arbitrary body, made as encode_request makes it."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary)
    return PREFIX + b45encode(deflater.compress(body) + deflater.flush())


def unsigned_text(obj: Any) -> str:
    return packed(b"\x00" + json_dumps(obj).encode("utf-8"))


def signed_text(token: str) -> str:
    return encode_request(token)


# --- round trips ------------------------------------------------------------------------


def test_unsigned_request_round_trips_through_short_qr_alphanumeric_text() -> None:
    request = bus_request()
    text = encode_request(request)
    assert text.startswith("CKQ1:")
    assert QR_ALPHANUMERIC.fullmatch(text), "the whole text must fit QR alphanumeric mode"
    assert len(text) < 160
    parsed = parse_request(text, now=NOW)
    assert parsed == request
    assert (parsed.signed, parsed.signer, parsed.display_name) == (False, None, "Bus 42")
    assert parsed.paths == (("resident_of",), ("age_over_65",))


def test_the_unsigned_body_is_the_compact_json_after_a_zero_byte() -> None:
    request = bus_request(claims=["address.postal_code"])
    inflater = zlib.decompressobj(-15, zdict=DICTIONARY_V1)
    body = inflater.decompress(b45decode(encode_request(request)[len(PREFIX):]))
    assert body == b"\x00" + json_dumps(request.to_json()).encode()
    assert list(json.loads(body[1:])) == ["aud", "nonce", "claims", "exp", "name"]


def test_signed_request_round_trips_and_names_the_listed_verifier(
    bus_key: PrivateKey, listed: list[ListedVerifier]
) -> None:
    request = bus_request()
    token = sign_request(request, bus_key)
    header = jws.parse(token).header
    assert header == {"alg": "ES256", "typ": REQUEST_TYP, "kid": thumbprint(bus_key)}
    text = encode_request(token)
    assert QR_ALPHANUMERIC.fullmatch(text)
    assert len(text) < 400  # a version 10 QR code at level M holds 311 alphanumeric characters; 13 holds 483
    parsed = parse_request(text, now=NOW, verifiers=listed)
    assert (parsed.aud, parsed.nonce, parsed.claims, parsed.exp) == (request.aud, request.nonce, request.claims,
                                                                     request.exp)
    assert parsed.signed
    assert parsed.signer == listed[0]
    assert parsed.display_name == "Springfield Transit"  # the city's name for it, not the request's own


def test_the_signed_body_carries_the_signed_bytes_exactly(bus_key: PrivateKey) -> None:
    token = sign_request(bus_request(), bus_key)
    inflater = zlib.decompressobj(-15, zdict=DICTIONARY_V1)
    body = inflater.decompress(b45decode(encode_request(token)[len(PREFIX):]))
    parts = [b64url_decode(p) for p in token.split(".")]

    def field(p: bytes) -> bytes:
        length = bytes([len(p)]) if len(p) < 128 else bytes([len(p) & 0x7F | 0x80, len(p) >> 7])
        return length + p

    expected = b"\x01" + b"".join(field(p) for p in parts)
    assert body == expected


def test_a_signed_request_read_without_a_list_is_signed_but_unattributed(bus_key: PrivateKey) -> None:
    parsed = parse_request(encode_request(sign_request(bus_request(), bus_key)), now=NOW)
    assert (parsed.signed, parsed.signer, parsed.display_name) == (True, None, "Bus 42")


def test_each_request_has_a_fresh_96_bit_base64url_nonce() -> None:
    nonces = {bus_request().nonce for _ in range(50)}
    assert len(nonces) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", n) for n in nonces)


@pytest.mark.parametrize("nonce", ["short", "x" * 15, "sixteen chars!!!", "x" * 129])
def test_a_weak_or_unspellable_nonce_is_refused(nonce: str) -> None:
    with pytest.raises(UsageError, match="nonce"):
        bus_request(nonce=nonce)
    with pytest.raises(FormatError, match="nonce"):
        parse_request(unsigned_text({**bus_request().to_json(), "nonce": nonce}), now=NOW)


# --- expiry ---------------------------------------------------------------------------


def test_request_expires_after_its_ttl_with_a_minute_of_clock_leeway() -> None:
    text = encode_request(bus_request(ttl=120))
    assert parse_request(text, now=NOW + 120 + 59).exp == NOW + 120
    assert codes(lambda: parse_request(text, now=NOW + 120 + 60)) == ["request_expired"]


@pytest.mark.parametrize("ttl", [0, -5, 86_401])
def test_ttl_out_of_range_is_a_usage_error(ttl: int) -> None:
    with pytest.raises(UsageError, match="ttl"):
        bus_request(ttl=ttl)


def test_an_expired_signed_request_from_an_unlisted_key_reports_both(listed: list[ListedVerifier]) -> None:
    text = encode_request(sign_request(bus_request(), generate_private_key()))
    assert codes(lambda: parse_request(text, now=NOW + 3600, verifiers=listed)) == [
        "request_expired", "verifier_unknown"]


# --- who may ask -------------------------------------------------------------------------


def test_a_request_signed_by_an_unlisted_key_is_verifier_unknown(listed: list[ListedVerifier]) -> None:
    text = encode_request(sign_request(bus_request(), generate_private_key()))
    assert codes(lambda: parse_request(text, now=NOW, verifiers=listed)) == ["verifier_unknown"]
    assert codes(lambda: parse_request(text, now=NOW, verifiers=[])) == ["verifier_unknown"]


def test_a_listed_key_asking_in_another_verifiers_name_is_verifier_unknown(
    bus_key: PrivateKey, listed: list[ListedVerifier]
) -> None:
    """The bus's key may not ask for the library's aud: the answer would be bound to the library."""
    text = encode_request(sign_request(bus_request(aud=LIBRARY, name="Library"), bus_key))
    assert codes(lambda: parse_request(text, now=NOW, verifiers=listed)) == ["verifier_unknown"]


def test_a_verifier_with_two_listed_keys_may_sign_with_either(listed: list[ListedVerifier]) -> None:
    new_key = generate_private_key()
    both = [*listed, ListedVerifier.create(BUS, "Springfield Transit", public_jwk(new_key), SCOPE)]
    parsed = parse_request(encode_request(sign_request(bus_request(), new_key)), now=NOW, verifiers=both)
    assert parsed.signer == both[1]


@pytest.mark.parametrize(
    "edit",
    [
        {"claims": ["given_name", "family_name", "birthdate"]},
        {"aud": LIBRARY},
        {"nonce": "AAAAAAAAAAAAAAAA"},
        {"exp": NOW + 86_400},
        {"name": "Springfield Police"},
    ],
)
def test_a_tampered_signed_request_is_refused(
    bus_key: PrivateKey, listed: list[ListedVerifier], edit: dict[str, Any]
) -> None:
    token = sign_request(bus_request(), bus_key)
    head, _, signature = token.split(".")
    payload = {**jws.parse(token).payload, **edit}
    forged = f"{head}.{b64url_encode(json_dumps(payload).encode())}.{signature}"
    found = codes(lambda: parse_request(encode_request(forged), now=NOW, verifiers=listed))
    assert "signature_invalid" in found


def test_a_request_signed_with_the_wrong_typ_is_refused(bus_key: PrivateKey, listed: list[ListedVerifier]) -> None:
    token = jws.sign({"typ": "kb+jwt", "kid": thumbprint(bus_key)}, bus_request().to_json(), bus_key)
    assert codes(lambda: parse_request(encode_request(token), now=NOW, verifiers=listed)) == ["typ_invalid"]


def test_a_request_with_alg_none_is_refused_without_a_signature_check(
    bus_key: PrivateKey, listed: list[ListedVerifier]
) -> None:
    header = b64url_encode(json_dumps({"alg": "none", "typ": REQUEST_TYP, "kid": thumbprint(bus_key)}).encode())
    payload = b64url_encode(json_dumps(bus_request().to_json()).encode())
    token = f"{header}.{payload}.{b64url_encode(bytes(64))}"
    assert codes(lambda: parse_request(encode_request(token), now=NOW, verifiers=listed)) == ["alg_not_allowed"]


def test_a_wallet_that_demands_signed_requests_refuses_unsigned_ones(
    bus_key: PrivateKey, listed: list[ListedVerifier]
) -> None:
    unsigned = encode_request(bus_request())
    assert codes(lambda: parse_request(unsigned, now=NOW, verifiers=listed, require_signed=True)) == [
        "request_unsigned"]
    signed = encode_request(sign_request(bus_request(), bus_key))
    assert parse_request(signed, now=NOW, verifiers=listed, require_signed=True).signer == listed[0]
    with pytest.raises(UsageError, match="list of verifiers"):
        parse_request(signed, now=NOW, require_signed=True)


# --- unreadable input ---------------------------------------------------------------------


def test_text_over_the_limit_is_too_large_before_any_decoding() -> None:
    with pytest.raises(TooLarge):
        parse_request(PREFIX + "!" * MAX_REQUEST_CHARS, now=NOW)  # "!" is not Base45: never decoded


def test_a_payload_that_inflates_beyond_the_limit_is_too_large() -> None:
    bomb = packed(b"\x00" + b" " * (MAX_BODY * 4))
    assert len(bomb) < MAX_REQUEST_CHARS
    with pytest.raises(TooLarge, match="inflates"):
        parse_request(bomb, now=NOW)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CK1:ABC", "CKQ1"),
        ("eyJhbGciOiJFUzI1NiJ9.e30.AA", "CKQ1"),
        ("CKQ1:abc", "Base45"),
        ("CKQ1:" + b45encode(b"not deflate \xff\xff"), "deflate"),
        (packed(b""), "empty"),
        (packed(b"\x02{}"), "unknown kind"),
        (packed(b"\x00[1, 2]"), "object"),
        (packed(b"\x00" + json_dumps(bus_request().to_json()).encode(), dictionary=DICTIONARY_V1[::-1]), "JSON"),
        (packed(b"\x01\x05abc"), "truncated"),
        (packed(b"\x01\x80\x00abc"), "non-canonical"),
    ],
)
def test_malformed_request_text_is_a_format_error(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_request(text, now=NOW)


def test_trailing_deflate_data_or_body_bytes_are_refused(bus_key: PrivateKey) -> None:
    text = encode_request(bus_request())
    raw = b45decode(text[len(PREFIX):])
    with pytest.raises(FormatError, match="trailing"):
        parse_request(PREFIX + b45encode(raw + b"\x00"), now=NOW)
    token = sign_request(bus_request(), bus_key)
    inflater = zlib.decompressobj(-15, zdict=DICTIONARY_V1)
    body = inflater.decompress(b45decode(encode_request(token)[len(PREFIX):]))
    with pytest.raises(FormatError, match="trailing"):
        parse_request(packed(body + b"\x00"), now=NOW)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"aud": ""}, "aud"),
        ({"aud": "https://bus example"}, "aud"),
        ({"aud": 7}, "aud"),
        ({"name": ""}, "name"),
        ({"name": "Bus\n42"}, "name"),
        ({"name": " Bus"}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"claims": "resident_of"}, "claims"),
        ({"claims": ["resident_of", 3]}, "claims"),
        ({"claims": ["address..locality"]}, "empty segment"),
        ({"claims": ["resident_of", "resident_of"]}, "twice"),
        ({"claims": [f"claim_{i}" for i in range(33)]}, "at most 32"),
        ({"exp": "soon"}, "exp"),
        ({"exp": True}, "exp"),
        ({"exp": -1}, "exp"),
    ],
)
def test_a_request_with_a_bad_member_is_a_format_error(edit: dict[str, Any], message: str) -> None:
    obj = {**bus_request().to_json(), **edit}
    with pytest.raises(FormatError, match=message):
        parse_request(unsigned_text(obj), now=NOW)


def test_a_request_may_ask_for_nested_claims_and_for_none() -> None:
    nested = bus_request(claims=["address.postal_code", "nationalities.0"])
    assert parse_request(encode_request(nested), now=NOW).paths == (("address", "postal_code"), ("nationalities", 0))
    assert parse_request(encode_request(bus_request(claims=[])), now=NOW).claims == ()


def test_encode_refuses_a_token_that_is_not_a_compact_jws() -> None:
    with pytest.raises(UsageError):
        encode_request("not-a-jws")


# --- the city's list of verifiers -----------------------------------------------------------


def test_listed_verifier_keeps_only_the_public_key_members_and_refuses_private_ones(bus_key: PrivateKey) -> None:
    entry = ListedVerifier.create(BUS, "Transit", {**public_jwk(bus_key), "kid": "mine", "use": "sig"})
    assert dict(entry.jwk) == public_jwk(bus_key)
    assert entry.kid == thumbprint(bus_key)
    with pytest.raises(UsageError, match="private"):
        ListedVerifier.create(BUS, "Transit", private_jwk(bus_key))
    with pytest.raises(UsageError, match="unusable"):
        ListedVerifier.create(BUS, "Transit", {"kty": "RSA", "n": "AQAB", "e": "AQAB"})
    with pytest.raises(FormatError):
        ListedVerifier.from_json({"aud": BUS, "name": "Transit"})


def test_a_list_naming_one_key_twice_is_refused(bus_key: PrivateKey) -> None:
    entry = ListedVerifier.create(BUS, "Transit", public_jwk(bus_key)).to_json()
    with pytest.raises(FormatError, match="twice"):
        verifiers_from_json([entry, {**entry, "aud": LIBRARY}])
    with pytest.raises(FormatError):
        verifiers_from_json({"verifiers": []})




def test_the_key_store_keeps_a_list_of_verifiers_without_a_passphrase(store: KeyStore, bus_key: PrivateKey) -> None:
    assert store.verifiers() == ()
    library_key = generate_private_key()
    bus = store.register_verifier(BUS, "Transit", public_jwk(bus_key), SCOPE)
    library = store.register_verifier(LIBRARY, "Library", public_jwk(library_key), ["given_name"])
    assert KeyStore.open(store.directory).verifiers() == (bus, library)
    renamed = store.register_verifier(BUS, "Springfield Transit", public_jwk(bus_key), SCOPE)  # same key: replaced
    assert store.verifiers() == (library, renamed)
    assert (store.directory / VERIFIERS_NAME).stat().st_mode & 0o777 == 0o600
    assert store.remove_verifier(library.kid) == library
    assert store.verifiers() == (renamed,)
    with pytest.raises(KeyStoreError, match="no verifier key"):
        store.remove_verifier(library.kid)
    with pytest.raises(UsageError, match="private"):
        store.register_verifier(LIBRARY, "Library", private_jwk(library_key), ["given_name"])


def test_a_damaged_verifier_list_is_a_key_store_error(store: KeyStore) -> None:
    (store.directory / VERIFIERS_NAME).write_text('{"version": 1, "verifiers": [{"aud": 1}]}')
    with pytest.raises(KeyStoreError, match="damaged"):
        store.verifiers()
    (store.directory / VERIFIERS_NAME).write_text("[]")
    with pytest.raises(KeyStoreError, match="damaged"):
        store.verifiers()


def test_registering_into_a_directory_that_is_no_key_store_fails(tmp_path: Path, store: KeyStore) -> None:
    (store.directory / "keystore.json").unlink()
    with pytest.raises(KeyStoreError):
        store.register_verifier(BUS, "Transit", public_jwk(generate_private_key()), SCOPE)
    assert not (store.directory / VERIFIERS_NAME).exists()


def test_the_trust_bundle_carries_the_registered_verifiers_under_the_roots_signature(
    store: KeyStore, registry: StatusRegistry, bus_key: PrivateKey
) -> None:
    assert load_bundle(build_bundle(store, registry, PASSPHRASE, now=NOW), store.root_thumbprint, now=NOW
                       ).verifiers == ()
    entry = store.register_verifier(BUS, "Springfield Transit", public_jwk(bus_key), SCOPE)
    text = build_bundle(store, registry, PASSPHRASE, now=NOW)
    bundle = load_bundle(text, store.root_thumbprint, now=NOW)
    assert bundle.verifiers == (entry,)
    assert bundle.key_list.verifiers == (entry,)  # in the root-signed key list, not the bundle's own claims
    request = encode_request(sign_request(bus_request(), bus_key))
    assert parse_request(request, now=NOW, verifiers=bundle.verifiers).display_name == "Springfield Transit"

    key_list = jws.parse(text).payload["key_list"]
    head, _, signature = key_list.split(".")
    mallory = ListedVerifier.create(BUS, "Springfield Transit", public_jwk(generate_private_key()), SCOPE)
    payload = {**jws.parse(key_list).payload, "verifiers": [entry.to_json(), mallory.to_json()]}
    forged = f"{head}.{b64url_encode(json_dumps(payload).encode())}.{signature}"
    kid, key = store.active_signing_key(PASSPHRASE)
    rewrapped = sign_bundle(key_list_token=forged, status_list_tokens=[], issuer=ISSUER, issued_at=NOW,
                            next_update=NOW + 86_400, signing_key=key, kid=kid)
    with pytest.raises(VerificationFailed) as info:
        load_bundle(rewrapped, store.root_thumbprint, now=NOW)
    assert info.value.codes == ["bundle_invalid"]


def test_a_bundle_from_before_the_list_existed_lists_no_verifiers(store: KeyStore, registry: StatusRegistry) -> None:
    kid, key = store.active_signing_key(PASSPHRASE)
    text = sign_bundle(
        key_list_token=store.published_key_list(PASSPHRASE, now=NOW), status_list_tokens=[], issuer=ISSUER,
        issued_at=NOW, next_update=NOW + 86_400, signing_key=key, kid=kid,
    )
    assert "verifiers" not in jws.parse(text).payload
    assert load_bundle(text, store.root_thumbprint, now=NOW).verifiers == ()


def test_a_root_signed_key_list_with_a_malformed_verifier_list_is_a_format_error(store: KeyStore) -> None:
    root = store.root_key(PASSPHRASE)
    claims = {**store.key_list(NOW).to_claims(), "root": public_jwk(root),
              "verifiers": [{"aud": BUS, "name": "Transit", "jwk": {"kty": "EC"}, "may_ask": ["resident_of"]}]}
    key_list = jws.sign({"typ": "citykey-keylist+jwt", "kid": thumbprint(root)}, claims, root)
    kid, key = store.active_signing_key(PASSPHRASE)
    text = sign_bundle(key_list_token=key_list, status_list_tokens=[], issuer=ISSUER, issued_at=NOW,
                       next_update=NOW + 86_400, signing_key=key, kid=kid)
    with pytest.raises(FormatError, match="verifier"):
        load_bundle(text, store.root_thumbprint, now=NOW)


def test_module_is_pure() -> None:
    """The request format is part of the contract: it may import nothing outside wallet_spec but libraries."""
    source = Path(request_module.__file__).read_text()
    imported = set(re.findall(r"^(?:from|import) (\w+)", source, flags=re.MULTILINE))
    assert imported <= {"__future__", "re", "secrets", "zlib", "collections", "dataclasses", "typing", "b45",
                        "wallet_spec"}
