"""The city the interop tests talk to over HTTP, and the one way they run the scripts of other libraries.

`City` is the real issuer app on loopback (its issuer id is that loopback URL, so a credential's
`iss` leads to the city itself): the desk's offers, the reference wallet's OpenID4VCI client,
verifiers listed in its key store with the bundle re-signed, and the bundle as a verifier loads it.
`run` starts one Node script of this folder and reads its one-line JSON verdict (`interop.mjs`
documents the shape: `accepted`, and for a refusal `by`, `rule`, `error`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from issuer.offers import Offer, create_offer
from issuer.signing import SigningKeys
from issuer.state import IssuerState
from keys import KeyStore
from tests.support import CITY_PASSPHRASE
from wallet import oid4vci
from wallet.model import Wallet
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.jwk import thumbprint
from wallet_spec.profile import Address, Resident

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node")
INSTALLED = HERE / "node_modules" / ".installed"
ADDRESS = Address("1 Elm Row", "Springfield", "62704")
RESIDENT = Resident("Dolores", "Sample", dt.date(1957, 4, 2), "Springfield", ADDRESS)


def pinned(name: str) -> str:
    """`name@version` as `package-lock.json` pins it: what a script reports as the library that answered."""
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    return f"{name}@{lock['packages'][f'node_modules/{name}']['version']}"


def now() -> int:
    return int(time.time())


@dataclass
class City:
    url: str
    keys_dir: Path
    state: IssuerState

    def offer(self, resident: Resident = RESIDENT, *, tx_code_length: int | None = None) -> Offer:
        """What the desk hands a resident: an offer of one credential of each standard type."""
        return create_offer(self.state, resident, now=now(), tx_code_length=tx_code_length)

    def receive(self, resident: Resident = RESIDENT) -> Wallet:
        """A fresh batch, one credential of each standard type, through the reference wallet's OpenID4VCI client."""
        wallet = Wallet()
        with httpx.Client(timeout=30) as http:
            oid4vci.receive(wallet, self.offer(resident).offer_uri, http=http, per_type=1)
        return wallet

    def signing_key(self) -> SigningKeys:
        return SigningKeys.open(KeyStore.open(self.keys_dir), CITY_PASSPHRASE)

    def list_verifier(self, aud: str, name: str, jwk: dict[str, Any], may_ask: list[str]) -> str:
        """Register a verifier's public key with its scope, re-sign the bundle (and its attestations); its kid."""
        KeyStore.open(self.keys_dir).register_verifier(aud, name, jwk, may_ask)
        self.state.republish()
        return thumbprint(jwk)

    def attestation(self, kid: str) -> str:
        """The city's Verifier Attestation JWT for the listed verifier key `kid`, as the issuer serves it."""
        return self.state.published.attestations[kid]

    def bundle(self) -> TrustBundle:
        """The published trust bundle, loaded as a verifier or a wallet loads it (against the pinned root)."""
        return load_bundle(self.state.published.bundle, KeyStore.open(self.keys_dir).root_thumbprint, now=now())


def run(script: str, *args: str, stdin: str | None = None, timeout: float = 60) -> tuple[int, dict[str, Any]]:
    """Run `node script args`; its exit code and the JSON verdict it printed."""
    assert NODE is not None
    done = subprocess.run(  # noqa: S603  # our script, our arguments
        [NODE, str(HERE / script), *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
        cwd=HERE,
    )
    assert done.stdout, f"{script} printed no verdict (exit {done.returncode}): {done.stderr}"
    verdict: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return done.returncode, verdict


def accepted(script: str, *args: str, stdin: str | None = None) -> dict[str, Any]:
    code, verdict = run(script, *args, stdin=stdin)
    assert (code, verdict["accepted"]) == (0, True), verdict
    return verdict


def refused(script: str, *args: str, stdin: str | None = None) -> dict[str, Any]:
    code, verdict = run(script, *args, stdin=stdin)
    assert (code, verdict["accepted"]) == (1, False), verdict
    return verdict
