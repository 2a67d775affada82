"""`citykey verifier serve --online` and `citykey wallet respond`: OpenID4VP as a city's staff run it.

The verifier is the real command in its own process (uvicorn on loopback), synced from the
files `citykey issuer publish` writes (bundle and the city's attestation for it); the wallet
is the command in process. The page's side is an HTTP client holding the result key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from citykey import verifier as verifier_cli
from issuer.signing import SigningKeys
from issuer.trust_bundle import build_bundle, static_files, verifier_attestations
from tests.browser.support import free_port
from tests.citykey.cli import ENV, KEY_PASSPHRASE, City, citykey, ok

LIBRARY = "https://library.springfield.example"


def publish(city: City, directory: Path) -> Path:
    """What `citykey issuer publish --to DIR` writes: the bundle, status lists and verifier attestations."""
    now = int(time.time())
    city.registry.ensure_open()  # as the issuer service does when it starts (credentials point into this list)
    bundle = build_bundle(city.store, city.registry, KEY_PASSPHRASE, now=now)
    keys = SigningKeys.open(city.store, KEY_PASSPHRASE)
    attestations = verifier_attestations(bundle, kid=keys.kid, key=keys.key, now=now)
    for name, text in static_files(bundle, attestations).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text + "\n")
    return directory / "trust-bundle"


def library(city: City, may_ask: str) -> Path:
    directory = city.tmp / "library"
    jwk = ok("verifier", "init", "--dir", directory, "--aud", LIBRARY, "--name", "Springfield Public Library",
             "--root", city.root)
    (city.tmp / "library.jwk").write_text(jwk)
    ok("verifier", "register", "--keys", city.keys, "--aud", LIBRARY, "--name", "Springfield Public Library",
       "--jwk", city.tmp / "library.jwk", "--may-ask", may_ask)
    return directory


@pytest.fixture
def served(city: City) -> Iterator[tuple[City, str, Path]]:
    directory = library(city, "resident_of,age_over_65")
    site = city.tmp / "site"
    site.mkdir()
    ok("verifier", "sync", "--dir", directory, publish(city, site))
    assert (directory / "attestation.jwt").exists()
    port = free_port()
    env = {k: v for k, v in {**os.environ, **ENV}.items() if v is not None}
    process = subprocess.Popen(  # noqa: S603 - our own command
        [str(Path(sys.executable).parent / "citykey"), "verifier", "serve", "--dir", str(directory),
         "--policy", "senior-fare", "--online", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/api/state", timeout=0.5)
                break
            except httpx.HTTPError:
                if process.poll() is not None:
                    error = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"the verifier did not start: {error}")
                time.sleep(0.05)
        yield city, url, directory
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_resident_answers_a_web_service_from_the_command_line(served: tuple[City, str, Path]) -> None:
    city, url, _ = served
    wallet = city.wallet()
    started = httpx.post(f"{url}/openid4vp/transactions", json={"policy": "senior-fare"}).json()
    result = citykey("wallet", "respond", "--dir", wallet, started["invocation"], "--bundle", city.bundle(),
                     "--root", city.root, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Springfield Public Library" in result.stderr
    assert "resident_of, age_over_65" in result.stderr
    decided = httpx.get(f"{url}/openid4vp/transactions/{started['id']}",
                        headers={"X-Result-Key": started["result_key"]}).json()
    assert decided["accepted"] is True, decided["codes"]
    assert {c["label"] for c in decided["claims"]} == {"Resident of", "65 or over"}


def test_without_a_terminal_to_ask_on_the_wallet_shares_nothing_unless_told(served: tuple[City, str, Path]) -> None:
    city, url, _ = served
    wallet = city.wallet()
    started = httpx.post(f"{url}/openid4vp/transactions", json={"policy": "senior-fare"}).json()
    result = citykey("wallet", "respond", "--dir", wallet, started["invocation"], "--bundle", city.bundle(),
                     "--root", city.root)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    pending = httpx.get(f"{url}/openid4vp/transactions/{started['id']}",
                        headers={"X-Result-Key": started["result_key"]}).json()
    assert pending["status"] == "pending"


def test_a_service_asking_beyond_its_scope_is_refused_and_told_nothing(served: tuple[City, str, Path]) -> None:
    city, url, _ = served
    wallet = city.wallet()
    started = httpx.post(f"{url}/openid4vp/transactions", json={"policy": "library-signup"}).json()
    result = citykey("wallet", "respond", "--dir", wallet, started["invocation"], "--bundle", city.bundle(),
                     "--root", city.root, "--yes")
    assert result.exit_code == 1
    assert "request_out_of_scope" in result.stderr


def test_online_mode_needs_the_verifiers_own_key(city: City) -> None:
    directory = city.tmp / "gate"
    ok("verifier", "init", "--dir", directory, "--aud", LIBRARY, "--name", "Gate", "--no-key", "--root", city.root)
    result = citykey("verifier", "serve", "--dir", directory, "--policy", "senior-fare", "--online")
    assert result.exit_code == 2
    assert "own key" in result.stderr
    assert verifier_cli.KEY_FILE not in {p.name for p in directory.iterdir()}
    assert json.loads((directory / verifier_cli.PUBLIC_FILE).read_text())["aud"] == LIBRARY
