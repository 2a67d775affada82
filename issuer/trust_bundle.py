"""The trust bundle the city publishes for verifiers: its status list tokens signed, and the bundle around them.

The routes that serve it are `issuer.api.publication`.
"""

from __future__ import annotations

from collections.abc import Mapping

from issuer.statuslists import StatusRegistry
from keys import KeyStore
from wallet_spec import jws
from wallet_spec.bundle import sign_bundle
from wallet_spec.errors import FormatError
from wallet_spec.jwk import PrivateKey
from wallet_spec.openid4vp import sign_attestation
from wallet_spec.request import verifiers_from_json

HOUR = 3600
DAY = 24 * HOUR
STATUS_TTL = DAY
"""Verifiers should fetch a fresh status list daily."""
STATUS_LIFETIME = 8 * DAY
"""A status token outlives the verifier's default bundle age limit (7 days), so a verifier
that has synced within its limit always has a valid list to check."""
BUNDLE_INTERVAL = DAY


def status_base_uri(issuer_id: str) -> str:
    return f"{issuer_id.rstrip('/')}/statuslists"


def build_bundle(
    store: KeyStore,
    registry: StatusRegistry,
    passphrase: bytes,
    *,
    now: int,
    signing: tuple[str, PrivateKey] | None = None,
) -> str:
    """Sign fresh status list tokens and wrap them with the root-signed key list in a bundle
    (which names the verifiers the city vouches for, `KeyStore.register_verifier`).

    `signing` is the store's active signing key (kid, key) if the caller holds it decrypted already."""
    key_list = store.published_key_list(passphrase, now=now)
    kid, key = signing or store.active_signing_key(passphrase)
    tokens = registry.sign_tokens(key, kid, now=now, ttl=STATUS_TTL, lifetime=STATUS_LIFETIME)
    return sign_bundle(
        key_list_token=key_list,
        status_list_tokens=tokens,
        issuer=store.issuer_id,
        issued_at=now,
        next_update=now + BUNDLE_INTERVAL,
        signing_key=key,
        kid=kid,
    )


def status_list_uris(bundle: str) -> frozenset[str]:
    """The status lists a bundle this issuer signed carries (their `sub`), read once per re-signing."""
    payload = jws.parse(bundle, what="trust bundle").payload
    return frozenset(jws.parse(t, what="status list token").payload["sub"] for t in payload["status_lists"])


def verifier_attestations(bundle: str, *, kid: str, key: PrivateKey, now: int) -> dict[str, str]:
    """A Verifier Attestation JWT (OpenID4VP 1.0 §12) for each verifier the bundle's key list names, by its kid.

    Signed with the bundle's own signing key, from the root-signed list only: the issuer vouches
    for no verifier the root has not listed, and a wallet checks the list as well.
    """
    key_list = jws.parse(jws.parse(bundle, what="trust bundle").payload["key_list"], what="key list").payload
    issuer = key_list["iss"]
    return {
        listed.kid: sign_attestation(listed, issuer=issuer, key=key, kid=kid, now=now)
        for listed in verifiers_from_json(key_list.get("verifiers", []))
    }


def static_files(bundle: str, attestations: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a static web host serves in place of the service: relative path -> token.

    `trust-bundle` and `statuslists/{id}`, the paths of `/trust-bundle` and
    `/statuslists/{id}`, so verifiers and wallets use the same URLs either way.
    """
    files = {"trust-bundle": bundle, **{f"verifier-attestations/{k}": t for k, t in (attestations or {}).items()}}
    for token in jws.parse(bundle, what="trust bundle").payload.get("status_lists", []):
        uri = jws.parse(token, what="status list token").payload.get("sub")
        list_id = uri.rsplit("/", 1)[-1] if isinstance(uri, str) else ""
        if not list_id.isdigit():
            raise FormatError("a status list token has no numbered URI")
        files[f"statuslists/{list_id}"] = token
    return files
