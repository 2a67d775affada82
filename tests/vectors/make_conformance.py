"""Generate the city-profile conformance vectors in wallet_spec/vectors/.

Run by hand from the repository root after a deliberate change to the profile:

    .venv/bin/python tests/vectors/make_conformance.py

Everything is fixed: the keys below (test keys, generated once, never used
anywhere else), the clock (`NOW`), nonces, audiences, status indexes and the
salts. A salt is derived from a counter, never drawn at random:

    salt(label, n) = base64url(SHA-256(ASCII "citykey-conformance:<label>:<n>")[:16])

with n = 0, 1, 2, ... in the order the issuer asks for salts, and `label` naming
the credential. So every disclosure, digest and issuer-signed payload is
byte-identical on every run. ECDSA signatures are randomized, so the
signature part of each JWT (and of each KB-JWT) changes on every run; that is
expected and harmless, since every signature still verifies with the same key.

Before writing, the script checks each case against our own verifier and stops
if the outcome differs from the one written down here, so the files can only
ever hold outcomes our implementation agrees with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from wallet_spec import jws, keybinding
from wallet_spec.disclosure import Disclosure
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps, sha256_b64url
from wallet_spec.errors import FormatError, VerificationFailed
from wallet_spec.jwk import PrivateKey, private_key_from_jwk, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import signing_kid
from wallet_spec.present import select
from wallet_spec.profile import (
    CITY_ID,
    DAY,
    VC_TYP,
    Address,
    CredentialType,
    Resident,
    issue_credential,
    verify_credential,
)
from wallet_spec.sdjwt import DEFAULT_LIMITS, SD_ALG, SdJwt

OUT_DIR = Path(__file__).resolve().parents[2] / "wallet_spec" / "vectors"

# --- fixed inputs -------------------------------------------------------------------------------

NOW = 1_767_225_600
"""2026-01-01T00:00:00Z, the clock of every case."""

ISSUER_ID = "https://id.springfield.example"
STATUS_URI = f"{ISSUER_ID}/statuslists/1"
NONCE = "xK9ptOa2Qv-conformance"
BUS = "https://transit.springfield.example"
LIBRARY = "https://library.springfield.example"
RENEWAL = "https://id.springfield.example/renewal"

# Test keys, generated once with wallet_spec.jwk.generate_private_key. Never trust them for anything.
ISSUER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "FUq-8JbcIdGP0c-ORGsOpgt1UGObkKHMy3QTfJ2fK70",
    "y": "vmLeceJVPY64nkhNzf7YCUkyQBleORWWaMsV3nRnbYU",
    "d": "yiLNs4RkAlaU1UxTM6Mu2SYr_DvltdjDF-5EYuuRobQ",
}
ROGUE_ISSUER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "6MMxpyOoT-nRXmxslRo9u8_I8vUKidzi6eFiAFCmo9s",
    "y": "aqcC8za32WQ8tKqCFEAoJ8MS2ERDhYza06BRl2IBi80",
    "d": "JuRicW1AWUTJkCWzk-HyHxEMJY8mi_5eYlaYeNL9tr4",
}
HOLDER_A_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "TVCk8MaeyHFP4MP2kzZjFS6pU82grcHqhFl9g2CMAHo",
    "y": "ig0lKcmWI_Y_DGZfRhXh6dAcPbuTrTS5HJ1NU_H8E4M",
    "d": "f1KwnuxaVkQXZBY_7iV2Csf34nTc4FwZnaKqHfMnKnA",
}
HOLDER_B_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "uJpiUJl4oO6EEr4OoOiU7b2tMrHKHOst7CjD13PDEkk",
    "y": "iMK9DFvNQM-J9uH9_Se0iLD4SMCuSbkIcMC4ZRiw2Hc",
    "d": "iKyzre0KtKD5NsUb7urnE9KucOX_n0aZU8G8l8bVYw4",
}

ISSUER = private_key_from_jwk(ISSUER_JWK)
ROGUE_ISSUER = private_key_from_jwk(ROGUE_ISSUER_JWK)
HOLDER_A = private_key_from_jwk(HOLDER_A_JWK)
HOLDER_B = private_key_from_jwk(HOLDER_B_JWK)
KID = signing_kid(ISSUER)

RESIDENT_A = Resident(
    given_name="Dolores",
    family_name="Sample",
    birthdate=dt.date(1957, 4, 2),
    resident_of="Springfield",
    address=Address(street_address="100 Example Ave", locality="Springfield", postal_code="00000"),
)
RESIDENT_B = Resident(
    given_name="Zoë",
    family_name="Nguyễn",
    birthdate=dt.date(2009, 8, 15),
    resident_of="Springfield",
    address=Address(locality="Springfield", postal_code="00001"),
    extra={"preferred_language": "es"},
)


def salt(label: str, n: int) -> str:
    return b64url_encode(hashlib.sha256(f"citykey-conformance:{label}:{n}".encode("ascii")).digest()[:16])


class Salts:
    """A deterministic salt source that remembers what it handed out."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.issued: list[str] = []

    def __call__(self) -> str:
        value = salt(self.label, len(self.issued))
        self.issued.append(value)
        return value


