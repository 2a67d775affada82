"""OpenID for Verifiable Presentations 1.0 as the city profiles it, for online services.

A city web service (a library's renewal page, a parking permit form) asks for a
proof the way the rest of the ecosystem does, and keeps nothing:

1. The verifier makes a transaction and shows a QR code (cross-device) or a link
   (same device) holding only `client_id` and `request_uri`
   (`openid4vp://?client_id=verifier_attestation%3A…&request_uri=https://…`).
2. The wallet fetches the Request Object there: a JWS (`typ` `oauth-authz-req+jwt`)
   signed by the verifier's key, carrying in its `jwt` header a Verifier Attestation
   JWT (`typ` `verifier-attestation+jwt`) signed by the city's signing key, whose
   `sub` is the verifier's listed `aud` and whose `cnf.jwk` is its listed key. This
   is the `verifier_attestation` Client Identifier Prefix (§5.9.3): a wallet that
   trusts the city's keys can authenticate the verifier; a citykey wallet also holds
   it to the root-signed key list (name and `may_ask` scope, `wallet_spec.keylist`).
3. The request's DCQL query (§6) asks for `dc+sd-jwt` credentials of the city's
   types and the claims the verifier's policy names, nothing else: no value
   matching, no claim sets, no transaction data (each refused in words).
4. The wallet answers by `direct_post.jwt` (§8.3.1): `{"vp_token": {id: [presentation]},
   "state": …}` encrypted (ECDH-ES, `wallet_spec.jwe`) to the one-transaction key in
   `client_metadata.jwks`, each presentation key-bound to the request's `nonce`
   with `aud` = the full `client_id` (§14.1.2, "always use the full client identifier").

Pure: no I/O, no clock (`now` is a parameter). The verifier's side is
`verifier/openid4vp.py`, the wallet's `wallet/openid4vp.py`.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from wallet_spec import jwe, jws
from wallet_spec.encoding import is_int
from wallet_spec.errors import (
    Declined,
    FormatError,
    RequestExpired,
    RequestInvalid,
    SignatureInvalid,
    TooLarge,
    VerificationError,
    VerificationFailed,
    VerifierUnknown,
)
from wallet_spec.jwk import PrivateKey, holds_private_key, public_jwk, public_key_from_jwk, thumbprint
from wallet_spec.keylist import KeyList
from wallet_spec.request import LEEWAY, MIN_NONCE_CHARS, ListedVerifier, scope_errors
from wallet_spec.sdjwt import ClaimPath

PREFIX = "verifier_attestation"
"""The Client Identifier Prefix citykey verifiers use and citykey wallets accept (OpenID4VP 1.0 §5.9.3)."""
REQUEST_TYP = "oauth-authz-req+jwt"
REQUEST_MEDIA_TYPE = "application/oauth-authz-req+jwt"
ATTESTATION_TYP = "verifier-attestation+jwt"
FORMAT = "dc+sd-jwt"
RESPONSE_TYPE = "vp_token"
RESPONSE_MODE = "direct_post.jwt"
STATIC_AUD = "https://self-issued.me/v2"
"""A Request Object's `aud` with static wallet discovery (§5.8)."""
SCHEME = "openid4vp://"
VP_FORMATS = {FORMAT: {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}}

MAX_INVOCATION_CHARS = 2_048
MAX_REQUEST_OBJECT_CHARS = 16_384
MAX_QUERIES = 4
MAX_CLAIMS = 32
MAX_PATH_LENGTH = 8
DEFAULT_TTL = 300
"""How long a request stays answerable: long enough to unlock a phone and read the screen."""
ATTESTATION_TTL = 86_400
"""A Verifier Attestation JWT lasts a day; the verifier fetches a fresh one when it syncs."""

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")


def client_id(aud: str) -> str:
    """The full client identifier of a listed verifier: the prefix and its `aud` (the KB-JWT's `aud` too)."""
    return f"{PREFIX}:{aud}"


