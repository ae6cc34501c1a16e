"""The floors of src/releasegate stay as they are drawn.

The allowed direction of imports is written down once, as an import-linter contract in
pyproject.toml ([tool.importlinter]): a package imports only from its own floor or from lower
ones, and packages side by side on one floor do not import each other. These tests run that
contract, and add what it does not say: no circle of imports between modules (inside a package
too), no module over 500 lines, and no kind of metric named outside its own package.
"""

from __future__ import annotations

import ast
import io
import sys
from collections.abc import Iterable, Mapping
from contextlib import redirect_stdout
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "releasegate"
MAX_MODULE_LINES = 500


def test_the_import_contract_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """`lint-imports` on the repository's own contract: every import runs down a floor."""
    from importlinter import cli

    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with redirect_stdout(out):
        status = cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert status == 0, "imports against the floors of pyproject.toml:\n" + out.getvalue()


def _cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The finder below is what the next test trusts: it must see a circle where there is one."""
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": [], "c": ["a", "b"]}) == []


def test_no_module_imports_itself_in_a_circle() -> None:
    """Not even through a function-level import (an import that must wait for run time to break
    a circle is a circle), inside one package or across packages."""
    graph = grimp.build_graph("releasegate", exclude_type_checking_imports=True)
    edges = {
        module: sorted(graph.find_modules_directly_imported_by(module)) for module in graph.modules
    }
    # a package's __init__ re-exporting its own modules is not a circle of concepts
    edges = {
        module: [
            imported
            for imported in targets
            if not imported.startswith(module + ".") and not module.startswith(imported + ".")
        ]
        for module, targets in edges.items()
    }
    assert _cycles(edges) == []


def test_no_module_is_over_500_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): n
        for path in sorted(PACKAGE.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}, f"split these by concept (at most {MAX_MODULE_LINES} lines each)"


# A kind of metric is known by what it declares, not by its class, outside its own package.
# (ModelScored, the capability a session scores likelihoods through, is a Protocol: naming it
# is how a capability is asked for.)
KIND_CLASSES = {
    "HumanMetric": "review",
    "Perplexity": "perplexity",
    "LogLikelihood": "perplexity",
}


def test_no_kind_of_metric_is_named_outside_its_package() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        package = path.relative_to(PACKAGE).parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = node.id if isinstance(node, ast.Name) else None
            if isinstance(node, ast.Attribute):
                name = node.attr
            if isinstance(node, ast.alias):
                name = node.name.rsplit(".", 1)[-1]
            owner = KIND_CLASSES.get(name or "")
            if owner is not None and package != owner:
                offenders.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')} {name}")
    assert offenders == []


def test_the_ground_floor_is_light() -> None:
    """Importing the ground floor's modules alone pulls in none of the heavy libraries
    (torch, transformers, lm-eval), so a lock or a record costs nothing to import."""
    import subprocess

    code = (
        "import sys, importlib;"
        "[importlib.import_module('releasegate.core.' + m) for m in "
        "('atomic', 'locks', 'display', 'records')];"
        "print(sorted(m for m in ('torch', 'transformers', 'lm_eval') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert out == "[]"
