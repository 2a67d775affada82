"""Generate the attack corpus: one JSON file per case in tests/attacks/corpus/, and the offline subset
in wallet_spec/vectors/attacks.json for other implementers.

Run by hand from the repository root after adding or changing a case:

    .venv/bin/python tests/attacks/make_attacks.py

Everything derives from `SEED`: the city's keys (root, three signing keys, a rogue key, holder keys,
a listed verifier), the salts (a counter, as in tests/vectors/make_conformance.py) and the clock
(`NOW`). Disclosures, digests and payloads are byte-identical on every run; ECDSA signatures are
randomized, so signature bytes (and the KB-JWT `sd_hash` over them) change, which is harmless: every
signature still verifies with the same key. The test compares what the generator makes with the files
ignoring those bytes.

Each case names its source (the RFC section or guideline it comes from), what it does, its input, and
the codes a conforming verifier reports (`expected.codes`, sorted; `unreadable` when the input cannot
be parsed at all, a `FormatError`). The expected codes are written here by hand, from the source, and
not read back from our implementation: tests/attacks/test_attacks.py checks ours against them.

HTTP cases (the issuer's endpoints and the desk) have no input to ship: their files carry the same
metadata, and tests/attacks/test_http_attacks.py runs the scenario each one names.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from wallet_spec.alphanumeric import pack
from wallet_spec.bundle import MAX_BUNDLE_CHARS, sign_bundle
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps
from wallet_spec.jwk import PrivateKey, public_jwk, thumbprint
from wallet_spec.keylist import KeyList, ListedKey, sign_key_list, signing_kid
from wallet_spec.present import select
from wallet_spec.profile import Resident, issue_credential
from wallet_spec.qr import DICTIONARY
from wallet_spec.qr import PREFIX as QR_PREFIX
from wallet_spec.qr import encode as qr_encode
from wallet_spec.request import DICTIONARY_V1 as REQUEST_DICTIONARY
from wallet_spec.request import PREFIX as REQUEST_PREFIX
from wallet_spec.request import ListedVerifier, encode_request, make_request, sign_request
from wallet_spec.sdjwt import SdJwt
from wallet_spec.statuslist import StatusList

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
SHARED = ROOT / "wallet_spec" / "vectors" / "attacks.json"

SEED = "citykey-attacks-v1"
NOW = 1_767_225_600 + 50_000
"""2026-01-01T13:53:20Z, the clock of every offline case."""
DAY = 86_400
ISSUER = "https://id.springfield.example"
STATUS_URI = f"{ISSUER}/statuslists/1"
NONCE = "attack-nonce-7Qx2"
AUD = "https://bus.springfield.example"
REVOKED_IDX = 7
LIST_SIZE = 1024
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""The order of P-256: a signature (r, s) and (r, N - s) both verify."""


def seeded_key(label: str) -> PrivateKey:
    """A P-256 key derived from the seed and a label: the same key on every run."""
    digest = hashlib.sha256(f"{SEED}:key:{label}".encode("ascii")).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (N - 1) + 1, ec.SECP256R1())


class Salts:
    def __init__(self, label: str) -> None:
        self.label, self.n = label, 0

    def __call__(self) -> str:
        self.n += 1
        return b64url_encode(hashlib.sha256(f"{SEED}:salt:{self.label}:{self.n}".encode("ascii")).digest()[:16])


ROOT_KEY = seeded_key("root")
RETIRED = seeded_key("signing-retired")
ACTIVE = seeded_key("signing-active")
REVOKED_KEY = seeded_key("signing-revoked")
ROGUE = seeded_key("rogue")
FOREIGN_ROOT = seeded_key("foreign-root")
HOLDER = seeded_key("holder-a")
OTHER_HOLDER = seeded_key("holder-b")
VERIFIER = seeded_key("verifier-bus")
UNLISTED_VERIFIER = seeded_key("verifier-unlisted")
RETIRED_AT = NOW - 30 * DAY
"""The retired key signed credentials up to here; the active key from here on."""

RESIDENT = Resident("Testa", "Corpus", dt.date(1950, 1, 1), "Springfield")


# --- signing helpers ------------------------------------------------------------------------------


def raw_signature(signing_input: bytes, key: PrivateKey) -> bytes:
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def encode_part(value: Any) -> str:
    return b64url_encode(json_dumps(value).encode("utf-8"))


def raw_jws(header: Mapping[str, Any], payload: Any, key: PrivateKey | None, *, signature: bytes | None = None) -> str:
    """A compact JWS over exactly these parts; ES256 by `key` whatever `alg` says, or the given bytes."""
    head = header if isinstance(header, str) else encode_part(header)
    body = payload if isinstance(payload, str) else encode_part(payload)
    signing_input = f"{head}.{body}"
    sig = signature if signature is not None else raw_signature(signing_input.encode("ascii"), key)  # type: ignore[arg-type]
    return f"{signing_input}.{b64url_encode(sig)}"


def split(jwt: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    head, body, sig = jwt.split(".")
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(body)), b64url_decode(sig)


def set_signature(jwt: str, signature: bytes) -> str:
    return jwt.rsplit(".", 1)[0] + "." + b64url_encode(signature)


def high_s_twin(jwt: str) -> str:
    """The same signature's twin (r, N - s): verifies as well, different bytes (RFC 7518 §3.4 malleability)."""
    sig = b64url_decode(jwt.rsplit(".", 1)[1])
    s = int.from_bytes(sig[32:], "big")
    return set_signature(jwt, sig[:32] + (N - s).to_bytes(32, "big"))


# --- the city -------------------------------------------------------------------------------------


def key_list(root: PrivateKey = ROOT_KEY, *, iat: int = NOW - 3600, exp: int = NOW + 30 * DAY) -> str:
    keys = (
        ListedKey(signing_kid(RETIRED), public_jwk(RETIRED), NOW - 400 * DAY, RETIRED_AT),
        ListedKey(signing_kid(ACTIVE), public_jwk(ACTIVE), RETIRED_AT + 1, None),
        ListedKey(signing_kid(REVOKED_KEY), public_jwk(REVOKED_KEY), NOW - 400 * DAY, None),
    )
    bus = ListedVerifier.create("https://bus.springfield.example", "City buses", public_jwk(VERIFIER),
                                ("resident_of", "age_over_65", "given_name", "family_name", "birthdate", "address"))
    return sign_key_list(KeyList(ISSUER, iat, exp, keys, frozenset({signing_kid(REVOKED_KEY)}), (bus,)), root)


def status_list(*, revoked: tuple[int, ...] = (REVOKED_IDX,)) -> StatusList:
    listed = StatusList.new(LIST_SIZE)
    for idx in revoked:
        listed.set(idx, 1)
    return listed


