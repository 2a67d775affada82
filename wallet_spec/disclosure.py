"""Disclosures (RFC 9901 §4.2): salted claims whose digests the issuer signs."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, NamedTuple

from wallet_spec.encoding import (
    b64url_decode,
    b64url_encode,
    json_dumps,
    json_loads,
    sha256_b64url,
)
from wallet_spec.errors import DisclosureMalformed, FormatError, UsageError

SALT_BYTES = 16
"""128 bits, the entropy RFC 9901 §9.3 recommends."""

RESERVED_NAMES = frozenset({"_sd", "..."})

SaltSource = Callable[[], str]


def new_salt() -> str:
    return b64url_encode(secrets.token_bytes(SALT_BYTES))


class Disclosure(NamedTuple):
    """One disclosure; `name` is None for an array element."""

    encoded: str
    salt: str
    name: str | None
    value: Any
    digest: str

    @property
    def is_array_element(self) -> bool:
        return self.name is None

    @classmethod
    def create(
        cls,
        salt: str,
        name: str | None,
        value: Any,
        *,
        dumps: Callable[[Any], str] = json_dumps,
    ) -> Disclosure:
        if name is not None and name in RESERVED_NAMES:
            raise UsageError(f"a claim may not be named {name!r}")
        array = [salt, value] if name is None else [salt, name, value]
        encoded = b64url_encode(dumps(array).encode("utf-8"))
        return cls(encoded, salt, name, value, sha256_b64url(encoded))

    @classmethod
    def parse(cls, encoded: str) -> Disclosure:
        """Decode a received disclosure; the digest is of the text as received."""
        try:
            array = json_loads(b64url_decode(encoded, what="disclosure"), what="disclosure")
        except FormatError as exc:
            raise DisclosureMalformed(exc.message) from None
        if not isinstance(array, list) or len(array) not in (2, 3):
            raise DisclosureMalformed("disclosure must be a JSON array of 2 or 3 elements")
        if not isinstance(array[0], str):
            raise DisclosureMalformed("disclosure salt must be a string")
        if len(array) == 3:
            if not isinstance(array[1], str):
                raise DisclosureMalformed("disclosure claim name must be a string")
            return cls(encoded, array[0], array[1], array[2], sha256_b64url(encoded))
        return cls(encoded, array[0], None, array[1], sha256_b64url(encoded))
