"""The README runs as written: its `sh` blocks, top to bottom, in one fresh shell session.

A newcomer types the README's commands into a shell opened in the repository;
this test does the same in an empty folder (with the repository's `docs/` and
`.venv` linked in), block after block, each block's exported variables carried
to the next as a shell would. It replaces only what the README asks the reader
to replace: `…` passphrases and secrets, `ROOT_THUMBPRINT`, the nonce `N`, each
`KID`, the offer link the desk shows, and the optional `[--…]` parts. The issuer
the README starts in the background listens on a free port instead of 8080, and
is stopped at the end. The quick start's `make demo` and `make test` are not run
here (`make test` runs this test; tests/citykey/test_demo.py runs the demo).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SECRETS = {
    "CITYKEY_KEY_PASSPHRASE": "readme key passphrase",
    "CITYKEY_WALLET_PASSPHRASE": "readme wallet",
    "CITYKEY_SESSION_SECRET": "readme session secret, 32 bytes or more",
    "CITYKEY_CLERK_PASSWORD": "readme desk password",
    "CITYKEY_VERIFIER_PASSPHRASE": "readme verifier passphrase",
}
NONCE = "readme-nonce-1"
PICK = "python -c 'import json,sys; print({})'"
RETIRING_KID = PICK.format('next(k["kid"] for k in json.load(sys.stdin)["keys"] if k["state"] != "active")')
VERIFIER_KID = PICK.format('json.load(sys.stdin)["verifiers"][0]["kid"]')
ROOT = '"$(citykey keys list --dir citykey-data/keys --json | {})"'.format(
    PICK.format('json.load(sys.stdin)["root_thumbprint"]'))
"""What `citykey keys init` printed, looked up when the command runs (the reader copies it)."""


def sh_blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", README.read_text(encoding="utf-8"), re.S | re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def as_typed(block: str, *, port: int, scanner_port: int, offer: str | None) -> str:
    """The block with the README's placeholders filled in, as the reader is told to."""
    text = block.replace("\\\n", " ")
    text = re.sub(r" \[--[^\]]*\]", "", text)  # optional parts
    for name, value in SECRETS.items():
        text = text.replace(f"{name}=…", f"{name}={shlex.quote(value)}")
    text = text.replace("--nonce N ", f"--nonce {NONCE} ")
    text = text.replace("ROOT_THUMBPRINT", ROOT)
    if offer is not None:
        text = text.replace("'openid-credential-offer://?credential_offer_uri=…'", shlex.quote(offer))
    text = re.sub(r"(citykey keys revoke --dir (\S+) .*-- )KID",
                  lambda m: f'{m[1]}"$(citykey keys list --dir {m[2]} --json | {RETIRING_KID})"', text)
    text = re.sub(r"(citykey verifier remove --keys (\S+) -- )KID",
                  lambda m: f'{m[1]}"$(citykey verifier list --keys {m[2]} --json | {VERIFIER_KID})"', text)
    text = text.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("--port 8080", f"--port {port}")
    text = text.replace("127.0.0.1:8090", f"127.0.0.1:{scanner_port}").replace("--port 8090", f"--port {scanner_port}")
    text = re.sub(r"(citykey issuer serve [^&#\n]*)&", r"\1> serve.log 2>&1 & echo $! > serve.pid;", text)
    text = re.sub(r"(citykey verifier serve [^&#\n]*)&", r"\1> scanner.log 2>&1 & echo $! > scanner.pid;", text)
    assert "…" not in text, text
    assert "-- KID" not in text, text
    return text


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def desk_offer(base: str) -> str:
    """What the clerk does in the browser: sign in as ana, type a resident, create an offer; its link."""
    headers = {"Origin": base}
    with httpx.Client(base_url=base, follow_redirects=True, headers=headers, timeout=30) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/desk/login").text)
        assert csrf is not None
        page = client.post("/desk/login", data={"csrf": csrf[1], "name": "ana",
                                                 "password": SECRETS["CITYKEY_CLERK_PASSWORD"]})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None, page.text
        page = client.post("/desk/enrol", data={"csrf": csrf[1], "given_name": "Dolores",
                                                 "family_name": "Abernathy", "birthdate": "1950-03-17"})
        found = re.search(r'id="offer-uri">([^<]+)<', page.text)
        assert found is not None, page.text
        return found[1].replace("&amp;", "&")


def test_the_readme_runs_as_written_top_to_bottom(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    (tmp_path / "docs").symlink_to(REPO / "docs")
    venv = Path(sys.prefix)
    if (venv / "bin" / "activate").is_file():
        (tmp_path / ".venv").symlink_to(venv)
    else:  # tests run outside a virtual environment: the same command on the PATH
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        (tmp_path / ".venv" / "bin" / "activate").write_text(f'export PATH="{Path(sys.executable).parent}:$PATH"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYKEY_", "VIRTUAL_ENV"))}
    env.update({"HOME": str(tmp_path), "COLUMNS": "100", "NO_COLOR": "1"})
    state = tmp_path / ".state.sh"
    port, scanner_port = free_port(), free_port()
    offer = None
    outputs = []
    try:
        for block in sh_blocks():
            if all(line.startswith("make ") for line in block.splitlines()):
                continue  # the quick start
            if "openid-credential-offer://" in block:
                offer = desk_offer(f"http://127.0.0.1:{port}")
            script = as_typed(block, port=port, scanner_port=scanner_port, offer=offer)
            done = subprocess.run(  # noqa: S603 - bash running the README's own commands
                [bash, "-c", f"set -euo pipefail\n[ -f {state} ] && source {state}\n{script}\nexport -p > {state}\n"],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
            )
            outputs.append(done.stdout)
            assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            if "citykey issuer serve" in script:
                wait_for(f"http://127.0.0.1:{port}/health")
            if "citykey verifier serve" in script:
                wait_for(f"http://127.0.0.1:{scanner_port}/")  # the scanner page the README points to
    finally:
        for pid_file in (tmp_path / "serve.pid", tmp_path / "scanner.pid"):
            if pid_file.is_file():
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
    everything = "".join(outputs)
    assert everything.count("VALID\n") >= 3  # terminal flow, challenge, one-way (and the SD-JWT tool)
    assert "REJECTED" not in everything
    log = (tmp_path / "serve.log").read_text()
    assert f"offers point at http://127.0.0.1:{port}" in log  # no CITYKEY_PUBLIC_URL: said at start-up
    assert (tmp_path / "receipt.txt").read_text().strip()
    assert not (tmp_path / "issuer.db").exists()  # one home: citykey-data/ holds the database
    assert sorted(p.name for p in (tmp_path / "citykey-data").iterdir() if not p.name.startswith("issuer.db-")) == [
        "issuer.db", "keys"]
