"""Credential offers (OpenID4VCI pre-authorized code) and the sealed rows that carry them.

The clerk desk calls `create_offer(state, resident, now=...)` once the documents are
checked; the resident scans `Offer.offer_uri` with a wallet. From then until the
wallet has its batch, the resident's attributes exist only in `pending_offers` rows,
each sealed under a key derived from a secret the city hands out and does not keep:

- offer: found by SHA-256(label ‖ pre-authorized code), sealed under HKDF(code, "citykey
  offer v1"); holds the attributes, the transaction code and the failed attempts; deleted
  at redemption, after `TX_CODE_ATTEMPTS` wrong transaction codes, or at expiry;
- offer document: found by SHA-256(label ‖ offer_id), sealed under HKDF(offer_id, "citykey
  offer document v1"); holds the offer JSON (with the code); deleted at redemption or at
  expiry.

Redeeming an offer turns it into an access token, a sealed row of the same kind
(`issuer.tokens`; `issuer.oid4vci` makes and spends them). Offer by reference: the
QR code carries `openid-credential-offer://?credential_offer_uri=<issuer>/offers/<offer_id>`,
short enough for a small QR code. The offer document must be servable by any instance
behind a load balancer, yet readable by no one without the QR code, so it is a sealed row
of its own under a key derived from `offer_id` (128 random bits; nothing else is derived
from it). It is served as often as asked until the code is redeemed or expires, so a
wallet may retry a lost answer or fetch it again once the resident has typed the
transaction code: whoever holds the QR code can read the pre-authorized code, exactly as
with an offer by value, and the transaction code is what stops a photographed QR code
(docs/decisions.md 14). The pre-authorized code is 256 random bits and is never stored;
neither is the offer id or the access token. Each row is AES-256-GCM
with a random 96-bit nonce and the row key as associated data (a blob cannot be moved to
another row), its JSON padded to a multiple of `PAD` bytes so its length says little
about the length of a name. Expired rows are deleted on sight and by `sweep` (run by
every offer, nonce and token request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, delete, insert, select, update

from issuer.batch import check_signable
from issuer.db import nonces, pending_offers, read_transaction, write_transaction
from issuer.statuslists import sweep_renewals
from wallet_spec.encoding import json_dumps, json_loads
from wallet_spec.errors import FormatError, UsageError
from wallet_spec.oid4vci import OFFER_SCHEME, PRE_AUTHORIZED_CODE, PRE_AUTHORIZED_GRANT
from wallet_spec.profile import ADDRESS_PARTS, STANDARD_TYPES, Resident, standard_types

if TYPE_CHECKING:
    from issuer.state import IssuerState

OFFER = "citykey offer v1"
OFFER_DOCUMENT = "citykey offer document v1"

CODE_BYTES = 32
OFFER_ID_BYTES = 16
TX_CODE_LENGTHS = range(4, 9)
"""Digits a transaction code may have: typed by the resident from the clerk's screen."""
TX_CODE_ATTEMPTS = 5
"""Wrong transaction codes an offer survives; the fifth deletes it (the clerk makes a new one)."""
MAX_SECRET_CHARS = 128
"""Longer codes, ids and tokens than any we make are refused before hashing."""
PAD = 256
_VERSION = b"\x01"
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class Offer:
    """What the desk shows: the QR code (`offer_uri`) and, if asked for, a transaction code to read out.

    `pre_authorized_code` is inside the offer document too; the desk needs it only for an offer
    by value. Secrets are left out of `repr`, so logging an Offer leaks neither.
    """

    offer_id: str
    pre_authorized_code: str = field(repr=False)
    offer_uri: str
    expires: int
    tx_code: str | None = field(default=None, repr=False)


# --- sealing ---------------------------------------------------------------


def row_key(kind: str, secret: str) -> bytes:
    """The row's primary key: SHA-256 of the kind's label, a zero byte, and the secret."""
    return hashlib.sha256(kind.encode("ascii") + b"\x00" + secret.encode("ascii")).digest()