def new_nonce() -> str:
    """128 random bits, base64url: what §5.2 recommends for `nonce` and what `state` uses."""
    return secrets.token_urlsafe(16)


# --- DCQL -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """One entry of `dcql_query.credentials`: a city credential of one of `vct_values` holding `claims`."""

    id: str
    vct_values: tuple[str, ...]
    claims: tuple[ClaimPath, ...]

    @property
    def claim_names(self) -> tuple[str, ...]:
        """The claims as the city writes them elsewhere (`address.postal_code`): for scope checks and display."""
        return tuple(".".join(str(p) for p in path) for path in self.claims)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "format": FORMAT,
            "meta": {"vct_values": list(self.vct_values)},
            "claims": [{"path": list(path)} for path in self.claims],
        }


@dataclass(frozen=True, slots=True)
class DcqlQuery:
    credentials: tuple[CredentialQuery, ...]

    def to_json(self) -> dict[str, Any]:
        return {"credentials": [c.to_json() for c in self.credentials]}

    @property
    def claim_names(self) -> tuple[str, ...]:
        return tuple(name for c in self.credentials for name in c.claim_names)


def dcql_query(claims: Iterable[ClaimPath], vcts: Iterable[str], *, query_id: str = "city") -> DcqlQuery:
    """A query for one city credential of any of `vcts` that holds every one of `claims`."""
    return parse_dcql(
        {"credentials": [{"id": query_id, "format": FORMAT, "meta": {"vct_values": sorted(vcts)},
                          "claims": [{"path": list(path)} for path in claims]}]}
    )


def _path(value: Any) -> ClaimPath:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_PATH_LENGTH:
        raise RequestInvalid(f"a DCQL claim path must be a list of 1 to {MAX_PATH_LENGTH} elements")
    for part in value:
        if part is None:
            raise RequestInvalid("a DCQL path element null (every array element) is not supported")
        if not (isinstance(part, str) and part) and not (is_int(part) and part >= 0):
            raise RequestInvalid("a DCQL path element must be a claim name or an array index")
    return tuple(value)


def _credential_query(obj: Any) -> CredentialQuery:
    if not isinstance(obj, Mapping):
        raise RequestInvalid("each DCQL credential query must be an object")
    unsupported = sorted({"claim_sets", "trusted_authorities"} & obj.keys())
    if unsupported:
        raise RequestInvalid(f"DCQL {', '.join(unsupported)} is not supported; ask for the claims themselves")
    if obj.get("multiple", False) is not False:
        raise RequestInvalid("DCQL multiple is not supported: one credential answers each query")
    if obj.get("require_cryptographic_holder_binding", True) is not True:
        raise RequestInvalid("city credentials are always shown with a holder binding proof")
    query_id, meta, claims = obj.get("id"), obj.get("meta"), obj.get("claims")
    if not isinstance(query_id, str) or not _ID.fullmatch(query_id):
        raise RequestInvalid("a DCQL credential query id must be 1 to 64 letters, digits, '_' or '-'")
    if obj.get("format") != FORMAT:
        raise RequestInvalid(f"the city's credentials are of format {FORMAT!r}")
    vcts = meta.get("vct_values") if isinstance(meta, Mapping) else None
    if not isinstance(vcts, list) or not vcts or not all(isinstance(v, str) and v for v in vcts):
        raise RequestInvalid("a DCQL credential query needs meta.vct_values, a non-empty list of types")
    if not isinstance(claims, list) or not 0 < len(claims) <= MAX_CLAIMS:
        raise RequestInvalid(f"a DCQL credential query must name 1 to {MAX_CLAIMS} claims")
    paths = []
    for claim in claims:
        if not isinstance(claim, Mapping):
            raise RequestInvalid("each DCQL claims query must be an object")
        if "values" in claim:
            raise RequestInvalid("DCQL value matching is not supported: it would tell the verifier a value")
        paths.append(_path(claim.get("path")))
    if len(set(paths)) != len(paths):
        raise RequestInvalid("a DCQL credential query names a claim twice")
    return CredentialQuery(query_id, tuple(vcts), tuple(paths))


