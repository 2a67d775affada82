"""What JSON a token may carry on the wire: UTF-8 only, and only valid Unicode (docs/security.md items 11, 12).

Each token here is *correctly signed* by the key the verifier trusts, so nothing but the
encoding check stands between it and acceptance: a UTF-16 header, payload, disclosure or
KB-JWT, and a lone surrogate escape in a KB-JWT claim.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from wallet_spec import keybinding
from wallet_spec.disclosure import Disclosure
from wallet_spec.encoding import b64url_encode, json_dumps, sha256_b64url
from wallet_spec.errors import DisclosureMalformed, FormatError
from wallet_spec.jwk import PrivateKey
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.sdjwt import SdJwt

NONCE, AUD = "n-0S6_WzA2Mj", "https://verifier.example"
KB = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)


def signed(header: bytes, payload: bytes, key: PrivateKey) -> str:
    """A compact ES256 JWS over exactly these header and payload bytes, whatever their encoding."""
    signing_input = f"{b64url_encode(header)}.{b64url_encode(payload)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def utf16(value: Any) -> bytes:
    return json_dumps(value).encode("utf-16")


def test_an_issuer_jwt_signed_over_utf16_json_is_refused(forge: Any, issuer_key: PrivateKey) -> None:
    token = signed(utf16({"typ": "example+sd-jwt", "alg": "ES256"}), utf16(forge.payload()), issuer_key)
    with pytest.raises(FormatError, match="not UTF-8"):
        forge.verify(token + "~")
    # The same claims in UTF-8 verify: only the encoding is refused.
    utf8 = signed(json_dumps({"typ": "example+sd-jwt", "alg": "ES256"}).encode(), json_dumps(forge.payload()).encode(),
                  issuer_key)
    assert forge.verify(utf8 + "~").claims["iss"] == forge.payload()["iss"]


def test_a_utf16_payload_under_a_utf8_header_is_refused(forge: Any, issuer_key: PrivateKey) -> None:
    token = signed(json_dumps({"typ": "example+sd-jwt", "alg": "ES256"}).encode(), utf16(forge.payload()), issuer_key)
    with pytest.raises(FormatError, match="issuer-signed JWT payload"):
        forge.verify(token + "~")


def test_a_disclosure_in_utf16_is_malformed() -> None:
    encoded = b64url_encode(utf16(["c2FsdHNhbHRzYWx0", "given_name", "Erika"]))
    with pytest.raises(DisclosureMalformed, match="not UTF-8"):
        Disclosure.parse(encoded)


def test_a_kb_jwt_in_utf16_is_refused(forge: Any, credential: SdJwt, holder_key: PrivateKey) -> None:
    sd_part = credential.serialize()
    claims = {"iat": forge.now, "aud": AUD, "nonce": NONCE, "sd_hash": sha256_b64url(sd_part)}
    kb = signed(utf16({"typ": "kb+jwt", "alg": "ES256"}), utf16(claims), holder_key)
    with pytest.raises(FormatError, match="KB-JWT header"):
        forge.verify(sd_part + kb, key_binding=KB)
    assert forge.verify(sd_part + forge.kb_raw(claims), key_binding=KB).key_binding == claims


@pytest.mark.parametrize("claim", ["sd_hash", "aud", "nonce"])
def test_a_lone_surrogate_in_a_signed_kb_jwt_claim_is_a_format_error(
    forge: Any, credential: SdJwt, holder_key: PrivateKey, claim: str
) -> None:
    sd_part = credential.serialize()
    claims = {"iat": forge.now, "aud": AUD, "nonce": NONCE, "sd_hash": sha256_b64url(sd_part)}
    payload = json_dumps({**claims, claim: "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800").encode()
    kb = signed(b'{"typ":"kb+jwt","alg":"ES256"}', payload, holder_key)
    with pytest.raises(FormatError, match="surrogate"):
        forge.verify(sd_part + kb, key_binding=KB)


def test_the_fuzzed_kb_jwt_crash_input_is_a_format_error(holder_key: PrivateKey) -> None:
    """No signature needed: `e30` is `{}`, and the KB-JWT's payload is `{"sd_hash":"\\ud800"}`."""
    with pytest.raises(FormatError, match="surrogate"):
        keybinding.check("e30.eyJzZF9oYXNoIjoiXHVkODAwIn0.AA", "e30.e30.AA~", {}, KB, now=0)


@pytest.mark.parametrize("nonce", ["\ud800", "caf\udce9"])  # e.g. a CLI argument read with surrogateescape
def test_key_binding_compares_a_verifiers_own_odd_nonce_without_crashing(
    forge: Any, credential: SdJwt, nonce: str
) -> None:
    text = forge.with_kb(credential.serialize(), nonce=NONCE, aud=AUD)
    assert forge.codes(text, key_binding=KeyBindingPolicy(required=True, nonce=nonce, aud=AUD)) == ["nonce_mismatch"]
