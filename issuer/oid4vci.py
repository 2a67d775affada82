"""OpenID4VCI 1.0, pre-authorized code flow: metadata, token, nonce and credential endpoints' logic.

The routes (`issuer/api/oid4vci.py`) only read requests and write responses; every
decision is here, raising `OAuthError` with the names the specification gives:

- token endpoint (RFC 6749 §5.2, OpenID4VCI §6.3): `invalid_request` (a parameter
  missing or repeated; a transaction code missing or not expected), `invalid_grant`
  (unknown, used or expired code; wrong transaction code), `unsupported_grant_type`;
- credential endpoint (§8.3.1): `invalid_token` (401, with `WWW-Authenticate`),
  `invalid_credential_request`, `unknown_credential_configuration`, `invalid_proof`,
  `invalid_nonce`, and `credential_request_denied` for a fact pass that is not true for the
  token's resident today (every offer names every standard type; this is where the ones a
  resident is not given fall away, seen by their wallet alone).

What a token allows: one enrolment is one batch of at most `batch_size` credentials
(`settings.max_batch`, capped at `issuer.batch.MAX_BATCH`) with one revocation receipt.
The wallet fetches it in one credential request per configuration (the specification
allows one configuration per request), each with up to `batch_size` proofs, until the
token's allowance is spent; a request for more than the batch size, or than the
allowance left, is refused whole (`invalid_credential_request`), never truncated.
Every response carries, as the extension member `citykey_receipt`, a receipt over
every credential issued with the token so far: the last one covers the batch.

Key proofs are `openid4vci-proof+jwt` JWTs, ES256, the holder key in the `jwk` header
(proving possession of it; it is the key to bind, not a key to trust), `aud` the
credential issuer id, `iat` within `PROOF_MAX_AGE` (plus `CLOCK_LEEWAY`), `nonce` a
`c_nonce` from the nonce endpoint. A `c_nonce` is single use: the nonces a successful
request carries (usually one, shared by its proofs) are spent by it; the wallet asks
for a fresh one per request. Nonces are stored as SHA-256 hashes with their expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, delete, insert

from issuer import offers, tokens
from issuer.batch import MAX_BATCH, issue_credentials
from issuer.db import nonces, read_transaction, write_transaction
from issuer.errors import OAuthError
from issuer.statuslists import StatusRef
from wallet_spec import jws
from wallet_spec.encoding import is_int
from wallet_spec.errors import CitykeyError, FormatError, KeyInvalid
from wallet_spec.jwk import holds_private_key, public_jwk, public_key_from_jwk, thumbprint
from wallet_spec.oid4vci import FORMAT, PRE_AUTHORIZED_GRANT, PROOF_TYP, REQUEST_DENIED
from wallet_spec.profile import CREDENTIAL_TYPES, CredentialType, fact_holds, issuance_day, resident_from_json

if TYPE_CHECKING:
    from issuer.state import IssuerState

log = logging.getLogger("citykey.issuer")

NONCE_TTL = 300
PROOF_MAX_AGE = 300
CLOCK_LEEWAY = 60
MAX_PROOF_CHARS = 4096

_NONCE_LABEL = b"citykey c_nonce v1\x00"

CLAIM_NAMES = {
    "given_name": "Given name",
    "family_name": "Family name",
    "birthdate": "Date of birth",
    "address": "Address",
    "resident_of": "Resident of",
}
TYPE_NAMES = {
    "residency": "Residency pass (18, 21, 65)",
    "residency-youth": "Residency pass (13, 16)",
    "residency-senior": "Residency pass (55, 62)",
    "identity": "Identity",
    "full": "City ID (everything)",
}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_credential_request(description: str) -> OAuthError:
    return OAuthError("invalid_credential_request", description)


def invalid_proof(description: str) -> OAuthError:
    return OAuthError("invalid_proof", description)


def invalid_token(description: str, *, anonymous: bool = False) -> OAuthError:
    return OAuthError("invalid_token", description, status=401, bearer=True, anonymous=anonymous)


# --- metadata ---------------------------------------------------------------------


def batch_size(state: IssuerState) -> int:
    return max(1, min(state.settings.max_batch, MAX_BATCH))


def city_name(state: IssuerState) -> str:
    """`resident_of` for renewed passes: the setting, else the key store's issuer id's host (as the desk does)."""
    issuer = state.store.issuer_id
    return state.settings.city_name or urlsplit(issuer).hostname or issuer


def _claims(kind: CredentialType) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in sorted(kind.carries - {"extra"}):
        entry: dict[str, Any] = {"path": [name]}
        if name in CLAIM_NAMES:
            entry["display"] = [{"name": CLAIM_NAMES[name], "locale": "en"}]
        found.append(entry)
        if name == "address":
            found.extend({"path": ["address", part]} for part in ("street_address", "locality", "postal_code"))
    return found


def configuration(kind: CredentialType) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "vct": kind.vct,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": sorted(jws.ALLOWED_ALGORITHMS),
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": sorted(jws.ALLOWED_ALGORITHMS)}},
        "credential_metadata": {
            "display": [{"name": TYPE_NAMES.get(kind.name, kind.name), "locale": "en"}],
            "claims": _claims(kind),
        },
    }


def issuer_metadata(state: IssuerState) -> dict[str, Any]:
    """`/.well-known/openid-credential-issuer` (§12.2). `citykey_renewal_endpoint` is our extension."""
    issuer = state.issuer_id.rstrip("/")
    metadata: dict[str, Any] = {
        "credential_issuer": issuer,
        "credential_endpoint": f"{issuer}/credential",
        "nonce_endpoint": f"{issuer}/nonce",
        "display": [{"name": city_name(state), "locale": "en"}],
        "credential_configurations_supported": {name: configuration(kind) for name, kind in CREDENTIAL_TYPES.items()},
        "citykey_renewal_endpoint": f"{issuer}/renewal",
    }
    if batch_size(state) >= 2:  # the specification: batch_size "MUST be 2 or greater"
        metadata["batch_credential_issuance"] = {"batch_size": batch_size(state)}
    return metadata


def authorization_server_metadata(state: IssuerState) -> dict[str, Any]:
    """RFC 8414 metadata: the issuer is its own authorization server, for pre-authorized codes only."""
    issuer = state.issuer_id.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# --- token endpoint ------------------------------------------------------------------


def redeem(state: IssuerState, params: Mapping[str, str], *, now: int) -> dict[str, Any]:
    """The token request: a pre-authorized code (and transaction code) for an access token.

    `params` is the form, each name once (`issuer.api.bodies.read_form` refuses a repeated one).
    Redemption deletes the offer and its document; a wrong transaction code counts an
    attempt (inside the sealed row), and the `TX_CODE_ATTEMPTS`-th deletes the offer.
    """
    one = params.get
    grant_type = one("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is missing")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", f"this issuer accepts only {PRE_AUTHORIZED_GRANT}")
    code = one("pre-authorized_code")
    if not code:
        raise invalid_request("pre-authorized_code is missing")
    tx_code = one("tx_code")
    unknown = OAuthError("invalid_grant", "the pre-authorized code is unknown, used or expired")
    if not offers.plausible_secret(code):
        raise unknown

    failure: OAuthError | None = None
    token = ""
    with write_transaction(state.engine) as conn:
        offers.sweep(conn, now=now)
        pending = offers.take(conn, offers.OFFER, code, now=now)
        if pending is None:
            failure = unknown
        elif pending.get("tx_code") is None and tx_code is not None:
            raise invalid_request("this offer has no transaction code; do not send tx_code")
        elif pending.get("tx_code") is not None and tx_code is None:
            raise invalid_request("this offer needs its transaction code (tx_code), shown at the desk")
        elif pending.get("tx_code") is not None and not _same(str(tx_code), str(pending["tx_code"])):
            attempts = int(pending.get("attempts", 0)) + 1
            left = offers.TX_CODE_ATTEMPTS - attempts
            if left <= 0:
                _forget_offer(conn, code, pending)
                failure = OAuthError("invalid_grant", "wrong transaction code; the offer is withdrawn: ask the desk")
            else:
                offers.replace(conn, offers.OFFER, code, {**pending, "attempts": attempts})
                failure = OAuthError("invalid_grant", f"wrong transaction code; {left} attempt(s) left")
        else:
            _forget_offer(conn, code, pending)
            token = tokens.new_token(
                conn, pending["resident"], pending["configurations"], allowed=batch_size(state), now=now
            )
    if failure is not None:
        raise failure  # after the commit: an expired row's deletion and a counted attempt stay done
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": tokens.TOKEN_TTL,
        "citykey_credentials_allowed": batch_size(state),
    }


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _forget_offer(conn: Connection, code: str, pending: Mapping[str, Any]) -> None:
    offers.remove(conn, offers.row_key(offers.OFFER, code))
    document = pending.get("document")
    if isinstance(document, str):
        offers.remove(conn, bytes.fromhex(document))


# --- nonce endpoint ----------------------------------------------------------------------


def nonce_key(nonce: str) -> bytes:
    return hashlib.sha256(_NONCE_LABEL + nonce.encode("utf-8")).digest()


def new_nonce(state: IssuerState, *, now: int) -> str:
    """A fresh `c_nonce` (256 random bits), remembered as a hash until it is used or expires."""
    nonce = secrets.token_urlsafe(32)
    with write_transaction(state.engine) as conn:
        offers.sweep(conn, now=now)
        conn.execute(insert(nonces).values(nonce_hash=nonce_key(nonce), expires=now + NONCE_TTL))
    return nonce


def spend_nonces(conn: Connection, used: set[str], *, now: int) -> None:
    """Delete every nonce in `used`, all or nothing: `invalid_nonce` if one is unknown, spent or expired.

    Raised inside the caller's transaction, so nothing is spent when one is refused.
    """
    keys = [nonce_key(n) for n in sorted(used)]
    spent = conn.execute(delete(nonces).where(nonces.c.nonce_hash.in_(keys), nonces.c.expires > now)).rowcount
    if spent != len(keys):
        raise OAuthError("invalid_nonce", "a proof's c_nonce is unknown, used or expired; get a fresh one")


# --- key proofs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proven:
    """Holder keys proven by a request's proofs, and the nonces the proofs carry."""

    jwks: list[dict[str, str]]
    nonces: set[str]


