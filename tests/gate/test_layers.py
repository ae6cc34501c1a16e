"""gate/ holds every verdict rule and sits below review, the engine and the benchmarks: none of
its modules imports them, at the top or inside a function (``if TYPE_CHECKING:`` imports are
types only and do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "releasegate"
ABOVE_GATE = {
    "benchmarks", "cli", "engine", "history", "integrations", "isolation", "perf",
    "perplexity", "pytest_plugin", "reports", "review", "scaffold",
}  # fmt: skip


def _imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Every relative import's first package name (``..review.x`` -> ``review``), those under
    ``if TYPE_CHECKING:`` left out, those inside functions kept."""
    found: list[tuple[int, str]] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    walk(other)
                continue
            if isinstance(child, ast.ImportFrom) and child.level == 2 and child.module:
                found.append((child.lineno, child.module.split(".")[0]))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    parts = alias.name.split(".")
                    if parts[0] == "releasegate" and len(parts) > 1:
                        found.append((child.lineno, parts[1]))
            walk(child)

    walk(tree)
    return found


def test_gate_imports_nothing_above_it() -> None:
    """Every verdict rule lives in gate/, which sits below review, engine and the benchmarks:
    it may not import them (not even inside a function)."""
    wrong = [
        f"{path.name}:{line} imports {package}"
        for path in sorted((SRC / "gate").glob("*.py"))
        for line, package in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if package in ABOVE_GATE
    ]
    assert wrong == []