# --- credentials ----------------------------------------------------------------------------------


def credential(
    label: str,
    resident: Resident = RESIDENT_A,
    *,
    holder: PrivateKey = HOLDER_A,
    status_idx: int = 4242,
    now: int = NOW,
    signing_key: PrivateKey = ISSUER,
    credential_type: CredentialType = CITY_ID,
) -> tuple[SdJwt, Salts]:
    salts = Salts(label)
    cred = issue_credential(
        resident,
        issuer=ISSUER_ID,
        signing_key=signing_key,
        kid=signing_kid(signing_key),
        holder_key=holder.public_key(),
        status_idx=status_idx,
        status_uri=STATUS_URI,
        now=now,
        credential_type=credential_type,
        salt=salts,
    )
    return cred, salts


CRED_A, SALTS_A = credential("resident-a")
CRED_B, SALTS_B = credential("resident-b", RESIDENT_B, holder=HOLDER_B, status_idx=1717)
HEADER_A = jws.parse(CRED_A.jwt).header
PAYLOAD_A = jws.parse(CRED_A.jwt).payload
CRAFT_SALTS = Salts("crafted")


def path(text: str) -> tuple[str, ...]:
    return tuple(text.split("."))


def chosen(cred: SdJwt, *claims: str) -> list[str]:
    """The encoded disclosures a wallet sends to reveal `claims` (parents included)."""
    return [d.encoded for d in select(cred, [path(c) for c in claims]).disclosures]


def named(cred: SdJwt, name: str) -> str:
    return next(d.encoded for d in cred.disclosures if d.name == name)


def present(
    jwt: str,
    disclosures: Iterable[str],
    *,
    kb: bool = True,
    holder: PrivateKey = HOLDER_A,
    nonce: str = NONCE,
    aud: str = BUS,
    iat: int = NOW,
    sd_hash_over: str | None = None,
) -> str:
    sd_part = jwt + "~" + "".join(d + "~" for d in disclosures)
    if not kb:
        return sd_part
    return sd_part + keybinding.create(sd_hash_over or sd_part, holder, nonce=nonce, aud=aud, iat=iat)


def resign(change: Callable[[dict[str, Any]], None], *, header: Mapping[str, Any] = HEADER_A) -> str:
    """Credential A's payload, edited, signed by the real issuer key: a token only a buggy issuer makes."""
    payload = json.loads(json.dumps(PAYLOAD_A))
    change(payload)
    return jws.sign(header, payload, ISSUER)


def raw_jwt(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes) -> str:
    """A compact JWS with any header (e.g. alg none) and arbitrary signature bytes."""
    parts = (json_dumps(header).encode(), json_dumps(dict(payload)).encode(), signature)
    return ".".join(b64url_encode(p) for p in parts)