def status_token(
    listed: StatusList | Mapping[str, Any] | None = None, *, uri: str = STATUS_URI, iat: int = NOW - 3600,
    exp: int = NOW + 7 * DAY, key: PrivateKey = ACTIVE, header: Mapping[str, Any] | None = None,
) -> str:
    body = (listed or status_list())
    payload = {"sub": uri, "iat": iat, "exp": exp, "ttl": DAY,
               "status_list": body.to_json() if isinstance(body, StatusList) else dict(body)}
    full = {"alg": "ES256", "typ": "statuslist+jwt", "kid": signing_kid(key), **(header or {})}
    return raw_jws(full, payload, key)


def bundle(
    *, issued_at: int = NOW - 3600, next_update: int | None = None, key: PrivateKey = ACTIVE,
    key_list_token: str | None = None, status_tokens: list[str] | None = None, issuer: str = ISSUER,
) -> str:
    return sign_bundle(
        key_list_token=key_list_token or key_list(), status_list_tokens=status_tokens or [status_token()],
        issuer=issuer, issued_at=issued_at, next_update=next_update or issued_at + DAY, signing_key=key,
        kid=signing_kid(key),
    )


CITY_BUNDLE = bundle()


def credential(
    label: str, *, key: PrivateKey = ACTIVE, kid: str | None = None, idx: int = 5, now: int = NOW,
    holder: PrivateKey = HOLDER, uri: str = STATUS_URI, issuer: str = ISSUER,
) -> SdJwt:
    return issue_credential(
        RESIDENT, issuer=issuer, signing_key=key, kid=signing_kid(key) if kid is None else kid,
        holder_key=holder.public_key(), status_idx=idx, status_uri=uri, now=now, salt=Salts(label),
    )


CRED = credential("a")
SHOWN = [("resident_of",), ("age_over_65",)]


def disclosures_of(cred: SdJwt, paths: list[tuple[str | int, ...]] = SHOWN) -> list[str]:
    return [d.encoded for d in select(cred, paths).disclosures]


def sd_part(jwt: str, disclosures: list[str]) -> str:
    return "".join([jwt, "~", *(d + "~" for d in disclosures)])


def kb_jwt(
    part: str, *, key: PrivateKey = HOLDER, header: Mapping[str, Any] | None = None,
    claims: Mapping[str, Any] | None = None, drop: tuple[str, ...] = (), raw_payload: str | None = None,
) -> str:
    payload: dict[str, Any] = {"iat": NOW, "aud": AUD, "nonce": NONCE,
                               "sd_hash": hashlib_b64(part), **(claims or {})}
    for name in drop:
        payload.pop(name, None)
    full = {"alg": "ES256", "typ": "kb+jwt", **(header or {})}
    full = {k: v for k, v in full.items() if v is not None}
    if raw_payload is not None:
        return raw_jws(full, b64url_encode(raw_payload.encode("utf-8")), key)
    return raw_jws(full, payload, key)


def hashlib_b64(text: str) -> str:
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


def present(jwt: str = CRED.jwt, disclosures: list[str] | None = None, **kb: Any) -> str:
    part = sd_part(jwt, disclosures_of(CRED) if disclosures is None else disclosures)
    return part + kb_jwt(part, **kb)


def resign(change: Callable[[dict[str, Any]], None], *, header: Mapping[str, Any] | None = None,
           key: PrivateKey = ACTIVE) -> str:
    """The credential's payload edited and signed by `key`: what a broken (or stolen-key) issuer makes."""
    head, payload, _ = split(CRED.jwt)
    change(payload)
    return raw_jws({**head, **(header or {})}, payload, key)


def digest(encoded: str) -> str:
    return hashlib_b64(encoded)


def with_digest(encoded: str) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload["_sd"] = sorted([*payload["_sd"][1:], digest(encoded)])

    return change


def raw_disclosure(array: Any) -> str:
    return b64url_encode(json_dumps(array).encode("utf-8"))


def raw_text_disclosure(text: str) -> str:
    return b64url_encode(text.encode("utf-8"))


# --- cases ----------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    source: str
    description: str
    kind: str
    expected: list[str]
    """Sorted error codes; [] means accepted (a control, or a trick that must change nothing)."""
    input: Any = None
    unreadable: bool = False
    core: list[str] | None = None
    """For a presentation: what the profile-free `wallet_spec.verify.verify` (and `citykey sdjwt verify`)
    says given the active key directly, when that differs from the verifier; None: same codes."""
    policy: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    offline: bool = True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "source": self.source, "description": self.description, "kind": self.kind,
        }
        if self.offline:
            out["input"] = self.input
            out["policy"] = {"nonce": NONCE, "aud": AUD, "require_kb": True, "one_way": False, "times": 1,
                             **self.policy}
        out.update(self.extra)
        expected: dict[str, Any] = {"codes": sorted(self.expected)}
        if self.unreadable:
            expected["unreadable"] = True
        if self.core is not None:
            expected["core_codes"] = sorted(self.core)
        out["expected"] = expected
        return out


RFC9901 = "RFC 9901"
RFC8725 = "RFC 8725"
SDVC = "SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) security considerations"
TSL = "Token Status List (draft-ietf-oauth-status-list) security considerations"


def pres(name: str, source: str, description: str, text: str, codes: list[str], **kw: Any) -> Case:
    return Case(name, source, description, "presentation", codes, text, **kw)


