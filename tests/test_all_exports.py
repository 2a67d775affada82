"""Every `__all__` in the production packages lists exactly the public names its module defines.

A name in `__all__` that the module only imports (a re-export) would give one thing two
homes; a name that does not exist breaks `from module import *` and misleads a reader; a
public name left out makes `__all__` a partial list nobody can trust. (A package's
`__init__` gathers its modules' names: there only existence is checked.)
"""

from __future__ import annotations

import ast
import importlib
import logging
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("wallet_spec", "wallet", "issuer", "verifier", "keys", "citykey", "citykey_io")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "__all__" in path.read_text(encoding="utf-8"):
                parts = path.relative_to(REPO).with_suffix("").parts
                name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                found.append((name, path))
    return found


def _defined(tree: ast.Module) -> set[str]:
    """Names the module's own top-level statements bind (imports excluded)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


MODULES = _modules()


def test_the_packages_have_modules_with_all() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_all_names_exactly_what_the_module_defines(name: str, path: Path) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ names something twice"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what does not exist: {missing}"
    if path.name == "__init__.py":
        return
    defined = _defined(ast.parse(path.read_text(encoding="utf-8")))
    foreign = sorted(set(exported) - defined)
    assert not foreign, f"{name}.__all__ names what the module only imports: {foreign}"
    public = {n for n in defined if not n.startswith("_") and not isinstance(getattr(module, n), logging.Logger)}
    unlisted = sorted(public - {"__all__", *exported})
    assert not unlisted, f"{name} defines public names its __all__ leaves out: {unlisted}"