def parse_dcql(obj: Any) -> DcqlQuery:
    """A DCQL query within the city's profile, or `request_invalid` naming what is outside it."""
    if not isinstance(obj, Mapping):
        raise RequestInvalid("dcql_query must be an object")
    if "credential_sets" in obj:
        raise RequestInvalid("DCQL credential_sets is not supported; ask for one credential per query")
    credentials = obj.get("credentials")
    if not isinstance(credentials, list) or not 0 < len(credentials) <= MAX_QUERIES:
        raise RequestInvalid(f"dcql_query.credentials must list 1 to {MAX_QUERIES} credential queries")
    queries = tuple(_credential_query(c) for c in credentials)
    if len({q.id for q in queries}) != len(queries):
        raise RequestInvalid("two DCQL credential queries share an id")
    return DcqlQuery(queries)


# --- the verifier's attestation -----------------------------------------------------


def sign_attestation(
    verifier: ListedVerifier, *, issuer: str, key: PrivateKey, kid: str, now: int, ttl: int = ATTESTATION_TTL
) -> str:
    """A Verifier Attestation JWT (§12) for a listed verifier, signed by the city's signing key `kid`."""
    claims = {"iss": issuer, "sub": verifier.aud, "iat": now, "exp": now + ttl, "cnf": {"jwk": dict(verifier.jwk)},
              "name": verifier.name, "may_ask": list(verifier.may_ask)}
    return jws.sign_document(ATTESTATION_TYP, claims, key, kid=kid)


def verify_attestation(token: Any, key_list: KeyList, *, now: int, leeway: int = LEEWAY) -> ListedVerifier:
    """The listed verifier a Verifier Attestation JWT vouches for, or `VerificationFailed` with every reason.

    Signed by a city signing key valid at its `iat`, unexpired, and naming a verifier the
    root-signed key list lists, with that verifier's own key in `cnf`. The name and scope
    returned are the key list's, not the attestation's.
    """
    if not isinstance(token, str) or len(token) > MAX_REQUEST_OBJECT_CHARS:
        raise RequestInvalid("the request carries no Verifier Attestation JWT in its jwt header")
    parsed = jws.parse(token, what="verifier attestation")
    claims = parsed.payload
    errors: list[VerificationError] = list(jws.header_errors(parsed.header, typ=ATTESTATION_TYP,
                                                             what="verifier attestation"))
    if claims.get("iss") != key_list.issuer:
        errors.append(VerifierUnknown("the verifier's attestation is not from this city"))
    else:
        try:
            city_key = key_list.key_for(parsed.header.get("kid"), claims.get("iat"))
        except VerificationError as exc:
            errors.append(exc)
        else:
            if jws.alg_allowed(parsed.header) and not jws.signature_valid(parsed, city_key):
                errors.append(SignatureInvalid("the verifier's attestation is not signed by the city"))
    exp = claims.get("exp")
    if not is_int(exp) or now >= exp + leeway:
        errors.append(RequestExpired("the verifier's attestation has expired; the verifier must sync"))
    listed = next((v for v in key_list.verifiers if v.aud == claims.get("sub")), None)
    cnf = claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if listed is None:
        errors.append(VerifierUnknown("the city does not list this verifier"))
    elif not isinstance(jwk, Mapping) or holds_private_key(jwk) or _thumbprint_or_none(jwk) != listed.kid:
        errors.append(VerifierUnknown("the verifier's attestation names another key than the city lists for it"))
    if errors:
        raise VerificationFailed(errors)
    assert listed is not None
    return listed


def _thumbprint_or_none(jwk: Mapping[str, Any]) -> str | None:
    try:
        return thumbprint(jwk)
    except FormatError:
        return None


