"""Two issuer instances on one PostgreSQL database and one key store never hand out a status index twice.

Two `create_app` services (as behind a load balancer: same `db_url`, same key store)
issue concurrently, four threads each, through the whole OpenID4VCI flow (offer, token,
nonce, credential). Every (status list uri, idx) of the ~100 credentials is distinct, and
every credential verifies (key-bound presentation, status valid) against the trust bundle
of either instance once both have re-signed. Skipped when PostgreSQL is unreachable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.db import make_engine, metadata
from issuer.offers import create_offer
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore
from tests.issuer.oid4vci_kit import GRANT, ISSUER, PASSPHRASE, RESIDENT, proof
from verifier import Policy, verify
from wallet.model import Wallet
from wallet_spec.bundle import load_bundle
from wallet_spec.jwk import generate_private_key, private_jwk, thumbprint
from wallet_spec.sdjwt import SdJwt

THREADS_PER_INSTANCE = 4
OFFERS_PER_THREAD = 3
PER_OFFER = {"residency": 2, "identity": 2}  # 2 instances x 4 threads x 3 offers x 4 = 96 credentials
AUD, NONCE = "https://library.springfield.example", "library-nonce-1"


@pytest.fixture
def instances(tmp_path: Path, postgresql_url: str) -> Iterator[tuple[FastAPI, FastAPI]]:
    engine = make_engine(postgresql_url)
    metadata.drop_all(engine)  # the run's database is shared: start from no tables
    engine.dispose()
    KeyStore.init(tmp_path / "keys", ISSUER, PASSPHRASE.encode(), now=int(time.time()) - 3600)
    apps = []
    for name in ("a", "b"):
        settings = IssuerSettings(rate_limits=False,
            data_dir=tmp_path / name,
            keys_dir=tmp_path / "keys",
            db_url=postgresql_url,
            key_passphrase=PASSPHRASE,  # type: ignore[arg-type]
            office=name,
        )
        apps.append(create_app(settings))
    yield apps[0], apps[1]
    for app in apps:
        app.state.issuer.engine.dispose()
    engine = make_engine(postgresql_url)
    metadata.drop_all(engine)
    engine.dispose()


def enrol(app: FastAPI, barrier: threading.Barrier) -> list[tuple[str, dict[str, str]]]:
    """One wallet-side thread: OFFERS_PER_THREAD full OpenID4VCI flows against `app`; (credential, holder JWK)s."""
    state: IssuerState = app.state.issuer
    client = TestClient(app, base_url=ISSUER)
    issued = []
    barrier.wait()  # all threads of both instances start together
    for _ in range(OFFERS_PER_THREAD):
        offer = create_offer(state, RESIDENT, now=int(time.time()))
        code = client.get(f"/offers/{offer.offer_id}").json()["grants"][GRANT]["pre-authorized_code"]
        token = client.post("/token", data={"grant_type": GRANT, "pre-authorized_code": code})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for configuration, count in PER_OFFER.items():
            nonce = client.post("/nonce").json()["c_nonce"]
            keys = [generate_private_key() for _ in range(count)]
            proofs = [proof(k, nonce=nonce, iat=int(time.time())) for k in keys]
            body = {"credential_configuration_id": configuration, "proofs": {"jwt": proofs}}
            response = client.post("/credential", json=body, headers=headers)
            assert response.status_code == 200, response.text
            texts = [item["credential"] for item in response.json()["credentials"]]
            issued.extend((text, private_jwk(key)) for text, key in zip(texts, keys, strict=True))
    return issued


def test_two_instances_issuing_concurrently_never_hand_out_one_status_index_twice(
    instances: tuple[FastAPI, FastAPI],
) -> None:
    apps = [app for app in instances for _ in range(THREADS_PER_INSTANCE)]
    barrier = threading.Barrier(len(apps))
    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        results = list(pool.map(enrol, apps, [barrier] * len(apps)))
    issued = [item for result in results for item in result]
    expected = len(apps) * OFFERS_PER_THREAD * sum(PER_OFFER.values())
    assert len(issued) == expected

    refs = []
    for text, _ in issued:
        status = SdJwt.parse(text).payload()["status"]["status_list"]
        refs.append((status["uri"], status["idx"]))
    duplicates = sorted({ref for ref in refs if refs.count(ref) > 1})
    assert not duplicates, f"status indices handed out twice: {duplicates[:10]}"

    root = KeyStore.open(instances[0].state.issuer.store.directory).root_thumbprint
    for app in instances:
        state: IssuerState = app.state.issuer
        state.republish()  # the other instance's new lists, too: both read the one database
        bundle = load_bundle(state.published.bundle, root, now=int(time.time()))
        for text, jwk in issued:
            wallet = Wallet()
            wallet.holder_keys[thumbprint(jwk)] = jwk
            wallet.import_credential(text)
            presentation, _ = wallet.present([], nonce=NONCE, aud=AUD)
            verify(presentation, bundle, Policy(nonce=NONCE, aud=AUD))