def raw_disclosure(array: Sequence[Any]) -> str:
    """Any JSON array as a disclosure, bypassing Disclosure.create's checks."""
    return b64url_encode(json_dumps(list(array)).encode("utf-8"))


def tamper_signature(jwt: str) -> str:
    head, body, sig = jwt.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[0] ^= 0x01
    return f"{head}.{body}.{b64url_encode(bytes(raw))}"


def tamper_payload(jwt: str, change: Callable[[dict[str, Any]], None]) -> str:
    head, _, sig = jwt.split(".")
    payload = json.loads(json.dumps(PAYLOAD_A))
    change(payload)
    return f"{head}.{b64url_encode(json_dumps(payload).encode())}.{sig}"


def with_digest(digest: str, *, replace_decoy: bool = True) -> Callable[[dict[str, Any]], None]:
    """Put `digest` in the top-level `_sd`, in place of a decoy so the array keeps its length."""
    real = {d.digest for d in CRED_A.disclosures}

    def change(payload: dict[str, Any]) -> None:
        sd = payload["_sd"]
        if replace_decoy:
            sd.remove(next(g for g in sd if g not in real))
        sd.append(digest)
        sd.sort()

    return change


# --- cases ----------------------------------------------------------------------------------------


def policy(require_kb: bool = True, nonce: str | None = NONCE, aud: str | None = BUS) -> dict[str, Any]:
    return {"require_kb": require_kb, "nonce": nonce, "aud": aud}


def valid(
    case_id: str, description: str, presentation: str, pol: dict[str, Any], shows: set[str]
) -> dict[str, Any]:
    return {
        "id": case_id,
        "description": description,
        "now": NOW,
        "policy": pol,
        "presentation": presentation,
        "expected": {"valid": True},
        "_shows": shows,
    }


def invalid(
    case_id: str,
    description: str,
    presentation: str,
    errors: list[str],
    pol: dict[str, Any] | None = None,
    *,
    unreadable: bool = False,
) -> dict[str, Any]:
    expected: dict[str, Any] = {"valid": False, "errors": errors}
    if unreadable:
        expected = {"valid": False, "unreadable": True, "errors": errors}
    return {
        "id": case_id,
        "description": description,
        "now": NOW,
        "policy": pol or policy(),
        "presentation": presentation,
        "expected": expected,
    }


