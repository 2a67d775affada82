"""SD-JWT (RFC 9901): the container, issuance, and unfolding of disclosures.

Unfolding (§7.1 steps 3–5) is written once here and used by both the verifier
and the holder's wallet, so the two can never disagree about which claim a
disclosure reveals.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from wallet_spec import jws
from wallet_spec.disclosure import RESERVED_NAMES, SALT_BYTES, Disclosure, SaltSource, new_salt
from wallet_spec.encoding import b64url_encode, json_dumps, sha256_b64url
from wallet_spec.errors import (
    ClaimOverwrite,
    DigestDuplicate,
    DigestStructureInvalid,
    DisclosureDuplicate,
    DisclosureKindMismatch,
    DisclosureNameReserved,
    FormatError,
    TooLarge,
    UsageError,
    VerificationError,
)
from wallet_spec.jwk import PrivateKey

SD_ALG = "sha-256"
"""The only `_sd_alg` citykey issues or accepts."""

ClaimPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds checked before anything is decoded (RFC 9901 §9, RFC 8725 §3.x)."""

    max_length: int = 65_536
    max_disclosures: int = 256


DEFAULT_LIMITS = Limits()

_COMPACT_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
"""The compact form's alphabet: base64url, '.' and '~'."""


class SD:
    """Marks a claim value (or array element) as selectively disclosable at issuance."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"SD({self.value!r})"


class SdJwt(NamedTuple):
    """An SD-JWT or SD-JWT+KB in compact form, split into its parts."""

    jwt: str
    disclosures: tuple[Disclosure, ...] = ()
    kb_jwt: str | None = None

    @property
    def sd_part(self) -> str:
        """`<jwt>~<d1>~…~<dN>~`: what a KB-JWT's `sd_hash` covers."""
        return "".join([self.jwt, "~", *(d.encoded + "~" for d in self.disclosures)])

    def serialize(self) -> str:
        return self.sd_part + (self.kb_jwt or "")

    @classmethod
    def parse(cls, text: str, *, limits: Limits = DEFAULT_LIMITS) -> SdJwt:
        """Split the compact form, checking size and alphabet before decoding anything."""
        if len(text) > limits.max_length:
            raise TooLarge(f"SD-JWT is longer than {limits.max_length} characters")
        if not text.isascii() or text.encode("ascii").translate(None, _COMPACT_CHARS):
            raise FormatError("SD-JWT has characters outside base64url, '.' and '~'")
        parts = text.split("~")
        if len(parts) < 2 or not parts[0]:
            raise FormatError("SD-JWT must be <jwt>~[<disclosure>~…][<kb-jwt>]")
        if len(parts) - 2 > limits.max_disclosures:
            raise TooLarge(f"SD-JWT has more than {limits.max_disclosures} disclosures")
        middle = parts[1:-1]
        if not all(middle):
            raise FormatError("SD-JWT has an empty disclosure (two '~' in a row)")
        return cls(parts[0], tuple(Disclosure.parse(d) for d in middle), parts[-1] or None)

    def payload(self) -> dict[str, Any]:
        """The issuer-signed payload, unverified: for display and the holder's bookkeeping."""
        return jws.parse(self.jwt, what="issuer-signed JWT").payload


def has_claim(claims: Any, path: ClaimPath) -> bool:
    """Whether processed claims contain `path` (object names and array indices)."""
    node = claims
    for step in path:
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        elif isinstance(node, dict) and isinstance(step, str) and step in node:
            node = node[step]
        else:
            return False
    return True


# --- issuance ---------------------------------------------------------------

_LEAF = (str, int, float, type(None))


class _SaltPool:
    """`new_salt`, drawing the operating system's randomness a few salts at a time: one credential
    needs up to twenty salts, and a system call each is the larger part of making one. A pool
    belongs to one issuance and is dropped with it, so no randomness outlives it or is shared."""

    __slots__ = ("_pool",)
    _DRAW = SALT_BYTES * 8

    def __init__(self) -> None:
        self._pool = b""

    def __call__(self) -> str:
        if not self._pool:
            self._pool = secrets.token_bytes(self._DRAW)
        salt, self._pool = self._pool[:SALT_BYTES], self._pool[SALT_BYTES:]
        return b64url_encode(salt)