def proof_list(proofs: Any, *, limit: int) -> list[Any]:
    """The `proofs` member's `jwt` array, shape checked: `invalid_proof`, or too many: `invalid_credential_request`."""
    if proofs is None:
        raise invalid_proof("proofs is missing: each credential needs a proof of its holder key")
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise invalid_proof("proofs must hold exactly one proof type")
    if "jwt" not in proofs:
        raise invalid_proof(f"unsupported proof type {next(iter(proofs))!r}; this issuer accepts jwt")
    found = proofs["jwt"]
    if not isinstance(found, list) or not found:
        raise invalid_proof("proofs.jwt must be a non-empty array of JWTs")
    if len(found) > limit:
        raise invalid_credential_request(f"{len(found)} proofs exceed the batch size of {limit}")
    return found


def check_proofs(texts: Sequence[Any], *, aud: str, now: int) -> Proven:
    """Verify each key proof; one holder key per proof, each key at most once."""
    jwks = []
    used: set[str] = set()
    for text in texts:
        jwk, nonce = check_proof(text, aud=aud, now=now)
        jwks.append(jwk)
        used.add(nonce)
    if len({thumbprint(j) for j in jwks}) != len(jwks):
        raise invalid_proof("two proofs are for the same key; each credential needs its own holder key")
    return Proven(jwks, used)


