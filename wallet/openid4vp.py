"""The resident's side of OpenID4VP 1.0: read a service's request, ask the holder, answer encrypted.

    asked = fetch_request(link, http=..., bundle=..., now=...)   # checked before anything is shown
    # show asked.verifier.name and asked.request.dcql.claim_names; the holder agrees, or not
    sent = answer(asked, wallet, http=..., now=...)       # or decline(asked, http=...)

`fetch_request` takes the link or QR text (`openid4vp://?client_id=…&request_uri=…`),
fetches the Request Object without following redirects (§14.6), and checks it
against the city's trust bundle (`wallet_spec.openid4vp.verify_authorization_request`):
a verifier the city lists and attests, its listed key, its registered scope.
`answer` presents, for each credential query, the smallest credential that holds the
claims, key-bound to the request's nonce and full client id, and posts the
response encrypted to the transaction's key. The wallet talks only to the
verifier's `request_uri` and `response_uri`, never to the city.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from citykey_io.http import get_bounded
from wallet.model import StoredCredential, Wallet
from wallet_spec import jwe, openid4vp
from wallet_spec.bundle import TrustBundle
from wallet_spec.errors import FormatError, UsageError, VerifierUnreachable
from wallet_spec.openid4vp import VerifiedRequest
from wallet_spec.profile import ALL_VCTS


@dataclass(frozen=True, slots=True)
class Sent:
    """What the wallet did: which credentials it showed (their use counts went up)."""

    shown: tuple[StoredCredential, ...]


def fetch_request(link: str, *, http: httpx.Client, bundle: TrustBundle, now: int) -> VerifiedRequest:
    """The request behind a link or QR code, checked; raises with every reason it must not be answered."""
    client_id, request_uri = openid4vp.parse_invocation(link)
    try:
        fetched = get_bounded(http, request_uri, limit=openid4vp.MAX_REQUEST_OBJECT_CHARS, what="the service's request",
                              headers={"Accept": openid4vp.REQUEST_MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise VerifierUnreachable(f"the service at {request_uri} does not answer: {exc}") from None
    if fetched.status != 200:
        raise VerifierUnreachable(f"the service answered {fetched.status} instead of its request")
    if fetched.media_type != openid4vp.REQUEST_MEDIA_TYPE:
        raise FormatError(
            f"the service's request must be {openid4vp.REQUEST_MEDIA_TYPE}, not {fetched.media_type or 'untyped'}"
        )
    try:
        text = fetched.body.decode("ascii")
    except UnicodeDecodeError:
        raise FormatError("the service's request is not a compact JWS (not ASCII)") from None
    return openid4vp.verify_authorization_request(
        text, client_id_param=client_id, key_list=bundle.key_list, now=now
    )


def answer(asked: VerifiedRequest, wallet: Wallet, *, http: httpx.Client, now: int) -> Sent:
    """Present what `asked` asks for, encrypted to the verifier's transaction key, and post it."""
    request = asked.request
    vp_token: dict[str, list[str]] = {}
    shown = []
    for query in request.dcql.credentials:
        kinds = frozenset(query.vct_values) & ALL_VCTS
        if not kinds:
            raise UsageError("the service asks for no type of city credential")
        text, chosen = wallet.present(query.claims, nonce=request.nonce, aud=request.client_id, iat=now, vct=kinds)
        vp_token[query.id] = [text]
        shown.append(chosen)
    sealed = jwe.encrypt(openid4vp.response_payload(vp_token, request.state), request.encryption_jwk,
                         enc=request.enc_values[0])
    try:
        response = http.post(request.response_uri, data={"response": sealed}, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise VerifierUnreachable(f"the service at {request.response_uri} does not answer: {exc}") from None
    if response.status_code != 200:
        raise VerifierUnreachable(f"the service refused the answer ({response.status_code})")
    return Sent(tuple(shown))


def decline(asked: VerifiedRequest, *, http: httpx.Client) -> None:
    """Tell the service the holder said no (`access_denied`, the request's `state`, nothing else), so its
    page stops waiting; raises `VerifierUnreachable` if it could not be told (nothing was shared either way)."""
    request = asked.request
    try:
        response = http.post(request.response_uri, data=openid4vp.decline_form(request.state), follow_redirects=False)
    except httpx.HTTPError as exc:
        raise VerifierUnreachable(f"the service at {request.response_uri} does not answer: {exc}") from None
    if response.status_code != 200:
        raise VerifierUnreachable(f"the service refused the refusal ({response.status_code})")