def _aead(kind: str, secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=kind.encode("ascii")).derive(
        secret.encode("ascii")
    )
    return AESGCM(key)


def seal(kind: str, secret: str, value: Any) -> bytes:
    """`0x01` ‖ nonce(12) ‖ AES-256-GCM(compact JSON padded with spaces to a multiple of PAD bytes)."""
    plaintext = json_dumps(value).encode("utf-8")
    plaintext += b" " * (-len(plaintext) % PAD)
    nonce = os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + _aead(kind, secret).encrypt(nonce, plaintext, row_key(kind, secret))


def unseal(kind: str, secret: str, blob: bytes) -> Any:
    """The sealed value, or None if `secret` does not open `blob` (or it is damaged)."""
    if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _VERSION:
        return None
    try:
        plaintext = _aead(kind, secret).decrypt(blob[1:13], blob[13:], row_key(kind, secret))
        return json_loads(plaintext, what="sealed row")
    except (InvalidTag, FormatError):
        return None


def plausible_secret(value: Any) -> bool:
    """A code, id or token we could have made: short printable ASCII (checked before any hashing)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_SECRET_CHARS and value.isascii() and value.isprintable()


# --- rows --------------------------------------------------------------------


def put(conn: Connection, kind: str, secret: str, value: Any, *, expires: int) -> None:
    sealed = seal(kind, secret, value)
    conn.execute(insert(pending_offers).values(code_hash=row_key(kind, secret), sealed=sealed, expires=expires))


def replace(conn: Connection, kind: str, secret: str, value: Any) -> None:
    conn.execute(
        update(pending_offers)
        .where(pending_offers.c.code_hash == row_key(kind, secret))
        .values(sealed=seal(kind, secret, value))
    )


def remove(conn: Connection, key: bytes) -> None:
    conn.execute(delete(pending_offers).where(pending_offers.c.code_hash == key))


def take(conn: Connection, kind: str, secret: str, *, now: int, lock: bool = True) -> Any:
    """The live row's value (row-locked on PostgreSQL), or None: unknown, expired (then deleted), unopenable."""
    if not plausible_secret(secret):
        return None
    key = row_key(kind, secret)
    query = select(pending_offers.c.sealed, pending_offers.c.expires).where(pending_offers.c.code_hash == key)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    if row.expires <= now:
        if lock:
            remove(conn, key)
        return None
    value = unseal(kind, secret, bytes(row.sealed))
    return value if isinstance(value, dict) else None


def sweep(conn: Connection, *, now: int) -> None:
    """Delete every expired pending row and nonce, and renewal links that lead to nothing valid."""
    conn.execute(delete(pending_offers).where(pending_offers.c.expires <= now))
    conn.execute(delete(nonces).where(nonces.c.expires <= now))
    sweep_renewals(conn, now=now)


# --- residents as JSON -------------------------------------------------------


def resident_to_json(resident: Resident) -> dict[str, Any]:
    """The inverse of `wallet_spec.profile.resident_from_json`."""
    obj: dict[str, Any] = {
        "given_name": resident.given_name,
        "family_name": resident.family_name,
        "birthdate": resident.birthdate.isoformat(),
        "resident_of": resident.resident_of,
    }
    if resident.address is not None:
        obj["address"] = {
            name: value for name in ADDRESS_PARTS if (value := getattr(resident.address, name)) is not None
        }
    if resident.extra:
        obj["extra"] = dict(resident.extra)
    return obj


def check_issuable(resident: Resident, *, now: int) -> None:
    """Raise the UsageError issuance would raise for these attributes, now, while the resident is at the desk.

    The resident's attributes must be JSON (they wait in a sealed row), and a credential of each
    standard type that holds for them must be signable (`issuer.batch.check_signable`): an extra
    claim that clashes with the profile or overflows a type's digests is found before any offer exists.
    """
    if not isinstance(resident.birthdate, dt.date):
        raise UsageError("birthdate must be a date")
    try:
        json_dumps(resident_to_json(resident))
    except (TypeError, ValueError):
        raise UsageError("the resident's extra claims must be JSON values") from None
    check_signable(resident, standard_types(resident, now=now), now=now)


