"""What `keystore.json` holds: public metadata only, never a secret.

One record per signing key with its state and its window; the root's and the
receipt MAC key's identifiers. Loading checks every field and that each `kid`
is its key's RFC 7638 thumbprint, so a damaged or hand-edited file is refused
with a message rather than half-used.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from wallet_spec.encoding import is_int, json_loads
from wallet_spec.errors import FormatError, KeyInvalid, KeyStoreError
from wallet_spec.jwk import thumbprint
from wallet_spec.keylist import signing_kid

FORMAT = "citykey-keystore/1"
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
"""An RFC 7638 SHA-256 thumbprint: 43 base64url characters, safe as a file name."""

State = Literal["active", "retiring", "retired", "revoked"]
STATES: tuple[State, ...] = get_args(State)

Reason = Literal["compromised", "superseded", "ceased", "unspecified"]
REASONS: tuple[Reason, ...] = get_args(Reason)
"""Why a key was revoked, after RFC 5280's CRLReason: keyCompromise, superseded, cessationOfOperation."""

HOLDS_PRIVATE_KEY: frozenset[State] = frozenset({"active", "retiring"})
"""States whose private key file exists; retired and revoked keys' files are deleted."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A signing key: its public JWK, its state, and the `iat` window it signs or signed."""

    kid: str
    jwk: Mapping[str, str]
    state: State
    created: int
    not_before: int
    """First credential `iat` this key may sign: its creation day, midnight UTC."""
    not_after: int | None = None
    """Last credential `iat` it signed; None while active."""
    retire_after: int | None = None
    """When its last credential has expired; it leaves the key list then."""
    revoked_at: int | None = None
    reason: Reason | None = None

    def replace(self, **changes: Any) -> KeyRecord:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "jwk": dict(self.jwk),
            "state": self.state,
            "created": self.created,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "retire_after": self.retire_after,
            "revoked_at": self.revoked_at,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Identity:
    """The root or the receipt MAC key: an identifier and a creation time."""

    kid: str
    created: int
    jwk: Mapping[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "created": self.created, **({"jwk": dict(self.jwk)} if self.jwk else {})}


@dataclass(frozen=True, slots=True)
class Metadata:
    """`keystore.json`: the issuer id and every key's public record (no secret is ever in it)."""

    issuer: str
    root: Identity
    receipt_mac: Identity
    signing_keys: tuple[KeyRecord, ...]

    @property
    def active(self) -> KeyRecord:
        return next(k for k in self.signing_keys if k.state == "active")

    def find(self, kid: str) -> KeyRecord | None:
        return next((k for k in self.signing_keys if k.kid == kid), None)

    def with_keys(self, keys: tuple[KeyRecord, ...]) -> Metadata:
        return dataclasses.replace(self, signing_keys=keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "issuer": self.issuer,
            "root": self.root.to_json(),
            "receipt_mac": self.receipt_mac.to_json(),
            "signing_keys": [k.to_json() for k in self.signing_keys],
        }


# --- reading -----------------------------------------------------------------


class _Damaged(Exception):
    pass


def _opt_int(obj: Mapping[str, Any], name: str) -> int | None:
    value = obj.get(name)
    if value is not None and not is_int(value):
        raise _Damaged(f"{name} must be an integer or null")
    return value


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if not is_int(value):
        raise _Damaged(f"{name} must be an integer")
    return value


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Damaged(f"{what} must be an object")
    return value


def _checked_jwk(
    obj: Mapping[str, Any], kid: Any, what: str, named: Callable[[Mapping[str, Any]], str]
) -> dict[str, str]:
    """The JWK of `obj`, checked to be the key its `kid` names (`named` of the JWK)."""
    jwk = _obj(obj.get("jwk"), f"{what} jwk")
    try:
        if not isinstance(kid, str) or named(jwk) != kid:
            raise _Damaged(f"{what} kid is not its key's thumbprint")
    except KeyInvalid as exc:
        raise _Damaged(f"{what} jwk is unusable: {exc.message}") from None
    return {k: str(v) for k, v in jwk.items()}


def _record(value: Any) -> KeyRecord:
    obj = _obj(value, "signing key")
    kid = obj.get("kid")
    what = f"signing key {kid!r}"
    jwk = _checked_jwk(obj, kid, what, signing_kid)
    state, reason = obj.get("state"), obj.get("reason")
    if state not in STATES:
        raise _Damaged(f"{what} has an unknown state {state!r}")
    if reason is not None and reason not in REASONS:
        raise _Damaged(f"{what} has an unknown revocation reason {reason!r}")
    record = KeyRecord(
        kid=cast(str, kid),
        jwk=jwk,
        state=cast(State, state),
        created=_int(obj, "created"),
        not_before=_int(obj, "not_before"),
        not_after=_opt_int(obj, "not_after"),
        retire_after=_opt_int(obj, "retire_after"),
        revoked_at=_opt_int(obj, "revoked_at"),
        reason=cast(Reason | None, reason),
    )
    if (record.state == "active") != (record.not_after is None):
        raise _Damaged(f"{what}: only the active key may lack not_after")
    if record.state in ("retiring", "retired") and record.retire_after is None:
        raise _Damaged(f"{what} is {record.state} but has no retire_after")
    if (record.state == "revoked") != (record.revoked_at is not None and record.reason is not None):
        raise _Damaged(f"{what}: exactly the revoked keys carry revoked_at and reason")
    return record


def parse_metadata(data: bytes, *, what: str) -> Metadata:
    """Parse and check `keystore.json`; every defect is a KeyStoreError naming the file."""
    try:
        obj = _obj(json_loads(data, what="the file"), "the file")
        if obj.get("format") != FORMAT:
            raise _Damaged(f"format must be {FORMAT!r}")
        issuer = obj.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise _Damaged("issuer must be a non-empty string")
        root_obj = _obj(obj.get("root"), "root")
        root = Identity(cast(str, root_obj.get("kid")), _int(root_obj, "created"),
                        _checked_jwk(root_obj, root_obj.get("kid"), "root", thumbprint))
        mac_obj = _obj(obj.get("receipt_mac"), "receipt_mac")
        mac_kid = mac_obj.get("kid")
        if not isinstance(mac_kid, str) or not _KID.fullmatch(mac_kid):
            raise _Damaged("receipt_mac kid must be a base64url string")
        mac = Identity(mac_kid, _int(mac_obj, "created"))
        raw_keys = obj.get("signing_keys")
        if not isinstance(raw_keys, list):
            raise _Damaged("signing_keys must be a list")
        keys = tuple(_record(k) for k in raw_keys)
    except FormatError as exc:
        raise KeyStoreError(f"{what} is damaged: {exc.message}") from None
    except _Damaged as exc:
        raise KeyStoreError(f"{what} is damaged: {exc}") from None
    if sum(k.state == "active" for k in keys) != 1:
        raise KeyStoreError(f"{what} is damaged: it must have exactly one active signing key")
    if len({k.kid for k in keys}) != len(keys):
        raise KeyStoreError(f"{what} is damaged: a signing key is listed twice")
    return Metadata(issuer, root, mac, keys)