# --- the request ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """What a Request Object asks: who (`client_id`), what (`dcql`), and where the encrypted answer goes."""

    client_id: str
    response_uri: str
    nonce: str
    state: str
    dcql: DcqlQuery
    encryption_jwk: Mapping[str, str]
    """The one-transaction public key the response is encrypted to (`use` `enc`, `alg` ECDH-ES, a `kid`)."""
    iat: int
    exp: int
    enc_values: tuple[str, ...] = jwe.ENC_VALUES

    def to_claims(self) -> dict[str, Any]:
        return {
            "aud": STATIC_AUD,
            "client_id": self.client_id,
            "response_type": RESPONSE_TYPE,
            "response_mode": RESPONSE_MODE,
            "response_uri": self.response_uri,
            "nonce": self.nonce,
            "state": self.state,
            "dcql_query": self.dcql.to_json(),
            "client_metadata": {
                "jwks": {"keys": [dict(self.encryption_jwk)]},
                "encrypted_response_enc_values_supported": list(self.enc_values),
                "vp_formats_supported": VP_FORMATS,
            },
            "iat": self.iat,
            "exp": self.exp,
        }


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A request a wallet may answer: its content, and the verifier as the city lists it."""

    request: AuthorizationRequest
    verifier: ListedVerifier


def sign_authorization_request(request: AuthorizationRequest, key: PrivateKey, attestation: str) -> str:
    """The Request Object: signed by the verifier's key, its city attestation in the `jwt` header."""
    return jws.sign({"typ": REQUEST_TYP, "jwt": attestation}, request.to_claims(), key)


def _response_uri(value: Any) -> str:
    """An https URL, or http on this machine's loopback (a kiosk's own service, tests)."""
    if not isinstance(value, str) or len(value) > MAX_INVOCATION_CHARS:
        raise RequestInvalid("the request's response_uri is missing or too long")
    try:
        url = urllib.parse.urlsplit(value)
        host, _ = url.hostname, url.port  # both parse lazily, and raise on a malformed host or port
    except ValueError:
        raise RequestInvalid("the request's response_uri is not a URL") from None
    loopback = url.scheme == "http" and host in ("127.0.0.1", "localhost", "::1")
    if not (url.scheme == "https" or loopback) or not host or url.fragment:
        raise RequestInvalid("the request's response_uri must be an https URL")
    return value


def _encryption(metadata: Any) -> tuple[Mapping[str, str], tuple[str, ...]]:
    if not isinstance(metadata, Mapping):
        raise RequestInvalid("the request has no client_metadata with a key to encrypt the response to")
    jwks = metadata.get("jwks")
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    usable = [k for k in keys if isinstance(k, Mapping) and k.get("use", "enc") == "enc" and k.get("alg") == jwe.ALG
              and k.get("kty") == "EC" and k.get("crv") == "P-256"] if isinstance(keys, list) else []
    if len(usable) != 1:
        raise RequestInvalid(f"client_metadata.jwks must hold exactly one P-256 {jwe.ALG} key for the response")
    key = usable[0]
    if holds_private_key(key) or not isinstance(key.get("kid"), str):
        raise RequestInvalid("the response encryption key must be public and have a kid")
    public_key_from_jwk(key)  # on the curve, or key_invalid
    offered = metadata.get("encrypted_response_enc_values_supported", [jwe.DEFAULT_ENC])
    enc = tuple(v for v in offered if v in jwe.ENC_VALUES) if isinstance(offered, list) else ()
    if not enc:
        raise RequestInvalid(f"the verifier offers no content encryption this wallet uses: {', '.join(jwe.ENC_VALUES)}")
    return {**public_jwk(public_key_from_jwk(key)), "kid": key["kid"], "use": "enc", "alg": jwe.ALG}, enc


