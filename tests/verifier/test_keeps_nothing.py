"""The scanner keeps nothing: 100 residents' presentations leave no personal value in anything it wrote.

A bank's kiosk (`bank-account`: name, birthdate, address; challenge mode) and a
library's handheld gate (`library-signup`, with every code scanned twice so
refusals run too) decide 100 seeded residents' presentations through the
scanner's API, with every logger at DEBUG into a file in the verifier's
directory and into pytest's capture. Then every byte the verifier wrote is
searched (its directory: counts, sync state, the SQLite replay cache with its
-wal and -shm, the log file; and the captured log records) for each seeded
value as UTF-8, UTF-16-LE, hex, and base64/base64url at the three byte
alignments (the search of tests/issuer/test_nothing_to_subpoena.py): zero hits.
The same search over the API's answers finds every value, so it cannot pass blind.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.issuer.test_nothing_to_subpoena import Needles
from tests.support import debug_logs_into
from tests.verifier.kiosk import KIOSK_AUD, make_gate, make_home, personal_values, resident
from tests.verifier.springfield import T0, City
from verifier.scanner.app import create_app
from wallet_spec import qr
from wallet_spec.request import parse_request

RESIDENTS = 100
LOGGERS = ("", "citykey", "citykey.verifier", "uvicorn", "uvicorn.access", "fastapi", "httpx", "httpcore",
           "starlette")


def test_a_hundred_presentations_leave_no_personal_value_behind(
    tmp_path: Path, city: City, caplog: pytest.LogCaptureFixture
) -> None:
    people = [resident(i) for i in range(RESIDENTS)]
    holders = [city.enrol(person, now=T0, count=1) for person in people]
    bank_dir = make_home(tmp_path / "bank", city, now=T0)
    gate_dir = make_home(tmp_path / "library", city, now=T0)
    caplog.set_level(logging.DEBUG)  # first: caplog puts back the level it finds now
    restore = debug_logs_into(bank_dir / "scanner.log", LOGGERS)
    answers: list[str] = []
    bank, library = make_gate(bank_dir, "bank-account"), make_gate(gate_dir, "library-signup")
    library.policy = replace(library.policy, mode="one-way")  # a handheld scanner: one-way, replay cache
    try:
        bank_api = TestClient(create_app(bank, clock=lambda: T0 + 20))
        library_api = TestClient(create_app(library, clock=lambda: T0 + 20))
        outcomes: dict[str, int] = {}
        for i, holder in enumerate(holders):
            request = parse_request(bank_api.post("/api/challenge").json()["text"], now=T0 + 20)
            answer, _ = holder.wallet.answer(request, iat=T0 + 20, allow_unsigned=True)
            decided = bank_api.post("/api/scan", json={"text": qr.encode(answer)}, params={"lang": "es"})
            answers.append(decided.text)
            outcomes[decided.json()["outcome"]] = outcomes.get(decided.json()["outcome"], 0) + 1
            code, _ = holder.wallet.present([("given_name",), ("family_name",), ("address",)],
                                            nonce=f"handheld-nonce-{i:04d}", aud=KIOSK_AUD, iat=T0 + 20)
            for _ in range(2):  # accepted, then replayed
                decided = library_api.post("/api/scan", json={"text": qr.encode(code)})
                answers.append(decided.text)
                outcomes[decided.json()["outcome"]] = outcomes.get(decided.json()["outcome"], 0) + 1
        assert outcomes == {"accepted": 2 * RESIDENTS, "refused": RESIDENTS}
    finally:
        bank.close()
        library.close()
        restore()

    needles = Needles()
    for person in people:
        needles.add(personal_values(person))
    pattern = needles.pattern()
    everything_shown = "\n".join(answers).encode("utf-8")
    seen = needles.values_in(pattern, everything_shown)
    assert seen >= {v for p in people for v in personal_values(p)}, "the search must find what the page showed"

    written = [p for d in (bank_dir, gate_dir) for p in sorted(d.rglob("*")) if p.is_file()]
    names = {p.name for p in written}
    assert {"counts.json", "replay.db", "scanner.log", "bundle.jwt", "trust.json"} <= names
    hits: list[str] = []
    for path in written:
        hits += needles.hits(pattern, str(path.relative_to(tmp_path)), path.read_bytes())
    logged = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r}" for r in caplog.records)
    hits += needles.hits(pattern, "captured log", logged.encode("utf-8"))
    hits += needles.hits(pattern, "captured log (UTF-16)", logged.encode("utf-16-le"))
    assert hits == []
    assert "decision accepted" in logged  # the log ran at DEBUG and saw every decision
    counts = (bank_dir / "counts.json").read_text()
    assert '"accepted":100' in counts


def test_online_answers_leave_no_personal_value_in_redis_or_the_logs(
    tmp_path: Path, city: City, caplog: pytest.LogCaptureFixture
) -> None:
    """OpenID4VP (docs/openid4vp.md): 20 residents answer a sign-up page; what the transaction store holds while
    each answer waits for its page, and every log line, hold none of their values, which the page does show."""
    import time

    import redis
    from fastapi import FastAPI

    from issuer.trust_bundle import verifier_attestations
    from verifier.online import openid4vp_router
    from verifier.openid4vp import OnlineVerifier
    from verifier.policies import load_policies
    from verifier.transactions import RedisTransactions
    from wallet.openid4vp import answer, fetch_request
    from wallet_spec.jwk import generate_private_key, public_jwk, thumbprint

    people = [resident(i) for i in range(20)]
    now = int(time.time())
    key = generate_private_key()
    city.store.register_verifier(KIOSK_AUD, "Springfield Public Library", public_jwk(key), ["given_name",
                                 "family_name", "address"])
    holders = [city.enrol(person, now=now, count=1) for person in people]
    keys = city.signing_keys()
    bundle_text = city.bundle_text(now=now)
    attestation = verifier_attestations(bundle_text, kid=keys.kid, key=keys.key, now=now)[thumbprint(key)]
    prefix = f"citykey:keeps-nothing:{time.monotonic_ns()}:"
    online = OnlineVerifier(aud=KIOSK_AUD, key=key, attestation=lambda: attestation,
                            bundle=lambda at: city.bundle(now=at), policies=load_policies(),
                            store=RedisTransactions("redis://127.0.0.1:6379/0", prefix=prefix),
                            public_url="http://localhost")
    app = FastAPI()
    app.include_router(openid4vp_router(online))
    raw = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    caplog.set_level(logging.DEBUG)
    restore = debug_logs_into(tmp_path / "online.log", LOGGERS)
    stored, answers = [], []
    try:
        client = TestClient(app, base_url="http://localhost")
        for holder in holders:
            started = client.post("/openid4vp/transactions", json={"policy": "library-signup"}).json()
            asked = fetch_request(started["invocation"], http=client, bundle=city.bundle(now=now), now=now)
            answer(asked, holder.wallet, http=client, now=now)
            stored += [raw.get(name) or b"" for name in raw.scan_iter(match=prefix + "*")]
            answers.append(client.get(f"/openid4vp/transactions/{started['id']}",
                                      headers={"X-Result-Key": started["result_key"]}).text)
    finally:
        restore()
    assert all('"accepted":true' in a for a in answers)

    needles = Needles()
    disclosed = [v for person in people for v in personal_values(person) if v != person.birthdate.isoformat()]
    needles.add(disclosed)
    pattern = needles.pattern()
    seen = needles.values_in(pattern, "\n".join(answers).encode("utf-8"))
    assert seen >= set(disclosed), "the search must find what the page showed"
    hits = needles.hits(pattern, "redis while answers waited", b"\n".join(stored))
    hits += needles.hits(pattern, "online.log", (tmp_path / "online.log").read_bytes())
    logged = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r}" for r in caplog.records)
    hits += needles.hits(pattern, "captured log", logged.encode("utf-8"))
    assert hits == []
    assert "openid4vp decision accepted" in logged
    assert list(raw.scan_iter(match=prefix + "*")) == []  # every transaction read and gone
