"""Token Status List (draft-ietf-oauth-status-list): the draft's vectors, bit packing, limits, signed tokens.

The vectors in tests/vectors/status_list/ are copied from the draft (see its
README); everything else is built here with fresh keys.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

import pytest

from tests.support import STATUS_LIST, vector_names
from tests.support import vector as load_vector
from wallet_spec import jws
from wallet_spec.encoding import b64url_encode
from wallet_spec.errors import FormatError, UnknownKey, VerificationFailed
from wallet_spec.jwk import PrivateKey, PublicKey, public_key_from_jwk
from wallet_spec.statuslist import (
    ALLOWED_BITS,
    MAX_LIST_BYTES,
    STATUS_LIST_TYP,
    StatusList,
    sign_token,
    verify_token,
)

LIST_VECTORS = [name for name in vector_names(STATUS_LIST) if name != "status_list_jwt"]
SMALL_EXAMPLES = ["encoding_1bit", "encoding_2bit"]
URI = "https://id.springfield.example/statuslists/1"
NOW = 1_767_225_600 + 37_000
DAY = 86_400


def vector(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = load_vector(STATUS_LIST, name)
    return loaded


def lst_of(data: bytes, *, level: int = 9) -> dict[str, Any]:
    return {"bits": 1, "lst": b64url_encode(zlib.compress(data, level))}


def test_every_vector_file_is_tested() -> None:
    assert LIST_VECTORS == [
        "encoding_1bit", "encoding_2bit", "test_vector_1bit", "test_vector_2bit", "test_vector_4bit", "test_vector_8bit"
    ]


# --- the draft's vectors -------------------------------------------------------


@pytest.mark.parametrize("name", LIST_VECTORS)
def test_decoding_a_draft_vector_gives_its_listed_statuses_and_zero_elsewhere(name: str) -> None:
    v = vector(name)
    decoded = StatusList.from_json({"bits": v["bits"], "lst": v["lst"]})
    assert decoded.bits == v["bits"]
    assert decoded.size == v["size"]
    for idx, status in v["statuses"]:
        assert decoded.get(idx) == status, idx
    # Everything not listed is VALID: rebuilding from the listed entries alone gives the same bytes.
    rebuilt = StatusList.new(v["size"], bits=v["bits"])
    for idx, status in v["statuses"]:
        rebuilt.set(idx, status)
    assert rebuilt.data == decoded.data


@pytest.mark.parametrize("name", SMALL_EXAMPLES)
def test_small_examples_decode_to_the_printed_byte_array(name: str) -> None:
    v = vector(name)
    assert bytes(StatusList.from_json(v).data) == bytes.fromhex(v["byte_array_hex"])


@pytest.mark.parametrize("name", SMALL_EXAMPLES)
def test_encoding_the_small_examples_reproduces_the_drafts_lst_byte_for_byte(name: str) -> None:
    v = vector(name)
    built = StatusList.new(v["size"], bits=v["bits"])
    for idx, status in v["statuses"]:
        built.set(idx, status)
    assert built.to_json() == {"bits": v["bits"], "lst": v["lst"]}
    assert zlib.compress(bytes(built.data), 9).hex() == v["compressed_hex"]  # as the draft prints it
    assert json.dumps(built.to_json(), separators=(",", ":")) == json.dumps(
        {"bits": v["bits"], "lst": v["lst"]}, separators=(",", ":")
    )


@pytest.mark.parametrize("name", sorted(set(LIST_VECTORS) - set(SMALL_EXAMPLES)))
def test_encoding_a_long_vector_round_trips(name: str) -> None:
    # Byte-for-byte re-encoding depends on the zlib build (level 9 matches with zlib 1.2.13;
    # see the README), so for the 2^20-entry vectors only decode(encode(x)) == x is asserted.
    v = vector(name)
    decoded = StatusList.from_json(v)
    again = StatusList.from_json(decoded.to_json())
    assert again == decoded


def test_the_drafts_example_status_list_token_verifies() -> None:
    v = vector("status_list_jwt")
    key = public_key_from_jwk(v["public_jwk"])
    verified = verify_token(v["token"], lambda header, payload: key, now=v["payload"]["iat"])
    assert (verified.uri, verified.iat, verified.exp, verified.ttl) == (
        "https://example.com/statuslists/1", 1_686_920_170, 2_291_720_170, 43_200
    )
    assert bytes(verified.status_list.data) == bytes.fromhex("b9a3")


# --- packing ---------------------------------------------------------------------


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_every_entry_can_be_set_and_read_back_at_every_bit_width(bits: int) -> None:
    size = 64
    sl = StatusList.new(size, bits=bits)
    assert sl.size == size
    assert len(sl.data) == size * bits // 8
    top = (1 << bits) - 1
    values = [(i * 37 + 11) % (top + 1) for i in range(size)]
    for i, value in enumerate(values):
        sl.set(i, value)
    assert [sl.get(i) for i in range(size)] == values
    # Changing one entry leaves its neighbours alone.
    sl.set(5, top)
    sl.set(5, 0)
    assert [sl.get(i) for i in range(size) if i != 5] == [v for i, v in enumerate(values) if i != 5]
    assert StatusList.from_json(sl.to_json()) == sl


@pytest.mark.parametrize(("bits", "index", "value", "data"), [
    (1, 0, 1, "01"), (1, 7, 1, "80"), (2, 0, 3, "03"), (2, 3, 1, "40"), (4, 1, 0xA, "a0"), (8, 1, 0xFF, "00ff"),
])
def test_entries_are_packed_least_significant_bits_first(bits: int, index: int, value: int, data: str) -> None:
    sl = StatusList.new(8, bits=bits)
    sl.set(index, value)
    assert bytes(sl.data).hex().startswith(data)


@pytest.mark.parametrize("bits", ALLOWED_BITS)
@pytest.mark.parametrize("index", [-1, 16, 17, 10**9])
def test_index_outside_the_list_raises(bits: int, index: int) -> None:
    sl = StatusList.new(16, bits=bits)
    with pytest.raises(IndexError):
        sl.get(index)
    with pytest.raises(IndexError):
        sl.set(index, 1)


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_status_that_does_not_fit_in_the_bit_width_is_refused(bits: int) -> None:
    sl = StatusList.new(8, bits=bits)
    with pytest.raises(ValueError, match="does not fit"):
        sl.set(0, 1 << bits)
    with pytest.raises(ValueError, match="does not fit"):
        sl.set(0, -1)


@pytest.mark.parametrize(("size", "bits"), [(16, 3), (16, 0), (0, 1), (-8, 1), (4, 1), (3, 2)])
def test_new_list_needs_an_allowed_width_and_whole_bytes(size: int, bits: int) -> None:
    with pytest.raises(ValueError, match=r"bits must be|whole bytes"):
        StatusList.new(size, bits=bits)


# --- decoding untrusted input -----------------------------------------------------


class InflateSpy:
    """Wraps zlib.decompressobj to count how many bytes were actually inflated."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.inflated = 0

    def __call__(self, *args: Any, **kwargs: Any) -> InflateSpy:
        self._obj = self._real(*args, **kwargs)
        return self

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out: bytes = self._obj.decompress(data, max_length)
        self.inflated += len(out)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