def algorithm_cases() -> Iterator[Case]:
    head, payload, sig = split(CRED.jwt)
    shown = disclosures_of(CRED)

    def with_header(change: Mapping[str, Any], *, key: PrivateKey = ACTIVE, signature: bytes | None = None) -> str:
        new = {k: v for k, v in {**head, **change}.items() if v is not None}
        return raw_jws(new, payload, key, signature=signature)

    yield pres("alg-none-junk-signature", f"{RFC8725} §3.1, RFC 7518 §3.6",
               "Issuer JWT with alg none and 64 junk signature bytes: no signature may be skipped.",
               present(with_header({"alg": "none"}, signature=b"\0" * 64)), ["alg_not_allowed"])
    yield pres("alg-none-empty-signature", f"{RFC8725} §3.1, RFC 7515 §A.5",
               "An Unsecured JWS (alg none, empty signature part) where a signed one is required.",
               present(with_header({"alg": "none"}, signature=b"x").rsplit(".", 1)[0] + "."),
               ["malformed"], unreadable=True)
    secret = json.dumps(public_jwk(ACTIVE)).encode()
    mac_input = f"{encode_part({**head, 'alg': 'HS256'})}.{encode_part(payload)}".encode()
    yield pres("alg-hs256-public-key-as-secret", f"{RFC8725} §2.1 and §3.1",
               "Key confusion: HS256 with the issuer's public JWK as the HMAC secret.",
               present(with_header({"alg": "HS256"}, signature=hmac.new(secret, mac_input, "sha256").digest())),
               ["alg_not_allowed"])
    for alg, label in (("ES384", "es384"), ("RS256", "rs256"), ("es256", "lowercase-es256"), ("EdDSA", "eddsa")):
        yield pres(f"alg-{label}", f"{RFC8725} §3.1, RFC 7518 §3.1",
                   f"alg {alg!r}, signed with the real ES256 key: only the exact allow-listed name is accepted.",
                   present(with_header({"alg": alg})), ["alg_not_allowed"])
    yield pres("alg-as-array", f"{RFC8725} §3.1", "alg is [\"ES256\"], not a string.",
               present(with_header({"alg": ["ES256"]})), ["alg_not_allowed"])
    yield pres("alg-missing", "RFC 7515 §4.1.1", "No alg member at all.",
               present(with_header({"alg": None})), ["alg_not_allowed"])
    # key injection by header: the attacker signs with its own key and names it in the header
    rogue_jwk = public_jwk(ROGUE)
    for member, value in (("jwk", rogue_jwk), ("jku", "https://evil.example/keys.json"),
                          ("x5c", ["MIIBfake"]), ("x5u", "https://evil.example/cert.pem")):
        section = ["jku", "jwk", "x5u", "x5c"].index(member) + 2
        yield pres(f"key-injection-{member}", f"{RFC8725} §3.10, RFC 7515 §4.1.{section}",
                   f"Payload signed by the attacker's key, which the {member} header names; the real kid kept.",
                   present(with_header({member: value}, key=ROGUE)), ["signature_invalid"])
    kid_tricks = [
        ("kid-unknown", thumbprint(ROGUE), "the attacker's own key thumbprint as kid", ["unknown_key"]),
        ("kid-path-traversal", "../../keys/root.pem", "a file path as kid", ["unknown_key"]),
        ("kid-sql-injection", "' OR '1'='1", "SQL in the kid", ["unknown_key"]),
        ("kid-empty", "", "an empty kid", ["unknown_key"]),
        ("kid-not-a-string", 42, "a number as kid", ["unknown_key"]),
        ("kid-short-prefix", thumbprint(ACTIVE)[:4], "4 characters of the real kid: a prefix match must not do",
         ["unknown_key"]),
    ]
    for name, kid, what, codes in kid_tricks:
        yield pres(name, f"{RFC8725} §3.10, RFC 7515 §4.1.4",
                   f"Signed by the attacker's key with {what}: the key comes from the bundle, never the token.",
                   present(with_header({"kid": kid}, key=ROGUE)), codes, core=["signature_invalid"])
    yield pres("kid-of-root-key", f"{RFC8725} §3.10",
               "Signed by the city's root key (which only signs key lists), kid its thumbprint.",
               present(with_header({"kid": thumbprint(ROOT_KEY)}, key=ROOT_KEY)), ["unknown_key"],
               core=["signature_invalid"])
    yield pres("crit-header", "RFC 7515 §4.1.11",
               "A crit header naming an extension the verifier does not know must be refused, not ignored.",
               present(with_header({"crit": ["exp2"], "exp2": 1})), ["header_invalid"])
    yield pres("typ-missing", f"{SDVC}; {RFC8725} §3.11", "No typ: explicit typing is required.",
               present(with_header({"typ": None})), ["typ_invalid"])
    yield pres("typ-kb-jwt", f"{RFC8725} §2.8 and §3.11",
               "Cross-JWT confusion: the issuer JWT relabelled kb+jwt.",
               present(with_header({"typ": "kb+jwt"})), ["typ_invalid"])
    status = status_token()
    yield pres("status-token-as-credential", f"{RFC8725} §2.8",
               "Cross-JWT confusion: a real status list token, signed by the city's active key, "
               "presented as a credential.",
               present(status, []),
               ["claim_invalid"] * 5 + ["cnf_missing", "typ_invalid", "unknown_key"],
               core=["cnf_missing", "typ_invalid"])
    del sig, shown


def signature_cases() -> Iterator[Case]:
    head, payload, sig = split(CRED.jwt)
    shown = disclosures_of(CRED)
    yield pres("signature-bit-flip", "RFC 7515 §5.2", "One bit of the issuer signature flipped.",
               present(set_signature(CRED.jwt, bytes([sig[0] ^ 1]) + sig[1:])), ["signature_invalid"])
    yield pres("signature-truncated", "RFC 7518 §3.4", "The last byte of the 64-byte signature cut off.",
               present(set_signature(CRED.jwt, sig[:63])), ["signature_invalid"])
    yield pres("signature-zero", "RFC 7518 §3.4 (CVE-2022-21449 class)", "r = s = 0.",
               present(set_signature(CRED.jwt, b"\0" * 64)), ["signature_invalid"])
    yield pres("signature-r-s-equal-order", "RFC 7518 §3.4", "r = s = n, the curve order (out of range).",
               present(set_signature(CRED.jwt, N.to_bytes(32, "big") * 2)), ["signature_invalid"])
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    yield pres("signature-der-encoded", "RFC 7518 §3.4",
               "The right signature in ASN.1 DER instead of raw r||s.",
               present(set_signature(CRED.jwt, der)), ["signature_invalid"])
    twin = high_s_twin(CRED.jwt)
    part = sd_part(CRED.jwt, shown)
    yield pres("signature-high-s-twin", "RFC 7518 §3.4; RFC 9901 §9.10",
               "The issuer signature swapped for its (r, n−s) twin after the KB-JWT was made: the signature "
               "still verifies but the KB-JWT's sd_hash no longer covers what is presented.",
               sd_part(twin, shown) + kb_jwt(part), ["sd_hash_mismatch"])
    yield pres("payload-exp-extended", f"{RFC9901} §7.1", "exp pushed a year on, the signature kept.",
               present(raw_jws(head, {**payload, "exp": payload["exp"] + 365 * DAY}, None, signature=sig)),
               ["signature_invalid"])
    yield pres("payload-plain-age-claim-added", f"{RFC9901} §7.1",
               "age_over_65: true added as a plain claim, the signature kept (and the disclosed age_over_65 "
               "would overwrite it).",
               present(raw_jws(head, {**payload, "age_over_65": True}, None, signature=sig)),
               ["claim_overwrite", "signature_invalid"])
    spaced = b64url_encode(json.dumps(payload).encode())
    yield pres("payload-reserialized", "RFC 7515 §5.2",
               "The same claims re-serialized with spaces: the signature is over bytes, not over meaning.",
               present(f"{CRED.jwt.split('.')[0]}.{spaced}.{CRED.jwt.split('.')[2]}"), ["signature_invalid"])
    h, b, s = CRED.jwt.split(".")
    yield pres("payload-base64-padding", "RFC 7515 §2 (base64url without padding)",
               "'=' padding appended to the payload part.", present(f"{h}.{b}==.{s}") if len(b) % 4 else
               present(f"{h}.{b}=.{s}"), ["malformed"], unreadable=True)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(s) % 4 == 2  # 64 bytes: the last character carries 4 unused bits
    loose = alphabet[alphabet.index(s[-1]) ^ 1]
    yield pres("signature-noncanonical-base64", "RFC 4648 §3.5; RFC 7515 §2",
               "The signature's last base64url character changed only in its unused low bits: the same bytes, "
               "another spelling.", present(f"{h}.{b}.{s[:-1]}{loose}"), ["malformed"], unreadable=True)