def _checked_request(claims: Mapping[str, Any]) -> AuthorizationRequest:
    if claims.get("aud", STATIC_AUD) != STATIC_AUD:
        raise RequestInvalid(f"the Request Object is addressed to another wallet (aud must be {STATIC_AUD})")
    if "transaction_data" in claims:
        raise RequestInvalid("transaction_data is not supported by city wallets")
    if claims.get("response_type") != RESPONSE_TYPE or claims.get("response_mode") != RESPONSE_MODE:
        raise RequestInvalid(f"the request must ask for {RESPONSE_TYPE} by {RESPONSE_MODE} (an encrypted answer)")
    if "scope" in claims:
        raise RequestInvalid("the request must name what it asks for in dcql_query, not scope")
    nonce, state, iat, exp = (claims.get(k) for k in ("nonce", "state", "iat", "exp"))
    for name, value in (("nonce", nonce), ("state", state)):
        if not isinstance(value, str) or not MIN_NONCE_CHARS <= len(value) <= 128 or not _URL_SAFE.fullmatch(value):
            raise RequestInvalid(f"the request's {name} must be {MIN_NONCE_CHARS} to 128 URL-safe characters")
    if not is_int(iat) or not is_int(exp) or exp <= iat:
        raise RequestInvalid("the request needs iat and a later exp")
    key, enc = _encryption(claims.get("client_metadata"))
    return AuthorizationRequest(
        client_id=str(claims.get("client_id")), response_uri=_response_uri(claims.get("response_uri")),
        nonce=str(nonce), state=str(state), dcql=parse_dcql(claims.get("dcql_query")),
        encryption_jwk=key, iat=int(iat), exp=int(exp), enc_values=enc,
    )


def verify_authorization_request(
    token: str, *, client_id_param: str, key_list: KeyList, now: int, leeway: int = LEEWAY
) -> VerifiedRequest:
    """Check a Request Object before showing the holder anything, or raise with every reason.

    `client_id_param` is the `client_id` of the QR code or link; the Request Object must
    carry the same (§5.10). The verifier must be one the city lists, attested by the city,
    the Request Object signed with its listed key, and the query within its `may_ask`
    scope (`request_out_of_scope`).
    """
    if not isinstance(token, str) or len(token) > MAX_REQUEST_OBJECT_CHARS:
        raise TooLarge(f"a Request Object may be at most {MAX_REQUEST_OBJECT_CHARS} characters")
    parsed = jws.parse(token.strip(), what="request object")
    request = _checked_request(parsed.payload)
    if request.client_id != client_id_param:
        raise RequestInvalid("the Request Object's client_id is not the one in the link or QR code")
    prefix, _, aud = request.client_id.partition(":")
    if prefix != PREFIX or not aud:
        raise RequestInvalid(f"city wallets answer verifiers identified by the {PREFIX!r} prefix")
    errors: list[VerificationError] = list(jws.header_errors(parsed.header, typ=REQUEST_TYP, what="request object"))
    verifier = verify_attestation(parsed.header.get("jwt"), key_list, now=now, leeway=leeway)
    if verifier.aud != aud:
        errors.append(VerifierUnknown("the verifier's attestation is for another client_id"))
    if jws.alg_allowed(parsed.header) and not jws.signature_valid(parsed, public_key_from_jwk(verifier.jwk)):
        errors.append(SignatureInvalid("the request is not signed by the key the city lists for this verifier"))
    if now >= request.exp + leeway:
        errors.append(RequestExpired("the request has expired; ask the service to show a new one"))
    if request.iat > now + leeway:
        errors.append(RequestInvalid("the request is dated in the future"))
    errors.extend(scope_errors(request.dcql.claim_names, verifier))
    if errors:
        raise VerificationFailed(errors)
    return VerifiedRequest(request, verifier)


# --- the invocation (QR code or link) ----------------------------------------------------


def invocation_url(client_id_value: str, request_uri: str, *, base: str = SCHEME) -> str:
    """What the QR code or the same-device link holds: `client_id` and `request_uri` only (§5.7, JAR)."""
    query = urllib.parse.urlencode({"client_id": client_id_value, "request_uri": request_uri})
    return f"{base}?{query}" if base.endswith("://") else f"{base}{'&' if '?' in base else '?'}{query}"


