"""The city's credential: an SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) with nothing that links.

Every personal claim is selectively disclosable; age is proven by
`age_over_NN` booleans so a bus driver never sees a birthdate; there is no
`sub`, `jti` or card number; `iat` is coarsened to the day; and each object's
`_sd` array is padded to a fixed length so a missing optional claim (no street
address, say) cannot be told from a present one.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wallet_spec.disclosure import SaltSource, new_salt
from wallet_spec.errors import ClaimInvalid, FactNotHeld, FormatError, UsageError, VerificationError
from wallet_spec.jwk import PrivateKey, PublicKey, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.sdjwt import DEFAULT_LIMITS, SD, Limits, SdJwt, issue
from wallet_spec.verify import ClaimCheck, KeyResolver, Verified, verify

VC_TYP = "dc+sd-jwt"
AGE_THRESHOLDS = (13, 16, 18, 21, 55, 62, 65)
ADDRESS_PARTS = ("street_address", "locality", "postal_code")
DAY = 86_400


REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
"""Controls (NUL, escapes, newlines), format characters (bidi overrides and isolates, zero-width
characters, soft hyphen, tags), unpaired surrogates, private-use and unassigned code points: none
is visible text, and each can make a verifier's screen show a name other than the one signed."""


def attribute_text(name: str, value: str) -> str:
    """`value` in Unicode NFC, or a FormatError naming the attribute and the code point, never the value.

    The one rule for every attribute on every path: the desk form, `citykey issue`, renewal,
    and any `Resident` built in code.
    """
    for ch in value:
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            raise FormatError(
                f"{name} contains U+{ord(ch):04X}, a control, invisible or unassigned character, which is not allowed"
            )
    return unicodedata.normalize("NFC", value)


def _extra_value(name: str, value: Any) -> Any:
    if isinstance(value, str):
        return attribute_text(name, value)
    if isinstance(value, list):
        return [_extra_value(name, item) for item in value]
    if isinstance(value, Mapping):
        return {
            attribute_text(f"a member name in {name}", k) if isinstance(k, str) else k: _extra_value(name, v)
            for k, v in value.items()
        }
    return value


def _text_fields(obj: object, names: tuple[str, ...], prefix: str = "") -> None:
    """Check and NFC-normalise the string fields of a frozen dataclass in place (in __post_init__)."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str):
            object.__setattr__(obj, name, attribute_text(prefix + name, value))


@dataclass(frozen=True, slots=True)
class Address:
    street_address: str | None = None
    locality: str | None = None
    postal_code: str | None = None

    def __post_init__(self) -> None:
        _text_fields(self, ADDRESS_PARTS, "address.")


@dataclass(frozen=True, slots=True)
class Resident:
    """What a clerk verified at the desk. Held in memory only, never stored.

    Every text attribute is checked and normalised on construction (`attribute_text`), so no
    credential can carry a name that hides or reverses text, whichever path built it.
    """

    given_name: str
    family_name: str
    birthdate: dt.date
    resident_of: str
    address: Address | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Claims a city configures; each becomes selectively disclosable."""

    def __post_init__(self) -> None:
        _text_fields(self, ("given_name", "family_name", "resident_of"))
        if isinstance(self.extra, Mapping):
            extra = {}
            for name, value in self.extra.items():
                if isinstance(name, str):
                    attribute_text("an extra claim name", name)
                    label = f"extra.{name}" if name.isidentifier() else "an extra claim"
                    extra[unicodedata.normalize("NFC", name)] = _extra_value(label, value)
                else:
                    extra[name] = value
            object.__setattr__(self, "extra", extra)


def resident_from_json(obj: Any, *, today: dt.date | None = None) -> Resident:
    """Read the attributes a clerk entered (a JSON object); every problem is a FormatError.

    With `today`, a birthdate after it is refused (the desk's rule, for every other path too).
    """
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
    if today is not None and birthdate > today:
        raise FormatError("birthdate lies in the future")
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


PERSONAL_CLAIMS = ("given_name", "family_name", "birthdate", "address")
AGE_CLAIMS = tuple(f"age_over_{n}" for n in AGE_THRESHOLDS)