def disclosure_cases() -> Iterator[Case]:
    shown = disclosures_of(CRED)
    resident_of = next(d for d in CRED.disclosures if d.name == "resident_of")
    other = credential("b", holder=OTHER_HOLDER, idx=6)
    foreign = next(d.encoded for d in other.disclosures if d.name == "age_over_65")
    craft = Salts("crafted")
    edited = raw_disclosure([resident_of.salt, "resident_of", "Shelbyville"])
    yield pres("disclosure-value-edited", f"{RFC9901} §7.1 step 3, §9.2",
               "resident_of's value changed, its salt kept: the digest no longer matches.",
               present(disclosures=[edited, *shown[1:]] if shown[0] == resident_of.encoded else [*shown, edited]),
               ["disclosure_unreferenced"])
    yield pres("disclosure-from-another-credential", f"{RFC9901} §7.1 step 3",
               "age_over_65 borrowed from another resident's credential.",
               present(disclosures=[*shown, foreign]), ["disclosure_unreferenced"])
    yield pres("disclosure-duplicated", f"{RFC9901} §7.1 step 3.5",
               "The same disclosure sent twice.", present(disclosures=[*shown, shown[0]]),
               ["disclosure_duplicate"])
    overwrite = raw_disclosure([craft(), "iss", "https://evil.example"])
    yield pres("disclosure-overwrites-iss", f"{RFC9901} §7.1 step 3.2.1",
               "A disclosure named iss, its digest signed by a careless issuer: it must not replace the plain iss.",
               present(resign(with_digest(overwrite)), [*shown, overwrite]), ["claim_overwrite"])
    for reserved, label in (("_sd", "sd"), ("...", "ellipsis")):
        d = raw_disclosure([craft(), reserved, ["x"]])
        yield pres(f"disclosure-reserved-name-{label}", f"{RFC9901} §7.1 step 3.2.2",
                   f"A disclosure named {reserved!r}, its digest signed.",
                   present(resign(with_digest(d)), [*shown, d]), ["disclosure_name_reserved"])
    element = raw_disclosure([craft(), "Springfield"])
    yield pres("array-element-referenced-from-sd", f"{RFC9901} §7.1 step 3.2.2 and 3.3",
               "An array-element disclosure (2 elements) whose digest sits in an object's _sd.",
               present(resign(with_digest(element)), [*shown, element]), ["disclosure_kind_mismatch"])
    prop = raw_disclosure([craft(), "tag", "x"])

    def put_array(payload: dict[str, Any]) -> None:
        payload["tags"] = [{"...": digest(prop)}]

    yield pres("property-referenced-from-array", f"{RFC9901} §7.1 step 3.3",
               "An object-property disclosure (3 elements) referenced by an array's {\"...\": digest}.",
               present(resign(put_array), [*shown, prop]), ["disclosure_kind_mismatch"])

    def ellipsis_extra(payload: dict[str, Any]) -> None:
        payload["tags"] = [{"...": digest(element), "x": 1}]

    yield pres("array-ellipsis-with-extra-key", f"{RFC9901} §4.2.4.2",
               "An array element {\"...\": digest, \"x\": 1}: such an object must have no other key.",
               present(resign(ellipsis_extra), shown), ["sd_invalid"])
    yield pres("sd-not-an-array", f"{RFC9901} §4.2.4.1", "_sd is a string.",
               present(resign(lambda p: p.update(_sd="AAAA")), []), ["sd_invalid"])

    def dup(payload: dict[str, Any]) -> None:
        payload["_sd"] = sorted([*payload["_sd"][1:], resident_of.digest])

    yield pres("digest-duplicated", f"{RFC9901} §7.1 step 4",
               "One digest twice in _sd (a decoy replaced by a copy of resident_of's digest).",
               present(resign(dup), shown), ["digest_duplicate"])
    for alg, label in (("sha-1", "sha-1"), ("md5", "md5"), ("none", "none"), ("sha-512", "sha-512"),
                       (256, "number"), ("SHA-256", "uppercase")):
        yield pres(f"sd-alg-{label}", f"{RFC9901} §4.1.1 and §9.8",
                   f"_sd_alg {alg!r}, signed: only sha-256 is accepted, and nothing else is read once it is refused.",
                   present(resign(lambda p, a=alg: p.update(_sd_alg=a))), ["sd_alg_unsupported"])
    for name, text, what in (
        ("disclosure-not-an-array", '{"salt":"x","name":"resident_of"}', "an object"),
        ("disclosure-four-elements", '["s","resident_of","x","y"]', "four elements"),
        ("disclosure-salt-number", '[1,"resident_of","x"]', "a number as salt"),
        ("disclosure-name-number", '["s",7,"x"]', "a number as claim name"),
        ("disclosure-duplicate-json-names", '["s","address",{"a":1,"a":2}]', "duplicate member names inside"),
        ("disclosure-number-1e400", '["s","n",1e400]', "the number 1e400 (infinite as a double)"),
        ("disclosure-nan", '["s","n",NaN]', "NaN"),
        ("disclosure-deep-nesting", '["s","n",' + "[" * 20_000 + "]" * 20_000 + "]",
         "20,000 nested arrays"),
        ("disclosure-huge-integer", '["s","n",' + "9" * 5000 + "]", "a 5,000-digit integer"),
    ):
        yield pres(name, f"{RFC9901} §4.2 and §9.x; RFC 8259 §4 and §6",
                   f"A disclosure holding {what}.", present(disclosures=[*shown, raw_text_disclosure(text)]),
                   ["disclosure_malformed"], unreadable=True)
    yield pres("disclosure-lone-surrogate", "RFC 8259 §8.2; RFC 9901 §4.2",
               "A disclosure value with an unpaired UTF-16 surrogate escape (\\ud800): not a Unicode string.",
               present(disclosures=[*shown, raw_text_disclosure('["s","n","\\ud800"]')]),
               ["disclosure_malformed"], unreadable=True)
    yield pres("too-many-disclosures", f"{RFC9901} §9; {RFC8725} §3.x",
               "257 disclosures, one over the limit: refused before any is decoded.",
               present(disclosures=[raw_disclosure([craft(), f"c{i}", i]) for i in range(257)]),
               ["too_large"], unreadable=True)
    yield pres("presentation-oversize", f"{RFC9901} §9",
               "A presentation of 65,537 characters: refused before anything is decoded.",
               present(disclosures=[raw_disclosure(["s", "pad", "x" * 49_000])]), ["too_large"], unreadable=True)
    yield pres("characters-outside-alphabet", f"{RFC9901} §4", "A space and a percent sign inside the token.",
               present()[:40] + " %" + present()[42:], ["malformed"], unreadable=True)
    yield pres("empty-disclosure", f"{RFC9901} §4", "Two tildes in a row (an empty disclosure).",
               present(disclosures=[shown[0], ""][:1]).replace("~", "~~", 1), ["malformed"], unreadable=True)


