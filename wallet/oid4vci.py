"""The reference wallet's OpenID4VCI client: receive a batch from a credential offer, and renew it.

`receive(wallet, offer_uri, http=...)` runs the pre-authorized code flow of OpenID4VCI 1.0:
the offer (by reference or by value), the credential issuer's metadata, the authorization
server's metadata (RFC 8414) for the token endpoint, the token request (with the
transaction code, if the offer asks for one), then for each offered configuration a fresh
`c_nonce` and one credential request with `per_type` key proofs (`openid4vci-proof+jwt`,
one new holder key each). `renew(wallet, issuer, http=...)` presents the wallet's identity
credential, fully disclosed and bound to a `c_nonce`, at the issuer's
`citykey_renewal_endpoint` for a fresh batch, revoking the old one with its receipts.

Both work on the wallet model in place (the caller saves it) over an `httpx.Client`
they are given: the CLI passes a real one, tests FastAPI's TestClient. Every URL
must be https, except http to 127.0.0.1 or localhost (a local demo, tests).
Redirects are not followed. The issuer's refusals raise `IssuerRefused` (its OAuth
error code and description); anything wrong with the offer, the metadata or the
caller's request raises `ClientError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx

from citykey_io.clock import Clock, now
from wallet.model import Wallet
from wallet_spec import jws
from wallet_spec.encoding import json_loads
from wallet_spec.errors import CitykeyError, FormatError
from wallet_spec.jwk import PrivateKey, private_key_from_jwk, public_jwk, thumbprint
from wallet_spec.oid4vci import (
    AUTHORIZATION_SERVER_METADATA,
    FORMAT,
    ISSUER_METADATA,
    JSON_MEDIA_TYPE,
    PRE_AUTHORIZED_CODE,
    PRE_AUTHORIZED_GRANT,
    PROOF_TYP,
    PROOF_TYPE,
    REQUEST_DENIED,
)
from wallet_spec.profile import CITY_ID, IDENTITY, STANDARD_TYPES, fact_holds, issuance_day
from wallet_spec.sdjwt import SdJwt, unfold

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_RESPONSE_BYTES = 1 << 20

TxCode = str | Callable[[Mapping[str, Any]], str | None] | None
"""A transaction code, or a function asked with the offer's `tx_code` object (the wallet's prompt)."""


class ClientError(Exception):
    """The offer, the issuer's metadata or the request cannot be used (exit 2 in the CLI)."""


class IssuerRefused(Exception):
    """The issuer answered with an error (exit 1 in the CLI)."""

    def __init__(self, error: str, description: str, status: int) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


def check_url(url: Any, *, what: str) -> str:
    """An https URL (or http to this machine), without fragment; returned as given."""
    if not isinstance(url, str):
        raise ClientError(f"{what} must be a URL")
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not local:
        raise ClientError(f"{what} must be an https URL (http only to 127.0.0.1 or localhost): {url!r}")
    if parts.fragment or parts.username or parts.password:
        raise ClientError(f"{what} must not carry a fragment or credentials: {url!r}")
    return url


def well_known(identifier: str, suffix: str) -> str:
    """RFC 8414 §3 / OpenID4VCI §12.2.2: `/.well-known/<suffix>` goes between host and path."""
    parts = urlsplit(identifier)
    return urlunsplit((parts.scheme, parts.netloc, f"/.well-known/{suffix}{parts.path.rstrip('/')}", "", ""))


def parse_offer_uri(text: str) -> tuple[str | None, dict[str, Any] | None]:
    """`(credential_offer_uri, None)` for an offer by reference, `(None, offer)` for one by value."""
    query = parse_qs(urlsplit(text.strip()).query)
    by_reference, by_value = query.get("credential_offer_uri"), query.get("credential_offer")
    if bool(by_reference) == bool(by_value) or len(by_reference or by_value or ()) != 1:
        raise ClientError("a credential offer carries exactly one credential_offer_uri or credential_offer")
    if by_reference:
        return check_url(by_reference[0], what="the credential_offer_uri"), None
    assert by_value is not None
    try:
        offer = json_loads(by_value[0], what="credential_offer")
    except FormatError as exc:
        raise ClientError(exc.message) from None
    if not isinstance(offer, dict):
        raise ClientError("credential_offer must be a JSON object")
    return None, offer


def make_proof(key: PrivateKey, *, aud: str, nonce: str | None, iat: int) -> str:
    """A key proof (OpenID4VCI §F.1): the holder key in the header, signed by it."""
    claims: dict[str, Any] = {"aud": aud, "iat": iat}
    if nonce is not None:
        claims["nonce"] = nonce
    return jws.sign({"typ": PROOF_TYP, "jwk": public_jwk(key)}, claims, key)