def check_proof(text: Any, *, aud: str, now: int) -> tuple[dict[str, str], str]:
    """One `openid4vci-proof+jwt` (§F.1 and §F.4): its holder key (public JWK) and its nonce."""
    if not isinstance(text, str) or len(text) > MAX_PROOF_CHARS:
        raise invalid_proof(f"a proof must be a compact JWT of at most {MAX_PROOF_CHARS} characters")
    try:
        token = jws.parse(text, what="key proof")
    except FormatError as exc:
        raise invalid_proof(exc.message) from None
    problems = jws.header_errors(token.header, typ=PROOF_TYP, what="key proof")
    if problems:
        raise invalid_proof(problems[0].message)
    if "kid" in token.header or "x5c" in token.header:
        raise invalid_proof("a key proof names its key in the jwk header only (no kid, no x5c)")
    jwk = token.header.get("jwk")
    if not isinstance(jwk, dict):
        raise invalid_proof("a key proof must carry the holder's public key in its jwk header")
    if holds_private_key(jwk):
        raise invalid_proof("the jwk header carries a private key")
    try:
        key = public_key_from_jwk(jwk)
    except KeyInvalid as exc:
        raise invalid_proof(exc.message) from None
    if not jws.signature_valid(token, key):
        raise invalid_proof("the key proof's signature does not verify with its jwk")
    claims = token.payload
    if not isinstance(claims.get("aud"), str) or not _same(claims["aud"], aud):
        raise invalid_proof("the key proof's aud is not this credential issuer")
    iat = claims.get("iat")
    if not is_int(iat):
        raise invalid_proof("the key proof's iat must be an integer")
    if not now - PROOF_MAX_AGE - CLOCK_LEEWAY <= iat <= now + CLOCK_LEEWAY:
        raise invalid_proof(f"the key proof's iat is outside the accepted {PROOF_MAX_AGE}s window")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce or len(nonce) > offers.MAX_SECRET_CHARS:
        raise invalid_proof("the key proof carries no c_nonce; get one from the nonce endpoint")
    return public_jwk(key), nonce


