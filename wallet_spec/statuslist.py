"""IETF Token Status List (draft-ietf-oauth-status-list): bits, compression, signed tokens.

A credential names `status.status_list {idx, uri}`; the city publishes, per
URI, a signed token whose compressed bit array says whether each index is
valid. citykey uses one bit per credential (0 valid, 1 revoked). Every list is
created full-size and all valid, so its length reveals nothing about how many
credentials were issued.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wallet_spec import jws
from wallet_spec.encoding import b64url_decode, b64url_encode, is_int
from wallet_spec.errors import (
    ClaimInvalid,
    Expired,
    FormatError,
    Revoked,
    SignatureInvalid,
    StatusUnknown,
    Suspended,
    TooLarge,
    VerificationError,
    VerificationFailed,
)
from wallet_spec.jwk import PrivateKey, PublicKey

STATUS_LIST_TYP = "statuslist+jwt"
VALID, INVALID, SUSPENDED = 0, 1, 2
ALLOWED_BITS = (1, 2, 4, 8)
MAX_LIST_BYTES = 1 << 20
"""Largest uncompressed list accepted: 8,388,608 one-bit entries. Checked while inflating."""


@dataclass(slots=True)
class StatusList:
    """A status list: `bits` per entry, packed least significant bit first."""

    bits: int
    data: bytearray

    @classmethod
    def new(cls, size: int, *, bits: int = 1) -> StatusList:
        if bits not in ALLOWED_BITS:
            raise ValueError(f"bits must be one of {ALLOWED_BITS}")
        if size <= 0 or (size * bits) % 8:
            raise ValueError("size must be a positive number of whole bytes of entries")
        return cls(bits, bytearray(size * bits // 8))

    @property
    def size(self) -> int:
        return len(self.data) * 8 // self.bits

    def _locate(self, index: int) -> tuple[int, int, int]:
        if not 0 <= index < self.size:
            raise IndexError(f"status index {index} is outside the list of {self.size}")
        per_byte = 8 // self.bits
        return index // per_byte, (index % per_byte) * self.bits, (1 << self.bits) - 1

    def get(self, index: int) -> int:
        byte, shift, mask = self._locate(index)
        return (self.data[byte] >> shift) & mask

    def set(self, index: int, value: int) -> None:
        byte, shift, mask = self._locate(index)
        if not 0 <= value <= mask:
            raise ValueError(f"status {value} does not fit in {self.bits} bits")
        self.data[byte] = (self.data[byte] & ~(mask << shift)) | (value << shift)

    def to_json(self) -> dict[str, Any]:
        return {"bits": self.bits, "lst": b64url_encode(zlib.compress(bytes(self.data), 9))}

    @classmethod
    def from_json(cls, obj: Any, *, max_bytes: int = MAX_LIST_BYTES) -> StatusList:
        """Decode `{bits, lst}`, refusing to inflate more than `max_bytes`."""
        if not isinstance(obj, Mapping):
            raise FormatError("status_list must be an object")
        bits, lst = obj.get("bits"), obj.get("lst")
        if not is_int(bits) or bits not in ALLOWED_BITS:
            raise FormatError(f"status_list bits must be one of {ALLOWED_BITS}")
        if not isinstance(lst, str):
            raise FormatError("status_list lst must be a string")
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(b64url_decode(lst, what="status_list lst"), max_bytes)
        except zlib.error as exc:
            raise FormatError("status_list lst is not zlib data") from exc
        if inflater.unconsumed_tail:
            raise TooLarge(f"status list inflates beyond {max_bytes} bytes")
        if not inflater.eof or inflater.unused_data:
            raise FormatError("status_list lst is truncated or has trailing data")
        return cls(int(bits), bytearray(data))


def sign_token(
    status_list: StatusList,
    *,
    uri: str,
    key: PrivateKey,
    kid: str,
    iat: int,
    exp: int,
    ttl: int,
) -> str:
    """The `statuslist+jwt` published at `uri` (the token's `sub`)."""
    payload = {"sub": uri, "iat": iat, "exp": exp, "ttl": ttl, "status_list": status_list.to_json()}
    return jws.sign({"typ": STATUS_LIST_TYP, "kid": kid}, payload, key)


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    uri: str
    iat: int
    exp: int
    ttl: int | None
    status_list: StatusList


KeyLookup = Callable[[Mapping[str, Any], Mapping[str, Any]], PublicKey]


def verify_token(token: str, key_for: KeyLookup, *, now: int, leeway: int = 60) -> VerifiedStatusList:
    """Verify a status list token's signature, type, claims and expiry; return its list."""
    parsed = jws.parse(token, what="status list token")
    errors: list[VerificationError] = jws.header_errors(
        parsed.header, typ=STATUS_LIST_TYP, what="status list token"
    )
    if not errors:
        try:
            if not jws.signature_valid(parsed, key_for(parsed.header, parsed.payload)):
                errors.append(SignatureInvalid("status list token signature does not verify"))
        except VerificationError as exc:
            errors.append(exc)
    claims = parsed.payload
    sub, iat, exp, ttl = (claims.get(k) for k in ("sub", "iat", "exp", "ttl"))
    if not isinstance(sub, str):
        errors.append(ClaimInvalid("status list token sub must be its URI"))
    if not is_int(iat) or not is_int(exp):
        errors.append(ClaimInvalid("status list token needs integer iat and exp"))
    elif now >= exp + leeway:
        errors.append(Expired("the status list token has expired"))
    if ttl is not None and (not is_int(ttl) or ttl <= 0):
        errors.append(ClaimInvalid("status list token ttl must be a positive integer"))
    if errors or not isinstance(sub, str) or not is_int(iat) or not is_int(exp):
        raise VerificationFailed(errors)
    return VerifiedStatusList(sub, iat, exp, ttl, StatusList.from_json(claims.get("status_list")))


StatusLookup = Callable[[Any, Any], int]
"""Given a credential's status `uri` and `idx` (unchecked), its status value; raises StatusUnknown if none."""


def status_errors(claims: Mapping[str, Any], lookup: StatusLookup) -> list[VerificationError]:
    """The status bit of a credential's `status.status_list` reference: nothing if valid, else why not.

    A credential without the reference yields nothing here (the profile check reports it).
    Every party that checks status (a verifier against its bundle, the issuer against its
    own database at renewal) asks its own `lookup` and reads the answer the same way.
    """
    status = claims.get("status")
    ref = status.get("status_list") if isinstance(status, Mapping) else None
    if not isinstance(ref, Mapping):
        return []
    try:
        value = lookup(ref.get("uri"), ref.get("idx"))
    except StatusUnknown as exc:
        return [exc]
    if value == VALID:
        return []
    if value == INVALID:
        return [Revoked("the city has revoked this credential")]
    if value == SUSPENDED:
        return [Suspended("the city has suspended this credential")]
    return [StatusUnknown(f"the status list holds an unknown status {value}")]