# --- offers ------------------------------------------------------------------

OFFERED = tuple(kind.name for kind in STANDARD_TYPES)
"""The configurations every offer names, the same for every resident (docs/decisions.md 52)."""


def offer_document(
    issuer: str, code: str, tx_code_length: int | None, configurations: list[str]
) -> dict[str, Any]:
    grant: dict[str, Any] = {PRE_AUTHORIZED_CODE: code}
    if tx_code_length is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": tx_code_length,
            "description": "The code the clerk shows you at the desk",
        }
    return {
        "credential_issuer": issuer,
        "credential_configuration_ids": configurations,
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def create_offer(state: IssuerState, resident: Resident, *, now: int, tx_code_length: int | None = None) -> Offer:
    """A one-time offer of the standard credential types, redeemable for `settings.offer_ttl` seconds.

    Every offer names every standard type (`OFFERED`), whoever it is for: what it names would
    otherwise tell the resident's age to anyone who photographs its QR code and fetches it, and
    to anyone who reads the length of its sealed rows. A fact pass that is not true for the
    resident is refused at the credential endpoint (`credential_request_denied`), to their wallet only.

    With `tx_code_length` (4 to 8), the token request must also carry a transaction code of
    that many digits, which the desk shows the resident (not in the QR code): whoever
    photographs the QR code cannot redeem it. `TX_CODE_ATTEMPTS` wrong codes delete the offer.
    """
    if tx_code_length is not None and tx_code_length not in TX_CODE_LENGTHS:
        raise UsageError(f"a transaction code has {TX_CODE_LENGTHS.start} to {TX_CODE_LENGTHS.stop - 1} digits")
    check_issuable(resident, now=now)
    code = secrets.token_urlsafe(CODE_BYTES)
    offer_id = secrets.token_urlsafe(OFFER_ID_BYTES)
    tx_code = None if tx_code_length is None else f"{secrets.randbelow(10**tx_code_length):0{tx_code_length}d}"
    expires = now + state.settings.offer_ttl
    issuer = state.issuer_id.rstrip("/")
    configurations = list(OFFERED)
    pending = {
        "resident": resident_to_json(resident),
        "configurations": configurations,
        "tx_code": tx_code,
        "attempts": 0,
        "document": row_key(OFFER_DOCUMENT, offer_id).hex(),
    }
    with write_transaction(state.engine) as conn:
        sweep(conn, now=now)
        put(conn, OFFER, code, pending, expires=expires)
        document = offer_document(issuer, code, tx_code_length, configurations)
        put(conn, OFFER_DOCUMENT, offer_id, document, expires=expires)
    uri = f"{issuer}/offers/{offer_id}"
    return Offer(
        offer_id=offer_id,
        pre_authorized_code=code,
        offer_uri=f"{OFFER_SCHEME}?credential_offer_uri={quote(uri, safe='')}",
        expires=expires,
        tx_code=tx_code,
    )


def take_offer_document(state: IssuerState, offer_id: str, *, now: int) -> dict[str, Any] | None:
    """The offer document behind `/offers/<offer_id>` while its code is unredeemed and unexpired."""
    if not plausible_secret(offer_id):
        return None
    with read_transaction(state.engine) as conn:
        document: dict[str, Any] | None = take(conn, OFFER_DOCUMENT, offer_id, now=now, lock=False)
    return document


__all__ = [
    "CODE_BYTES",
    "MAX_SECRET_CHARS",
    "OFFER",
    "OFFERED",
    "OFFER_DOCUMENT",
    "OFFER_ID_BYTES",
    "PAD",
    "TX_CODE_ATTEMPTS",
    "TX_CODE_LENGTHS",
    "Offer",
    "check_issuable",
    "create_offer",
    "offer_document",
    "plausible_secret",
    "put",
    "remove",
    "replace",
    "resident_to_json",
    "row_key",
    "seal",
    "sweep",
    "take",
    "take_offer_document",
    "unseal",
]