@dataclass
class _Issuance:
    salt: SaltSource
    pad_to: Mapping[ClaimPath, int]
    dumps: Callable[[Any], str]
    disclosures: list[Disclosure] = field(default_factory=list)
    digests: int = 0

    def decoy(self) -> str:
        self.digests += 1
        return sha256_b64url(self.salt())

    def build(self, value: Any, path: ClaimPath) -> Any:
        if isinstance(value, _LEAF):  # most claims: leaves, no ABC check needed
            return value
        if isinstance(value, SD):
            raise UsageError(f"SD() may mark only object members and array elements ({path})")
        if isinstance(value, Mapping):
            return self._object(value, path)
        if isinstance(value, list | tuple):
            return self._array(value, path)
        return value

    def _disclose(self, name: str | None, value: Any, path: ClaimPath) -> str:
        # Children first, as RFC 9901's reference generator does: a recursive
        # disclosure carries the digests of the disclosures beneath it.
        inner = value if isinstance(value, _LEAF) else self.build(value, path)
        disclosure = Disclosure.create(self.salt(), name, inner, dumps=self.dumps)
        self.disclosures.append(disclosure)
        self.digests += 1
        return disclosure.digest

    def _object(self, obj: Mapping[str, Any], path: ClaimPath) -> dict[str, Any]:
        digests: list[str] = []
        out: dict[str, Any] = {"_sd": digests}
        for name, value in obj.items():
            if not isinstance(name, str) or name in RESERVED_NAMES:
                raise UsageError(f"claim name {name!r} is not allowed ({path})")
            if isinstance(value, SD):
                digests.append(self._disclose(name, value.value, (*path, name)))
            else:
                out[name] = value if isinstance(value, _LEAF) else self.build(value, (*path, name))
        padding = self.pad_to.get(path, 0) - len(digests)
        if padding > 0:
            digests.extend(self.decoy() for _ in range(padding))
        if digests:
            digests.sort()
        else:
            del out["_sd"]
        return out

    def _array(self, items: Iterable[Any], path: ClaimPath) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(items):
            if isinstance(item, SD):
                out.append({"...": self._disclose(None, item.value, (*path, index))})
            else:
                out.append(self.build(item, (*path, index)))
        while len(out) < self.pad_to.get(path, 0):
            out.insert(secrets.randbelow(len(out) + 1), {"...": self.decoy()})
        return out


def issue(
    claims: Mapping[str, Any],
    issuer_key: PrivateKey,
    *,
    header: Mapping[str, Any],
    holder_jwk: Mapping[str, Any] | None = None,
    salt: SaltSource = new_salt,
    pad_to: Mapping[ClaimPath, int] | None = None,
    dumps: Callable[[Any], str] = json_dumps,
) -> SdJwt:
    """Sign `claims`, turning every `SD(...)` into a disclosure.

    `pad_to` maps the path of an object (or array) to the number of digests it
    must carry; decoys fill the gap, so which optional claims exist is hidden.
    `salt` is injectable so that tests and conformance vectors are reproducible.
    """
    run = _Issuance(salt=_SaltPool() if salt is new_salt else salt, pad_to=pad_to or {}, dumps=dumps)
    payload = run.build(claims, ())
    if run.digests:  # RFC 9901 §4.1.1: optional; a token with no digest names no hash algorithm
        payload["_sd_alg"] = SD_ALG
    if holder_jwk is not None:
        payload["cnf"] = {"jwk": dict(holder_jwk)}
    token = jws.sign(header, payload, issuer_key, dumps=dumps)
    return SdJwt(token, tuple(run.disclosures))


# --- unfolding ----------------------------------------------------------------


class Reference(NamedTuple):
    """Where a disclosure's claim lives, and the disclosure that revealed its parent."""

    path: ClaimPath
    parent: str | None


class Unfolded(NamedTuple):
    claims: dict[str, Any]
    references: dict[str, Reference]
    unreferenced: tuple[Disclosure, ...]
    errors: tuple[VerificationError, ...]


def unfold(payload: Mapping[str, Any], disclosures: Iterable[Disclosure]) -> Unfolded:
    """Replace digests by the claims their disclosures carry (RFC 9901 §7.1 steps 3–5).

    Digests with no disclosure (decoys, or claims not shown) are dropped. Every
    rule violation is collected; the caller decides whether any is fatal.
    """
    try:
        return _Unfolder(disclosures).run(payload)
    except RecursionError:
        raise FormatError("claims are nested too deeply to process") from None