@dataclass(frozen=True, slots=True)
class CredentialType:
    """One kind of credential: which claims it carries, which of them are disclosable, its digest counts.

    `carries` lists the resident's claims it holds ("extra" stands for the
    city's configured claims); `plain` those among them always visible: `resident_of`
    (the issuer is the city, which issues only to its residents, so `iss` already
    says as much) and, in a fact pass, the one `age_over_NN` it states, which is
    then always true (`issue_credential` refuses to sign it false). Every other
    carried claim is selectively disclosable, and the top-level `_sd` is padded to
    `top_level_digests` so a missing optional claim is invisible.
    """

    name: str
    vct: str
    carries: frozenset[str]
    plain: frozenset[str] = frozenset()
    top_level_digests: int = 16
    address_digests: int = len(ADDRESS_PARTS)
    address_container: bool = False
    """True: `address` is always present, even empty, and only its parts are disclosable (one
    disclosure fewer per presentation); False: `address` itself is disclosable too."""
    lifetime_days: int = 365


_EVERYTHING = frozenset({*PERSONAL_CLAIMS, "resident_of", *AGE_CLAIMS, "extra"})

CITY_ID = CredentialType(name="full", vct="urn:citykey:id:1", carries=_EVERYTHING)
"""Everything, all disclosable: for wallets that hold one credential type only."""

RESIDENCY_VCT = "urn:citykey:residency:1"


def _residency(name: str, ages: tuple[int, ...]) -> CredentialType:
    return CredentialType(
        name=name,
        vct=RESIDENCY_VCT,
        carries=frozenset({"resident_of", *(f"age_over_{n}" for n in ages)}),
        plain=frozenset({"resident_of"}),
        top_level_digests=RESIDENCY_DIGESTS,
    )


RESIDENCY_DIGESTS = 3
"""Each residency pass carries three age claims (or two and a decoy). Each digest costs about
48 characters of QR code; three keep "resident, 65+" within QR version 18 (docs/credential.md)."""

RESIDENCY = _residency("residency", (18, 21, 65))  # adult, alcohol age, senior fare
RESIDENCY_YOUTH = _residency("residency-youth", (13, 16))  # youth programmes
RESIDENCY_SENIOR = _residency("residency-senior", (55, 62))  # senior programmes
RESIDENCY_PASSES = (RESIDENCY, RESIDENCY_YOUTH, RESIDENCY_SENIOR)
"""Residency passes: `resident_of` (always shown) and a few `age_over_NN` each, so that
"resident, 65+" fits a small QR code. Together they carry every threshold; the wallet
picks the pass that has the claim asked for."""

RESIDENT_VCT = "urn:citykey:resident:1"


def _fact_pass(name: str, ages: tuple[int, ...]) -> CredentialType:
    carries = frozenset({"resident_of", *(f"age_over_{n}" for n in ages)})
    return CredentialType(name=name, vct=RESIDENT_VCT, carries=carries, plain=carries, top_level_digests=0)


RESIDENT_PASS = _fact_pass("resident", ())
AGE_PASSES = tuple(_fact_pass(f"resident-{n}", (n,)) for n in AGE_THRESHOLDS)
FACT_PASSES = (RESIDENT_PASS, *AGE_PASSES)
"""Fact passes: exactly one fact, every claim plain, no `_sd` and no disclosure, so "resident, 65+"
fits QR version 16. `resident-NN` is issued only to a resident who is NN or over on the issuance
day: its `age_over_NN` is always true, and a true "NN or over" never goes stale. Showing one tells
a verifier exactly what disclosing `resident_of` and `age_over_NN` from a residency pass would."""

IDENTITY = CredentialType(
    name="identity",
    vct="urn:citykey:identity:1",
    carries=frozenset(PERSONAL_CLAIMS),
    top_level_digests=3,
    address_container=True,
)
"""Name, birthdate and address parts: library sign-up, clinic check-in, and renewal (its full
disclosure carries every personal attribute; `resident_of` is the city's own name)."""

CREDENTIAL_TYPES: dict[str, CredentialType] = {
    t.name: t for t in (*RESIDENCY_PASSES, IDENTITY, CITY_ID, *FACT_PASSES)
}
ALL_VCTS = frozenset(kind.vct for kind in CREDENTIAL_TYPES.values())
BASE_TYPES = (*RESIDENCY_PASSES, IDENTITY)
"""The types every resident is offered whatever their age, besides the `resident` fact pass."""
STANDARD_TYPES = (*BASE_TYPES, *FACT_PASSES)
"""What a wallet may be offered at enrolment: a few of each, a fresh one per presentation. Of the
fact passes, a resident is offered only those that hold (`standard_types`)."""