def key_binding_cases() -> Iterator[Case]:
    shown = disclosures_of(CRED)
    part = sd_part(CRED.jwt, shown)
    src = f"{RFC9901} §7.3 and §9.5"
    yield pres("kb-missing", src, "No KB-JWT where the verifier requires one (the SD-JWT ends in '~').",
               part, ["kb_missing"])
    yield pres("kb-other-holder-key", src, "The KB-JWT signed by a key other than cnf.jwk.",
               part + kb_jwt(part, key=OTHER_HOLDER), ["kb_signature_invalid"])
    extra = next(d.encoded for d in CRED.disclosures if d.name == "given_name")
    yield pres("kb-disclosure-added-after-signing", f"{RFC9901} §7.3 step 5 (sd_hash)",
               "A disclosure (the given name) added after the KB-JWT was signed: sd_hash covers the old set.",
               sd_part(CRED.jwt, [*shown, extra]) + kb_jwt(part), ["sd_hash_mismatch"])
    yield pres("kb-disclosure-removed-after-signing", f"{RFC9901} §7.3 step 5 (sd_hash)",
               "A disclosure dropped after the KB-JWT was signed.",
               sd_part(CRED.jwt, shown[:1]) + kb_jwt(part), ["sd_hash_mismatch"])
    yield pres("kb-sd-hash-missing", src, "No sd_hash in the KB-JWT.", part + kb_jwt(part, drop=("sd_hash",)),
               ["kb_invalid"])
    yield pres("kb-aud-other-verifier", src, "Made for the library, shown at the bus.",
               part + kb_jwt(part, claims={"aud": "https://library.springfield.example"}), ["aud_mismatch"])
    yield pres("kb-aud-array", src, "aud as [this verifier] (an array) instead of a string.",
               part + kb_jwt(part, claims={"aud": [AUD]}), ["kb_invalid"])
    yield pres("kb-nonce-wrong", src, "Another nonce.", part + kb_jwt(part, claims={"nonce": "other-nonce"}),
               ["nonce_mismatch"])
    yield pres("kb-nonce-missing", src, "No nonce.", part + kb_jwt(part, drop=("nonce",)), ["kb_invalid"])
    yield pres("kb-iat-stale", src, "iat 361 s before now (window 300 s + 60 s leeway).",
               part + kb_jwt(part, claims={"iat": NOW - 361}), ["kb_iat_invalid"])
    yield pres("kb-iat-future", src, "iat 61 s in the future (beyond the leeway).",
               part + kb_jwt(part, claims={"iat": NOW + 61}), ["kb_iat_invalid"])
    yield pres("kb-iat-string", src, "iat as a string.", part + kb_jwt(part, claims={"iat": str(NOW)}),
               ["kb_invalid"])
    yield pres("kb-iat-float", "RFC 7519 §2 (NumericDate); RFC 8259 §6",
               "iat as 1767275600.0, a float.", part + kb_jwt(part, claims={"iat": float(NOW)}), ["kb_invalid"])
    yield pres("kb-iat-boolean", "RFC 8259 §6", "iat as true (which Python would call 1).",
               part + kb_jwt(part, claims={"iat": True}), ["kb_invalid"])
    yield pres("kb-iat-negative-zero", "RFC 8259 §6", "iat as -0.",
               part + kb_jwt(part, raw_payload=json_dumps({"iat": 0, "aud": AUD, "nonce": NONCE,
                                                           "sd_hash": hashlib_b64(part)}).replace('"iat":0',
                                                                                                  '"iat":-0')),
               ["kb_iat_invalid"])
    yield pres("kb-iat-huge-integer", "RFC 8259 §6", "iat = 10^30.",
               part + kb_jwt(part, claims={"iat": 10**30}), ["kb_iat_invalid"])
    yield pres("kb-iat-1e400", "RFC 8259 §6", "iat = 1e400 (overflows a double).",
               part + kb_jwt(part, raw_payload=json_dumps({"iat": 0, "aud": AUD, "nonce": NONCE,
                                                           "sd_hash": hashlib_b64(part)}).replace('"iat":0',
                                                                                                  '"iat":1e400')),
               ["malformed"], unreadable=True)
    yield pres("kb-duplicate-json-names", "RFC 8259 §4; RFC 7515 §5.2 (duplicate names must be rejected)",
               "Two nonce members, the last one right: parsers that keep the first and the last disagree.",
               part + kb_jwt(part, raw_payload=json_dumps({"iat": NOW, "aud": AUD, "nonce": "x",
                                                           "sd_hash": hashlib_b64(part)})[:-1]
                             + f',"nonce":"{NONCE}"}}'),
               ["malformed"], unreadable=True)
    yield pres("kb-typ-jwt", f"{src}; {RFC8725} §3.11", "KB-JWT with typ JWT.",
               part + kb_jwt(part, header={"typ": "JWT"}), ["typ_invalid"])
    yield pres("kb-typ-missing", src, "KB-JWT without typ.", part + kb_jwt(part, header={"typ": None}),
               ["typ_invalid"])
    yield pres("kb-alg-none", f"{src}; {RFC8725} §3.1", "KB-JWT with alg none (junk signature).",
               part + kb_jwt(part, header={"alg": "none"}), ["alg_not_allowed"])
    yield pres("kb-jwk-header-injection", f"{RFC8725} §3.10",
               "KB-JWT signed by another key that its own jwk header names: the key is cnf.jwk, never the header.",
               part + kb_jwt(part, key=OTHER_HOLDER, header={"jwk": public_jwk(OTHER_HOLDER)}),
               ["kb_signature_invalid"])
    homoglyph = AUD.replace("e", "\u0435", 1)
    yield pres("kb-aud-homoglyph", "Unicode TR 36 §2 (visual spoofing)",
               "aud with a Cyrillic е (U+0435) in place of the Latin e.",
               part + kb_jwt(part, claims={"aud": homoglyph}), ["aud_mismatch"])
    yield pres("kb-aud-zero-width", "Unicode TR 36 §2", "aud with a trailing zero-width space.",
               part + kb_jwt(part, claims={"aud": AUD + "\u200b"}), ["aud_mismatch"])
    nfd = unicodedata.normalize("NFD", "attack-nonce-\u00e9")
    yield pres("kb-nonce-unnormalized", "Unicode TR 15 (normalization)",
               "Verifier nonce in NFC (é), KB-JWT nonce in NFD (e + combining acute): compared as bytes.",
               part + kb_jwt(part, claims={"nonce": nfd}), ["nonce_mismatch"],
               policy={"nonce": unicodedata.normalize("NFC", nfd)})
    yield pres("kb-nonce-lone-surrogate", "RFC 8259 §8.2",
               "KB-JWT nonce with an unpaired surrogate escape (\\ud800): not a Unicode string, unreadable.",
               part + kb_jwt(part, raw_payload=json_dumps({"iat": NOW, "aud": AUD, "nonce": "x",
                                                           "sd_hash": hashlib_b64(part)}).replace(
                   '"nonce":"x"', '"nonce":"\\ud800"')),
               ["malformed"], unreadable=True)
    # replay
    good = part + kb_jwt(part)
    yield pres("replay-one-way-second-scan", "OpenID4VP §14.1 (replay); RFC 9901 §9.5",
               "One-way mode (no challenge): the same QR code shown twice to one scanner.",
               good, ["replayed"], policy={"nonce": None, "one_way": True, "times": 2}, core=[])
    first = part + kb_jwt(part)
    yield pres("replay-one-way-high-s-twin", "RFC 7518 §3.4 (malleability); RFC 9901 §9.5",
               "One-way mode: the KB-JWT's signature swapped for its (r, n−s) twin on the second scan; "
               "the replay cache keys on the signed bytes, not the signature.",
               first, ["replayed"], policy={"nonce": None, "one_way": True, "times": 2},
               extra={"then": part + high_s_twin(first[len(part):])}, core=[])
    yield pres("replay-challenge-old-nonce", "OpenID4VP §14.1; RFC 9901 §9.5",
               "Challenge mode: a presentation recorded at an earlier exchange, replayed to the next one "
               "(the verifier's nonce has changed).",
               good, ["nonce_mismatch"], policy={"nonce": "next-exchange-nonce"})


