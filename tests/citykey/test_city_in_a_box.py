"""`citykey demo --serve`: a newcomer's city in a box works end to end (issue: the verifier, item 9).

The real command starts the issuer (desk, web wallet) and a library's scanner on loopback and
prints three URLs and a login. With only what it printed, the test signs in at the desk, enrols
a resident, receives the batch with the reference wallet from the desk's offer link, shows a
one-way code to the library, and the scanner accepts it once and then says it was used.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.issuer.desk.desk_support import RESIDENT, csrf_of, offer_uri_in

CITYKEY = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "citykey"
WALLET_PASSPHRASE = "resident wallet passphrase"

pytestmark = pytest.mark.skipif(not CITYKEY.exists(), reason=f"{CITYKEY} is not installed (make installs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _printed(proc: subprocess.Popen[bytes], until: str, timeout: float = 180) -> str:
    """What the command printed until `until` appeared (read unbuffered: select sees every byte)."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while until.encode() not in seen:
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail(f"the city did not start:\n{seen.decode(errors='replace')}")
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            seen += os.read(proc.stdout.fileno(), 65536)
    return seen.decode()


def _citykey(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(CITYKEY), *args], env=env, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_city_in_a_box_enrols_receives_and_scans(tmp_path: Path) -> None:
    port, scanner_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYKEY_")} | {"NO_COLOR": "1"}
    proc = subprocess.Popen(  # noqa: S603 - our own command
        [str(CITYKEY), "demo", "--serve", "--home", str(tmp_path / "city"), "--port", str(port),
         "--scanner-port", str(scanner_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        banner = _printed(proc, "Press Ctrl-C")
        login = re.search(r"Clerk desk:\s+(\S+)\s+\(name: (\S+), password: (\S+)\)", banner)
        scanner = re.search(r"Scanner:\s+(\S+)", banner)
        assert login, banner
        assert scanner, banner
        desk_url, name, password = login.groups()
        issuer = desk_url.removesuffix("/desk/login")
        assert httpx.get(f"{issuer}/wallet/", timeout=10).status_code == 200

        with httpx.Client(base_url=issuer, headers={"origin": issuer}, timeout=30) as desk:
            token = csrf_of(desk.get("/desk/login").text)
            desk.post("/desk/login", data={"csrf": token, "name": name, "password": password})
            token = csrf_of(desk.get("/desk/enrol").text)
            page = desk.post("/desk/enrol", data={"csrf": token, **RESIDENT}, follow_redirects=True)
            assert page.status_code == 200, page.text[:500]
            offer = offer_uri_in(page.text)

        wallet_env = env | {"CITYKEY_WALLET_PASSPHRASE": WALLET_PASSPHRASE}
        wallet = str(tmp_path / "wallet")
        _citykey(wallet_env, "wallet", "init", "--dir", wallet)
        _citykey(wallet_env, "wallet", "receive", "--dir", wallet, offer)
        code = _citykey(wallet_env, "wallet", "present", "--dir", wallet, "--claims", "resident_of",
                        "--aud", scanner[1].rstrip("/"), "--qr", str(tmp_path / "code.png")).strip()
        assert code.startswith("CK2:")

        first = httpx.post(f"{scanner[1].rstrip('/')}/api/scan", json={"text": code}, timeout=10).json()
        again = httpx.post(f"{scanner[1].rstrip('/')}/api/scan", json={"text": code}, timeout=10).json()
        assert first["accepted"], (first["codes"], first["reasons"])
        assert [c["value"] for c in first["claims"]] == ["Springfield"]
        assert not again["accepted"]
        assert again["codes"] == ["replayed"]
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert b"stopped" in rest
