"""Clerk accounts for the desk: argon2id password hashes, roles, and a lockout after repeated failures.

Stored in the `clerks` table (name, password_hash, role, failed_logins,
locked_until): staff data only, never anything about a resident.

- Passwords are hashed with argon2id (argon2-cffi's RFC 9106 "low memory"
  parameters: 64 MiB, 3 passes); a hash made with older parameters is
  upgraded at the next successful sign-in.
- After `MAX_FAILURES` wrong passwords in a row an account is locked for
  `LOCKOUT_SECONDS`; during the lock even the right password is refused.
  The counter is updated in one write transaction, so concurrent guesses
  cannot slip past it.
- argon2 needs 64 MiB per hash: at most `HASH_SLOTS` (the machine's cores) run at once, the
  others wait their turn, so a burst of sign-ins cannot take the server's memory
  (`docs/security.md` 4).
- A session names a clerk and a tag of the password hash and the account's session
  generation; signing out and an administrator's "end sessions" raise the generation, which
  ends every session of that clerk on every device at once, copied cookies included.
- Every attempt costs one argon2 verification, whatever the name: an unknown
  name is checked against a dummy hash made with the same parameters, and a
  locked account's password is still verified, so the time taken says
  neither whether a name exists nor whether it is locked. The desk shows one
  message for every refusal, for the same reason.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
from dataclasses import dataclass
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, insert, select, update

from issuer.db import clerks, read_transaction, write_transaction
from wallet_spec.errors import UsageError

ROLES = ("clerk", "admin")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
"""Longer input is refused before hashing (argon2 would take it, but nobody types it)."""
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

PRODUCTION_HASHER = PasswordHasher()
"""argon2id, 64 MiB, 3 passes, 4 lanes: argon2-cffi's defaults, RFC 9106's second recommended option."""
HASHER = PRODUCTION_HASHER
"""What hashes and verifies; tests swap in a cheaper one."""

HASH_SLOTS = max(1, os.cpu_count() or 1)
"""argon2 computations at once; each holds `memory_cost` KiB (64 MiB) while it runs."""
_hash_slots = threading.BoundedSemaphore(HASH_SLOTS)

_dummy_hashes: dict[tuple[int, int, int, int], str] = {}


def dummy_hash(hasher: PasswordHasher | None = None) -> str:
    """A hash of a random password with `hasher`'s parameters: what an unknown name is checked against."""
    hasher = hasher or HASHER
    params = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len)
    if params not in _dummy_hashes:
        with _hash_slots:
            _dummy_hashes[params] = hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hashes[params]


class Outcome(Enum):
    OK = "ok"
    WRONG = "wrong"  # unknown name or wrong password
    LOCKED = "locked"  # too many failures; refused whatever the password


@dataclass(frozen=True, slots=True)
class Clerk:
    """A signed-in clerk as a session sees them: name, role, and the tag their password gives."""

    name: str
    role: str
    tag: str
    """Changes when the password does: a session carries it, so a new password ends old sessions."""


@dataclass(frozen=True, slots=True)
class ClerkAccount:
    name: str
    role: str
    failed_logins: int
    locked_until: int


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    clerk: Clerk | None = None
    locked_until: int = 0


def _tag(password_hash: str, generation: int) -> str:
    """What a session carries to prove it is current: ends with a new password or a new generation."""
    return hashlib.sha256(f"{generation}:{password_hash}".encode()).hexdigest()[:16]


