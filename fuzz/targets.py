"""The fuzz targets: one function per parser, from raw bytes to a result or a typed `CitykeyError`.

Each target takes whatever bytes the fuzzer (atheris, or hypothesis in tests/attacks/test_fuzz_properties.py)
makes and feeds them to one reader of outside input the way its caller would. `run` calls a target and
lets only a `CitykeyError` through as an answer: any other exception (a traceback) is a finding.

`seeds` gives each target a few real inputs to start from (the attack corpus's city: its bundle, a valid
presentation, its QR code, a request, a status list token, a sealed wallet, an OpenID4VP Request Object
and an encrypted answer), so mutation starts deep inside each format instead of at its first byte.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from verifier import Policy, verify
from wallet import model as wallet_model
from wallet_spec import jwe, openid4vp, qr
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.encoding import b64url_encode, json_loads
from wallet_spec.errors import CitykeyError
from wallet_spec.jwk import private_key_from_jwk
from wallet_spec.keylist import signing_kid
from wallet_spec.request import encode_request, make_request, parse_request
from wallet_spec.sdjwt import SdJwt
from wallet_spec.statuslist import StatusList

CITY_FILE = Path(__file__).resolve().parents[1] / "tests" / "attacks" / "corpus" / "_city.json"
WALLET_PASSPHRASE = b"fuzz passphrase"
WALLET_LOG_N = 10
"""The cheapest scrypt cost a wallet file may name: the harness sets it so each input costs ~1 ms, not
seconds (the cost byte itself is covered by the check that refuses values outside 10..22)."""


@cache
def city() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CITY_FILE.read_text(encoding="utf-8"))
    return loaded


@cache
def bundle() -> TrustBundle:
    c = city()
    return load_bundle(c["bundle"], c["root_thumbprint"], now=c["now"])


def text(data: bytes) -> str:
    """Bytes as the text a reader would get: UTF-8 where it decodes, else Latin-1 (every byte a character)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def presentation(data: bytes) -> object:
    """A presentation, verified offline against the city's bundle (SD-JWT, disclosures, key binding, status)."""
    c = city()
    policy = Policy(nonce=c["defaults"]["nonce"], aud=c["defaults"]["aud"])
    return verify(text(data), bundle(), policy, now=c["now"])


def sd_jwt(data: bytes) -> object:
    """Only the SD-JWT container and its disclosures (no signature): the parser every party runs first."""
    parsed = SdJwt.parse(text(data))
    return parsed.payload()


def qr_code(data: bytes) -> object:
    """Scanned QR text, decoded to a presentation."""
    return qr.decode(text(data))


def status_list(data: bytes) -> object:
    """A status list's `lst` (the first byte picks `bits`): inflated under the size limit."""
    bits = (1, 2, 4, 8, 3)[data[0] % 5] if data else 1
    listed = StatusList.from_json({"bits": bits, "lst": b64url_encode(data[1:])})
    return listed.size


def trust_bundle(data: bytes) -> object:
    """A trust bundle, loaded against the pinned root."""
    c = city()
    return load_bundle(text(data), c["root_thumbprint"], now=c["now"])


def request(data: bytes) -> object:
    """A presentation request (CKQ1: QR text), with the bundle's list of verifiers."""
    c = city()
    return parse_request(text(data), now=c["now"], verifiers=bundle().verifiers)


def wallet_file(data: bytes) -> object:
    """The wallet file: the first byte picks the sealed file (cost byte pinned) or its decrypted JSON."""
    if data[:1] == b"{":
        return wallet_model.Wallet.from_json(json_loads(data, what="wallet"))
    blob = bytearray(data)
    if len(blob) > 4:
        blob[4] = WALLET_LOG_N
    return wallet_model.unseal(bytes(blob), WALLET_PASSPHRASE)


ANSWER_KEY = private_key_from_jwk({
    "kty": "EC", "crv": "P-256", "x": "YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk",
    "y": "Hekpm0zfK7C-YccH5iBjcIXgf6YdUvNUac_0At55Okk", "d": "Et-3ce0omz8_TuZ96Df9lp0GAaaDoUnDe6X-CRO7Aww",
})
"""A fixed transaction key for the `openid4vp_answer` target (OpenID4VP 1.0's own example key, §8.3)."""
ANSWER_STATE = "fuzz-state-0123456789"


