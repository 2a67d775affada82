"""The fuzz targets: one function per parser, from raw bytes to a result or a typed `CitykeyError`.

Each target takes whatever bytes the fuzzer (atheris, or hypothesis in tests/attacks/test_fuzz_properties.py)
makes and feeds them to one reader of outside input the way its caller would. `run` calls a target and
lets only a `CitykeyError` through as an answer: any other exception (a traceback) is a finding.

`seeds` gives each target a few real inputs to start from (the attack corpus's city: its bundle, a valid
presentation, its QR code, a request, a status list token, a sealed wallet), so mutation starts deep
inside each format instead of at its first byte.
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
from wallet_spec import qr
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.encoding import b64url_encode, json_loads
from wallet_spec.errors import CitykeyError
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


TARGETS: dict[str, Callable[[bytes], object]] = {
    "presentation": presentation,
    "sd_jwt": sd_jwt,
    "qr": qr_code,
    "status_list": status_list,
    "bundle": trust_bundle,
    "request": request,
    "wallet": wallet_file,
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
    raise KeyError(name)
