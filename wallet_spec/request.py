"""Presentation requests: what a verifier shows (a challenge QR) and the wallet answers.

A request names the verifier's audience id, a fresh nonce, the claims it
needs, an expiry and a display name:

    {"aud":"https://bus.example","nonce":"q3v-8ZtYpL0aBc9d","claims":["resident_of",
     "address.postal_code"],"exp":1767262600,"name":"Springfield Transit"}

It travels unsigned, or signed by a verifier key the city lists (a compact JWS,
`typ` `citykey-request+jwt`, header `kid` = the key's RFC 7638 thumbprint), so a
wallet can show who is asking and refuse unlisted askers, like ISO 18013-5 reader
authentication. The city's list travels in the root-signed key list
(`wallet_spec.keylist`) and names, for each key, the claims it may ask for
(`may_ask`); a wallet refuses a listed verifier's request outside them
(`request_out_of_scope`) and answers an unattributed request only when the holder
has accepted an unknown asker (`check_answerable`). As QR text:

    text  = "CKQ1:" base45( raw-deflate( body, preset dictionary v1 ) )
    body  = 0x00 json                                   unsigned: the request, compact JSON
          | 0x01 field(header) field(payload) field(signature)
                                                        signed: the JWS parts, decoded
    field = varint(length) bytes                        (LEB128, shortest form only)

The signed parts are carried as the bytes that were signed, so the JWS that
comes out is byte for byte the one that went in. Decoding is bounded like the
presentation codec (`wallet_spec.qr`): the text length is checked before
Base45, inflation is capped, and anything malformed is a `FormatError`.
Pure: no I/O, no clock (`now` is a parameter).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wallet_spec import jws
from wallet_spec.alphanumeric import pack, unpack, varint
from wallet_spec.encoding import b64url_decode, b64url_encode, is_int, json_dumps, json_loads
from wallet_spec.errors import (
    CitykeyError,
    FormatError,
    KeyInvalid,
    RequestExpired,
    RequestOutOfScope,
    RequestUnsigned,
    SignatureInvalid,
    UsageError,
    VerificationError,
    VerificationFailed,
    VerifierUnknown,
)
from wallet_spec.jwk import PrivateKey, holds_private_key, public_jwk, public_key_from_jwk, thumbprint
from wallet_spec.present import parse_claim_path
from wallet_spec.sdjwt import ClaimPath

REQUEST_TYP = "citykey-request+jwt"
PREFIX = "CKQ1:"
MAX_REQUEST_CHARS = 2_048
"""Longest request text accepted, checked before anything is decoded (a version 25 QR code at level M)."""
MAX_BODY = 4_096
"""Inflated bytes accepted."""
MAX_CLAIMS = 32
MAX_AUD_CHARS = 200
MAX_NAME_CHARS = 80
MIN_NONCE_CHARS = 16
"""16 base64url characters: 96 bits, what `secrets.token_urlsafe(12)` gives."""
MAX_NONCE_CHARS = 128
DEFAULT_TTL = 120
MAX_TTL = 86_400
LEEWAY = 60
"""Clock skew allowed between the verifier that set `exp` and the wallet that checks it."""

_UNSIGNED, _SIGNED = 0x00, 0x01
_NONCE = re.compile(r"[A-Za-z0-9_-]+")
_AUD = re.compile(r"[\x21-\x7e]+")
"""Printable ASCII without spaces: URLs and URNs."""

DICTIONARY_V1 = (
    b'"given_name","family_name","birthdate","address","address.street_address","address.locality",'
    b'"address.postal_code","age_over_13","age_over_16","age_over_18","age_over_21","age_over_55",'
    b'"age_over_62","age_over_65","resident_of"],"exp":17'
    b'{"alg":"ES256","typ":"citykey-request+jwt","kid":"'
    b'{"aud":"https://","nonce":"","claims":["'
    b',"name":"'
)


def new_nonce() -> str:
    """96 random bits, base64url: 16 characters."""
    return secrets.token_urlsafe(12)


# --- the city's list of verifiers ------------------------------------------------------


def _check_aud(value: Any, error: type[CitykeyError], what: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_AUD_CHARS or not _AUD.fullmatch(value):
        raise error(f"{what} aud must be 1 to {MAX_AUD_CHARS} printable ASCII characters without spaces")
    return value


def _check_name(value: Any, error: type[CitykeyError], what: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME_CHARS or not value.isprintable():
        raise error(f"{what} name must be 1 to {MAX_NAME_CHARS} printable characters")
    if value != value.strip():
        raise error(f"{what} name may not start or end with spaces")
    return value


def check_verifier(aud: Any, name: Any, *, error: type[CitykeyError] = UsageError) -> None:
    """Raise `error` unless `aud` and `name` are acceptable for a verifier or a request."""
    _check_aud(aud, error, "the verifier's")
    _check_name(name, error, "the verifier's")


def _check_claims(claims: Any, error: type[CitykeyError], what: str) -> tuple[str, ...]:
    if not isinstance(claims, list | tuple) or not all(isinstance(c, str) for c in claims):
        raise error(f"{what} claims must be a list of claim paths")
    if len(claims) > MAX_CLAIMS:
        raise error(f"{what} claims may name at most {MAX_CLAIMS} claims")
    if len(set(claims)) != len(claims):
        raise error(f"{what} claims name a claim twice")
    for claim in claims:
        try:
            parse_claim_path(claim)
        except UsageError as exc:
            raise error(exc.message) from None
    return tuple(claims)


def in_scope(claim: str, may_ask: Iterable[str]) -> bool:
    """Whether `may_ask` covers `claim`: the claim itself, or a claim it is part of (`address` covers
    `address.postal_code`; `address.postal_code` does not cover `address`)."""
    path = parse_claim_path(claim)
    return any(path[: len(allowed)] == allowed for allowed in (parse_claim_path(a) for a in may_ask))


@dataclass(frozen=True, slots=True)
class ListedVerifier:
    """A verifier the city vouches for: its audience id, name, public key, and the claims it may ask for."""

    aud: str
    name: str
    jwk: Mapping[str, str]
    may_ask: tuple[str, ...] = ()
    """Claim paths as on the command line (`resident_of`, `address.postal_code`): its scope.
    Empty (a verifier's own identity file, or an entry registered with no scope) allows nothing."""
    kid: str = field(init=False)
    """The RFC 7638 thumbprint of `jwk`: the `kid` its signed requests carry."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kid", thumbprint(self.jwk))

    @classmethod
    def create(
        cls, aud: Any, name: Any, jwk: Any, may_ask: Any = (), *, error: type[CitykeyError] = UsageError
    ) -> ListedVerifier:
        """A checked entry; the JWK must be a public P-256 key (a private one is refused, not trimmed)."""
        what = "the verifier's"
        aud, name = _check_aud(aud, error, what), _check_name(name, error, what)
        scope = _check_claims(may_ask, error, "the verifier's may_ask")
        if not isinstance(jwk, Mapping):
            raise error("the verifier's key must be a JWK object")
        if holds_private_key(jwk):
            raise error("the verifier's JWK holds a private key; give the city only the public JWK")
        try:
            public = public_jwk(public_key_from_jwk(jwk))
        except KeyInvalid as exc:
            raise error(f"the verifier's key is unusable: {exc.message}") from None
        return cls(aud, name, public, scope)

    def to_json(self) -> dict[str, Any]:
        return {"aud": self.aud, "name": self.name, "jwk": dict(self.jwk), "may_ask": list(self.may_ask)}

    @classmethod
    def from_json(cls, obj: Any) -> ListedVerifier:
        if not isinstance(obj, Mapping):
            raise FormatError("a verifier entry must be an object")
        return cls.create(obj.get("aud"), obj.get("name"), obj.get("jwk"), obj.get("may_ask", []), error=FormatError)


def verifiers_from_json(items: Any) -> tuple[ListedVerifier, ...]:
    """A list of verifier entries; no key may appear twice."""
    if not isinstance(items, list):
        raise FormatError("verifiers must be a list")
    listed = tuple(ListedVerifier.from_json(item) for item in items)
    if len({v.kid for v in listed}) != len(listed):
        raise FormatError("a verifier key is listed twice")
    return listed


# --- the request ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A presentation request. `signer` is set only by `parse_request`, for a verified signature."""

    aud: str
    nonce: str
    claims: tuple[str, ...]
    """Claim paths as written on the command line: `resident_of`, `address.postal_code`."""
    exp: int
    name: str
    signed: bool = False
    """The request came as a JWS (whether or not its signature could be checked)."""
    signer: ListedVerifier | None = None
    """The listed verifier whose key signed it, when the signature was checked against a list."""

    @property
    def paths(self) -> tuple[ClaimPath, ...]:
        return tuple(parse_claim_path(c) for c in self.claims)

    @property
    def display_name(self) -> str:
        """The name to show the holder: the city's listing for a checked signature, else the request's own."""
        return self.signer.name if self.signer is not None else self.name

    def to_json(self) -> dict[str, Any]:
        return {"aud": self.aud, "nonce": self.nonce, "claims": list(self.claims), "exp": self.exp, "name": self.name}


def _checked(obj: Any, error: type[CitykeyError]) -> Request:
    if not isinstance(obj, Mapping):
        raise error("a request must be a JSON object")
    aud = _check_aud(obj.get("aud"), error, "the request's")
    name = _check_name(obj.get("name"), error, "the request's")
    nonce, claims, exp = obj.get("nonce"), obj.get("claims"), obj.get("exp")
    if not isinstance(nonce, str) or not MIN_NONCE_CHARS <= len(nonce) <= MAX_NONCE_CHARS or not _NONCE.fullmatch(
        nonce
    ):
        raise error(f"the request's nonce must be {MIN_NONCE_CHARS} to {MAX_NONCE_CHARS} base64url characters")
    if not is_int(exp) or exp < 0:
        raise error("the request's exp must be a non-negative integer")
    return Request(aud, nonce, _check_claims(claims, error, "the request's"), exp, name)


def make_request(
    *,
    aud: str,
    claims: Iterable[str],
    name: str,
    now: int,
    ttl: int = DEFAULT_TTL,
    nonce: str | None = None,
) -> Request:
    """A fresh request: a new 96-bit nonce (unless given), valid for `ttl` seconds from `now`."""
    if not 0 < ttl <= MAX_TTL:
        raise UsageError(f"a request's ttl must be between 1 and {MAX_TTL} seconds")
    obj = {"aud": aud, "nonce": new_nonce() if nonce is None else nonce, "claims": list(claims),
           "exp": now + ttl, "name": name}
    return _checked(obj, UsageError)


def sign_request(request: Request, key: PrivateKey) -> str:
    """The request as a compact JWS signed by the verifier's key (`kid` = its thumbprint)."""
    return jws.sign_document(REQUEST_TYP, request.to_json(), key, kid=thumbprint(key))


# --- QR text ----------------------------------------------------------------------------


def encode_request(request: Request | str) -> str:
    """QR text of a request: a `Request` travels unsigned, a `sign_request` token signed."""
    if isinstance(request, Request):
        body = bytes([_UNSIGNED]) + json_dumps(request.to_json()).encode("utf-8")
    else:
        parts = request.split(".")
        if len(parts) != 3:
            raise UsageError("a signed request must be a compact JWS from sign_request")
        body = bytes([_SIGNED])
        for part in parts:
            raw = b64url_decode(part, what="signed request")
            body += varint(len(raw)) + raw
    return pack(PREFIX, body, DICTIONARY_V1)


def _inflate(text: str) -> bytes:
    body = unpack(
        text, prefix=PREFIX, dictionary=DICTIONARY_V1, max_chars=MAX_REQUEST_CHARS, max_body=MAX_BODY,
        what="request", not_ours=f"not a citykey presentation request (no {PREFIX} prefix)",
    )
    if not body:
        raise FormatError("request payload is empty")
    return body


def _jws_from_body(body: bytes) -> str:
    parts, pos = [], 1
    for _ in range(3):
        length, shift = 0, 0
        while True:
            if pos >= len(body):
                raise FormatError("signed request is truncated")
            byte = body[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise FormatError("signed request has a non-canonical length")
                break
            shift += 7
            if shift > 14:
                raise FormatError("signed request has an impossible length")
        if length > len(body) - pos:
            raise FormatError("signed request is truncated")
        parts.append(b64url_encode(body[pos : pos + length]))
        pos += length
    if pos != len(body):
        raise FormatError("signed request has trailing bytes")
    return ".".join(parts)


def parse_request(
    text: str,
    *,
    now: int,
    verifiers: Sequence[ListedVerifier] | None = None,
    require_signed: bool = False,
    leeway: int = LEEWAY,
) -> Request:
    """Read a request from its QR text and decide whether to answer it.

    `verifiers` is the trust bundle's list. With it, a signed request must be
    signed by a listed key, and ask in that key's registered `aud`; without it
    (a wallet with no bundle) a signature cannot be checked and the request is
    only as trustworthy as an unsigned one (`signer` stays None).
    `require_signed` (the holder's choice; needs `verifiers`) refuses unsigned
    requests. Raises FormatError for unreadable text, and VerificationFailed
    with every reason (`request_expired`, `verifier_unknown`, `request_unsigned`,
    `signature_invalid`, ...) for a request the wallet must not answer.
    """
    if require_signed and verifiers is None:
        raise UsageError("requiring signed requests needs the trust bundle's list of verifiers")
    body = _inflate(text.strip())
    errors: list[VerificationError] = []
    signer: ListedVerifier | None = None
    if body[0] == _UNSIGNED:
        request = _checked(json_loads(body[1:], what="request"), FormatError)
        if require_signed:
            errors.append(RequestUnsigned("the request is not signed; this wallet answers only listed verifiers"))
    elif body[0] == _SIGNED:
        token = jws.parse(_jws_from_body(body), what="signed request")
        request = _checked(token.payload, FormatError)
        if verifiers is not None:
            errors.extend(jws.header_errors(token.header, typ=REQUEST_TYP, what="signed request"))
            kid = token.header.get("kid")
            signer = next((v for v in verifiers if isinstance(kid, str) and v.kid == kid), None)
            if signer is None:
                errors.append(VerifierUnknown("the request is signed by a key the city does not list"))
            else:
                if jws.alg_allowed(token.header) and not jws.signature_valid(token, public_key_from_jwk(signer.jwk)):
                    errors.append(SignatureInvalid("the request's signature does not verify"))
                if signer.aud != request.aud:
                    errors.append(VerifierUnknown("the request's aud is not the one the city lists for its signer"))
                errors.extend(scope_errors(request.claims, signer))
    else:
        raise FormatError("request payload has an unknown kind")
    if now >= request.exp + leeway:
        errors.append(RequestExpired("the request has expired; ask the verifier to show a new one"))
    if errors:
        raise VerificationFailed(errors)
    return Request(request.aud, request.nonce, request.claims, request.exp, request.name,
                   signed=body[0] == _SIGNED, signer=signer)


def scope_errors(claims: Iterable[str], signer: ListedVerifier) -> list[VerificationError]:
    """`request_out_of_scope` for the claims outside what the city lets `signer` ask for, or nothing."""
    outside = [c for c in claims if not in_scope(c, signer.may_ask)]
    if not outside:
        return []
    return [RequestOutOfScope(
        f"the city lets {signer.name} ask only for {', '.join(signer.may_ask)}; "
        f"this request also asks for {', '.join(outside)}"
    )]


def check_answerable(request: Request, *, allow_unsigned: bool) -> None:
    """Raise VerificationFailed unless a wallet may answer `request` now.

    A request from a verifier the city lists (`signer`, set by `parse_request` against the
    key list) is answered only within the claims the city lets it ask for. Any other request
    (unsigned, or signed but not checked against a list) comes from an unknown asker whose
    name is its own claim: answered only when the holder has seen that warning and accepted
    it (`allow_unsigned`), never silently.
    """
    if request.signer is not None:
        errors = scope_errors(request.claims, request.signer)
    elif not allow_unsigned:
        errors = [RequestUnsigned(
            f"unknown asker: the city does not vouch for {request.name!r}, the name is the request's own claim; "
            "answer only if you trust it"
        )]
    else:
        errors = []
    if errors:
        raise VerificationFailed(errors)
