"""The keys issuance and revocation use, decrypted once and passed as one object.

`SigningKeys.open(store, passphrase)` decrypts the key store's active signing key and its
receipt MAC key (a scrypt each, ~0.15 s). The command line opens them once per command
(`citykey/city.py`); the service holds them in memory (`IssuerState.keys`) and opens them
again only when a key-store reload shows a new active key or receipt key, so no request
decrypts anything. Never written anywhere, never logged (`repr` leaves the secrets out).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from issuer.receipts import make_receipt, open_receipt
from issuer.statuslists import StatusRef
from keys import KeyStore
from wallet_spec.jwk import PrivateKey


@dataclass(frozen=True, slots=True)
class SigningKeys:
    issuer_id: str
    """The key store's issuer id: `iss` of credentials and receipts."""
    kid: str
    """The active signing key's id (its thumbprint)."""
    key: PrivateKey = field(repr=False)
    receipt_mac_id: str
    receipt_mac_key: bytes = field(repr=False)

    @classmethod
    def open(cls, store: KeyStore, passphrase: bytes, *, held: SigningKeys | None = None) -> SigningKeys:
        """`store`'s keys, decrypted unless `held` already has them.

        Both ids are thumbprints of their keys, so an unchanged id is an unchanged key; a rotation
        or a revoked active key changes the id, and the new key is decrypted here.
        """
        kid = store.active().kid
        if held is not None and held.kid == kid:
            key = held.key
        else:
            kid, key = store.active_signing_key(passphrase)
        if held is not None and held.receipt_mac_id == store.receipt_mac_id:
            mac_key = held.receipt_mac_key
        else:
            mac_key = store.receipt_mac_key(passphrase)
        return cls(store.issuer_id, kid, key, store.receipt_mac_id, mac_key)

    @property
    def signing(self) -> tuple[str, PrivateKey]:
        """(kid, key), as `issuer.publish.build_bundle` takes it."""
        return self.kid, self.key

    def receipt(self, refs: Iterable[StatusRef]) -> str:
        """The revocation receipt over `refs`."""
        return make_receipt(self.receipt_mac_key, self.issuer_id, refs)

    def open_receipt(self, text: Any) -> list[StatusRef]:
        """The status references of a receipt this city made; `ReceiptInvalid` otherwise."""
        return open_receipt(self.receipt_mac_key, text)
