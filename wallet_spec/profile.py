"""The city's credential: an SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) with nothing that links.

Every personal claim is selectively disclosable; age is proven by
`age_over_NN` booleans so a bus driver never sees a birthdate; there is no
`sub`, `jti` or card number; `iat` is coarsened to the day; and each object's
`_sd` array is padded to a fixed length so a missing optional claim (no street
address, say) cannot be told from a present one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wallet_spec.disclosure import SaltSource, new_salt
from wallet_spec.errors import ClaimInvalid, FormatError, UsageError, VerificationError
from wallet_spec.jwk import PrivateKey, PublicKey, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.sdjwt import DEFAULT_LIMITS, SD, Limits, SdJwt, issue
from wallet_spec.verify import ClaimCheck, KeyResolver, Verified, verify

VC_TYP = "dc+sd-jwt"
AGE_THRESHOLDS = (13, 16, 18, 21, 55, 62, 65)
ADDRESS_PARTS = ("street_address", "locality", "postal_code")
DAY = 86_400


@dataclass(frozen=True, slots=True)
class Address:
    street_address: str | None = None
    locality: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True, slots=True)
class Resident:
    """What a clerk verified at the desk. Held in memory only, never stored."""

    given_name: str
    family_name: str
    birthdate: dt.date
    resident_of: str
    address: Address | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Claims a city configures; each becomes selectively disclosable."""


def resident_from_json(obj: Any) -> Resident:
    """Read the attributes a clerk entered (a JSON object); every problem is a FormatError."""
    if not isinstance(obj, Mapping):
        raise FormatError("resident attributes must be a JSON object")
    known = {"given_name", "family_name", "birthdate", "resident_of", "address", "extra"}
    unknown = sorted(set(obj) - known)
    if unknown:
        raise FormatError(f"unknown attribute(s): {', '.join(unknown)}")
    for name in ("given_name", "family_name", "birthdate", "resident_of"):
        if not isinstance(obj.get(name), str) or not obj[name].strip():
            raise FormatError(f"attribute {name} is required and must be a non-empty string")
    try:
        birthdate = dt.date.fromisoformat(obj["birthdate"])
    except ValueError:
        raise FormatError("birthdate must be YYYY-MM-DD") from None
    address = None
    if obj.get("address") is not None:
        parts = obj["address"]
        if not isinstance(parts, Mapping) or set(parts) - set(ADDRESS_PARTS):
            raise FormatError(f"address may hold only {', '.join(ADDRESS_PARTS)}")
        if not all(isinstance(v, str) for v in parts.values()):
            raise FormatError("address parts must be strings")
        address = Address(**parts)
    extra = obj.get("extra") or {}
    if not isinstance(extra, Mapping):
        raise FormatError("extra must be an object of city-configured claims")
    return Resident(obj["given_name"], obj["family_name"], birthdate, obj["resident_of"], address, dict(extra))


@dataclass(frozen=True, slots=True)
class CredentialType:
    """One kind of credential: its `vct` and how many digests each object carries."""

    vct: str
    top_level_digests: int = 16
    address_digests: int = len(ADDRESS_PARTS)
    lifetime_days: int = 365


CITY_ID = CredentialType(vct="urn:citykey:id:1")


def age_on(birthdate: dt.date, day: dt.date) -> int:
    before_birthday = (day.month, day.day) < (birthdate.month, birthdate.day)
    return day.year - birthdate.year - before_birthday


def age_claims(birthdate: dt.date, day: dt.date) -> dict[str, bool]:
    """`age_over_NN` for every threshold, true or false, so their presence says nothing."""
    age = age_on(birthdate, day)
    return {f"age_over_{n}": age >= n for n in AGE_THRESHOLDS}


def coarse_day(timestamp: int) -> int:
    """Round down to midnight UTC: a batch's `iat` is shared by everyone issued that day."""
    return timestamp - timestamp % DAY


def resident_claims(resident: Resident, *, issued_on: dt.date) -> dict[str, Any]:
    """The selectively disclosable claims, each wrapped in SD()."""
    claims: dict[str, Any] = {
        "given_name": SD(resident.given_name),
        "family_name": SD(resident.family_name),
        "birthdate": SD(resident.birthdate.isoformat()),
        "resident_of": SD(resident.resident_of),
    }
    if resident.address is not None:
        parts = {
            name: SD(value)
            for name in ADDRESS_PARTS
            if (value := getattr(resident.address, name)) is not None
        }
        claims["address"] = SD(parts)
    claims.update({name: SD(v) for name, v in age_claims(resident.birthdate, issued_on).items()})
    for name, value in resident.extra.items():
        if name in claims or name in _PLAIN_CLAIMS or name == "address":
            raise UsageError(f"extra claim {name!r} clashes with a profile claim")
        claims[name] = SD(value)
    return claims