class _Unfolder:
    """One pass over the payload. On the verifier's path (every scan), so written for speed:
    a node's digests are checked for repeats as a set when they hold none (the usual case),
    and one by one, naming each repeat, only when they do."""

    __slots__ = ("by_digest", "errors", "references", "seen")

    def __init__(self, disclosures: Iterable[Disclosure]) -> None:
        self.by_digest: dict[str, Disclosure] = {}
        self.errors: list[VerificationError] = []
        for d in disclosures:
            if d.digest in self.by_digest:
                self.errors.append(DisclosureDuplicate("a disclosure was sent twice"))
            self.by_digest[d.digest] = d
        self.seen: set[str] = set()
        self.references: dict[str, Reference] = {}

    def run(self, payload: Mapping[str, Any]) -> Unfolded:
        claims = self.obj(payload, (), None)
        claims.pop("_sd_alg", None)
        references = self.references
        unreferenced = tuple(d for g, d in self.by_digest.items() if g not in references)
        return Unfolded(claims, references, unreferenced, tuple(self.errors))

    def _fresh(self, digests: list[str], path: ClaimPath) -> list[str]:
        """The digests not seen before (here or elsewhere in the payload); each repeat is an error."""
        seen = self.seen
        if seen.isdisjoint(digests) and len(set(digests)) == len(digests):
            seen.update(digests)
            return digests
        fresh: list[str] = []
        for digest in digests:
            if digest in seen:
                self.errors.append(DigestDuplicate(f"digest appears more than once (at {_show(path)})"))
            else:
                seen.add(digest)
                fresh.append(digest)
        return fresh

    def value(self, value: Any, path: ClaimPath, parent: str | None) -> Any:
        if isinstance(value, dict):
            return self.obj(value, path, parent)
        if isinstance(value, list):
            return self.array(value, path, parent)
        return value

    def obj(self, node: Mapping[str, Any], path: ClaimPath, parent: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name == "_sd":
                continue
            if name == "...":
                self.errors.append(
                    DigestStructureInvalid(f"'...' outside an array element ({_show(path)})")
                )
                continue
            out[name] = (
                self.obj(value, (*path, name), parent) if isinstance(value, dict)
                else self.array(value, (*path, name), parent) if isinstance(value, list)
                else value
            )
        digests = node.get("_sd")
        if digests is None:
            return out
        if not isinstance(digests, list) or not set(map(type, digests)) <= _STR:
            self.errors.append(DigestStructureInvalid(f"_sd must be an array of strings ({_show(path)})"))
            return out
        by_digest, references = self.by_digest, self.references
        for digest in self._fresh(digests, path):
            disclosure = by_digest.get(digest)
            if disclosure is None:
                continue
            claim = disclosure.name
            references[digest] = Reference(path, parent)
            if claim is None:
                self.errors.append(
                    DisclosureKindMismatch(f"array-element disclosure referenced from _sd ({_show(path)})")
                )
            elif claim in RESERVED_NAMES:
                self.errors.append(DisclosureNameReserved(f"disclosure names the claim {claim!r}"))
            elif claim in out or claim in node:
                self.errors.append(ClaimOverwrite(f"disclosure would overwrite {_show((*path, claim))}"))
            else:
                here = (*path, claim)
                references[digest] = Reference(here, parent)
                out[claim] = self.value(disclosure.value, here, digest)
        return out

    def array(self, items: list[Any], path: ClaimPath, parent: str | None) -> list[Any]:
        out: list[Any] = []
        for item in items:
            if isinstance(item, dict) and "..." in item:
                digest = item["..."]
                if len(item) != 1 or not isinstance(digest, str):
                    self.errors.append(
                        DigestStructureInvalid(f"array digest must be {{'...': digest}} ({_show(path)})")
                    )
                    continue
                here = (*path, len(out))
                if not self._fresh([digest], here):
                    continue
                disclosure = self.by_digest.get(digest)
                if disclosure is None:
                    continue
                self.references[digest] = Reference(here, parent)
                if disclosure.name is not None:
                    self.errors.append(
                        DisclosureKindMismatch(f"object-property disclosure used as array element ({_show(path)})")
                    )
                    continue
                out.append(self.value(disclosure.value, here, digest))
            else:
                out.append(self.value(item, (*path, len(out)), parent))
        return out


_STR = frozenset({str})


def _show(path: ClaimPath) -> str:
    return "/" + "/".join(str(p) for p in path)