def parse_invocation(url: str) -> tuple[str, str]:
    """`(client_id, request_uri)` of an `openid4vp://` (or https wallet) link, or `malformed` in words."""
    if not isinstance(url, str) or len(url) > MAX_INVOCATION_CHARS:
        raise TooLarge(f"a request link may be at most {MAX_INVOCATION_CHARS} characters")
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        raise FormatError("not an OpenID4VP request link: it is not a URL") from None
    if parts.scheme not in ("openid4vp", "https", "http"):
        raise FormatError("not an OpenID4VP request link (it starts with openid4vp://)")
    try:
        params = urllib.parse.parse_qs(parts.query or parts.fragment, strict_parsing=True, max_num_fields=16)
    except ValueError:
        raise FormatError("the request link's parameters are malformed") from None
    if any(len(v) != 1 for v in params.values()):
        raise FormatError("the request link repeats a parameter")
    found = {k: v[0] for k, v in params.items()}
    if "request" in found:
        raise RequestInvalid("city wallets fetch requests by reference (request_uri), not by value")
    if found.get("request_uri_method", "get") != "get":
        raise RequestInvalid("request_uri_method post is not supported; the wallet fetches the request with GET")
    client, request_uri = found.get("client_id"), found.get("request_uri")
    if not client or not request_uri:
        raise FormatError("the request link needs client_id and request_uri")
    _response_uri(request_uri)
    return client, request_uri


# --- the response --------------------------------------------------------------------------


def response_payload(vp_token: Mapping[str, Sequence[str]], state: str) -> dict[str, Any]:
    """The Authorization Response before encryption: one presentation list per credential query id."""
    return {"vp_token": {k: list(v) for k, v in vp_token.items()}, "state": state}


ACCESS_DENIED = "access_denied"
"""The error a wallet posts when the holder declines (§8.5: "The End-User did not give consent"):
`error=access_denied&state=…` to the `response_uri`, unencrypted (§8.3.1: the error response of
`direct_post`), and nothing else. The service's page then says no instead of waiting."""


def decline_form(state: str) -> dict[str, str]:
    """The form body of a declined request: the error and the transaction's `state`, nothing about the holder."""
    return {"error": ACCESS_DENIED, "state": state}


def same_state(sent: Any, state: str) -> bool:
    """Whether `sent` is the transaction's `state` (compared in constant time)."""
    return isinstance(sent, str) and secrets.compare_digest(sent.encode(), state.encode())


def read_refusal(error: Any, sent_state: Any, *, state: str) -> NoReturn:
    """A wallet's error response for this transaction: `Declined` for `access_denied` with its
    `state`; `request_invalid` for another transaction's `state` or any other error."""
    if not same_state(sent_state, state):
        raise RequestInvalid("the refusal belongs to another transaction (state)")
    if error != ACCESS_DENIED:
        raise RequestInvalid(f"the only error response read is {ACCESS_DENIED} (the holder declined)")
    raise Declined("the holder declined the request in their wallet")


def read_response(payload: Any, query: DcqlQuery, *, state: str) -> dict[str, str]:
    """The one presentation per credential query of a decrypted response, or `request_invalid` in words."""
    if not isinstance(payload, Mapping):
        raise RequestInvalid("the response must be a JSON object")
    if not same_state(payload.get("state"), state):
        raise RequestInvalid("the response belongs to another transaction (state)")
    token = payload.get("vp_token")
    if not isinstance(token, Mapping) or set(token) != {q.id for q in query.credentials}:
        raise RequestInvalid("the response's vp_token must answer every credential query, and nothing else")
    found = {}
    for query_id, presentations in token.items():
        if not isinstance(presentations, list) or len(presentations) != 1 or not isinstance(presentations[0], str):
            raise RequestInvalid("each credential query is answered by exactly one presentation")
        found[query_id] = presentations[0]
    return found
