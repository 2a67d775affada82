"""`citykey demo` runs end to end through the installed console script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
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


def test_demo_runs_and_shows_two_valid_one_rejected() -> None:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("FORCE_COLOR", None)
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [citykey_script(), "demo"], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 10, f"demo took {elapsed:.1f} s"
    assert len(re.findall(r"\bVALID\b", done.stdout)) == 2, done.stdout
    assert len(re.findall(r"\bREJECTED\b", done.stdout)) == 1, done.stdout
    assert "nonce_mismatch" in done.stdout
    assert "Traceback" not in done.stderr