def status_and_key_cases() -> Iterator[Case]:
    src_status = TSL
    revoked = credential("revoked", idx=REVOKED_IDX)
    yield pres("revoked-credential", f"{src_status}; {SDVC}",
               "A credential whose status bit is set.", present(revoked.jwt, disclosures_of(revoked)),
               ["revoked"], core=[])
    outside = credential("outside", idx=LIST_SIZE + 5)
    yield pres("status-index-outside-list", src_status,
               f"A credential whose status index {LIST_SIZE + 5} lies past the list's {LIST_SIZE} entries.",
               present(outside.jwt, disclosures_of(outside)), ["status_unknown"], core=[])
    foreign_uri = credential("foreign-uri", uri=f"{ISSUER}/statuslists/999")
    yield pres("status-uri-unknown", src_status, "A status URI the bundle carries no list for.",
               present(foreign_uri.jwt, disclosures_of(foreign_uri)), ["status_unknown"], core=[])
    by_revoked = credential("by-revoked", key=REVOKED_KEY)
    yield pres("signed-by-revoked-key", "docs/keys.md (key revocation); RFC 8725 §3.10",
               "A credential signed by a key the city has revoked (listed in the key list's revoked).",
               present(by_revoked.jwt, disclosures_of(by_revoked)), ["key_revoked"], core=["signature_invalid"])
    late = credential("retired-late", key=RETIRED, now=NOW)
    yield pres("retired-key-signs-after-retirement", "docs/keys.md (rotation)",
               "A credential dated today signed by the key retired 30 days ago (a stolen old key).",
               present(late.jwt, disclosures_of(late)), ["key_not_valid"], core=["signature_invalid"])
    old = credential("retired-in-window", key=RETIRED, now=NOW - 60 * DAY)
    yield pres("control-retired-key-in-window", "docs/keys.md (rotation)",
               "Control: a credential signed by the retired key while it was active still verifies.",
               present(old.jwt, disclosures_of(old)), [], core=["signature_invalid"])
    early = credential("active-early", key=ACTIVE, now=NOW - 60 * DAY)
    yield pres("active-key-backdated", "docs/keys.md (rotation)",
               "A credential dated before the active key's window began (backdated).",
               present(early.jwt, disclosures_of(early)), ["key_not_valid"], core=[])
    foreign = credential("foreign-issuer", key=ROGUE, issuer="https://id.shelbyville.example")
    yield pres("foreign-issuer", f"{SDVC} (issuer key resolution)",
               "A well-formed credential of another issuer, signed by its own key.",
               present(foreign.jwt, disclosures_of(foreign)), ["unknown_key"], core=["signature_invalid"])
    yield pres("control-valid", RFC9901, "Control: the honest presentation every attack above starts from.",
               present(), [])


