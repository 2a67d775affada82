"""No input crashes a decoder: every one ends in a result or a typed CitykeyError (docs/security.md item 12).

A verifier reads whatever a QR code says, a wallet whatever a verifier shows, so
every decoder of the contract is run here on hostile input: random text, random
bytes in valid framing (so the inner readers are reached), and valid tokens with
one part replaced by arbitrary JSON (lone surrogates, other encodings, odd types).
Anything but a `CitykeyError` escaping is a bug. Bounded: a few hundred inputs each.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wallet_spec import jws, qr
from wallet_spec.alphanumeric import b45decode, pack
from wallet_spec.encoding import b64url_encode, json_dumps
from wallet_spec.errors import CitykeyError
from wallet_spec.jwk import PrivateKey, public_jwk, thumbprint
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import signing_kid
from wallet_spec.present import present
from wallet_spec.profile import verify_credential
from wallet_spec.request import (
    DICTIONARY_V1,
    ListedVerifier,
    encode_request,
    make_request,
    parse_request,
    sign_request,
)
from wallet_spec.request import PREFIX as REQUEST_PREFIX
from wallet_spec.sdjwt import SdJwt
from wallet_spec.statuslist import StatusList, sign_token, verify_token
from wallet_spec.verify import verify

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = 1_767_225_600 + 37_000
NONCE, AUD = "n-0S6_WzA2Mj", "https://verifier.example"
KB = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)

# JSON text that a hostile sender could put in a token part: valid JSON of any shape, JSON with
# escapes no encoder makes (lone surrogates), other encodings, and bytes that are no JSON at all.
_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)
_json_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_surrogate_escape = st.sampled_from(["\\ud800", "\\udfff", "\\uDBFF", "\\ude00\\ud83d", "\\ud83d"])


@st.composite
def json_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["value", "surrogate", "utf16", "bom", "raw"]))
    if kind == "raw":
        return draw(st.binary(max_size=40))
    value = draw(_json_values)
    text = json_dumps(value)
    if kind == "surrogate":
        # A lone surrogate escape inside a string: in an object member, an array element, or alone.
        escape = draw(_surrogate_escape)
        text = draw(st.sampled_from([f'"{escape}"', f'{{"sd_hash":"{escape}"}}', f'{{"{escape}":{text}}}',
                                     f'[{text},"x{escape}"]']))
    if kind == "utf16":
        return text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32"])))
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("utf-8", "surrogatepass")


def typed_or_accepted(action: Callable[[], Any]) -> Any:
    """Run a decoder; a `CitykeyError` is a fine answer, any other exception fails the test."""
    try:
        return action()
    except CitykeyError as exc:
        return exc  # a typed answer, with a code and a message a screen can show


# --- SD-JWT presentations ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shown(credential: SdJwt, holder_key: PrivateKey) -> str:
    return present(credential, [("given_name",), ("address", "locality")], holder_key=holder_key, nonce=NONCE,
                   aud=AUD, iat=NOW)


def _verify_everywhere(text: str, issuer_key: PrivateKey) -> None:
    typed_or_accepted(lambda: SdJwt.parse(text))
    typed_or_accepted(lambda: verify(text, issuer_key.public_key(), key_binding=KB, now=NOW))
    typed_or_accepted(lambda: verify_credential(text, issuer_key.public_key(), key_binding=KB, now=NOW))


@FUZZ
@given(text=st.text(max_size=200) | st.text("AZaz09-_.~e3", max_size=200))
@example(text="e30.e30.AA~e30.eyJzZF9oYXNoIjoiXHVkODAwIn0.AA")
@example(text="e30.e30.AA~e30.eyJhdWQiOiJcdWQ4MDAifQ.AA")
def test_any_text_parses_and_verifies_or_is_a_typed_error(text: str, issuer_key: PrivateKey) -> None:
    _verify_everywhere(text, issuer_key)


@FUZZ
@given(data=st.data(), part=json_bytes())
def test_a_presentation_with_one_part_replaced_by_any_json_is_a_result_or_a_typed_error(
    shown: str, issuer_key: PrivateKey, data: st.DataObject, part: bytes
) -> None:
    pieces = shown.split("~")  # jwt, disclosures…, kb-jwt
    segments = [p.split(".") if "." in p else [p] for p in pieces]
    i = data.draw(st.integers(0, len(segments) - 1), label="piece")
    j = data.draw(st.integers(0, min(1, len(segments[i]) - 1)), label="segment")  # header, payload or disclosure
    segments[i][j] = b64url_encode(part)
    _verify_everywhere("~".join(".".join(s) for s in segments), issuer_key)


# --- the QR codec --------------------------------------------------------------------------------


@FUZZ
@given(text=st.text(max_size=300) | st.text(qr.PREFIX + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
                                             max_size=300).map(lambda t: qr.PREFIX + t))
@example(text="CK1:KSCDBCC8C+SCLE27I4GK9RD5CA3C-O+H93H9Q*KDZ2ZZ0 .MCN1")
def test_any_qr_text_decodes_or_is_a_typed_error(text: str, issuer_key: PrivateKey) -> None:
    decoded = typed_or_accepted(lambda: qr.decode(text))
    if isinstance(decoded, str):
        _verify_everywhere(decoded, issuer_key)


@FUZZ
@given(body=st.binary(max_size=300))
def test_any_qr_body_decodes_or_is_a_typed_error(body: bytes, issuer_key: PrivateKey) -> None:
    decoded = typed_or_accepted(lambda: qr.decode(pack(qr.PREFIX, body, qr.DICTIONARY)))
    if isinstance(decoded, str):
        _verify_everywhere(decoded, issuer_key)


@FUZZ
@given(data=st.data())
def test_a_qr_code_with_damaged_body_bytes_decodes_or_is_a_typed_error(
    shown: str, issuer_key: PrivateKey, data: st.DataObject
) -> None:
    inflater = zlib.decompressobj(-15, zdict=qr.DICTIONARY)
    body = bytearray(inflater.decompress(b45decode(qr.encode(shown)[len(qr.PREFIX):])))
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        at = data.draw(st.integers(0, len(body) - 1), label="at")
        body[at] = data.draw(st.integers(0, 255), label="byte")
    decoded = typed_or_accepted(lambda: qr.decode(pack(qr.PREFIX, bytes(body), qr.DICTIONARY)))
    if isinstance(decoded, str):
        _verify_everywhere(decoded, issuer_key)


# --- presentation requests -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def listed(other_key: PrivateKey) -> list[ListedVerifier]:
    return [ListedVerifier.create(AUD, "Springfield Transit", public_jwk(other_key), ["resident_of"])]


def _parse_request_everywhere(text: str, verifiers: list[ListedVerifier]) -> None:
    typed_or_accepted(lambda: parse_request(text, now=NOW))
    typed_or_accepted(lambda: parse_request(text, now=NOW, verifiers=verifiers))
    typed_or_accepted(lambda: parse_request(text, now=NOW, verifiers=verifiers, require_signed=True))


@FUZZ
@given(text=st.text(max_size=300) | st.text(REQUEST_PREFIX + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
                                             max_size=300).map(lambda t: REQUEST_PREFIX + t))
def test_any_request_text_parses_or_is_a_typed_error(text: str, listed: list[ListedVerifier]) -> None:
    _parse_request_everywhere(text, listed)


@FUZZ
@given(kind=st.sampled_from([b"\x00", b"\x01", b""]), rest=json_bytes() | st.binary(max_size=200))
def test_any_request_body_parses_or_is_a_typed_error(kind: bytes, rest: bytes, listed: list[ListedVerifier]) -> None:
    _parse_request_everywhere(pack(REQUEST_PREFIX, kind + rest, DICTIONARY_V1), listed)


@FUZZ
@given(header=json_bytes(), payload=json_bytes(), which=st.sampled_from(["header", "payload", "both"]))
def test_a_signed_request_with_any_json_parts_parses_or_is_a_typed_error(
    other_key: PrivateKey, listed: list[ListedVerifier], header: bytes, payload: bytes, which: str
) -> None:
    token = sign_request(make_request(aud=AUD, claims=["resident_of"], name="Bus", now=NOW), other_key)
    head, body, signature = token.split(".")
    if which in ("header", "both"):
        head = b64url_encode(header)
    if which in ("payload", "both"):
        body = b64url_encode(payload)
    _parse_request_everywhere(encode_request(f"{head}.{body}.{signature}"), listed)


# --- status lists --------------------------------------------------------------------------------


_lst = (
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60)
    | st.binary(max_size=60).map(lambda b: b64url_encode(zlib.compress(b)))
    | st.binary(max_size=60).map(b64url_encode)
)


@FUZZ
@given(
    obj=st.fixed_dictionaries({}, optional={"bits": _scalars | st.sampled_from([1, 2, 4, 8]), "lst": _scalars | _lst})
    | _json_values
)
def test_any_status_list_object_decodes_or_is_a_typed_error(obj: Any) -> None:
    decoded = typed_or_accepted(lambda: StatusList.from_json(obj))
    if isinstance(decoded, StatusList):
        if decoded.size:
            typed_or_accepted(lambda: decoded.get(0))
        else:  # an empty list has no index 0: IndexError is the API, and callers map it (statuslist.status_errors)
            with pytest.raises(IndexError):
                decoded.get(0)


@FUZZ
@given(status_list=_json_values | st.fixed_dictionaries({"bits": st.sampled_from([1, 2]), "lst": _lst}),
       claims=st.dictionaries(st.sampled_from(["sub", "iat", "exp", "ttl"]), _scalars))
def test_any_signed_status_list_token_verifies_or_is_a_typed_error(
    issuer_key: PrivateKey, status_list: Any, claims: dict[str, Any]
) -> None:
    payload = {"sub": "https://issuer.example/status/1", "iat": NOW, "exp": NOW + 60, **claims,
               "status_list": status_list}
    token = jws.sign({"typ": "statuslist+jwt", "kid": thumbprint(issuer_key)}, payload, issuer_key)
    typed_or_accepted(lambda: verify_token(token, lambda h, p: issuer_key.public_key(), now=NOW))


@FUZZ
@given(part=json_bytes(), where=st.sampled_from([0, 1]))
def test_a_status_list_token_with_any_json_part_is_a_result_or_a_typed_error(
    issuer_key: PrivateKey, part: bytes, where: int
) -> None:
    token = sign_token(StatusList.new(64), uri="https://issuer.example/status/1", key=issuer_key,
                       kid=signing_kid(issuer_key), iat=NOW, exp=NOW + 60, ttl=60)
    pieces = token.split(".")
    pieces[where] = b64url_encode(part)
    typed_or_accepted(lambda: verify_token(".".join(pieces), lambda h, p: issuer_key.public_key(), now=NOW))
