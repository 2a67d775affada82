"""Sizes of every standard presentation as a QR code: `python -m benchmarks.qrsizes`.

Realistic inputs: a 30-character issuer id, status list 12 of 131,072
entries, a 35-character verifier id, a 96-bit nonce; a typical resident (names
and street of median length) and a long one (two accented given names, a double
family name, a 34-character street). tests/wallet_spec/test_qr_size.py holds
the targets.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import segno

from wallet_spec import jwk, qr
from wallet_spec.keylist import signing_kid
from wallet_spec.present import present
from wallet_spec.profile import (
    AGE_THRESHOLDS,
    CREDENTIAL_TYPES,
    IDENTITY,
    PERSONAL_CLAIMS,
    RESIDENCY_PASSES,
    Address,
    CredentialType,
    Resident,
    issue_credential,
)

ISSUER = "https://id.springfield.example"
STATUS_URI = f"{ISSUER}/statuslists/12"
VERIFIER = "https://transit.springfield.example"
NOW = 1_795_880_061
TYPICAL = Resident(
    given_name="Ana María",
    family_name="Ruiz",
    birthdate=dt.date(1950, 2, 28),
    resident_of="Springfield",
    address=Address("1234 W Addison St", "Springfield", "60613"),
)
LONG = Resident(
    given_name="María Guadalupe",
    family_name="Hernández-Rodríguez",
    birthdate=dt.date(1950, 2, 28),
    resident_of="Springfield",
    address=Address("1234 North Milwaukee Avenue Apt 5B", "Springfield", "60622"),
)


@dataclass(frozen=True)
class Measured:
    name: str
    credential_type: str
    compact_chars: int
    qr_chars: int
    version: int
    presentation: str
    text: str


def measure(
    name: str, kind: CredentialType, paths: list[tuple[str | int, ...]], resident: Resident = TYPICAL
) -> Measured:
    issuer_key, holder_key = jwk.generate_private_key(), jwk.generate_private_key()
    credential = issue_credential(
        resident, issuer=ISSUER, signing_key=issuer_key, kid=signing_kid(issuer_key),
        holder_key=holder_key.public_key(), status_idx=131_071, status_uri=STATUS_URI, now=NOW,
        credential_type=kind,
    )
    shown = present(credential, paths, holder_key=holder_key, nonce=secrets.token_urlsafe(12), aud=VERIFIER,
                    iat=NOW)
    text = qr.encode(shown)
    version = segno.make(text, error="m", micro=False).version
    return Measured(name, kind.name, len(shown), len(text), int(version), shown, text)


def pass_for(age: int) -> CredentialType:
    return next(t for t in RESIDENCY_PASSES if f"age_over_{age}" in t.carries)


def pass_presentations() -> list[Measured]:
    """The same facts from the fact passes, which need no disclosure (the wallet prefers them)."""
    found = [
        measure(f"resident, age_over_{age} (pass)", CREDENTIAL_TYPES[f"resident-{age}"],
                [("resident_of",), (f"age_over_{age}",)])
        for age in AGE_THRESHOLDS
    ]
    found.append(measure("resident only (pass)", CREDENTIAL_TYPES["resident"], [("resident_of",)]))
    return found


def standard_presentations() -> list[Measured]:
    """Every presentation a service routinely asks for, key-bound, from the smallest type that holds it."""
    found = [
        measure(f"resident, age_over_{age}", pass_for(age), [("resident_of",), (f"age_over_{age}",)])
        for age in AGE_THRESHOLDS
    ]
    found.append(measure("resident only", RESIDENCY_PASSES[0], [("resident_of",)]))
    found.extend(pass_presentations())
    for label, resident in (("", TYPICAL), (" (long names and street)", LONG)):
        found.append(measure(f"library sign-up: name and address{label}", IDENTITY,
                             [("given_name",), ("family_name",), ("address",)], resident))
        found.append(measure(f"clinic check-in: name and birthdate{label}", IDENTITY,
                             [("given_name",), ("family_name",), ("birthdate",)], resident))
        found.append(measure(f"renewal: everything, fully disclosed{label}", IDENTITY,
                             [(n,) for n in PERSONAL_CLAIMS], resident))
    return found


def main() -> None:
    print(f"issuer id {len(ISSUER)} chars, verifier id {len(VERIFIER)} chars, level M\n")
    print("| presentation | credential type | compact SD-JWT chars | QR chars | QR version |")
    print("|---|---|---:|---:|---:|")
    for m in standard_presentations():
        print(f"| {m.name} | {m.credential_type} | {m.compact_chars:,} | {m.qr_chars:,} | {m.version} |")


if __name__ == "__main__":
    main()