def valid_cases() -> list[dict[str, Any]]:
    a = CRED_A.jwt
    everything = [
        "given_name",
        "family_name",
        "birthdate",
        "resident_of",
        "address",
        *(f"age_over_{n}" for n in (13, 16, 18, 21, 55, 62, 65)),
    ]
    return [
        valid(
            "bus-residency-age-over-65",
            "The bus validator asks for residency and 65+; the holder shows exactly those, key-bound.",
            present(a, chosen(CRED_A, "resident_of", "age_over_65"), aud=BUS),
            policy(aud=BUS),
            {"resident_of", "age_over_65"},
        ),
        valid(
            "library-name-and-address",
            "The library asks for name and full address (the address disclosure and its three parts).",
            present(a, chosen(CRED_A, "given_name", "family_name", "address"), aud=LIBRARY),
            policy(aud=LIBRARY),
            {"given_name", "family_name", "address"},
        ),
        valid(
            "postal-code-only",
            "Only address.postal_code: the parent `address` disclosure plus one of its nested disclosures.",
            present(a, chosen(CRED_A, "address.postal_code"), aud=LIBRARY),
            policy(aud=LIBRARY),
            {"address"},
        ),
        valid(
            "full-disclosure-renewal",
            "Every disclosure of the credential, as for renewal at the clerk's desk.",
            present(a, [d.encoded for d in CRED_A.disclosures], aud=RENEWAL),
            policy(aud=RENEWAL),
            set(everything),
        ),
        valid(
            "no-kb-not-required",
            "No KB-JWT (the presentation ends in '~'); the verifier's policy does not require key binding.",
            present(a, chosen(CRED_A, "resident_of"), kb=False),
            policy(require_kb=False, nonce=None, aud=None),
            {"resident_of"},
        ),
        valid(
            "kb-sent-not-required",
            "A KB-JWT is sent although not required; it is checked anyway and is good.",
            present(CRED_B.jwt, chosen(CRED_B, "resident_of", "age_over_16"), holder=HOLDER_B),
            policy(require_kb=False),
            {"resident_of", "age_over_16"},
        ),
        valid(
            "non-ascii-names-and-extra-claim",
            "Resident B: UTF-8 names, an address without a street, and a city extra claim.",
            present(
                CRED_B.jwt,
                chosen(CRED_B, "given_name", "family_name", "address", "preferred_language"),
                holder=HOLDER_B,
                aud=LIBRARY,
            ),
            policy(aud=LIBRARY),
            {"given_name", "family_name", "address", "preferred_language"},
        ),
        valid(
            "nothing-disclosed",
            "No disclosures at all: proves only that the holder has a valid city credential.",
            present(a, []),
            policy(),
            set(),
        ),
        valid(
            "kb-iat-oldest-accepted",
            "KB-JWT iat exactly max_age (300 s) + leeway (60 s) before now: still accepted.",
            present(a, chosen(CRED_A, "resident_of"), iat=NOW - 360),
            policy(),
            {"resident_of"},
        ),
    ]