# --- credential endpoint ---------------------------------------------------------------------


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise invalid_token("the credential endpoint needs an access token (Authorization: Bearer)", anonymous=True)
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not offers.plausible_secret(token):
        raise invalid_token("the Authorization header must be Bearer and an access token")
    return token


def configuration_of(body: Mapping[str, Any]) -> CredentialType:
    if "credential_identifier" in body:
        raise invalid_credential_request("this issuer returns no credential identifiers; name the configuration")
    name = body.get("credential_configuration_id")
    if not isinstance(name, str) or not name:
        raise invalid_credential_request("credential_configuration_id is missing")
    if name not in CREDENTIAL_TYPES:
        raise OAuthError("unknown_credential_configuration", "no such credential configuration")
    return CREDENTIAL_TYPES[name]


def credential(state: IssuerState, authorization: str | None, body: Any, *, now: int) -> dict[str, Any]:
    """One credential request: the token's resident, one configuration, one credential per proven key."""
    token = bearer_token(authorization)
    expired = invalid_token("the access token is unknown, spent or expired")
    with read_transaction(state.engine) as conn:  # a first look, unlocked: the reservation below locks and spends
        grant = tokens.take_grant(conn, token, now=now, lock=False)
    if grant is None:
        raise expired
    if not isinstance(body, dict):
        raise invalid_credential_request("the credential request must be a JSON object")
    kind = configuration_of(body)
    if kind.name not in grant["configurations"]:
        raise invalid_credential_request(f"{kind.name} was not offered with this access token")
    resident = resident_from_json(grant["resident"])
    if not fact_holds(kind, resident.birthdate, issuance_day(now)):  # before anything is spent
        raise OAuthError(REQUEST_DENIED, f"a {kind.name} pass states a fact that is not true for you today")
    texts = proof_list(body.get("proofs"), limit=batch_size(state))
    if len(texts) > grant["remaining"]:
        raise invalid_credential_request(f"this access token allows {grant['remaining']} more credential(s)")
    proven = check_proofs(texts, aud=state.issuer_id.rstrip("/"), now=now)
    keys = [thumbprint(jwk) for jwk in proven.jwks]
    _refuse_seen_keys(grant, keys)
    # Decrypted once per key-store reload (`IssuerState.republish`), held in memory only; asked for
    # here so that a key store that cannot serve fails the request before anything is spent.
    signing_keys = state.keys

    # Reserve: spend the nonces and the allowance in one transaction (the token row is locked), so two
    # concurrent requests cannot both have the last credentials. Nothing is spent if one is refused.
    reserved = False
    with write_transaction(state.engine) as conn:
        grant = tokens.take_grant(conn, token, now=now)
        if grant is not None and len(texts) <= grant["remaining"]:
            _refuse_seen_keys(grant, keys)  # again under the row lock: a concurrent request may have used one
            spend_nonces(conn, proven.nonces, now=now)
            grant["keys"] = [*grant.get("keys", []), *keys]
            grant["remaining"] -= len(texts)
            grant["pending"] += 1
            tokens.save_grant(conn, token, grant)
            reserved = True
    if grant is None:
        raise expired
    if not reserved:  # a concurrent request took the allowance meanwhile
        raise invalid_credential_request(f"this access token allows {grant['remaining']} more credential(s)")

    issued: list[StatusRef] = []
    try:
        credentials, issued = issue_credentials(
            resident,
            [(kind, jwk) for jwk in proven.jwks],
            keys=signing_keys,
            registry=state.registry,
            now=now,
        )
    finally:
        refs, remaining = _record(state, token, issued, now=now)
    publish_new_lists(state, issued)
    return {
        "credentials": [{"credential": text} for text in credentials],
        "citykey_receipt": signing_keys.receipt(refs),
        "citykey_credentials_remaining": remaining,
    }


