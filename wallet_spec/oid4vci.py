"""OpenID4VCI 1.0 names both sides use: the grant, the proof type, the format, well-known paths, media types.

The issuer (`issuer.oid4vci`, `issuer.offers`, `issuer.api`) and the wallet's client
(`wallet.oid4vci`) read these from here, so the two cannot drift apart.
"""

from __future__ import annotations

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
"""The pre-authorized code grant (OpenID4VCI §4.1.1), in offers, metadata and token requests."""
PRE_AUTHORIZED_CODE = "pre-authorized_code"
"""The grant's code parameter: in the offer's grant object and in the token request."""
OFFER_SCHEME = "openid-credential-offer://"
"""A credential offer as a URI (§4.1.3), e.g. `openid-credential-offer://?credential_offer_uri=…`."""
PROOF_TYP = "openid4vci-proof+jwt"
"""The `typ` of a key proof JWT (§F.1)."""
PROOF_TYPE = "jwt"
"""The one proof type offered and sent (`proofs: {"jwt": [...]}`)."""
FORMAT = "dc+sd-jwt"
"""The credential format identifier of SD-JWT VCs (§A.3)."""

ISSUER_METADATA = "openid-credential-issuer"
"""The well-known suffix of the credential issuer's metadata (§12.2.2)."""
AUTHORIZATION_SERVER_METADATA = "oauth-authorization-server"
"""The well-known suffix of the authorization server's metadata (RFC 8414 §3)."""

REQUEST_DENIED = "credential_request_denied"
"""The credential error (§8.3.1.2) for an offered configuration this resident is not given: a fact
pass whose fact is not true for them. Every offer names the same configurations, so an offer (a
photographed QR code, a sealed row's length) tells nothing of the resident; a wallet skips these."""

JSON_MEDIA_TYPE = "application/json"
"""Metadata, offers, credential requests and responses."""

__all__ = [
    "AUTHORIZATION_SERVER_METADATA",
    "FORMAT",
    "ISSUER_METADATA",
    "JSON_MEDIA_TYPE",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_CODE",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_TYP",
    "PROOF_TYPE",
    "REQUEST_DENIED",
]