def invalid_cases() -> list[dict[str, Any]]:
    a = CRED_A.jwt
    res = chosen(CRED_A, "resident_of", "age_over_65")
    expired, _ = credential("expired", now=NOW - 400 * DAY)
    future, _ = credential("not-yet-valid", now=NOW + 2 * DAY)
    rogue, _ = credential("rogue-issuer", signing_key=ROGUE_ISSUER)
    library_card, _ = credential(
        "unknown-vct", credential_type=replace(CITY_ID, vct="urn:citykey:library-card:1")
    )
    resident_of = named(CRED_A, "resident_of")
    overwrite = Disclosure.create(CRAFT_SALTS(), "resident_of", "Capital City")
    reserved_sd = raw_disclosure([CRAFT_SALTS(), "_sd", ["AAAA"]])
    reserved_dots = raw_disclosure([CRAFT_SALTS(), "...", "x"])
    element = raw_disclosure([CRAFT_SALTS(), "Springfield"])
    dup_digest = Disclosure.parse(resident_of).digest

    def drop(*names: str) -> Callable[[dict[str, Any]], None]:
        def change(payload: dict[str, Any]) -> None:
            for name in names:
                del payload[name]

        return change

    def put(**claims: Any) -> Callable[[dict[str, Any]], None]:
        return lambda payload: payload.update(claims)

    def both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        def change(payload: dict[str, Any]) -> None:
            for one in changes:
                one(payload)

        return change

    alg_none = raw_jwt({**HEADER_A, "alg": "none"}, PAYLOAD_A, b"\x00" * 64)
    hs256 = raw_jwt({**HEADER_A, "alg": "HS256"}, PAYLOAD_A, hashlib.sha256(b"guessable").digest())
    dup_member = a.split(".")
    dup_member[1] = b64url_encode(json_dumps(PAYLOAD_A)[:-1].encode() + b',"iss":"https://evil.example"}')
    kb_payload = {"iat": NOW, "aud": BUS, "nonce": NONCE}
    sd_part = present(a, res, kb=False)

    return [
        # --- the issuer's signature and header
        invalid(
            "issuer-signature-tampered",
            "One bit of the issuer's signature flipped.",
            present(tamper_signature(a), res),
            ["signature_invalid"],
        ),
        invalid(
            "issuer-payload-tampered",
            "exp pushed a year later, the original signature kept.",
            present(tamper_payload(a, put(exp=PAYLOAD_A["exp"] + 365 * DAY)), res),
            ["signature_invalid"],
        ),
        invalid(
            "wrong-issuer-key",
            "A well-formed credential signed by a key the verifier does not trust.",
            present(rogue.jwt, chosen(rogue, "resident_of")),
            ["signature_invalid"],
        ),
        invalid(
            "alg-none",
            "Issuer JWT with alg none (and junk signature bytes); no signature is checked.",
            present(alg_none, res),
            ["alg_not_allowed"],
        ),
        invalid(
            "alg-hs256",
            "Issuer JWT with a MAC algorithm, as in the classic key-confusion attack.",
            present(hs256, res),
            ["alg_not_allowed"],
        ),
        invalid(
            "typ-jwt",
            "Issuer JWT with typ JWT instead of dc+sd-jwt.",
            present(resign(lambda p: None, header={**HEADER_A, "typ": "JWT"}), res),
            ["typ_invalid"],
        ),
        invalid(
            "typ-legacy-vc",
            "Issuer JWT with the old typ vc+sd-jwt.",
            present(resign(lambda p: None, header={**HEADER_A, "typ": "vc+sd-jwt"}), res),
            ["typ_invalid"],
        ),
        invalid(
            "crit-header",
            "Issuer JWT with a crit header, which must not be ignored.",
            present(resign(lambda p: None, header={**HEADER_A, "crit": ["x"], "x": 1}), res),
            ["header_invalid"],
        ),
        # --- validity period
        invalid(
            "expired",
            "Issued 400 days before now with a 365-day lifetime.",
            present(expired.jwt, chosen(expired, "resident_of", "age_over_65")),
            ["expired"],
        ),
        invalid(
            "not-yet-valid",
            "Issued two days after now.",
            present(future.jwt, chosen(future, "resident_of", "age_over_65")),
            ["not_yet_valid"],
        ),
        invalid(
            "exp-not-a-number",
            "exp is a date string.",
            present(resign(put(exp="2027-01-01")), res),
            ["claim_invalid"],
        ),
        # --- disclosures
        invalid(
            "disclosure-from-another-credential",
            "Resident B's given_name disclosure appended to resident A's presentation.",
            present(a, [*res, named(CRED_B, "given_name")]),
            ["disclosure_unreferenced"],
        ),
        invalid(
            "disclosure-duplicated",
            "The resident_of disclosure sent twice.",
            present(a, [*res, resident_of]),
            ["disclosure_duplicate"],
        ),
        invalid(
            "digest-duplicated",
            "The issuer-signed _sd lists the resident_of digest twice.",
            present(resign(with_digest(dup_digest)), res),
            ["digest_duplicate"],
        ),
        invalid(
            "claim-overwrite",
            "Issuer payload has a plain resident_of and a digest of a disclosure for resident_of.",
            present(
                resign(both(put(resident_of="Springfield"), with_digest(overwrite.digest))),
                [overwrite.encoded],
            ),
            ["claim_overwrite"],
        ),
        invalid(
            "reserved-name-sd",
            "A referenced disclosure names the claim _sd.",
            present(resign(with_digest(sha256_b64url(reserved_sd))), [reserved_sd]),
            ["disclosure_name_reserved"],
        ),
        invalid(
            "reserved-name-ellipsis",
            "A referenced disclosure names the claim '...'.",
            present(resign(with_digest(sha256_b64url(reserved_dots))), [reserved_dots]),
            ["disclosure_name_reserved"],
        ),
        invalid(
            "array-element-disclosure-in-sd",
            "A two-element (array element) disclosure referenced from an object's _sd.",
            present(resign(with_digest(sha256_b64url(element))), [element]),
            ["disclosure_kind_mismatch"],
        ),
        invalid(
            "sd-not-an-array",
            "The top-level _sd is a string.",
            present(resign(put(_sd="not-an-array")), []),
            ["sd_invalid"],
        ),
        invalid(
            "sd-alg-sha-512",
            "_sd_alg names a hash the profile does not accept.",
            present(resign(put(_sd_alg="sha-512")), res),
            ["sd_alg_unsupported"],
        ),
        # --- key binding
        invalid(
            "kb-missing",
            "No KB-JWT, but the verifier requires key binding.",
            present(a, res, kb=False),
            ["kb_missing"],
        ),
        invalid(
            "nonce-mismatch",
            "KB-JWT made for another nonce.",
            present(a, res, nonce="a-stale-nonce"),
            ["nonce_mismatch"],
        ),
        invalid(
            "aud-mismatch",
            "KB-JWT made for the library, shown to the bus.",
            present(a, res, aud=LIBRARY),
            ["aud_mismatch"],
        ),
        invalid(
            "replayed-to-other-verifier",
            "A presentation made for the library replayed to a clinic.",
            present(a, res, aud=LIBRARY, nonce="library-nonce"),
            ["nonce_mismatch", "aud_mismatch"],
            policy(aud="https://clinic.springfield.example"),
        ),
        invalid(
            "sd-hash-mismatch",
            "The holder dropped a disclosure after signing the KB-JWT.",
            present(a, chosen(CRED_A, "resident_of"), sd_hash_over=sd_part),
            ["sd_hash_mismatch"],
        ),
        invalid(
            "kb-wrong-holder-key",
            "KB-JWT signed by resident B's key, not the key in cnf.jwk.",
            present(a, res, holder=HOLDER_B),
            ["kb_signature_invalid"],
        ),
        invalid(
            "kb-iat-stale",
            "KB-JWT made an hour before now (max_age 300 s).",
            present(a, res, iat=NOW - 3600),
            ["kb_iat_invalid"],
        ),
        invalid(
            "kb-iat-just-too-old",
            "KB-JWT iat 361 s before now: one second past max_age + leeway.",
            present(a, res, iat=NOW - 361),
            ["kb_iat_invalid"],
        ),
        invalid(
            "kb-iat-future",
            "KB-JWT made an hour after now.",
            present(a, res, iat=NOW + 3600),
            ["kb_iat_invalid"],
        ),
        invalid(
            "kb-typ-jwt",
            "KB-JWT with typ JWT instead of kb+jwt.",
            sd_part + jws.sign({"typ": "JWT"}, {**kb_payload, "sd_hash": sha256_b64url(sd_part)}, HOLDER_A),
            ["typ_invalid"],
        ),
        invalid(
            "kb-no-nonce",
            "KB-JWT without a nonce claim.",
            sd_part
            + jws.sign(
                {"typ": "kb+jwt"}, {"iat": NOW, "aud": BUS, "sd_hash": sha256_b64url(sd_part)}, HOLDER_A
            ),
            ["kb_invalid"],
        ),
        invalid(
            "kb-without-cnf",
            "The credential has no cnf.jwk, yet a KB-JWT is sent.",
            present(resign(drop("cnf")), res),
            ["claim_invalid", "cnf_missing"],
        ),
        invalid(
            "many-failures",
            "Expired credential, stale KB-JWT for another verifier: every failure reported.",
            present(expired.jwt, chosen(expired, "resident_of"), iat=NOW - 3600, nonce="n", aud=LIBRARY),
            ["expired", "kb_iat_invalid", "nonce_mismatch", "aud_mismatch"],
        ),
        # --- the profile's own rules
        invalid(
            "unknown-vct",
            "A well-signed credential of a type this verifier does not accept.",
            present(library_card.jwt, chosen(library_card, "resident_of")),
            ["claim_invalid"],
        ),
        invalid(
            "status-missing",
            "No status claim, so revocation could not be checked.",
            present(resign(drop("status")), res),
            ["claim_invalid"],
        ),
        invalid(
            "sub-present",
            "A sub claim would make the credential linkable.",
            present(resign(put(sub="resident-0001")), res),
            ["claim_invalid"],
        ),
        invalid("iss-missing", "No iss claim.", present(resign(drop("iss")), res), ["claim_invalid"]),
        # --- unreadable input: rejected before any check
        invalid(
            "disclosure-not-an-array",
            "A disclosure that decodes to a JSON object.",
            present(a, [*res, b64url_encode(b'{"salt":"x","name":"y"}')]),
            ["disclosure_malformed"],
            unreadable=True,
        ),
        invalid(
            "disclosure-four-elements",
            "A disclosure array with four elements.",
            present(a, [*res, raw_disclosure([CRAFT_SALTS(), "a", "b", "c"])]),
            ["disclosure_malformed"],
            unreadable=True,
        ),
        invalid(
            "disclosure-not-json",
            "A disclosure that is base64url but not JSON.",
            present(a, [*res, b64url_encode(b"not json")]),
            ["disclosure_malformed"],
            unreadable=True,
        ),
        invalid(
            "too-many-disclosures",
            f"{DEFAULT_LIMITS.max_disclosures + 1} disclosures, over the limit.",
            present(a, ["AAAA"] * (DEFAULT_LIMITS.max_disclosures + 1), kb=False),
            ["too_large"],
            unreadable=True,
        ),
        invalid("not-an-sd-jwt", "A plain JWT with no '~' at all.", a, ["malformed"], unreadable=True),
        invalid(
            "alg-none-empty-signature",
            "The classic unsigned JWT: alg none and an empty signature part.",
            present(alg_none.rsplit(".", 1)[0] + ".", res, kb=False),
            ["malformed"],
            pol=policy(require_kb=False),
            unreadable=True,
        ),
        invalid(
            "duplicate-json-member",
            "The issuer payload names iss twice (a parser differential).",
            present(".".join(dup_member), res),
            ["malformed"],
            unreadable=True,
        ),
    ]