def age_on(birthdate: dt.date, day: dt.date) -> int:
    before_birthday = (day.month, day.day) < (birthdate.month, birthdate.day)
    return day.year - birthdate.year - before_birthday


def age_claims(birthdate: dt.date, day: dt.date) -> dict[str, bool]:
    """`age_over_NN` for every threshold, true or false, so their presence says nothing."""
    age = age_on(birthdate, day)
    return {f"age_over_{n}": age >= n for n in AGE_THRESHOLDS}


def fact_holds(kind: CredentialType, birthdate: dt.date, day: dt.date) -> bool:
    """Whether every plain age claim of `kind` is true for someone born on `birthdate`, on `day`."""
    ages = age_claims(birthdate, day)
    return all(ages[name] for name in kind.plain & frozenset(AGE_CLAIMS))


def standard_types(resident: Resident, *, now: int) -> tuple[CredentialType, ...]:
    """The standard batch for this resident, issued at `now`: every type but the fact passes that do not hold."""
    day = issuance_day(now)
    return tuple(kind for kind in STANDARD_TYPES if fact_holds(kind, resident.birthdate, day))


def coarse_day(timestamp: int) -> int:
    """Round down to midnight UTC: a batch's `iat` is shared by everyone issued that day."""
    return timestamp - timestamp % DAY


def issuance_day(now: int) -> dt.date:
    """The day a credential issued at `now` states its facts for: its coarse `iat`, as a date."""
    return dt.datetime.fromtimestamp(coarse_day(now), dt.UTC).date()


def resident_claims(
    resident: Resident, *, issued_on: dt.date, credential_type: CredentialType = CITY_ID
) -> dict[str, Any]:
    """The claims a credential type carries: disclosable ones wrapped in SD(), `plain` ones as they are."""
    values: dict[str, Any] = {
        "given_name": resident.given_name,
        "family_name": resident.family_name,
        "birthdate": resident.birthdate.isoformat(),
        "resident_of": resident.resident_of,
    }
    if resident.address is not None or credential_type.address_container:
        values["address"] = {
            name: SD(value)
            for name in ADDRESS_PARTS
            if resident.address is not None and (value := getattr(resident.address, name)) is not None
        }
    values.update(age_claims(resident.birthdate, issued_on))
    for name in resident.extra:
        if name in values or name in _PLAIN_CLAIMS or name in PERSONAL_CLAIMS or name in AGE_CLAIMS:
            raise UsageError(f"extra claim {name!r} clashes with a profile claim")
    if "extra" in credential_type.carries:
        values.update(resident.extra)
    wanted = credential_type.carries | set(resident.extra if "extra" in credential_type.carries else ())
    return {
        name: value if name in credential_type.plain or (name == "address" and credential_type.address_container)
        else SD(value)
        for name, value in values.items()
        if name in wanted
    }


_PLAIN_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "sub", "jti"})


def plain_claims(payload: Mapping[str, Any]) -> frozenset[str]:
    """The resident's claims a credential shows whatever is disclosed (a fact pass's fact, `resident_of`)."""
    return frozenset(payload) - _PLAIN_CLAIMS - {"_sd", "_sd_alg"}


def issue_credential(
    resident: Resident,
    *,
    issuer: str,
    signing_key: PrivateKey,
    kid: str,
    holder_key: PublicKey | Mapping[str, Any],
    status_idx: int,
    status_uri: str,
    now: int,
    credential_type: CredentialType = CITY_ID,
    salt: SaltSource = new_salt,
) -> SdJwt:
    """Sign one credential of a batch; each of the batch's credentials gets its own holder key.

    `holder_key` is a key, or a public JWK as the wallet sent it (checked, as `public_jwk` does).
    """
    iat = coarse_day(now)
    issued_on = issuance_day(now)
    if not fact_holds(credential_type, resident.birthdate, issued_on):
        raise FactNotHeld(f"a {credential_type.name} pass states a fact that is not true for this resident today")
    claims: dict[str, Any] = {
        "iss": issuer,
        "iat": iat,
        "exp": iat + credential_type.lifetime_days * DAY,
        "vct": credential_type.vct,
        "status": {"status_list": {"idx": status_idx, "uri": status_uri}},
        **resident_claims(resident, issued_on=issued_on, credential_type=credential_type),
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
    vcts: frozenset[str] = ALL_VCTS,
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