def bundle_cases() -> Iterator[Case]:
    def b(name: str, source: str, description: str, text: str, codes: list[str], **kw: Any) -> Case:
        return Case(name, source, description, "bundle", codes, text, **kw)

    head, payload, sig = split(CITY_BUNDLE)
    yield b("bundle-tampered", "docs/keys.md (trust bundle)",
            "The bundle's next_update pushed a year on, its signature kept.",
            raw_jws(head, {**payload, "next_update": payload["next_update"] + 365 * DAY}, None, signature=sig),
            ["bundle_invalid"])
    foreign = bundle(key_list_token=key_list(FOREIGN_ROOT))
    yield b("bundle-foreign-root", "docs/keys.md (pinned root)",
            "Another city's bundle: its key list is signed by a root that is not the pinned one.",
            foreign, ["bundle_invalid"])
    kl_head, kl_payload, _ = split(key_list())
    yield b("bundle-key-list-rogue-signature", "docs/keys.md (pinned root)",
            "The key list claims the pinned root's public key but is signed by the attacker.",
            bundle(key_list_token=raw_jws(kl_head, kl_payload, ROGUE)), ["bundle_invalid"])
    yield b("bundle-signed-by-revoked-key", "docs/keys.md (key revocation)",
            "A bundle signed by the revoked signing key (a thief making a fresh-looking bundle).",
            bundle(key=REVOKED_KEY), ["bundle_invalid"])
    yield b("bundle-signed-by-rogue-key", "docs/keys.md", "A bundle signed by a key not in the key list.",
            bundle(key=ROGUE), ["bundle_invalid"])
    yield b("bundle-alg-none", f"{RFC8725} §3.1", "The bundle's header says alg none.",
            raw_jws({**head, "alg": "none"}, payload, None, signature=b"\0" * 64), ["alg_not_allowed"])
    yield b("bundle-stale", "docs/keys.md (bundle age)",
            "A bundle signed 8 days ago, beyond the verifier's 7-day limit (its status list still valid).",
            bundle(issued_at=NOW - 8 * DAY, status_tokens=[status_token(iat=NOW - 8 * DAY, exp=NOW + DAY)]),
            ["bundle_stale"])
    yield b("bundle-rolled-back-key-list-expired", "docs/keys.md (bundle age)",
            "An old bundle replayed whose root-signed key list has expired.",
            bundle(issued_at=NOW - 2 * DAY, key_list_token=key_list(iat=NOW - 40 * DAY, exp=NOW - DAY)),
            ["bundle_stale"], unreadable=False)
    yield b("bundle-rolled-back-status-expired", TSL,
            "A replayed bundle within its age whose status list has expired: the status is unknown, not valid.",
            bundle(issued_at=NOW - 3 * DAY, status_tokens=[status_token(iat=NOW - 10 * DAY, exp=NOW - 2 * DAY)]),
            ["status_unknown"])
    bomb = base64.urlsafe_b64encode(zlib.compress(b"\0" * ((1 << 20) + 1), 9)).rstrip(b"=").decode()
    yield b("bundle-status-list-compression-bomb", f"{TSL}; {RFC8725} §3.x",
            "A signed status list whose lst inflates past 1 MiB (2 KiB compressed).",
            bundle(status_tokens=[status_token({"bits": 1, "lst": bomb})]), ["too_large"], unreadable=True)
    yield b("bundle-two-lists-one-uri", TSL, "Two status lists for one URI (one clean, one with the revocation).",
            bundle(status_tokens=[status_token(), status_token(status_list(revoked=()))]),
            ["malformed"], unreadable=True)
    yield b("bundle-oversize", "docs/keys.md", f"A bundle of {MAX_BUNDLE_CHARS + 1} characters.",
            "e", ["too_large"], unreadable=True, extra={"repeat": MAX_BUNDLE_CHARS + 1})
    yield b("bundle-from-the-future", "docs/security.md 9 (the bundle's own window)",
            "A bundle dated two days ahead (a clock attack on the issuer, or a forged date): it would "
            "switch the staleness check off.",
            bundle(issued_at=NOW + 2 * DAY, status_tokens=[status_token(iat=NOW, exp=NOW + 9 * DAY)]),
            ["bundle_not_yet_valid"])
    yield b("bundle-signed-by-retired-key", "docs/security.md 9 (the bundle's own window); docs/keys.md",
            "A fresh bundle signed by the key retired 30 days ago (a stolen old key making new bundles).",
            bundle(key=RETIRED), ["bundle_key_not_valid"])
    yield b("bundle-endless-next-update", "docs/keys.md (bundle age)",
            "A bundle 8 days old whose next_update is ten years on: its age counts from issued_at, so it "
            "is stale all the same.",
            bundle(issued_at=NOW - 8 * DAY, next_update=NOW + 3650 * DAY,
                   status_tokens=[status_token(iat=NOW - 8 * DAY, exp=NOW + DAY)]), ["bundle_stale"])


def statuslist_cases() -> Iterator[Case]:
    def s(name: str, description: str, token: str, codes: list[str], **kw: Any) -> Case:
        return Case(name, TSL, description, "statuslist", codes, token, **kw)

    bomb = b64url_encode(zlib.compress(b"\0" * ((1 << 20) + 1), 9))
    yield s("statuslist-compression-bomb", "lst inflating to 1 MiB + 1 byte.",
            status_token({"bits": 1, "lst": bomb}), ["too_large"], unreadable=True)
    yield s("statuslist-bits-3", "bits 3, not one of 1, 2, 4, 8.",
            status_token({"bits": 3, "lst": b64url_encode(zlib.compress(b"\0" * 128))}), ["malformed"],
            unreadable=True)
    yield s("statuslist-trailing-data", "zlib data followed by junk bytes.",
            status_token({"bits": 1, "lst": b64url_encode(zlib.compress(b"\0" * 128) + b"junk")}),
            ["malformed"], unreadable=True)
    yield s("statuslist-truncated", "zlib data cut short.",
            status_token({"bits": 1, "lst": b64url_encode(zlib.compress(b"\0" * 128)[:-4])}),
            ["malformed"], unreadable=True)
    yield s("statuslist-not-zlib", "lst is not zlib at all.",
            status_token({"bits": 1, "lst": b64url_encode(b"not zlib data")}), ["malformed"], unreadable=True)
    yield s("statuslist-alg-none", "alg none.", status_token(header={"alg": "none"}), ["alg_not_allowed"])
    yield s("statuslist-wrong-typ", "typ JWT instead of statuslist+jwt.", status_token(header={"typ": "JWT"}),
            ["typ_invalid"])
    yield s("statuslist-expired", "exp passed (more than the 60 s leeway).",
            status_token(iat=NOW - 9 * DAY, exp=NOW - 61), ["expired"])
    yield s("statuslist-by-rogue-key", "signed by a key the bundle does not list.",
            status_token(key=ROGUE), ["unknown_key"])


def qr_cases() -> Iterator[Case]:
    def q(name: str, description: str, text: str, codes: list[str], **kw: Any) -> Case:
        return Case(name, "docs/credential.md (QR codec); RFC 9285", description, "qr", codes, text,
                    unreadable=True, **kw)

    good = qr_encode(present())
    yield q("qr-wrong-prefix", "CK3: instead of CK2:.", "CK3:" + good[4:], ["malformed"])
    yield q("qr-oversize", "4,297 characters, one over the largest QR code.", QR_PREFIX + "0" * 4_293,
            ["too_large"])
    yield q("qr-not-base45", "Lower-case letters are not Base45.", QR_PREFIX + "abc", ["malformed"])
    yield q("qr-deflate-bomb", "A body inflating past 65,536 bytes (the presentation limit).",
            pack(QR_PREFIX, b"\x01" + b"A" * 70_000, DICTIONARY), ["too_large"])
    yield q("qr-unknown-flags", "Flags byte 0x80: a flag this codec does not know.",
            pack(QR_PREFIX, b"\x80" + b"\0" * 8, DICTIONARY), ["malformed"])
    yield q("qr-truncated-body", "A valid code with its last 6 characters cut.", good[:-6], ["malformed"])