def _hash(password: str) -> str:
    with _hash_slots:
        return HASHER.hash(password)


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise UsageError(
            "a clerk name is 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"a clerk's role is one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UsageError(f"a clerk password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return password


def add_clerk(engine: Engine, name: str, password: str, role: str = "clerk") -> Clerk:
    """Create an account; refuses a name that exists."""
    check_name(name)
    check_role(role)
    password_hash = _hash(check_password(password))
    with write_transaction(engine) as conn:
        if conn.execute(select(clerks.c.name).where(clerks.c.name == name)).first() is not None:
            raise UsageError(f"a clerk named {name} exists already")
        conn.execute(
            insert(clerks).values(
                name=name, password_hash=password_hash, role=role, failed_logins=0, locked_until=0
            )
        )
    return Clerk(name, role, _tag(password_hash, 0))


def end_sessions(engine: Engine, name: str) -> bool:
    """End every session of `name` (sign-out, or an administrator's "end sessions"): False if no such clerk."""
    with write_transaction(engine) as conn:
        changed = conn.execute(
            update(clerks).where(clerks.c.name == name).values(session_generation=clerks.c.session_generation + 1)
        ).rowcount
        return changed > 0


def remove_clerk(engine: Engine, name: str) -> bool:
    with write_transaction(engine) as conn:
        return conn.execute(delete(clerks).where(clerks.c.name == name)).rowcount > 0


def unlock_clerk(engine: Engine, name: str) -> bool:
    with write_transaction(engine) as conn:
        changed = conn.execute(
            update(clerks).where(clerks.c.name == name).values(failed_logins=0, locked_until=0)
        ).rowcount
        return changed > 0


def list_clerks(engine: Engine) -> list[ClerkAccount]:
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(clerks.c.name, clerks.c.role, clerks.c.failed_logins, clerks.c.locked_until).order_by(
                clerks.c.name
            )
        ).all()
    return [ClerkAccount(r.name, r.role, r.failed_logins, r.locked_until) for r in rows]


def _verify(password_hash: str, password: str) -> bool:
    try:
        with _hash_slots:
            return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(engine: Engine, name: str, password: str, *, now: int) -> Attempt:
    """Check a sign-in; counts failures and locks the account after `MAX_FAILURES` in a row."""
    row = None
    if isinstance(name, str) and NAME_PATTERN.fullmatch(name):
        with read_transaction(engine) as conn:
            row = conn.execute(select(clerks.c.password_hash).where(clerks.c.name == name)).first()
    if len(password) > MAX_PASSWORD_LENGTH:
        password = ""  # still costs one verification below, and cannot match
    if row is None:
        _verify(dummy_hash(), password)  # the same work as for a real account
        return Attempt(Outcome.WRONG)
    correct = _verify(row.password_hash, password) and bool(password)
    with write_transaction(engine) as conn:
        current = conn.execute(
            select(clerks.c.role, clerks.c.password_hash, clerks.c.locked_until, clerks.c.session_generation)
            .where(clerks.c.name == name)
            .with_for_update()
        ).first()
        if current is None or current.password_hash != row.password_hash:
            return Attempt(Outcome.WRONG)  # removed or re-keyed meanwhile
        if current.locked_until > now:
            return Attempt(Outcome.LOCKED, locked_until=current.locked_until)
        if correct:
            values: dict[str, object] = {"failed_logins": 0, "locked_until": 0}
            password_hash = current.password_hash
            if HASHER.check_needs_rehash(password_hash):
                password_hash = values["password_hash"] = _hash(password)
            conn.execute(update(clerks).where(clerks.c.name == name).values(**values))
            return Attempt(Outcome.OK, Clerk(name, current.role, _tag(password_hash, current.session_generation)))
        conn.execute(
            update(clerks).where(clerks.c.name == name).values(failed_logins=clerks.c.failed_logins + 1)
        )
        failed = conn.execute(select(clerks.c.failed_logins).where(clerks.c.name == name)).scalar_one()
        if failed >= MAX_FAILURES:
            locked_until = now + LOCKOUT_SECONDS
            conn.execute(
                update(clerks).where(clerks.c.name == name).values(failed_logins=0, locked_until=locked_until)
            )
            return Attempt(Outcome.LOCKED, locked_until=locked_until)
        return Attempt(Outcome.WRONG)


def session_clerk(engine: Engine, name: str, tag: str) -> Clerk | None:
    """The clerk a session names, if the account still exists with the same password and sessions were not ended.

    A lockout does not end a signed-in clerk's session: whoever guesses at a name must not be able to
    sign its owner out."""
    if not isinstance(name, str) or not isinstance(tag, str) or not NAME_PATTERN.fullmatch(name):
        return None
    with read_transaction(engine) as conn:
        row = conn.execute(
            select(clerks.c.role, clerks.c.password_hash, clerks.c.session_generation).where(clerks.c.name == name)
        ).first()
    if row is None or not secrets.compare_digest(_tag(row.password_hash, row.session_generation), tag):
        return None
    return Clerk(name, row.role, tag)