def openid4vp_request(data: bytes) -> object:
    """An OpenID4VP Request Object, checked against the bundle's key list as a wallet does before showing it."""
    c = city()
    return openid4vp.verify_authorization_request(
        text(data), client_id_param=openid4vp.client_id(c["defaults"]["aud"]), key_list=bundle().key_list,
        now=c["now"],
    )


def openid4vp_answer(data: bytes) -> object:
    """A `direct_post.jwt` answer: decrypted with the transaction's key and read against its query."""
    payload = jwe.decrypt(text(data), ANSWER_KEY, kid="fuzz")
    query = openid4vp.dcql_query([("resident_of",)], ["urn:citykey:residency:1"])
    return openid4vp.read_response(payload, query, state=ANSWER_STATE)


TARGETS: dict[str, Callable[[bytes], object]] = {
    "presentation": presentation,
    "sd_jwt": sd_jwt,
    "qr": qr_code,
    "status_list": status_list,
    "bundle": trust_bundle,
    "request": request,
    "wallet": wallet_file,
    "openid4vp_request": openid4vp_request,
    "openid4vp_answer": openid4vp_answer,
}


def run(name: str, data: bytes) -> None:
    """One input through one target: a result or a typed refusal; anything else propagates."""
    with contextlib.suppress(CitykeyError):
        TARGETS[name](data)


def seeds(name: str) -> list[bytes]:
    """Real inputs of each format to start mutating from."""
    c = city()
    valid = c["valid_presentation"]
    if name in ("presentation", "sd_jwt"):
        return [valid.encode(), valid.rsplit("~", 1)[0].encode() + b"~"]
    if name == "qr":
        return [qr.encode(valid).encode()]
    if name == "status_list":
        return [b"\x00" + zlib.compress(bytes(128), 9)]
    if name == "bundle":
        return [c["bundle"].encode()]
    if name == "request":
        asked = make_request(aud=c["defaults"]["aud"], claims=["resident_of", "age_over_65"], name="City buses",
                             now=c["now"], nonce="abcdefghijklmnop")
        return [encode_request(asked).encode()]
    if name == "wallet":
        empty = wallet_model.Wallet()
        original = wallet_model._SCRYPT_LOG_N
        wallet_model._SCRYPT_LOG_N = WALLET_LOG_N
        try:
            sealed = wallet_model.seal(empty, WALLET_PASSPHRASE)
        finally:
            wallet_model._SCRYPT_LOG_N = original
        return [sealed, json.dumps(empty.to_json()).encode()]
    if name == "openid4vp_request":
        return [_request_object()]
    if name == "openid4vp_answer":
        answer = openid4vp.response_payload({"city": [c["valid_presentation"]]}, ANSWER_STATE)
        return [jwe.encrypt(answer, jwe.encryption_jwk(ANSWER_KEY, kid="fuzz")).encode()]
    raise KeyError(name)


def _request_object() -> bytes:
    """A Request Object the attack corpus's city would let its bus verifier send (its keys are seeded there)."""
    from tests.attacks.make_attacks import ACTIVE, VERIFIER  # the corpus's deterministic keys

    c = city()
    (listed,) = (v for v in bundle().verifiers if v.aud == c["defaults"]["aud"])
    attestation = openid4vp.sign_attestation(listed, issuer=c["issuer"], key=ACTIVE, kid=signing_kid(ACTIVE),
                                             now=c["now"])
    request = openid4vp.AuthorizationRequest(
        client_id=openid4vp.client_id(listed.aud), response_uri="https://bus.springfield.example/response/1",
        nonce="n" * 22, state="s" * 22, dcql=openid4vp.dcql_query([("resident_of",)], ["urn:citykey:residency:1"]),
        encryption_jwk=jwe.encryption_jwk(ANSWER_KEY, kid="fuzz"), iat=c["now"], exp=c["now"] + 300,
    )
    return openid4vp.sign_authorization_request(request, VERIFIER, attestation).encode()