def request_cases() -> Iterator[Case]:
    def r(name: str, description: str, text: str, codes: list[str], **kw: Any) -> Case:
        return Case(name, "docs/credential.md (presentation requests); OpenID4VP §14", description, "request",
                    codes, text, **kw)

    fresh = make_request(aud=AUD, claims=["resident_of"], name="City buses", now=NOW, nonce="abcdefghijklmnop")
    yield r("request-expired", "A signed request whose exp passed 2 minutes ago.",
            encode_request(sign_request(make_request(aud=AUD, claims=["resident_of"], name="City buses",
                                                     now=NOW - 420, ttl=300, nonce="abcdefghijklmnop"),
                                        VERIFIER)), ["request_expired"])
    yield r("request-signed-by-unlisted-key", "A request signed by a key the bundle does not list.",
            encode_request(sign_request(fresh, UNLISTED_VERIFIER)), ["verifier_unknown"])
    spoof = make_request(aud="https://library.springfield.example", claims=["resident_of"], name="Library",
                         now=NOW, nonce="abcdefghijklmnop")
    yield r("request-listed-key-other-aud", "The bus's key signs a request in the library's name.",
            encode_request(sign_request(spoof, VERIFIER)), ["verifier_unknown"])
    yield r("request-unsigned-when-required", "An unsigned request, to a wallet that answers listed verifiers only.",
            encode_request(fresh), ["request_unsigned"], policy={"require_signed": True})
    yield r("request-deflate-bomb", "A request body inflating past its limit.",
            pack(REQUEST_PREFIX, b"\x00" + b"{" * 10_000, REQUEST_DICTIONARY), ["too_large"], unreadable=True)


# --- HTTP cases: metadata only, the scenario is in test_http_attacks.py ----------------------------------

HTTP_CASES = [
    ("offer-code-reused", "OpenID4VCI §13.2 (pre-authorized code replay)",
     "The pre-authorized code redeemed a second time.", "invalid_grant"),
    ("offer-expired", "OpenID4VCI §13.2", "The pre-authorized code redeemed after the offer expired.",
     "invalid_grant"),
    ("offer-tx-code-guessing", "OpenID4VCI §13.2 (transaction code brute force)",
     "Wrong transaction codes until the offer is withdrawn; the right one no longer works.", "invalid_grant"),
    ("proof-nonce-reused", "OpenID4VCI §13.2 and §8.2 (c_nonce)",
     "A key proof's c_nonce used in a second credential request.", "invalid_nonce"),
    ("proof-alg-none", f"{RFC8725} §3.1; OpenID4VCI §F.1", "A key proof with alg none.", "invalid_proof"),
    ("proof-signed-by-other-key", "OpenID4VCI §F.1",
     "A key proof whose jwk header names a key other than the one that signed it.", "invalid_proof"),
    ("proof-private-key-in-header", "OpenID4VCI §F.1", "A key proof carrying a private JWK (d) in its header.",
     "invalid_proof"),
    ("proof-wrong-audience", "OpenID4VCI §F.1", "A key proof made for another credential issuer.",
     "invalid_proof"),
    ("proof-stale", "OpenID4VCI §F.1", "A key proof an hour old.", "invalid_proof"),
    ("batch-overflow", "OpenID4VCI §8.2 (batch size)", "More proofs than the batch size allows.",
     "invalid_credential_request"),
    ("credential-without-token", "RFC 6750 §3.1", "A credential request with no access token.", "invalid_token"),
    ("credential-duplicate-json-names", "RFC 8259 §4",
     "A credential request body with credential_configuration_id twice.", "invalid_credential_request"),
    ("credential-oversize-body", "OWASP ASVS 4.0 §13.1 (request size)",
     "A 2 MiB credential request body.", "invalid_request"),
    ("receipt-forged", "docs/keys.md (receipts); OWASP ASVS §3.5",
     "A receipt made up by the attacker (right shape, MAC under another key).", "receipt_invalid"),
    ("receipt-edited", "docs/keys.md (receipts)",
     "A real receipt with one character of its references changed, its MAC kept.", "receipt_invalid"),
    ("receipt-deeply-nested-body", "OWASP ASVS §5.1 (input validation)",
     "A revocation request body of 5,000 nested arrays.", "malformed"),
    ("desk-csrf-missing-token", "OWASP ASVS 4.0 §4.2.2 (CSRF)",
     "A signed-in clerk's browser posts an enrolment without the form's CSRF token.", "csrf"),
    ("desk-csrf-cross-origin", "OWASP ASVS 4.0 §4.2.2 (CSRF)",
     "An enrolment posted with another site's Origin header.", "csrf"),
    ("desk-session-fixation", "OWASP ASVS 4.0 §3.2.1 (new session token on authentication)",
     "A session cookie planted before sign-in is not the session after it.", "session_fixation"),
    ("desk-password-guessing", "OWASP ASVS 4.0 §2.2.1 (anti-automation)",
     "Wrong passwords in a row for one clerk: sign-in is throttled (429) before a guess can succeed.",
     "throttled"),
]


def http_cases() -> Iterator[Case]:
    for name, source, description, code in HTTP_CASES:
        yield Case(name, source, description, "http", [code], offline=False)


def all_cases() -> list[Case]:
    cases = [*algorithm_cases(), *signature_cases(), *disclosure_cases(), *key_binding_cases(),
             *status_and_key_cases(), *bundle_cases(), *statuslist_cases(), *qr_cases(), *request_cases(),
             *http_cases()]
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise SystemExit(f"duplicate case names: {sorted(n for n in names if names.count(n) > 1)}")
    return cases


def city() -> dict[str, Any]:
    """What every offline case shares: the clock, the pinned root, the bundle, the keys a verifier is given."""
    return {
        "seed": SEED,
        "now": NOW,
        "issuer": ISSUER,
        "root_thumbprint": thumbprint(ROOT_KEY),
        "bundle": CITY_BUNDLE,
        "issuer_public_jwk": public_jwk(ACTIVE),
        "status_key_jwks": {signing_kid(k): public_jwk(k) for k in (RETIRED, ACTIVE, REVOKED_KEY)},
        "listed_verifiers": [{"aud": AUD, "name": "City buses", "jwk": public_jwk(VERIFIER)}],
        "valid_presentation": present(),
        "defaults": {"nonce": NONCE, "aud": AUD, "require_kb": True, "one_way": False, "times": 1,
                     "max_bundle_age": 7 * DAY, "kb_max_age": 300, "kb_leeway": 60},
    }


def build() -> dict[str, Any]:
    """File name -> content: one file per case, the shared city, and the offline vectors file."""
    cases = all_cases()
    files: dict[str, Any] = {f"{c.name}.json": c.to_json() for c in cases}
    files["_city.json"] = city()
    return files


def shared(files: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "description": "Attacks on the city credential, offline: each case's input and the codes a conforming "
        "verifier reports. See README.md (attacks.json).",
        "city": files["_city.json"],
        "cases": [v for k, v in sorted(files.items()) if k != "_city.json" and v["kind"] != "http"],
    }


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    files = build()
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.glob("*.json"):
        old.unlink()
    for name, content in files.items():
        (CORPUS / name).write_text(dump(content), encoding="utf-8")
    SHARED.write_text(dump(shared(files)), encoding="utf-8")
    print(f"wrote {len(files) - 1} cases to {CORPUS} and {SHARED}", file=sys.stderr)


if __name__ == "__main__":
    main()
