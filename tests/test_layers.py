"""The import direction db ← messages ← jobs ← services ← bot ← duban: a package imports only
packages to its left, and (below the shell) has no function-local import that could hide a
cycle. The shell's CLI commands may import lazily what is slow to load, for start-up time."""

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


ORDER = ("db", "messages", "jobs", "services", "bot", "duban")


@pytest.mark.parametrize("package", ORDER[:-1])
def test_imports_point_one_way(package: str) -> None:
    above = set(ORDER[ORDER.index(package) + 1 :])
    upward = [(f, line, m) for f, line, m, _ in imports(package) if m.split(".")[0] in above]
    assert upward == []


@pytest.mark.parametrize("package", ORDER[:-1])
def test_no_function_local_imports(package: str) -> None:
    found = [(f, line, m) for f, line, m, local in imports(package) if local]
    assert [x for x in found if "/migrations/" not in x[0]] == []