class Client:
    """The HTTP side: each call returns the JSON object answered, or raises."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def _json(self, response: httpx.Response, *, what: str) -> dict[str, Any]:
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise ClientError(f"{what}: the answer is larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            body = json_loads(response.content, what=what)
        except FormatError:
            body = None
        if response.status_code >= 400:
            if isinstance(body, dict) and isinstance(body.get("error"), str):
                raise IssuerRefused(body["error"], str(body.get("error_description", "")), response.status_code)
            raise IssuerRefused(f"http_{response.status_code}", f"{what} failed", response.status_code)
        if response.status_code != 200 or not isinstance(body, dict):
            raise ClientError(f"{what}: expected a JSON object with status 200, got {response.status_code}")
        return body

    def get(self, url: str, *, what: str) -> dict[str, Any]:
        return self._json(self.http.get(check_url(url, what=what), headers={"Accept": JSON_MEDIA_TYPE}), what=what)

    def post_form(self, url: str, form: Mapping[str, str], *, what: str) -> dict[str, Any]:
        return self._json(self.http.post(check_url(url, what=what), data=dict(form)), what=what)

    def post_json(self, url: str, body: Any, *, what: str, token: str | None = None) -> dict[str, Any]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return self._json(self.http.post(check_url(url, what=what), json=body, headers=headers), what=what)

    def metadata(self, issuer: str) -> dict[str, Any]:
        """The credential issuer's metadata; its `credential_issuer` must be `issuer` exactly (§12.2.2)."""
        found = self.get(well_known(issuer, ISSUER_METADATA), what="the issuer metadata")
        if found.get("credential_issuer") != issuer:
            raise ClientError("the issuer metadata names another credential issuer; refusing it")
        if not isinstance(found.get("credential_configurations_supported"), dict):
            raise ClientError("the issuer metadata lists no credential configurations")
        return found

    def token_endpoint(self, issuer: str, metadata: Mapping[str, Any]) -> str:
        servers = metadata.get("authorization_servers")
        server = servers[0] if isinstance(servers, list) and servers else issuer
        found = self.get(
            well_known(check_url(server, what="the authorization server"), AUTHORIZATION_SERVER_METADATA),
            what="the authorization server metadata",
        )
        if found.get("issuer") != server:
            raise ClientError("the authorization server metadata names another issuer; refusing it")
        return check_url(found.get("token_endpoint"), what="the token endpoint")

    def nonce(self, endpoint: str | None) -> str | None:
        if endpoint is None:
            return None
        found = self.post_form(endpoint, {}, what="the nonce request").get("c_nonce")
        if not isinstance(found, str) or not found:
            raise ClientError("the nonce endpoint answered no c_nonce")
        return found


@dataclass
class Received:
    issuer: str
    credentials: dict[str, int] = field(default_factory=dict)
    """Credentials imported, by configuration."""
    denied: list[str] = field(default_factory=list)
    """Configurations offered that the issuer does not give this resident (`credential_request_denied`)."""
    receipt: bool = False
    revoked: int = 0

    @property
    def total(self) -> int:
        return sum(self.credentials.values())


def _new_keys(wallet: Wallet, count: int) -> list[PrivateKey]:
    return [private_key_from_jwk(wallet.holder_keys[thumbprint(jwk)]) for jwk in wallet.new_holder_keys(count)]


def _forget_keys(wallet: Wallet, keys: list[PrivateKey]) -> None:
    """Drop holder keys no credential was bound to (a refused request)."""
    bound = {c.holder_kid for c in wallet.credentials}
    for key in keys:
        kid = thumbprint(key)
        if kid not in bound:
            wallet.holder_keys.pop(kid, None)


def _import(wallet: Wallet, texts: Any, *, vct: Any, keys: list[PrivateKey]) -> int:
    """Import credentials answered for `keys`: each of the wanted type, bound to one of them."""
    if not isinstance(texts, list) or not texts or len(texts) > len(keys):
        raise ClientError("the issuer answered no credentials, or more than were asked for")
    wanted = {thumbprint(k) for k in keys}
    for item in texts:
        text = item.get("credential") if isinstance(item, dict) else None
        if not isinstance(text, str):
            raise ClientError("each credential must be an object with a credential string")
        try:
            payload = SdJwt.parse(text).payload()
            cnf = payload.get("cnf")
            kid = thumbprint(cnf["jwk"]) if isinstance(cnf, dict) and "jwk" in cnf else None
            if payload.get("vct") != vct or kid not in wanted:
                raise ClientError("a credential is not of the type asked for, or not bound to a key of this request")
            wallet.import_credential(text)
        except CitykeyError as exc:
            raise ClientError(f"a credential cannot be imported: {exc.code}: {exc.message}") from None
    return len(texts)


