"""`citykey demo` tells the whole story through the installed console script, and checks it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def citykey_script() -> str:
    """The `citykey` console script of the environment running the tests."""
    for candidate in (Path(sys.executable).with_name("citykey"), REPO / ".venv" / "bin" / "citykey"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("citykey", path=str(Path(sys.executable).parent)) or shutil.which("citykey")
    assert found, "the citykey console script is not installed (pip install -e .)"
    return found


def test_demo_tells_the_whole_story() -> None:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    env.pop("FORCE_COLOR", None)
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [citykey_script(), "demo"], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in done.stderr
    # two disclosures, a turnstile, Dolores after a revocation, old and new key after rotation
    assert len(re.findall(r"\bVALID\b", out)) == 6, out
    assert "REJECTED ['replayed']" in out
    assert re.search(r"QR code of version (1[0-8]|[1-9]) ", out), out
    assert "REJECTED ['nonce_mismatch', 'aud_mismatch']" in out
    assert "REJECTED ['revoked']" in out
    bus_line = next(line for line in out.splitlines() if "disclosed only" in line)
    assert "'age_over_65': True" in bus_line
    assert "'resident_of': 'Springfield'" in bus_line
    assert "given_name" not in bus_line
    assert "signed by the old key" in out
    assert "signed by the new key" in out
    # the inventory lists the store and the database, and finds no personal data
    assert "keystore.json" in out
    assert "table status_lists" in out
    assert re.search(r"birthdate and street: 0 found", out), out


def test_demo_leaves_nothing_behind(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    subprocess.run([citykey_script(), "demo"], capture_output=True, env=env, check=True, timeout=60)  # noqa: S603
    assert list(tmp_path.iterdir()) == []