def test_decompression_bomb_is_refused_before_it_is_inflated(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = lst_of(bytes(10 << 20))
    assert len(bomb["lst"]) < 20_000  # 10 MiB of zeros compresses to a few KiB
    spy = InflateSpy(zlib.decompressobj)
    monkeypatch.setattr(zlib, "decompressobj", spy)
    with pytest.raises(FormatError) as info:
        StatusList.from_json(bomb)
    assert info.value.code == "too_large"
    assert spy.inflated <= MAX_LIST_BYTES


def test_list_of_exactly_the_limit_is_accepted_and_one_byte_more_is_too_large() -> None:
    assert StatusList.from_json(lst_of(bytes(MAX_LIST_BYTES))).size == MAX_LIST_BYTES * 8
    with pytest.raises(FormatError) as info:
        StatusList.from_json(lst_of(bytes(MAX_LIST_BYTES + 1)))
    assert info.value.code == "too_large"


def test_caller_can_lower_the_inflation_limit() -> None:
    with pytest.raises(FormatError) as info:
        StatusList.from_json(lst_of(bytes(1024)), max_bytes=1023)
    assert info.value.code == "too_large"
    assert StatusList.from_json(lst_of(bytes(1024)), max_bytes=1024).size == 8192


def _compressed(data: bytes = bytes(range(256))) -> bytes:
    return zlib.compress(data, 9)


@pytest.mark.parametrize(
    "raw",
    [
        _compressed()[:-4],  # checksum cut off
        _compressed()[:-1],
        _compressed()[: len(_compressed()) // 2],
        _compressed()[:2],  # header only
        _compressed() + b"\x00",  # trailing byte
        _compressed() + _compressed(),  # a second stream
        b"",
        b"not zlib at all",
        zlib.compress(bytes(range(256)))[:-4] + b"\x00\x00\x00\x00",  # wrong checksum
    ],
    ids=["no-checksum", "cut-1", "half", "header-only", "trailing-byte", "two-streams", "empty", "garbage",
         "bad-checksum"],
)
def test_truncated_trailing_or_corrupt_zlib_data_is_malformed(raw: bytes) -> None:
    with pytest.raises(FormatError) as info:
        StatusList.from_json({"bits": 1, "lst": b64url_encode(raw)})
    assert info.value.code == "malformed"


@pytest.mark.parametrize("bits", [3, 0, 16, -1, True, 1.0, "1", None, [1]], ids=repr)
def test_bits_other_than_1_2_4_8_are_malformed(bits: Any) -> None:
    with pytest.raises(FormatError) as info:
        StatusList.from_json({"bits": bits, "lst": b64url_encode(_compressed())})
    assert info.value.code == "malformed"


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [1, "eNrbuRgAAhcBXQ"],
        {"bits": 1},
        {"bits": 1, "lst": 5},
        {"bits": 1, "lst": "eNrbuRgAAhcBXQ=="},  # padded
        {"bits": 1, "lst": "eNrbuRgAAhcBXR"},  # non-canonical trailing bits
        {"bits": 1, "lst": "eNr+uRgAAhcBXQ"},  # standard, not URL-safe, alphabet
    ],
    ids=repr,
)
def test_status_list_object_that_is_not_bits_and_base64url_lst_is_malformed(obj: Any) -> None:
    with pytest.raises(FormatError) as info:
        StatusList.from_json(obj)
    assert info.value.code == "malformed"