def _configurations(metadata: Mapping[str, Any], names: list[str]) -> dict[str, Mapping[str, Any]]:
    supported = metadata["credential_configurations_supported"]
    found = {
        n: supported[n] for n in names if isinstance(supported.get(n), dict) and supported[n].get("format") == FORMAT
    }
    if not found:
        raise ClientError(f"the issuer offers none of {', '.join(names)} as {FORMAT}")
    return found


def _standard_names(claims: Mapping[str, Any], *, now: int) -> list[str]:
    """The standard types for the holder of these claims: the fact passes only when true on the day."""
    try:
        birthdate = dt.date.fromisoformat(str(claims.get("birthdate")))
    except ValueError:
        raise ClientError("the identity credential carries no readable birthdate to renew with") from None
    day = issuance_day(now)
    return [kind.name for kind in STANDARD_TYPES if fact_holds(kind, birthdate, day)]


def _batch_size(metadata: Mapping[str, Any]) -> int:
    batch = metadata.get("batch_credential_issuance")
    size = batch.get("batch_size") if isinstance(batch, dict) else None
    return size if isinstance(size, int) and size > 0 else 1


DEFAULT_PER_TYPE = 2
"""Credentials of each type when the caller names no count, fewer if the issuer's batch is smaller."""


def _check_counts(metadata: Mapping[str, Any], per_type: int | None, types: int) -> int:
    """How many of each type: `per_type`, or the default that fits; a citykey token allows one batch in
    all, `batch_size` credentials over every configuration (a resident of 65 is offered 12 types)."""
    limit = _batch_size(metadata)
    if per_type is None:
        per_type = max(1, min(DEFAULT_PER_TYPE, limit // max(1, types)))
    if not 1 <= per_type <= limit or per_type * types > limit:
        raise ClientError(
            f"{per_type} credential(s) of each of {types} types exceed the issuer's batch of {limit}; "
            f"ask for at most {max(1, limit // types)} per type"
        )
    return per_type


def receive(
    wallet: Wallet,
    offer_uri: str,
    *,
    http: httpx.Client,
    tx_code: TxCode = None,
    per_type: int | None = None,
    clock: Clock = now,
) -> Received:
    """Redeem a credential offer and import its batch into `wallet` (also when a later request fails)."""
    client = Client(http)
    reference, offer = parse_offer_uri(offer_uri)
    if reference is not None:
        offer = client.get(reference, what="the credential offer")
    assert offer is not None
    issuer = check_url(offer.get("credential_issuer"), what="the offer's credential_issuer")
    grants = offer.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    code = grant.get(PRE_AUTHORIZED_CODE) if isinstance(grant, dict) else None
    if not isinstance(grant, dict) or not isinstance(code, str) or not code:
        raise ClientError("the offer carries no pre-authorized code")
    names = offer.get("credential_configuration_ids")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ClientError("the offer names no credential configurations")

    metadata = client.metadata(issuer)
    configurations = _configurations(metadata, names)
    per_type = _check_counts(metadata, per_type, len(configurations))
    credential_endpoint = check_url(metadata.get("credential_endpoint"), what="the credential endpoint")
    nonce_endpoint = metadata.get("nonce_endpoint")
    if nonce_endpoint is not None:
        check_url(nonce_endpoint, what="the nonce endpoint")
    form = {"grant_type": PRE_AUTHORIZED_GRANT, PRE_AUTHORIZED_CODE: code}
    if "tx_code" in grant:
        spec = grant["tx_code"] if isinstance(grant["tx_code"], dict) else {}
        given = tx_code(spec) if callable(tx_code) else tx_code
        if not given:
            raise ClientError("the offer needs the transaction code shown at the desk (--tx-code)")
        form["tx_code"] = given
    token_endpoint = client.token_endpoint(issuer, metadata)
    answer = client.post_form(token_endpoint, form, what="the token request")
    access_token = answer.get("access_token")
    if not isinstance(access_token, str) or str(answer.get("token_type", "")).lower() != "bearer":
        raise ClientError("the token endpoint answered no bearer access token")

    received = Received(issuer)
    receipt: str | None = None
    try:
        for name, configuration in configurations.items():
            keys = _new_keys(wallet, per_type)
            try:
                answer = _request(client, credential_endpoint, nonce_endpoint, access_token, name, keys, issuer, clock)
                received.credentials[name] = _import(
                    wallet, answer.get("credentials"), vct=configuration.get("vct"), keys=keys
                )
            except IssuerRefused as exc:
                if exc.error != REQUEST_DENIED:
                    raise
                received.denied.append(name)  # a fact pass not true for this resident: every offer names it
                continue
            finally:
                _forget_keys(wallet, keys)
            if isinstance(answer.get("citykey_receipt"), str):
                receipt = answer["citykey_receipt"]  # each covers the batch so far: keep the last
    finally:
        if receipt is not None:
            wallet.receipts.append(receipt)
            received.receipt = True
    return received


def _request(
    client: Client,
    endpoint: str,
    nonce_endpoint: str | None,
    access_token: str,
    name: str,
    keys: list[PrivateKey],
    issuer: str,
    clock: Clock,
) -> dict[str, Any]:
    """One credential request; a refused nonce (another request spent it) is retried once with a fresh one."""
    for attempt in (1, 2):
        nonce = client.nonce(nonce_endpoint)
        proofs = [make_proof(k, aud=issuer, nonce=nonce, iat=clock()) for k in keys]
        body = {"credential_configuration_id": name, "proofs": {PROOF_TYPE: proofs}}
        try:
            return client.post_json(endpoint, body, what="the credential request", token=access_token)
        except IssuerRefused as exc:
            if exc.error != "invalid_nonce" or attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def renew(
    wallet: Wallet,
    issuer: str,
    *,
    http: httpx.Client,
    per_type: int | None = None,
    revoke_old: bool = True,
    clock: Clock = now,
) -> Received:
    """Present the identity credential, fully disclosed, for a fresh batch of the standard types.

    With `revoke_old`, the wallet's receipts go with the request (the issuer revokes their
    batches once the new one is signed) and, on success, the old credentials, their keys and
    receipts leave the wallet. Otherwise the old batch stays, valid, beside the new one.
    """
    client = Client(http)
    check_url(issuer, what="the issuer")
    metadata = client.metadata(issuer)
    endpoint = check_url(metadata.get("citykey_renewal_endpoint"), what="the issuer's renewal endpoint")
    nonce_endpoint = metadata.get("nonce_endpoint")
    if nonce_endpoint is None:
        raise ClientError("the issuer has no nonce endpoint, which renewal needs")
    held = [c for c in wallet.credentials if c.vct in (IDENTITY.vct, CITY_ID.vct)]
    if not held:
        raise ClientError("the wallet holds no identity credential to renew with")
    vct = IDENTITY.vct if any(c.vct == IDENTITY.vct for c in held) else CITY_ID.vct
    chosen = wallet.pick(vct)
    sd_jwt = SdJwt.parse(chosen.sd_jwt)
    claims = unfold(sd_jwt.payload(), sd_jwt.disclosures).claims
    everything = [(name,) for name in claims]
    configurations = _configurations(metadata, _standard_names(claims, now=clock()))
    per_type = _check_counts(metadata, per_type, len(configurations))

    nonce = client.nonce(check_url(nonce_endpoint, what="the nonce endpoint"))
    assert nonce is not None
    old_credentials, old_receipts = list(wallet.credentials), list(wallet.receipts)
    presentation, _ = wallet.present(everything, nonce=nonce, aud=issuer, iat=clock(), vct=vct)
    keys = {name: _new_keys(wallet, per_type) for name in configurations}
    try:
        body = {
            "presentation": presentation,
            "credential_requests": [
                {
                    "credential_configuration_id": name,
                    "proofs": {PROOF_TYPE: [make_proof(k, aud=issuer, nonce=nonce, iat=clock()) for k in group]},
                }
                for name, group in keys.items()
            ],
            "revoke_receipts": old_receipts if revoke_old else [],
        }
        answer = client.post_json(endpoint, body, what="the renewal request")
        responses = answer.get("credential_responses")
        if not isinstance(responses, list):
            raise ClientError("the renewal answer holds no credential_responses")
        received = Received(issuer, revoked=int(answer.get("revoked", 0) or 0))
        by_name = {r.get("credential_configuration_id"): r for r in responses if isinstance(r, dict)}
        for name, group in keys.items():
            if name in by_name:
                texts = by_name[name].get("credentials")
                received.credentials[name] = _import(wallet, texts, vct=configurations[name].get("vct"), keys=group)
    finally:
        for group in keys.values():
            _forget_keys(wallet, group)
    if revoke_old:
        for old in old_credentials:
            wallet.credentials.remove(old)
            wallet.holder_keys.pop(old.holder_kid, None)
        wallet.receipts = [r for r in wallet.receipts if r not in old_receipts]
    if isinstance(answer.get("citykey_receipt"), str):
        wallet.receipts.append(answer["citykey_receipt"])
        received.receipt = True
    return received


__all__ = [
    "DEFAULT_PER_TYPE",
    "LOCAL_HOSTS",
    "MAX_RESPONSE_BYTES",
    "Client",
    "ClientError",
    "IssuerRefused",
    "Received",
    "TxCode",
    "check_url",
    "make_proof",
    "parse_offer_uri",
    "receive",
    "renew",
    "well_known",
]
