"""Passphrases that open encrypted files: where they come from, and how long a new one must be.

One rule for every party: a passphrase comes from its environment variable, or
else from a hidden prompt when there is a terminal; never from a command-line
argument (`ps` shows those). With neither (a script with no terminal) the
caller gets a `UsageError` rather than a hang. A variable that is set but empty
is a mistake, not a passphrase. The variable's bytes are used as they are, even
if they are not UTF-8 (`os.fsencode`), and a typed one is UTF-8.

A passphrase is measured in bytes, and only when it is chosen (a new store,
wallet or verifier key): opening an existing file is the file's own check.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from wallet_spec.errors import UsageError

KEY_PASSPHRASE_ENV = "CITYKEY_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
"""Opens the city's key store (`citykey keys`, `citykey issue`, the issuer service)."""
WALLET_PASSPHRASE_ENV = "CITYKEY_WALLET_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
"""Opens a resident's sealed wallet file (`citykey wallet`)."""
VERIFIER_PASSPHRASE_ENV = "CITYKEY_VERIFIER_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
"""Opens a verifier's own signing key (`citykey verifier`)."""

MIN_PASSPHRASE_BYTES = 12
"""The shortest passphrase for a file that holds a long-lived private key (the city's, a verifier's)."""
MIN_WALLET_PASSPHRASE_BYTES = 8
"""The shortest wallet passphrase: typed by a resident on a phone, for a file that stays on the phone."""

Prompt = Callable[[bool], str]
"""Asks for hidden input on a terminal; its argument says whether to ask twice (confirmation)."""


def check_length(passphrase: bytes, minimum: int = MIN_PASSPHRASE_BYTES) -> bytes:
    """Refuse a new passphrase shorter than `minimum` bytes; return it unchanged otherwise."""
    if len(passphrase) < minimum:
        raise UsageError(f"the passphrase must be at least {minimum} bytes long")
    return passphrase


def not_empty(variable: str, value: str) -> str:
    """A set variable's value; an empty one is refused."""
    if not value:
        raise UsageError(f"{variable} is set but empty")
    return value


def passphrase_bytes(value: str) -> bytes:
    """A passphrase as the bytes its source gave: an environment variable's exact bytes, or typed UTF-8."""
    return os.fsencode(value)


def read_passphrase(
    variable: str, prompt: Prompt | None, *, new: bool = False, minimum: int = MIN_PASSPHRASE_BYTES,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """The passphrase from `variable`, else from `prompt` (twice when `new`); None: there is no terminal.

    `new` marks a passphrase being chosen: it must then be at least `minimum` bytes.
    Raises UsageError when there is none, or it is empty, or a new one is too short.
    """
    value = (os.environ if environ is None else environ).get(variable)
    if value is None:
        if prompt is None:
            raise UsageError(f"no passphrase: set {variable} or run the command in a terminal")
        value = prompt(new)
    else:
        not_empty(variable, value)
    secret = passphrase_bytes(value)
    if not secret:
        raise UsageError("the passphrase is empty")
    return check_length(secret, minimum) if new else secret


__all__ = [
    "KEY_PASSPHRASE_ENV",
    "MIN_PASSPHRASE_BYTES",
    "MIN_WALLET_PASSPHRASE_BYTES",
    "VERIFIER_PASSPHRASE_ENV",
    "WALLET_PASSPHRASE_ENV",
    "Prompt",
    "check_length",
    "not_empty",
    "passphrase_bytes",
    "read_passphrase",
]
