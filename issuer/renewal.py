"""Renewal without a visit: a current credential, fully disclosed, for a fresh batch.

`POST /renewal` (a citykey extension; `citykey_renewal_endpoint` in the issuer metadata):

    {"presentation": "<identity or full credential, every claim disclosed, KB-JWT>",
     "credential_requests": [{"credential_configuration_id": "residency", "proofs": {"jwt": [...]}}, ...],
     "revoke_receipts": ["ckr2...."]}                      (optional)

The presentation is verified like any verifier would, against the issuer's own published
trust bundle (key list: the signing key must be listed and valid at the credential's
`iat`), plus the status bit read from the database (authoritative even before the next
bundle), with key binding required: `aud` the credential issuer id and `nonce` a `c_nonce`
from the nonce endpoint, spent by this request. The key proofs follow the credential
endpoint's rules (`issuer.oid4vci`), their nonces spent too. All configurations of one
request together are one batch: at most `batch_size` credentials, one receipt
(`citykey_receipt`), all signed with the current signing key.

A fact pass that is not true for the resident on the issuance day (`resident-65` for someone of
64) is refused (`fact_not_held`) before anything is spent. The new credentials carry what the
presentation disclosed: an identity credential holds
the name, birthdate and address parts; `resident_of` comes from `settings.city_name`
(or, from a `full` credential, its own `resident_of`); age claims are computed afresh.
A withheld address part cannot be told from a missing one (decoy digests), so it is simply
absent from the new batch: a holder can drop a claim this way, never add or change one.
Receipts are checked (the city's MAC) before anything is issued; their batches are
revoked after the new batch is signed, and the bundle is re-signed at once, so a failure
in between never leaves the holder with nothing.

A renewal spends the credential it presents (docs/decisions.md 16): in one transaction,
after the new batch is signed and before it is returned, the presented credential's
status is read again under lock (`Revoked` if a revocation came first), it is refused if
it was already spent (`AlreadyRenewed`, `already_renewed`), the old receipts' batches
are revoked, and each new credential is linked to the spent one
(`StatusRegistry.renew`). Revoking the spent credential's batch later, by its receipt,
revokes the new batch too, and whatever is renewed from that. Of two renewals racing
with one credential exactly one gets its batch; the other's signed credentials are
discarded (their status indices stay unused).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from issuer import oid4vci
from issuer.batch import issue_credentials, requested
from issuer.db import write_transaction
from issuer.errors import OAuthError
from issuer.receipts import MAX_RECEIPT_CHARS
from issuer.statuslists import StatusRef
from wallet_spec.bundle import load_bundle
from wallet_spec.errors import (
    AlreadyRenewed,
    CitykeyError,
    FactNotHeld,
    FormatError,
    ReceiptInvalid,
    Revoked,
    StatusRefUnknown,
    StatusUnknown,
    VerificationError,
    VerificationFailed,
)
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.profile import (
    ADDRESS_PARTS,
    AGE_CLAIMS,
    CITY_ID,
    CREDENTIAL_TYPES,
    IDENTITY,
    PERSONAL_CLAIMS,
    Resident,
    fact_holds,
    issuance_day,
    resident_from_json,
    verify_credential,
)
from wallet_spec.sdjwt import SdJwt
from wallet_spec.statuslist import status_errors
from wallet_spec.verify import Verified

if TYPE_CHECKING:
    from issuer.state import IssuerState

log = logging.getLogger("citykey.issuer")

RENEWABLE_VCTS = frozenset({IDENTITY.vct, CITY_ID.vct})
"""Credentials that carry every personal attribute: what a renewal must present."""
MAX_PRESENTATION_CHARS = 16_384
MAX_RECEIPTS = 8
REQUIRED_CLAIMS = ("given_name", "family_name", "birthdate")
_REGISTERED = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status"})


def renew(state: IssuerState, body: Any, *, now: int) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise oid4vci.invalid_request("the renewal request must be a JSON object")
    presentation = body.get("presentation")
    if not isinstance(presentation, str) or not 0 < len(presentation) <= MAX_PRESENTATION_CHARS:
        raise oid4vci.invalid_request("presentation must be the compact SD-JWT+KB of a current credential")
    requests = body.get("credential_requests")
    if not isinstance(requests, list) or not 0 < len(requests) <= len(CREDENTIAL_TYPES):
        raise oid4vci.invalid_credential_request("credential_requests must list one request per configuration")
    receipts = body.get("revoke_receipts", [])
    if not isinstance(receipts, list) or len(receipts) > MAX_RECEIPTS:
        raise oid4vci.invalid_request(f"revoke_receipts must be a list of at most {MAX_RECEIPTS} receipts")
    if not all(isinstance(r, str) and len(r) <= MAX_RECEIPT_CHARS for r in receipts):
        raise oid4vci.invalid_request("each receipt must be a receipt string (ckr2 or ckr1)")

    limit = oid4vci.batch_size(state)
    texts: dict[str, list[Any]] = {}
    for item in requests:
        if not isinstance(item, dict):
            raise oid4vci.invalid_credential_request("each credential request must be a JSON object")
        kind = oid4vci.configuration_of(item)
        if kind.name in texts:
            raise oid4vci.invalid_credential_request(f"{kind.name} is requested twice")
        texts[kind.name] = oid4vci.proof_list(item.get("proofs"), limit=limit)
    if sum(map(len, texts.values())) > limit:
        raise oid4vci.invalid_credential_request(f"a renewal is one batch of at most {limit} credentials")

    aud = state.issuer_id.rstrip("/")
    verified = verify_presentation(state, presentation, aud=aud, now=now)
    spent = presented_status(verified.claims)
    resident = resident_from_claims(verified.claims, city=oid4vci.city_name(state))
    refuse_facts_not_held(resident, list(texts), now=now)
    proven = oid4vci.check_proofs([t for group in texts.values() for t in group], aud=aud, now=now)
    assert verified.key_binding is not None  # required by the policy
    used = {*proven.nonces, str(verified.key_binding["nonce"])}

    signing_keys = state.keys  # decrypted once, held in memory
    to_revoke: list[StatusRef] = []
    for receipt in receipts:
        try:
            to_revoke.extend(signing_keys.open_receipt(receipt))
        except ReceiptInvalid as exc:
            raise oid4vci.invalid_request(f"{exc.code}: {exc.message}") from None

    with write_transaction(state.engine) as conn:
        oid4vci.spend_nonces(conn, used, now=now)
    holder_keys: dict[str, list[dict[str, str]]] = {}
    jwks = iter(proven.jwks)
    for name, group in texts.items():
        holder_keys[name] = [next(jwks) for _ in group]
    credentials, refs = issue_credentials(
        resident, requested(holder_keys), keys=signing_keys, registry=state.registry, now=now
    )
    expires = max(int(SdJwt.parse(text).payload()["exp"]) for text in credentials)
    try:
        revoked = state.registry.renew(spent, refs, expires=expires, revoke=to_revoke)
    except (Revoked, AlreadyRenewed) as exc:  # a revocation or another renewal came first
        raise OAuthError("invalid_grant", f"the presentation is refused: {exc.code}: {exc.message}") from None
    except StatusRefUnknown as exc:
        raise oid4vci.invalid_request(f"{exc.code}: {exc.message}") from None
    if to_revoke:
        try:
            state.republish()
        except CitykeyError as exc:  # the revocation is committed; the hourly re-signing will publish it
            log.error("renewal: could not re-sign the trust bundle: %s: %s", exc.code, exc.message)
    else:
        oid4vci.publish_new_lists(state, refs)
    issued = iter(credentials)
    return {
        "credential_responses": [
            {"credential_configuration_id": name, "credentials": [{"credential": next(issued)} for _ in keys]}
            for name, keys in holder_keys.items()
        ],
        "citykey_receipt": signing_keys.receipt(refs),
        "revoked": revoked,
    }


def refuse_facts_not_held(resident: Resident, names: list[str], *, now: int) -> None:
    """`invalid_credential_request` (fact_not_held) for a fact pass that is not true today, before anything is spent."""
    day = issuance_day(now)
    refused = [name for name in names if not fact_holds(CREDENTIAL_TYPES[name], resident.birthdate, day)]
    if refused:
        error = FactNotHeld(f"{', '.join(refused)} states a fact that is not true for this resident today")
        raise oid4vci.invalid_credential_request(f"{error.code}: {error.message}")


def verify_presentation(state: IssuerState, presentation: str, *, aud: str, now: int) -> Verified:
    """Check the presented credential as a verifier would, with key binding to this issuer."""
    try:
        bundle = load_bundle(state.published.bundle, state.store.root_thumbprint, now=now)
    except CitykeyError as exc:  # our own bundle: a server problem, not the wallet's
        problem = f"the issuer's trust bundle is unusable: {exc.code}"
        raise OAuthError("server_error", problem, status=503) from None

    def status_bit(uri: Any, idx: Any) -> int:
        for listed, bits in state.registry.lists():
            if listed == uri:
                try:
                    return bits.get(idx)
                except (IndexError, TypeError):
                    break
        raise StatusUnknown("the credential's status list is not this issuer's")

    def spendable(claims: Mapping[str, Any]) -> list[VerificationError]:
        """Valid in the status list, and not yet used to renew (only a read: `renew` decides, atomically)."""
        errors = status_errors(claims, status_bit)
        if errors:
            return errors
        status = claims.get("status")
        ref = status.get("status_list") if isinstance(status, Mapping) else None
        if isinstance(ref, Mapping) and state.registry.renewed(StatusRef(str(ref["uri"]), int(ref["idx"]))):
            return [AlreadyRenewed("this credential was already used to renew; a credential renews once")]
        return []

    policy = KeyBindingPolicy(
        required=True, nonce=None, aud=aud, max_age=oid4vci.PROOF_MAX_AGE, leeway=oid4vci.CLOCK_LEEWAY
    )
    try:
        return verify_credential(
            presentation,
            bundle.issuer_key,
            key_binding=policy,
            now=now,
            vcts=RENEWABLE_VCTS,
            extra_checks=spendable,
        )
    except VerificationFailed as exc:
        raise OAuthError("invalid_grant", f"the presentation is refused: {', '.join(exc.codes)}") from None
    except FormatError as exc:
        raise oid4vci.invalid_request(f"the presentation is unreadable: {exc.code}") from None


def presented_status(claims: Mapping[str, Any]) -> StatusRef:
    """The presented credential's status reference (the profile check made sure it is there)."""
    ref = claims["status"]["status_list"]
    return StatusRef(ref["uri"], ref["idx"])


def resident_from_claims(claims: Mapping[str, Any], *, city: str) -> Resident:
    """The attributes a fully disclosed identity (or full) credential carries, for re-issuing."""
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise OAuthError("invalid_grant", f"a renewal must disclose every claim; missing: {', '.join(missing)}")
    obj: dict[str, Any] = {name: claims[name] for name in REQUIRED_CLAIMS}
    obj["resident_of"] = claims.get("resident_of") or city
    address = claims.get("address")
    if isinstance(address, Mapping):
        parts = {name: address[name] for name in ADDRESS_PARTS if name in address}
        if parts:
            obj["address"] = parts
    known = _REGISTERED | set(PERSONAL_CLAIMS) | set(AGE_CLAIMS) | {"resident_of"}
    extra = {name: value for name, value in claims.items() if name not in known}
    if extra:
        obj["extra"] = extra
    try:
        return resident_from_json(obj)
    except FormatError as exc:
        raise OAuthError("invalid_grant", f"the disclosed claims cannot be re-issued: {exc.message}") from None