# --- signed tokens ---------------------------------------------------------------------


def keyed(key: PrivateKey) -> Any:
    def lookup(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        return key.public_key()

    return lookup


def token_codes(token: str, key: PrivateKey, *, now: int = NOW) -> list[str]:
    with pytest.raises(VerificationFailed) as info:
        verify_token(token, keyed(key), now=now)
    return sorted(info.value.codes)


@pytest.fixture
def revoked_list() -> StatusList:
    sl = StatusList.new(1024)
    sl.set(3, 1)
    sl.set(1000, 1)
    return sl


def sign(sl: StatusList, key: PrivateKey, **overrides: Any) -> str:
    args: dict[str, Any] = {"uri": URI, "key": key, "kid": "k1", "iat": NOW, "exp": NOW + DAY, "ttl": 3600}
    args.update(overrides)
    return sign_token(sl, **args)


def test_signed_token_round_trips(issuer_key: PrivateKey, revoked_list: StatusList) -> None:
    token = sign(revoked_list, issuer_key)
    verified = verify_token(token, keyed(issuer_key), now=NOW)
    assert (verified.uri, verified.iat, verified.exp, verified.ttl) == (URI, NOW, NOW + DAY, 3600)
    assert verified.status_list == revoked_list
    assert [i for i in range(1024) if verified.status_list.get(i)] == [3, 1000]
    assert jws.parse(token).header == {"alg": "ES256", "typ": STATUS_LIST_TYP, "kid": "k1"}


def test_key_lookup_receives_the_tokens_header_and_payload(issuer_key: PrivateKey, revoked_list: StatusList) -> None:
    seen: list[tuple[Any, Any]] = []

    def lookup(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        seen.append((header.get("kid"), payload.get("iat")))
        return issuer_key.public_key()

    verify_token(sign(revoked_list, issuer_key, kid="abc"), lookup, now=NOW)
    assert seen == [("abc", NOW)]


def test_token_signed_by_another_key_is_signature_invalid(
    issuer_key: PrivateKey, other_key: PrivateKey, revoked_list: StatusList
) -> None:
    assert token_codes(sign(revoked_list, other_key), issuer_key) == ["signature_invalid"]


def test_token_with_an_edited_list_is_signature_invalid(issuer_key: PrivateKey, revoked_list: StatusList) -> None:
    token = sign(revoked_list, issuer_key)
    head, _, sig = token.split(".")
    payload = jws.parse(token).payload
    payload["status_list"] = StatusList.new(1024).to_json()  # "nobody is revoked"
    body = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    assert token_codes(f"{head}.{body}.{sig}", issuer_key) == ["signature_invalid"]


def test_key_lookup_failure_is_reported_with_its_code(issuer_key: PrivateKey, revoked_list: StatusList) -> None:
    def lookup(header: Mapping[str, Any], payload: Mapping[str, Any]) -> PublicKey:
        raise UnknownKey("no such kid")

    with pytest.raises(VerificationFailed) as info:
        verify_token(sign(revoked_list, issuer_key), lookup, now=NOW)
    assert info.value.codes == ["unknown_key"]


@pytest.mark.parametrize("typ", ["jwt", "dc+sd-jwt", "statuslist+cwt", None])
def test_token_with_the_wrong_typ_is_typ_invalid(issuer_key: PrivateKey, revoked_list: StatusList, typ: Any) -> None:
    header = {"kid": "k1"} if typ is None else {"typ": typ, "kid": "k1"}
    payload = {"sub": URI, "iat": NOW, "exp": NOW + DAY, "ttl": 3600, "status_list": revoked_list.to_json()}
    assert token_codes(jws.sign(header, payload, issuer_key), issuer_key) == ["typ_invalid"]


def test_typ_with_application_prefix_is_accepted(issuer_key: PrivateKey, revoked_list: StatusList) -> None:
    payload = {"sub": URI, "iat": NOW, "exp": NOW + DAY, "status_list": revoked_list.to_json()}
    token = jws.sign({"typ": "application/statuslist+jwt"}, payload, issuer_key)
    assert verify_token(token, keyed(issuer_key), now=NOW).ttl is None


@pytest.mark.parametrize(("offset", "expired"), [(-1, False), (59, False), (60, True), (DAY, True)])
def test_token_past_its_exp_is_expired_after_the_leeway(
    issuer_key: PrivateKey, revoked_list: StatusList, offset: int, expired: bool
) -> None:
    token = sign(revoked_list, issuer_key)
    now = NOW + DAY + offset
    if expired:
        assert token_codes(token, issuer_key, now=now) == ["expired"]
    else:
        assert verify_token(token, keyed(issuer_key), now=now).uri == URI


@pytest.mark.parametrize(
    "change",
    [
        {"sub": None},
        {"sub": 7},
        {"iat": None},
        {"exp": None},
        {"exp": "tomorrow"},
        {"iat": True},
        {"ttl": 0},
        {"ttl": -5},
        {"ttl": "1h"},
    ],
    ids=repr,
)
def test_token_missing_or_mistyping_a_claim_is_claim_invalid(
    issuer_key: PrivateKey, revoked_list: StatusList, change: dict[str, Any]
) -> None:
    payload: dict[str, Any] = {
        "sub": URI, "iat": NOW, "exp": NOW + DAY, "ttl": 3600, "status_list": revoked_list.to_json()
    }
    payload.update(change)
    payload = {k: v for k, v in payload.items() if v is not None}
    token = jws.sign({"typ": STATUS_LIST_TYP}, payload, issuer_key)
    assert token_codes(token, issuer_key) == ["claim_invalid"]


def test_every_failure_of_a_token_is_reported_together(other_key: PrivateKey, issuer_key: PrivateKey) -> None:
    payload = {"iat": NOW - 2 * DAY, "exp": NOW - DAY, "status_list": StatusList.new(8).to_json()}
    token = jws.sign({"typ": STATUS_LIST_TYP}, payload, other_key)
    assert token_codes(token, issuer_key) == ["claim_invalid", "expired", "signature_invalid"]


def test_signed_token_carrying_a_bomb_is_refused_as_too_large(issuer_key: PrivateKey) -> None:
    payload = {"sub": URI, "iat": NOW, "exp": NOW + DAY, "status_list": lst_of(bytes(10 << 20))}
    token = jws.sign({"typ": STATUS_LIST_TYP}, payload, issuer_key)
    with pytest.raises(FormatError) as info:
        verify_token(token, keyed(issuer_key), now=NOW)
    assert info.value.code == "too_large"
