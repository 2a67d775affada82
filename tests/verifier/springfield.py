"""A whole city for the verifier tests: key store, status registry, issuing desk, residents' wallets, bundles.

Everything is real (encrypted key files, SQLite status lists, signed bundles); only the
KDF costs are lowered (conftest.py), as in tests/keys. Time is a parameter everywhere:
`T0` is when the city opened, and each test moves the clock by passing `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from issuer.batch import Batch, issue_batch
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle
from keys import KeyStore
from verifier import Accepted, Policy, verify
from wallet.model import Wallet
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.profile import Resident
from wallet_spec.sdjwt import ClaimPath

DAY = 86_400
T0 = 1_767_225_600 + 37_000
"""2026-01-01T10:16:40Z."""
ISSUER = "https://id.springfield.example"
PASSPHRASE = b"correct horse battery staple"
NONCE = "q3v-8ZtYpL0"
AUD = "https://bus.springfield.example"
SHOWN: list[ClaimPath] = [("resident_of",), ("age_over_65",)]
BUS = Policy(required=(("resident_of",), ("age_over_65",)), nonce=NONCE, aud=AUD)
"""A bus validator's policy: residency and the senior fare, bound to this validator and its nonce."""


@dataclass
class Holder:
    """A resident with a wallet holding one batch, and the receipt that came with it."""

    wallet: Wallet
    batch: Batch

    def present(
        self, *, now: int, paths: list[ClaimPath] | None = None, nonce: str = NONCE, aud: str = AUD
    ) -> str:
        text, _ = self.wallet.present(SHOWN if paths is None else paths, nonce=nonce, aud=aud, iat=now)
        return text


@dataclass
class City:
    store: KeyStore
    registry: StatusRegistry
    engine: Engine

    def bundle_text(self, *, now: int) -> str:
        return build_bundle(self.store, self.registry, PASSPHRASE, now=now)

    def bundle(self, *, now: int, loaded_at: int | None = None) -> TrustBundle:
        """The bundle the city publishes at `now`, as a verifier loads it at `loaded_at` (default: at once)."""
        at = now if loaded_at is None else loaded_at
        return load_bundle(self.bundle_text(now=now), self.store.root_thumbprint, now=at)

    def signing_keys(self) -> SigningKeys:
        return SigningKeys.open(self.store, PASSPHRASE)

    def enrol(self, resident: Resident, *, now: int, count: int = 4) -> Holder:
        """The desk: the resident's wallet makes holder keys, the city signs one credential per key."""
        wallet = Wallet()
        batch = issue_batch(
            resident, wallet.new_holder_keys(count), keys=self.signing_keys(), registry=self.registry, now=now,
        )
        for credential in batch.credentials:
            wallet.import_credential(credential)
        return Holder(wallet, batch)


CityMaker = Callable[..., City]


def accept(text: str, bundle: TrustBundle, *, now: int, policy: Policy = BUS) -> Accepted:
    return verify(text, bundle, policy, now=now)


def refusal(text: str, bundle: TrustBundle, *, now: int, policy: Policy = BUS) -> list[str]:
    """The sorted error codes of a presentation the verifier must refuse."""
    with pytest.raises(VerificationFailed) as info:
        verify(text, bundle, policy, now=now)
    return sorted(info.value.codes)
