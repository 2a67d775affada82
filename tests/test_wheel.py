"""The wheel a user installs works on its own: `citykey demo` and the clerk desk run from it.

The project is built into a wheel (from a copy of its sources, so the checkout
gets no build/ or egg-info), installed with `--no-deps` into a fresh virtual
environment outside the repository, and run from a directory outside it. A
data file the wheel leaves out (desk templates and styles, conformance vectors,
py.typed) fails here, even though the editable install would find it.

To stay fast, the fresh environment borrows the third-party dependencies of the
environment running the tests through a `.pth` path entry. That entry is not a
site directory, so the editable install's own `.pth` hook in it never runs;
`test_the_packages_are_imported_from_the_wheel` checks that nothing of ours is
imported from anywhere but the fresh environment.

Run alone: `pytest tests/test_wheel.py` (about 10 s; it builds with pip's build
isolation, so setuptools comes from the package index or pip's cache).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parents[1]
PACKAGES = sorted(
    pattern.rstrip("*")
    for pattern in tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
)


@dataclass(frozen=True)
class Installed:
    bin: Path
    site_packages: Path
    workdir: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own environment's programs, fixed arguments
            list(args), cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )


def _checked(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for package in PACKAGES:
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
        shutil.copytree(REPO / package, source / package, ignore=skip)
    _checked([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp / "dist")], tmp)
    (wheel,) = (tmp / "dist").glob("citykey-*.whl")

    venv = tmp / "venv"
    _checked([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
    python = venv / "bin" / "python"
    _checked([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
              str(wheel)], tmp)
    purelib = subprocess.run(  # noqa: S603
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    site_packages = Path(purelib)
    (site_packages / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    workdir = tmp / "elsewhere"
    (workdir / "tmp").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FORCE_COLOR"}}
    env.update(NO_COLOR="1", COLUMNS="160", TMPDIR=str(workdir / "tmp"), PYTHONDONTWRITEBYTECODE="1")
    return Installed(venv / "bin", site_packages, workdir, env)


def test_the_packages_are_imported_from_the_wheel(installed: Installed) -> None:
    done = installed.run(
        str(installed.bin / "python"), "-c",
        f"import importlib, json; print(json.dumps({{n: importlib.import_module(n).__file__ for n in {PACKAGES!r}}}))",
    )
    assert done.returncode == 0, done.stderr
    files = json.loads(done.stdout)
    assert sorted(files) == PACKAGES
    for package, file in files.items():
        assert Path(file).is_relative_to(installed.site_packages), f"{package} comes from {file}, not the wheel"


WEB_APPS = (Path("wallet/web"), Path("issuer/apply/web"), Path("issuer/desk/web"))
"""Browser apps inside packages: their built `dist/` is package data, their sources are build inputs."""


def _runtime_file(path: Path) -> bool:
    relative = path.relative_to(REPO)
    for app in WEB_APPS:
        if relative.is_relative_to(app):
            return relative.is_relative_to(app / "dist")
    return path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts


def test_the_wheel_holds_every_data_file_of_the_packages(installed: Installed) -> None:
    in_repo = {
        path.relative_to(REPO)
        for package in PACKAGES
        for path in (REPO / package).rglob("*")
        if path.is_file() and _runtime_file(path)
    }
    assert Path("issuer/desk/templates/login.html") in in_repo  # the walk above sees the data files
    assert Path("wallet/web/dist/index.html") in in_repo, "build the web wallet first (make web)"
    assert Path("issuer/desk/web/dist/zxing_reader.wasm") in in_repo, "build the desk's camera reader (make web)"
    missing = sorted(str(p) for p in in_repo if not (installed.site_packages / p).is_file())
    assert not missing, f"left out of the wheel (add them to [tool.setuptools.package-data]): {missing}"


def test_citykey_demo_tells_the_story_from_the_installed_wheel(installed: Installed) -> None:
    done = installed.run(str(installed.bin / "citykey"), "demo")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in done.stderr
    for title in ("1. The city creates its keys", "3. The bus validator asks: resident, 65 or over?",
                  "6. Bruno loses his phone; his receipt revokes his batch", "8. Everything the issuer stored"):
        assert title in out, out
    assert len(re.findall(r"\bVALID\b", out)) == 6, out
    assert "first scan VALID; the same QR scanned again: REJECTED ['replayed']" in out
    assert "a finder's presentation: REJECTED ['revoked']" in out
    assert re.search(r"searched \d+ files for the residents' names, birthdate and street: 0 found", out), out
    assert list((installed.workdir / "tmp").iterdir()) == []  # the demo cleaned up after itself


DESK_CHECK = """
import sys, time
from pathlib import Path
from fastapi.testclient import TestClient
from issuer.app import create_app
from issuer.settings import IssuerSettings
from keys import KeyStore
from wallet_spec import profile

here = Path.cwd() / "desk"
passphrase = "a passphrase for the wheel test"
KeyStore.init(here / "keys", "https://id.wheel.example", passphrase.encode(), now=int(time.time()))
app = create_app(IssuerSettings(data_dir=here / "data", keys_dir=here / "keys", key_passphrase=passphrase,
                                session_secret="s" * 48, city_name="Wheelton"))
client = TestClient(app)
login = client.get("/desk/login", headers={"Accept-Language": "es"})
css = client.get("/desk/static/desk.css")
vectors = Path(profile.__file__).parent / "vectors" / "presentations.json"
print(login.status_code, css.status_code, css.headers["content-type"].split(";")[0], vectors.is_file())
sys.stdout.write(login.text)
"""


def test_the_installed_desk_serves_its_pages_and_styles(installed: Installed) -> None:
    done = installed.run(str(installed.bin / "python"), "-c", DESK_CHECK)
    assert done.returncode == 0, done.stderr
    status, page = done.stdout.split("\n", 1)
    assert status == "200 200 text/css True"
    assert '<html lang="es"' in page  # the template rendered, in the language asked for
    assert 'action="/desk/login"' in page
    assert "/desk/static/desk.css" in page