_PLAIN_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "sub", "jti"})


def issue_credential(
    resident: Resident,
    *,
    issuer: str,
    signing_key: PrivateKey,
    kid: str,
    holder_key: PublicKey,
    status_idx: int,
    status_uri: str,
    now: int,
    credential_type: CredentialType = CITY_ID,
    salt: SaltSource = new_salt,
) -> SdJwt:
    """Sign one credential of a batch; each of the batch's credentials gets its own holder key."""
    iat = coarse_day(now)
    issued_on = dt.datetime.fromtimestamp(iat, dt.UTC).date()
    claims: dict[str, Any] = {
        "iss": issuer,
        "iat": iat,
        "exp": iat + credential_type.lifetime_days * DAY,
        "vct": credential_type.vct,
        "status": {"status_list": {"idx": status_idx, "uri": status_uri}},
        **resident_claims(resident, issued_on=issued_on),
    }
    disclosable = sum(isinstance(v, SD) for v in claims.values())
    if disclosable > credential_type.top_level_digests:
        raise UsageError(
            f"{disclosable} disclosable claims exceed the type's {credential_type.top_level_digests} digests"
        )
    return issue(
        claims,
        signing_key,
        header={"typ": VC_TYP, "kid": kid},
        holder_jwk=public_jwk(holder_key),
        salt=salt,
        pad_to={(): credential_type.top_level_digests, ("address",): credential_type.address_digests},
    )


def profile_errors(claims: Mapping[str, Any], *, vcts: frozenset[str]) -> list[VerificationError]:
    """The SD-JWT VC rules the core does not know: required claims and their shapes."""
    found: list[VerificationError] = []
    for name in ("iss", "vct"):
        if not isinstance(claims.get(name), str):
            found.append(ClaimInvalid(f"{name} must be a string"))
    if isinstance(claims.get("vct"), str) and claims["vct"] not in vcts:
        found.append(ClaimInvalid("vct is not a credential type this verifier accepts"))
    for name in ("iat", "exp"):
        if name not in claims:
            found.append(ClaimInvalid(f"{name} is required"))
    cnf = claims.get("cnf")
    if not isinstance(cnf, Mapping) or not isinstance(cnf.get("jwk"), Mapping):
        found.append(ClaimInvalid("cnf.jwk is required"))
    status = claims.get("status")
    ref = status.get("status_list") if isinstance(status, Mapping) else None
    if not (
        isinstance(ref, Mapping)
        and isinstance(ref.get("idx"), int)
        and not isinstance(ref.get("idx"), bool)
        and ref["idx"] >= 0
        and isinstance(ref.get("uri"), str)
    ):
        found.append(ClaimInvalid("status.status_list {idx, uri} is required"))
    for forbidden in ("sub", "jti"):
        if forbidden in claims:
            found.append(ClaimInvalid(f"{forbidden} would make the credential linkable"))
    return found


def verify_credential(
    presentation: str | SdJwt,
    issuer_key: PublicKey | KeyResolver,
    *,
    key_binding: KeyBindingPolicy = KeyBindingPolicy(required=True),
    now: int | None = None,
    vcts: frozenset[str] = frozenset({CITY_ID.vct}),
    limits: Limits = DEFAULT_LIMITS,
    extra_checks: ClaimCheck | None = None,
) -> Verified:
    """Verify a presentation of a city credential: the core checks plus the profile's.

    `extra_checks` lets a verifier add its own (status, required claims) so that
    every failure is still reported together.
    """

    def checks(claims: Mapping[str, Any]) -> list[VerificationError]:
        found = profile_errors(claims, vcts=vcts)
        if extra_checks is not None:
            found.extend(extra_checks(claims))
        return found

    return verify(
        presentation,
        issuer_key,
        typ=VC_TYP,
        key_binding=key_binding,
        now=now,
        limits=limits,
        claim_checks=checks,
    )


__all__ = [
    "AGE_THRESHOLDS",
    "CITY_ID",
    "VC_TYP",
    "Address",
    "CredentialType",
    "Resident",
    "age_claims",
    "issue_credential",
    "profile_errors",
    "resident_from_json",
    "verify_credential",
]