def _refuse_seen_keys(grant: Mapping[str, Any], keys: Sequence[str]) -> None:
    """`invalid_proof` if a holder key was already bound to a credential of this batch (linkable otherwise)."""
    if set(keys) & set(grant.get("keys", [])):
        raise invalid_proof(
            "a holder key was already used for another credential of this batch; each credential needs its own key"
        )


def publish_new_lists(state: IssuerState, refs: Sequence[StatusRef]) -> None:
    """Re-sign the bundle at once when a credential's status list is not in it yet (a list just opened).

    Otherwise verifiers would answer `status_unknown` for it until the next scheduled re-signing.
    A failure is logged, not raised: the credentials are issued, and the timer retries.
    """
    if all(ref.uri in state.published.status_uris for ref in refs):  # read when the bundle was signed
        return
    try:
        state.republish()
    except CitykeyError as exc:
        log.error("could not publish a new status list: %s: %s", exc.code, exc.message)


def _record(state: IssuerState, token: str, issued: list[StatusRef], *, now: int) -> tuple[list[StatusRef], int]:
    """Add this request's status refs to the token's; delete the token once spent and nothing is in flight.

    Returns every ref issued with the token so far (just this request's if the token is gone).
    """
    with write_transaction(state.engine) as conn:
        grant = tokens.take_grant(conn, token, now=now)
        if grant is None:
            return issued, 0
        refs = [StatusRef(uri, idx) for uri, idx in grant["refs"]] + issued
        grant["refs"] = [[ref.uri, ref.idx] for ref in refs]
        grant["pending"] -= 1
        if grant["remaining"] <= 0 and grant["pending"] <= 0:
            tokens.drop_token(conn, token)
        else:
            tokens.save_grant(conn, token, grant)
        return refs, int(grant["remaining"])


__all__ = [
    "CLAIM_NAMES",
    "CLOCK_LEEWAY",
    "MAX_PROOF_CHARS",
    "NONCE_TTL",
    "PROOF_MAX_AGE",
    "TYPE_NAMES",
    "Proven",
    "authorization_server_metadata",
    "batch_size",
    "bearer_token",
    "check_proof",
    "check_proofs",
    "city_name",
    "configuration",
    "configuration_of",
    "credential",
    "invalid_credential_request",
    "invalid_proof",
    "invalid_request",
    "invalid_token",
    "issuer_metadata",
    "new_nonce",
    "nonce_key",
    "proof_list",
    "publish_new_lists",
    "redeem",
    "spend_nonces",
]
