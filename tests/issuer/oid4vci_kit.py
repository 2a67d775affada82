"""What the OpenID4VCI tests share: an issuer service on a throw-away key store, a clock they move, proofs.

The service is the real app (`issuer.app.create_app`) behind FastAPI's TestClient;
only the endpoints' clock (`issuer.api.oid4vci.clock`) is replaced, so offers,
tokens and nonces can be made to expire without waiting.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.api import oid4vci as routes
from issuer.app import create_app
from issuer.db import nonces, pending_offers, sqlite_url
from issuer.offers import Offer, create_offer
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.encoding import b64url_encode, json_dumps
from wallet_spec.jwk import PrivateKey, generate_private_key, public_jwk
from wallet_spec.oid4vci import PROOF_TYP
from wallet_spec.profile import BASE_TYPES, Address, Resident, standard_types

ISSUER = "https://id.springfield.example"
PASSPHRASE = "correct horse battery staple"
CITY = "Springfield"
RESIDENT = Resident(
    "Zyxwanda",
    "Qorvath-Ilmenau",
    dt.date(1958, 3, 14),
    CITY,
    Address("742 Quillbrook Terrace", "Springfield", "99731"),
)
"""Values unusual enough that finding one in the database can only mean it was stored."""
PERSONAL_VALUES = ("Zyxwanda", "Qorvath", "Ilmenau", "1958-03-14", "Quillbrook", "99731")
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

STANDARD = [t.name for t in BASE_TYPES]
"""Four configurations every resident is offered (the batch tests ask four credentials of each)."""
OFFERED = [t.name for t in standard_types(RESIDENT, now=int(time.time()))]
"""What RESIDENT (born 1958) is offered: STANDARD and every fact pass."""


@dataclass
class Kit:
    client: TestClient
    state: IssuerState
    data_dir: Path
    now: int = field(default_factory=lambda: int(time.time()))

    # --- the desk ---------------------------------------------------------------

    def offer(self, *, tx_code_length: int | None = None, resident: Resident = RESIDENT) -> Offer:
        return create_offer(self.state, resident, now=self.now, tx_code_length=tx_code_length)

    # --- the wallet's requests --------------------------------------------------

    def fetch_offer(self, offer: Offer) -> httpx.Response:
        return self.client.get(f"/offers/{offer.offer_id}")

    def token(self, code: str, tx_code: str | None = None, **extra: str) -> httpx.Response:
        form = {"grant_type": GRANT, "pre-authorized_code": code, **extra}
        if tx_code is not None:
            form["tx_code"] = tx_code
        return self.client.post("/token", data=form)

    def access_token(self, offer: Offer | None = None) -> str:
        offer = offer or self.offer()
        response = self.token(offer.pre_authorized_code, offer.tx_code)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def nonce(self) -> str:
        response = self.client.post("/nonce")
        assert response.status_code == 200, response.text
        nonce: str = response.json()["c_nonce"]
        return nonce

    def proofs(self, count: int, *, nonce: str | None = None, **kwargs: Any) -> tuple[list[PrivateKey], list[str]]:
        nonce = nonce or self.nonce()
        keys = [generate_private_key() for _ in range(count)]
        return keys, [proof(k, nonce=nonce, iat=self.now, **kwargs) for k in keys]

    def credential(self, token: str | None, body: Any) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return self.client.post("/credential", json=body, headers=headers)

    def request(self, token: str, configuration: str, proofs: list[str]) -> httpx.Response:
        return self.credential(token, {"credential_configuration_id": configuration, "proofs": {"jwt": proofs}})

    # --- what the city publishes and stores ------------------------------------------------

    def bundle(self) -> TrustBundle:
        response = self.client.get("/trust-bundle")
        assert response.status_code == 200
        return load_bundle(response.text, KeyStore.open(self.state.store.directory).root_thumbprint, now=self.now)

    def pending_rows(self) -> list[Any]:
        with self.state.engine.connect() as conn:
            return list(conn.execute(select(pending_offers)).all())

    def nonce_rows(self) -> list[Any]:
        with self.state.engine.connect() as conn:
            return list(conn.execute(select(nonces)).all())


def proof(
    key: PrivateKey,
    *,
    nonce: str | None,
    iat: int,
    aud: str = ISSUER,
    typ: str = PROOF_TYP,
    header: Mapping[str, Any] | None = None,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """An `openid4vci-proof+jwt` for `key`; `header`/`claims` add or override members (None drops one)."""
    full_header = {"alg": "ES256", "typ": typ, "jwk": public_jwk(key), **(header or {})}
    payload: dict[str, Any] = {"aud": aud, "iat": iat, "nonce": nonce, **(claims or {})}
    return raw_jws(
        {k: v for k, v in full_header.items() if v is not None},
        {k: v for k, v in payload.items() if v is not None},
        key,
    )


def raw_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: PrivateKey) -> str:
    """An ES256 signature over exactly this header, whatever its `alg` says (`jws.sign` would set it)."""
    parts = (b64url_encode(json_dumps(dict(part)).encode()) for part in (header, payload))
    signing_input = ".".join(parts)
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


KIT_BATCH = 16


@contextmanager
def service(tmp: Path, *, db_url: str | None = None, **settings: Any) -> Iterator[Kit]:
    """A fresh key store and database, the app on them, and the endpoints' clock set to `Kit.now`.

    Batches of 16 (`max_batch`) unless told otherwise: the tests' counts stay small and readable;
    the default size is `issuer.batch.MAX_BATCH`.
    """
    settings.setdefault("max_batch", KIT_BATCH)
    keys_dir = tmp / "keys"
    KeyStore.init(keys_dir, ISSUER, PASSPHRASE.encode(), now=int(time.time()) - 3600)
    config = IssuerSettings(rate_limits=False,
        data_dir=tmp,
        keys_dir=keys_dir,
        db_url=db_url or sqlite_url(tmp / "issuer.db"),
        key_passphrase=PASSPHRASE,  # type: ignore[arg-type]  # pydantic makes the SecretStr
        city_name=CITY,
        **settings,
    )
    app = create_app(config)
    state: IssuerState = app.state.issuer
    kit = Kit(TestClient(app, base_url=ISSUER), state, tmp)
    app.dependency_overrides[routes.clock] = lambda: kit.now
    try:
        yield kit
    finally:
        state.engine.dispose()
