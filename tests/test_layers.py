"""The import direction db ← messages ← jobs ← services ← bot ← duban, where it already holds:
bot/ and services/ import nothing from the shell (duban/), and have no function-local import
that could hide a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imports(package: str) -> list[tuple[str, int, str, bool]]:
    """(file, line, module, inside a function) for every absolute import in the package."""
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        local = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(fn)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            rel = str(path.relative_to(REPO))
            found += [(rel, node.lineno, name, id(node) in local) for name in names]
    return found


@pytest.mark.parametrize("package", ["bot", "services"])
def test_no_import_of_the_shell(package: str) -> None:
    upward = [(f, line, m) for f, line, m, _ in imports(package) if m.split(".")[0] == "duban"]
    assert upward == []


@pytest.mark.parametrize("package", ["bot", "services"])
def test_no_function_local_imports(package: str) -> None:
    assert [(f, line, m) for f, line, m, local in imports(package) if local] == []
