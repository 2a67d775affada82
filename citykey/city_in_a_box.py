"""`citykey demo --serve`: a city in a box on loopback — the issuer with its desk, the web wallet, a scanner.

It does what the README tells a city to do, with the same commands, in one home folder:
keys (the issuer id is the loopback URL, so offers point at a reachable host), a demo
clerk, a library's scanner that the city registers, the issuer service, a first sync of
the scanner's bundle, and the scanner page. Every secret is random and printed once; the
home folder keeps nothing about any resident, like a real one. Ctrl-C stops both services.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import typer

from wallet_spec.encoding import json_loads

CLERK = "demo"
LIBRARY = "Springfield Public Library"
CITY = "Springfield"
STARTUP_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Box:
    """A running city in a box: its home folder, the two ports, and the environment its processes share."""

    home: Path
    issuer_port: int
    scanner_port: int
    env: dict[str, str]

    @property
    def issuer_url(self) -> str:
        return f"http://127.0.0.1:{self.issuer_port}"

    @property
    def scanner_url(self) -> str:
        return f"http://127.0.0.1:{self.scanner_port}"

    def citykey(self, *args: str) -> str:
        """Run one `citykey` command as a city's IT person would; its output, or exit with its error."""
        done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [_command(), *args], env=self.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        if done.returncode != 0:
            typer.echo(f"`citykey {' '.join(args[:2])}` failed:\n{done.stdout}{done.stderr}", err=True)
            raise typer.Exit(2)
        return done.stdout


def _command() -> str:
    beside = Path(sys.executable).parent / "citykey"
    return str(beside) if beside.exists() else shutil.which("citykey") or "citykey"


def set_up(home: Path, issuer_port: int, scanner_port: int) -> tuple[Box, str]:
    """Keys, clerk, scanner and its registration in `home`; returns the box and the clerk's password."""
    if home.exists() and any(home.iterdir()):
        typer.echo(f"usage: {home} exists and is not empty: choose another --home or remove it", err=True)
        raise typer.Exit(2)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYKEY_")}
    env.update(
        CITYKEY_KEY_PASSPHRASE=secrets.token_urlsafe(24),
        CITYKEY_VERIFIER_PASSPHRASE=secrets.token_urlsafe(24),
        CITYKEY_CLERK_PASSWORD=password,
        CITYKEY_SESSION_SECRET=secrets.token_urlsafe(32),
        CITYKEY_DATA_DIR=str(home),
        CITYKEY_KEYS_DIR=str(home / "keys"),
        CITYKEY_PUBLIC_URL=f"http://127.0.0.1:{issuer_port}",
        CITYKEY_CITY_NAME=CITY,
        NO_COLOR="1",
    )
    box = Box(home, issuer_port, scanner_port, env)
    root = json_loads(box.citykey("keys", "init", "--dir", str(home / "keys"), "--issuer-id", box.issuer_url,
                                  "--json"))["root_thumbprint"]
    jwk = box.citykey("verifier", "init", "--dir", str(home / "scanner"), "--aud", box.scanner_url,
                      "--name", LIBRARY, "--root", root)
    (home / "scanner.jwk").write_text(jwk)
    box.citykey("verifier", "register", "--keys", str(home / "keys"), "--aud", box.scanner_url,
                "--name", LIBRARY, "--jwk", str(home / "scanner.jwk"), "--may-ask", "resident_of")
    box.citykey("issuer", "clerk", "add", CLERK, "--role", "admin")
    return box, password


@contextlib.contextmanager
def serving(box: Box, *args: str, health: str) -> Iterator[subprocess.Popen[bytes]]:
    """A `citykey … serve` process, once `health` answers 200; stopped on the way out, always."""
    log = (box.home / f"{args[0]}.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [_command(), *args], env=box.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                typer.echo(f"`citykey {args[0]} serve` stopped; its log: {log.name}", err=True)
                raise typer.Exit(2)
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                typer.echo(f"`citykey {args[0]} serve` did not answer at {health}; its log: {log.name}", err=True)
                raise typer.Exit(2)
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()
        log.close()


def run(home: Path, issuer_port: int, scanner_port: int) -> None:
    box, password = set_up(home, issuer_port, scanner_port)
    with serving(box, "issuer", "serve", "--port", str(issuer_port), health=f"{box.issuer_url}/health"):
        box.citykey("verifier", "sync", "--dir", str(home / "scanner"), f"{box.issuer_url}/trust-bundle")
        with serving(box, "verifier", "serve", "--dir", str(home / "scanner"), "--policy", "library-card",
                     "--port", str(scanner_port), health=f"{box.scanner_url}/"):
            typer.echo(
                f"\nA city in a box is running (home: {home}).\n"
                f"  1. Clerk desk:   {box.issuer_url}/desk/login   (name: {CLERK}, password: {password})\n"
                f"  2. Web wallet:   {box.issuer_url}/wallet/      (open the desk's web-wallet link on this computer)\n"
                f"  3. Scanner:      {box.scanner_url}/            ({LIBRARY}: library card, one-way codes)\n"
                "Enrol a resident at the desk, receive the batch in the web wallet, show a code to the library,\n"
                "and type or scan it at the scanner. Press Ctrl-C to stop.",
                )
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    typer.echo("stopped")