# --- checking and writing -------------------------------------------------------------------------

ISSUER_PUBLIC = ISSUER.public_key()
PERSONAL_PLAIN = {"iss", "iat", "exp", "vct", "cnf", "status"}


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Verify with our implementation, fill in `expected.claims`, and stop on any disagreement."""
    pol = case["policy"]
    kb_policy = KeyBindingPolicy(required=pol["require_kb"], nonce=pol["nonce"], aud=pol["aud"])
    shows = case.pop("_shows", None)
    try:
        verified = verify_credential(
            case["presentation"], ISSUER_PUBLIC, key_binding=kb_policy, now=case["now"]
        )
    except VerificationFailed as exc:
        got: dict[str, Any] = {"valid": False, "errors": exc.codes}
    except FormatError as exc:
        got = {"valid": False, "unreadable": True, "errors": [exc.code]}
    else:
        got = {"valid": True, "claims": verified.claims}
        if set(verified.claims) - PERSONAL_PLAIN != shows:
            raise SystemExit(
                f"{case['id']}: disclosed {sorted(verified.claims)}, meant {sorted(shows or ())}"
            )
    want = case["expected"]
    if got["valid"] != want["valid"] or (not got["valid"] and got != want):
        raise SystemExit(f"{case['id']}: our verifier says {got}, the vector says {want}")
    case["expected"] = got
    return case


def issuance_case(
    case_id: str,
    description: str,
    resident: Resident,
    cred: SdJwt,
    salts: Salts,
    holder: PrivateKey,
    status_idx: int,
) -> dict[str, Any]:
    token = jws.parse(cred.jwt)
    disclosed = {d.salt for d in cred.disclosures}
    top = set(token.payload["_sd"])
    address = None
    if resident.address is not None:
        address = {k: v for k, v in vars_of(resident.address).items() if v is not None}
    return {
        "id": case_id,
        "description": description,
        "inputs": {
            "resident": {
                "given_name": resident.given_name,
                "family_name": resident.family_name,
                "birthdate": resident.birthdate.isoformat(),
                "resident_of": resident.resident_of,
                "address": address,
                "extra": dict(resident.extra),
            },
            "issuer": ISSUER_ID,
            "kid": KID,
            "status_idx": status_idx,
            "status_uri": STATUS_URI,
            "now": NOW,
            "credential_type": {
                "vct": CITY_ID.vct,
                "top_level_digests": CITY_ID.top_level_digests,
                "address_digests": CITY_ID.address_digests,
                "lifetime_days": CITY_ID.lifetime_days,
            },
            "holder_public_jwk": public_jwk(holder),
            "salts": list(salts.issued),
        },
        "expected": {
            "header": token.header,
            "payload": token.payload,
            "signing_input": token.signing_input.decode("ascii"),
            "disclosures": [
                {"salt": d.salt, "name": d.name, "value": d.value, "encoded": d.encoded, "digest": d.digest}
                for d in cred.disclosures
            ],
            "decoys": [
                {
                    "salt": s,
                    "digest": sha256_b64url(s),
                    "in": "/" if sha256_b64url(s) in top else "/address",
                }
                for s in salts.issued
                if s not in disclosed
            ],
            "sd_jwt": cred.serialize(),
        },
    }


def vars_of(address: Address) -> dict[str, str | None]:
    return {
        "street_address": address.street_address,
        "locality": address.locality,
        "postal_code": address.postal_code,
    }


VERIFIER_PARAMETERS = {
    "typ": VC_TYP,
    "accepted_vcts": [CITY_ID.vct],
    "sd_alg": SD_ALG,
    "algorithms": sorted(jws.ALLOWED_ALGORITHMS),
    "credential_leeway_seconds": 60,
    "kb_max_age_seconds": KeyBindingPolicy().max_age,
    "kb_leeway_seconds": KeyBindingPolicy().leeway,
    "max_length": DEFAULT_LIMITS.max_length,
    "max_disclosures": DEFAULT_LIMITS.max_disclosures,
}


def build() -> dict[str, Any]:
    """Every vector file's content, by file name."""
    issuance = {
        "description": "City SD-JWT VC issuance: given these inputs and salts, a conforming issuer produces "
        "exactly these disclosures and this issuer-signed payload. See README.md.",
        "salt_derivation": 'base64url(SHA-256(ASCII "citykey-conformance:<label>:<n>")[:16]), n = 0, 1, ... '
        "in the order the issuer asks for salts",
        "issuer_public_jwk": public_jwk(ISSUER),
        "cases": [
            issuance_case(
                "resident-a",
                "Full address; aged 68 at issuance.",
                RESIDENT_A,
                CRED_A,
                SALTS_A,
                HOLDER_A,
                4242,
            ),
            issuance_case(
                "resident-b",
                "UTF-8 names, no street address (padded with a decoy), one extra claim; "
                "aged 16 at issuance.",
                RESIDENT_B,
                CRED_B,
                SALTS_B,
                HOLDER_B,
                1717,
            ),
        ],
    }
    cases = [run_case(c) for c in [*valid_cases(), *invalid_cases()]]
    ids = [c["id"] for c in cases]
    if len(set(ids)) != len(ids):
        raise SystemExit("duplicate case id")
    presentations = {
        "description": "City SD-JWT VC presentations and the outcome a conforming verifier must reach. "
        "See README.md.",
        "issuer_public_jwk": public_jwk(ISSUER),
        "holder_public_jwks": {"resident-a": public_jwk(HOLDER_A), "resident-b": public_jwk(HOLDER_B)},
        "verifier": VERIFIER_PARAMETERS,
        "cases": cases,
    }
    return {"issuance.json": issuance, "presentations.json": presentations}


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in build().items():
        (OUT_DIR / name).write_text(dump(content), encoding="utf-8")
        print(f"wrote {OUT_DIR / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
