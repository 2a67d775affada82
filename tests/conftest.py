"""Fixtures shared by every test package: a throw-away PostgreSQL database.

Tests that need PostgreSQL take `postgresql_url`. The server is the one at
`CITYKEY_TEST_PG` (default: trust auth on 127.0.0.1:5432, maintenance database
`postgres`). Each test run creates its own database with a random name and
drops it at the end; if the server cannot be reached, those tests are skipped
with the reason shown in the summary.

Every test runs with the key store's and the wallet's scrypt cost lowered
(`tests.support.cheap_kdfs`), unless it is marked `production_kdf`.

SD-JWT material shared by the contract's and the wallet's tests: keys, a sample
credential, a city credential for a seeded resident, and `forge` for hand-made tokens.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import cheap_kdfs
from wallet_spec import jws, keybinding
from wallet_spec.disclosure import Disclosure, new_salt
from wallet_spec.encoding import b64url_encode, json_dumps
from wallet_spec.errors import VerificationFailed
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk
from wallet_spec.keylist import signing_kid
from wallet_spec.profile import Address, Resident, issue_credential
from wallet_spec.sdjwt import SD, SdJwt, issue
from wallet_spec.verify import Verified, verify

PG_ADMIN_URL = os.environ.get("CITYKEY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_configure(config: pytest.Config) -> None:
    # Show why tests were skipped (e.g. "PostgreSQL unreachable") without needing -rs.
    chars = config.option.reportchars
    if "s" not in chars and "a" not in chars.lower():
        config.option.reportchars = chars + "s"


@pytest.fixture(autouse=True)
def cheap_kdfs_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrypt at test cost, set once for the whole suite; `@pytest.mark.production_kdf` keeps production's."""
    if request.node.get_closest_marker("production_kdf") is None:
        cheap_kdfs(monkeypatch)


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A SQLAlchemy URL (`postgresql+psycopg://`) of a fresh database, dropped after the run."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {str(exc).strip()[:200]}")
    name = f"citykey_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base, _, _ = PG_ADMIN_URL.rpartition("/")
            yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


NOW = 1_767_225_600 + 37_000
"""2026-01-01T10:16:40Z: a fixed clock, mid-morning so midnight coarsening is visible."""

TYP = "example+sd-jwt"
ISSUER = "https://issuer.example"
NONCE = "n-0S6_WzA2Mj"
AUD = "https://verifier.example"


@pytest.fixture(scope="session")
def now() -> int:
    return NOW


@pytest.fixture(scope="session")
def issuer_key() -> PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def holder_key() -> PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def other_key() -> PrivateKey:
    """A valid P-256 key that nobody trusts: the attacker's, or the wrong one."""
    return generate_private_key()


def sample_claims() -> dict[str, Any]:
    """A generic claim tree using every SD shape: flat, nested (structured), recursive, array elements."""
    return {
        "iss": ISSUER,
        "iat": NOW - 3600,
        "exp": NOW + 86_400,
        "given_name": SD("Erika"),
        "family_name": SD("Mustermann"),
        "email": SD("erika@example.com"),
        "address": SD({"street_address": SD("Heidestraße 17"), "locality": SD("Köln"), "country": "DE"}),
        "nationalities": [SD("DE"), SD("FR"), "US"],
        "plain": {"kept": True},
    }


SAMPLE_PLAIN = {
    "iss": ISSUER,
    "iat": NOW - 3600,
    "exp": NOW + 86_400,
    "given_name": "Erika",
    "family_name": "Mustermann",
    "email": "erika@example.com",
    "address": {"street_address": "Heidestraße 17", "locality": "Köln", "country": "DE"},
    "nationalities": ["DE", "FR", "US"],
    "plain": {"kept": True},
}
"""`sample_claims()` with every SD() removed: what full disclosure must give back."""


@pytest.fixture
def claims() -> dict[str, Any]:
    return sample_claims()


@pytest.fixture
def plain_claims() -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in SAMPLE_PLAIN.items()}


@pytest.fixture(scope="session")
def credential(issuer_key: PrivateKey, holder_key: PrivateKey) -> SdJwt:
    """`sample_claims()` issued to `holder_key`, no padding."""
    return issue(sample_claims(), issuer_key, header={"typ": TYP}, holder_jwk=public_jwk(holder_key))


