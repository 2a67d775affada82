"""A burst of revocations and issuances while the server is killed with `kill -9`, cycle after cycle.

Each cycle starts a real `citykey issuer serve` (as tests/issuer/test_durability.py does), sends
revocations (receipts of batches issued beforehand) and OpenID4VCI issuances (token, nonce, credential
with two key proofs) from eight threads at once, and kills the process with SIGKILL at a random moment
in the middle. After the last cycle a fresh process answers, and:

* every revocation that was acknowledged (200) is in the published bundle: each of its credentials
  is revoked;
* no status index was handed out twice: the (list, index) of every credential any wallet received,
  over all cycles, is unique;
* every credential a wallet received came with a receipt that revokes it: revoking with each receipt
  received turns exactly those credentials revoked; indices allocated for requests whose answer was
  lost are held by no one, and there are at most as many of them as those requests asked for;
* no request was answered with a 5xx, and a revocation whose answer was lost succeeds when sent again.

`CRASH_CYCLES` (default 2) sets the number of cycles; `CRASH_CYCLES=20 pytest tests/issuer/test_crash_burst.py`
is the long run (docs/security.md, "Crash safety").
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from issuer.app import create_app
from issuer.batch import issue_batch
from issuer.db import status_lists
from issuer.offers import create_offer
from issuer.settings import IssuerSettings
from issuer.state import IssuerState
from keys import KeyStore
from tests.issuer.oid4vci_kit import GRANT, proof
from tests.issuer.test_durability import CITYKEY, ISSUER, PASSPHRASE, RESIDENT, database, serving  # noqa: F401
from wallet.model import Wallet
from wallet_spec.bundle import TrustBundle, load_bundle
from wallet_spec.jwk import generate_private_key
from wallet_spec.sdjwt import SdJwt
from wallet_spec.statuslist import INVALID, VALID

CYCLES = int(os.environ.get("CRASH_CYCLES", "2"))
REVOCATIONS_PER_CYCLE = 6
ISSUANCES_PER_CYCLE = 6
PROOFS = 2
THREADS = 8

pytestmark = pytest.mark.skipif(not CITYKEY.exists(), reason=f"{CITYKEY} is not installed (make installs it)")

Ref = tuple[str, int]


def refs_of(credentials: list[str] | tuple[str, ...]) -> list[Ref]:
    out = []
    for text in credentials:
        ref = SdJwt.parse(text).payload()["status"]["status_list"]
        out.append((str(ref["uri"]), int(ref["idx"])))
    return out


@dataclass
class Ledger:
    """What the clients saw, over every cycle."""

    acked_revocations: list[list[Ref]] = field(default_factory=list)
    lost_revocations: list[tuple[str, list[Ref]]] = field(default_factory=list)
    received: list[tuple[str, list[Ref]]] = field(default_factory=list)
    """(receipt, refs of the credentials that came with it), one per answered issuance."""
    in_process: list[Ref] = field(default_factory=list)
    lost_issuances: int = 0
    refused: list[int] = field(default_factory=list)
    """Statuses other than 200 (4xx are fine, e.g. an offer whose token request was lost; 5xx are not)."""


def revoke(base: str, receipt: str) -> httpx.Response:
    return httpx.post(f"{base}/revocations", json={"receipt": receipt}, timeout=20)


def issue_over_http(base: str, code: str) -> tuple[str, list[str]] | int:
    """The pre-authorized flow for two credentials: (receipt, credentials), or the refusing status."""
    with httpx.Client(base_url=base, timeout=20) as http:
        token = http.post("/token", data={"grant_type": GRANT, "pre-authorized_code": code})
        if token.status_code != 200:
            return token.status_code
        nonce = http.post("/nonce")
        if nonce.status_code != 200:
            return nonce.status_code
        proofs = [proof(generate_private_key(), nonce=nonce.json()["c_nonce"], iat=int(time.time()))
                  for _ in range(PROOFS)]
        answer = http.post("/credential", json={"credential_configuration_id": "residency", "proofs": {"jwt": proofs}},
                           headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        if answer.status_code != 200:
            return answer.status_code
        body = answer.json()
        return body["citykey_receipt"], [c["credential"] for c in body["credentials"]]


def attempt(task: Callable[[], Any]) -> Any:
    try:
        return task()
    except httpx.TransportError:
        return None  # the server died under the request: the client never got an answer


def allocated_count(state: IssuerState) -> int:
    with state.engine.connect() as conn:
        rows = conn.execute(select(status_lists.c.allocated)).all()
    return sum(bin(byte).count("1") for (bits,) in rows for byte in bits)


def test_a_kill_9_burst_loses_no_acknowledged_revocation_and_reuses_no_index(tmp_path: Path, database: str) -> None:  # noqa: F811
    data, keys_dir = tmp_path / "data", tmp_path / "data" / "keys"
    data.mkdir(mode=0o700)
    KeyStore.init(keys_dir, ISSUER, PASSPHRASE.encode(), now=int(time.time()) - 3600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYKEY_")}
    env.update(CITYKEY_DATA_DIR=str(data), CITYKEY_KEY_PASSPHRASE=PASSPHRASE, CITYKEY_RATE_LIMITS="false")
    if not database.startswith("sqlite"):
        env["CITYKEY_DB_URL"] = database
    config = IssuerSettings(data_dir=data, keys_dir=keys_dir, db_url=database,
                            key_passphrase=PASSPHRASE, city_name="Springfield")  # type: ignore[arg-type]
    state: IssuerState = create_app(config).state.issuer  # the desk's side, in this process
    log = tmp_path / "server.log"
    ledger = Ledger()
    rng = random.Random(20261129)
    try:
        for _ in range(CYCLES):
            now = int(time.time())
            batches = [issue_batch(RESIDENT, Wallet().new_holder_keys(2), keys=state.keys,
                                   registry=state.registry, now=now)
                       for _ in range(REVOCATIONS_PER_CYCLE)]
            for batch in batches:
                ledger.in_process += refs_of(batch.credentials)
            offers = [create_offer(state, RESIDENT, now=now) for _ in range(ISSUANCES_PER_CYCLE)]
            with serving(env, log) as (proc, base), ThreadPoolExecutor(THREADS) as pool:
                tasks: list[tuple[str, Any, Any]] = []
                for batch in batches:
                    tasks.append(("revoke", batch, pool.submit(attempt, lambda b=batch: revoke(base, b.receipt))))
                for offer in offers:
                    tasks.append(("issue", offer, pool.submit(
                        attempt, lambda o=offer: issue_over_http(base, o.pre_authorized_code))))
                kill_after = rng.randint(1, len(tasks) // 2)  # mid-burst: once this many have been answered
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not (
                    sum(f.done() for _, _, f in tasks) >= kill_after
                    and all(any(f.done() for k, _, f in tasks if k == kind) for kind in ("revoke", "issue"))
                ):
                    time.sleep(0.005)
                proc.send_signal(signal.SIGKILL)
                for kind, subject, future in tasks:
                    result = future.result()
                    if kind == "revoke":
                        refs = refs_of(subject.credentials)
                        if result is None:
                            ledger.lost_revocations.append((subject.receipt, refs))
                        elif result.status_code == 200:
                            ledger.acked_revocations.append(refs)
                        else:
                            ledger.refused.append(result.status_code)
                    elif result is None:
                        ledger.lost_issuances += 1
                    elif isinstance(result, int):
                        ledger.refused.append(result)
                    else:
                        receipt, credentials = result
                        ledger.received.append((receipt, refs_of(credentials)))

        assert not [s for s in ledger.refused if s >= 500], ledger.refused
        delivered = [ref for _, refs in ledger.received for ref in refs]
        every = ledger.in_process + delivered
        assert len(every) == len(set(every)), "a status index was handed out twice"

        with serving(env, log) as (_, base):
            root = KeyStore.open(keys_dir).root_thumbprint

            def bundle() -> TrustBundle:
                return load_bundle(httpx.get(f"{base}/trust-bundle", timeout=20).text, root, now=int(time.time()))

            published = bundle()
            for refs in ledger.acked_revocations:
                assert [published.status(uri, idx, now=int(time.time())) for uri, idx in refs] == [INVALID] * len(refs)
            for uri, idx in delivered:
                assert published.status(uri, idx, now=int(time.time())) == VALID  # nobody revoked these yet
            for receipt, _ in ledger.lost_revocations:
                assert revoke(base, receipt).status_code == 200  # sent again, it goes through
            for receipt, refs in ledger.received:
                answer = revoke(base, receipt)
                assert answer.status_code == 200, answer.text
                assert answer.json()["revoked"] == len(refs)
            final = bundle()
            for _, refs in [*ledger.lost_revocations, *ledger.received]:
                assert {final.status(uri, idx, now=int(time.time())) for uri, idx in refs} == {INVALID}
        orphans = allocated_count(state) - len(every)
        assert 0 <= orphans <= PROOFS * ledger.lost_issuances, (orphans, ledger.lost_issuances)
        assert ledger.acked_revocations or ledger.received, "the kill came before any answer: nothing was tested"
    finally:
        state.engine.dispose()
    print(f"cycles={CYCLES} acked_revocations={len(ledger.acked_revocations)} lost_revocations="
          f"{len(ledger.lost_revocations)} issued={len(ledger.received)} lost_issuances={ledger.lost_issuances} "
          f"orphan_indices={orphans} refused={sorted(ledger.refused)}")
