"""What the city publishes for verifiers: status list tokens and the trust bundle."""

from __future__ import annotations

from issuer.statuslists import StatusRegistry
from keys import KeyStore
from wallet_spec import jws
from wallet_spec.bundle import sign_bundle
from wallet_spec.errors import FormatError
from wallet_spec.jwk import PrivateKey

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
    """Sign fresh status list tokens and wrap them with the root-signed key list in a bundle,
    with the verifiers the city vouches for (`KeyStore.register_verifier`).

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
        verifiers=store.verifiers(),
    )


def static_files(bundle: str) -> dict[str, str]:
    """What a static web host serves in place of the service: relative path -> token.

    `trust-bundle` and `statuslists/{id}`, the paths of `/trust-bundle` and
    `/statuslists/{id}`, so verifiers and wallets use the same URLs either way.
    """
    files = {"trust-bundle": bundle}
    for token in jws.parse(bundle, what="trust bundle").payload.get("status_lists", []):
        uri = jws.parse(token, what="status list token").payload.get("sub")
        list_id = uri.rsplit("/", 1)[-1] if isinstance(uri, str) else ""
        if not list_id.isdigit():
            raise FormatError("a status list token has no numbered URI")
        files[f"statuslists/{list_id}"] = token
    return files