@pytest.fixture(scope="session")
def resident() -> Resident:
    return Resident(
        given_name="Erika",
        family_name="Mustermann",
        birthdate=dt.date(1960, 3, 15),
        resident_of="Springfield",
        address=Address("1 Main Street", "Springfield", "12345"),
    )


@pytest.fixture(scope="session")
def city_credential(resident: Resident, issuer_key: PrivateKey, holder_key: PrivateKey) -> SdJwt:
    return issue_credential(
        resident,
        issuer=ISSUER,
        signing_key=issuer_key,
        kid=signing_kid(issuer_key),
        holder_key=holder_key.public_key(),
        status_idx=42,
        status_uri="https://issuer.example/status/1",
        now=NOW,
    )


@dataclass(frozen=True)
class Forge:
    """Builds arbitrary (also malicious) tokens: what an attacker or a buggy issuer could send."""

    issuer_key: PrivateKey
    holder_key: PrivateKey
    now: int
    typ: str = TYP
    nonce: str = NONCE
    aud: str = AUD

    def payload(self, **claims: Any) -> dict[str, Any]:
        """A minimal valid issuer payload bound to the holder key; keyword arguments add or replace claims."""
        base: dict[str, Any] = {
            "iss": ISSUER,
            "iat": self.now - 60,
            "exp": self.now + 3600,
            "_sd_alg": "sha-256",
            "cnf": {"jwk": public_jwk(self.holder_key)},
        }
        base.update(claims)
        return base

    def jwt(
        self, payload: Mapping[str, Any], *, header: Mapping[str, Any] | None = None, key: PrivateKey | None = None
    ) -> str:
        """An ES256-signed JWT over exactly `payload` (no `_sd` processing)."""
        return jws.sign({"typ": TYP} if header is None else header, payload, key or self.issuer_key)

    @staticmethod
    def raw_jwt(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"\x01" * 64) -> str:
        """A compact JWS with any header (any `alg`) and arbitrary signature bytes."""
        return ".".join(
            b64url_encode(part) for part in (json_dumps(header).encode(), json_dumps(payload).encode(), signature)
        )

    @staticmethod
    def disclosure(name: str | None, value: Any) -> Disclosure:
        return Disclosure.create(new_salt(), name, value)

    @staticmethod
    def raw_disclosure(array: Sequence[Any]) -> Disclosure:
        """Any JSON array as a disclosure, bypassing create()'s checks (e.g. a claim named `_sd`)."""
        return Disclosure.parse(b64url_encode(json_dumps(list(array)).encode()))

    @staticmethod
    def sd_jwt(jwt: str, disclosures: Sequence[Disclosure] = (), kb: str | None = None) -> str:
        return SdJwt(jwt, tuple(disclosures), kb).serialize()

    def kb(
        self,
        sd_part: str,
        *,
        key: PrivateKey | None = None,
        nonce: str | None = None,
        aud: str | None = None,
        iat: int | None = None,
    ) -> str:
        return keybinding.create(
            sd_part,
            key or self.holder_key,
            nonce=self.nonce if nonce is None else nonce,
            aud=self.aud if aud is None else aud,
            iat=self.now if iat is None else iat,
        )

    def kb_raw(self, payload: Mapping[str, Any], *, header: Mapping[str, Any] | None = None) -> str:
        """A holder-signed KB-JWT with any payload."""
        return jws.sign({"typ": "kb+jwt"} if header is None else header, payload, self.holder_key)

    def with_kb(self, sd_jwt: str, **kwargs: Any) -> str:
        """Append a fresh, valid KB-JWT to a serialized SD-JWT ending in '~'."""
        assert sd_jwt.endswith("~")
        return sd_jwt + self.kb(sd_jwt, **kwargs)

    def verify(self, presentation: str | SdJwt, **kwargs: Any) -> Verified:
        kwargs.setdefault("now", self.now)
        return verify(presentation, self.issuer_key.public_key(), **kwargs)

    def codes(self, presentation: str | SdJwt, **kwargs: Any) -> list[str]:
        """The sorted error codes of a presentation that must be rejected."""
        with pytest.raises(VerificationFailed) as info:
            self.verify(presentation, **kwargs)
        return sorted(info.value.codes)


@pytest.fixture(scope="session")
def forge(issuer_key: PrivateKey, holder_key: PrivateKey) -> Forge:
    return Forge(issuer_key, holder_key, NOW)
