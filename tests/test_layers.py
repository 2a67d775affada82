"""The packages stay in their layers, and the contract stays pure.

Every module of the production packages is parsed (never imported) and each
import of one of our packages is checked against `ALLOWED`:

    citykey                              the command, on top: may import everything
    issuer                               keys, wallet_spec, citykey_io
    keys, verifier, wallet               wallet_spec, citykey_io
    citykey_io                           wallet_spec (docs/decisions.md 22)
    wallet_spec                          nothing of ours

`wallet_spec` is the contract every party implements, so it does no I/O: no
files, sockets, HTTP, environment, subprocesses or logs (`IO_MODULES`,
`IO_CALLS`, `IO_METHODS`). Reading the clock and the random generator are
allowed (both are parameters where a caller needs them fixed).

Run `pytest tests/test_layers.py`; a failure names the file, the line and the rule.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ALLOWED: dict[str, frozenset[str]] = {
    "wallet_spec": frozenset(),
    "citykey_io": frozenset({"wallet_spec"}),  # edge helpers raise the contract's typed errors
    "keys": frozenset({"wallet_spec", "citykey_io"}),
    "verifier": frozenset({"wallet_spec", "citykey_io"}),
    "wallet": frozenset({"wallet_spec", "citykey_io"}),
    "issuer": frozenset({"keys", "wallet_spec", "citykey_io"}),
    "citykey": frozenset({"wallet_spec", "citykey_io", "keys", "verifier", "wallet", "issuer"}),
}
"""For each production package, the other packages of ours it may import."""

OURS = frozenset(ALLOWED)

IO_MODULES = frozenset(
    {"os", "pathlib", "socket", "ssl", "httpx", "requests", "urllib", "http", "subprocess", "shutil", "tempfile",
     "sqlite3", "sqlalchemy", "logging", "io", "sys", "fcntl", "asyncio"}
)
"""Standard or third-party modules whose purpose is I/O; `wallet_spec` imports none of them."""
PURE_SUBMODULES = frozenset({"urllib.parse"})
"""Parts of those packages that only compute (splitting and quoting URLs): allowed."""
IO_CALLS = frozenset({"open", "print", "input", "exec", "eval", "__import__"})
IO_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "getenv", "environ"})


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}"


def _imported_modules(node: ast.AST, module: str) -> list[str]:
    """The absolute names an import statement (or `importlib.import_module("…")`) in `module` brings in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            return [node.module or ""]
        # A relative import: climb from the importing module's package.
        parts = module.split(".")[: -node.level]
        if not parts:
            return ["<beyond the top-level package>"]
        base = ".".join(parts + ([node.module] if node.module else []))
        return [base] if node.module else [f"{base}.{alias.name}" for alias in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def layer_violations(package: str, module: str, source: str, path: str) -> list[Violation]:
    """Imports in `source` (module `module` of `package`) of our packages that `ALLOWED` forbids."""
    allowed = ALLOWED[package] | {package}
    found = []
    for node in ast.walk(ast.parse(source, filename=path)):
        for name in _imported_modules(node, module):
            top = name.split(".")[0]
            if (top in OURS or top.startswith("<")) and top not in allowed:
                may = ", ".join(sorted(ALLOWED[package])) or "nothing of ours"
                found.append(Violation(path, getattr(node, "lineno", 0),
                                       f"{package} imports {name}; {package} may import only {may}"))
    return sorted(found, key=lambda v: v.line)


def io_violations(source: str, path: str) -> list[Violation]:
    """Uses of I/O in `source`: what the pure contract (`wallet_spec`) must not contain."""
    found = []
    for node in ast.walk(ast.parse(source, filename=path)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import | ast.ImportFrom) and not (isinstance(node, ast.ImportFrom) and node.level):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [Violation(path, line, f"wallet_spec does no I/O: it imports {n}")
                      for n in names if n.split(".")[0] in IO_MODULES and n not in PURE_SUBMODULES]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IO_CALLS:
            found.append(Violation(path, line, f"wallet_spec does no I/O: it calls {node.func.id}()"))
        elif isinstance(node, ast.Attribute) and node.attr in IO_METHODS:
            found.append(Violation(path, line, f"wallet_spec does no I/O: it uses .{node.attr}"))
    return sorted(found, key=lambda v: v.line)


def modules_of(package: str) -> list[tuple[str, Path]]:
    """(dotted module name, file) for every module of a production package."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.append("__init__")  # relative imports in __init__ climb from the package itself
        found.append((".".join(parts), path))
    return found


# --- the production tree -------------------------------------------------------------------------------------


def test_every_packaged_package_has_a_layer() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in patterns} == set(ALLOWED)
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert on_disk == set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    modules = modules_of(package)
    assert modules, f"no modules found in {package}/"
    found = [
        v
        for module, path in modules
        for v in layer_violations(package, module, path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "\n".join(map(str, found))


def test_the_contract_does_no_io() -> None:
    modules = modules_of("wallet_spec")
    found = [v for _, path in modules for v in io_violations(path.read_text(encoding="utf-8"),
                                                             str(path.relative_to(ROOT)))]
    assert not found, "\n".join(map(str, found))


# --- the checkers see what they must -------------------------------------------------------------------------

SYNTHETIC = """\
from __future__ import annotations
import json
from wallet_spec.jwk import thumbprint
from citykey_io.files import atomic_write
from issuer.db import make_engine
if True:
    import citykey.main
from ..sibling import helper
from ... import verifier
import importlib
importlib.import_module("wallet.model")
"""


def test_the_layer_checker_names_each_forbidden_import_with_its_line() -> None:
    found = layer_violations("keys", "keys.sub.module", SYNTHETIC, "keys/sub/module.py")
    assert [(v.line, v.rule.split(";")[0]) for v in found] == [
        (5, "keys imports issuer.db"),
        (7, "keys imports citykey.main"),
        (9, "keys imports <beyond the top-level package>"),
        (11, "keys imports wallet.model"),
    ]
    assert str(found[0]) == "keys/sub/module.py:5: keys imports issuer.db; keys may import only citykey_io, wallet_spec"


def test_the_layer_checker_holds_the_contract_to_nothing_and_lets_the_command_import_everything() -> None:
    in_contract = layer_violations("wallet_spec", "wallet_spec.x", SYNTHETIC, "wallet_spec/x.py")
    assert {v.line for v in in_contract} == {4, 5, 7, 8, 9, 11}
    assert in_contract[0].rule.endswith("wallet_spec may import only nothing of ours")
    assert layer_violations("citykey", "citykey.x", "import issuer\nfrom wallet import model\n", "citykey/x.py") == []
    assert len(layer_violations("issuer", "issuer.x", "from citykey import main\n", "issuer/x.py")) == 1


def test_the_io_checker_finds_files_sockets_http_and_the_environment() -> None:
    source = """\
import hashlib
import socket
from pathlib import Path
import httpx
from os import environ
data = open("x").read()
text = Path("x").read_text()
print(data)
from .encoding import json_dumps
"""
    found = io_violations(source, "wallet_spec/bad.py")
    assert [(v.line, v.rule.removeprefix("wallet_spec does no I/O: ")) for v in found] == [
        (2, "it imports socket"),
        (3, "it imports pathlib"),
        (4, "it imports httpx"),
        (5, "it imports os"),
        (6, "it calls open()"),
        (7, "it uses .read_text"),
        (8, "it calls print()"),
    ]
