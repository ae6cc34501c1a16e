"""Every third-party module releasegate imports comes from a declared dependency.

A module that arrives only as a dependency of a dependency (``requests`` through locust) works
until that dependency drops it, and then releasegate breaks on a fresh install with nothing in
its own pyproject.toml to show why. So every import in src/releasegate (inside functions too:
a lazy import fails just as hard, only later) must map to a distribution named in
``[project] dependencies``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "releasegate"


def imported_top_levels(source: Path) -> dict[str, set[str]]:
    """Top-level module name -> files importing it (absolute imports, anywhere in the file)."""
    found: dict[str, set[str]] = {}
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            shown = str(path.relative_to(source.parent))
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(shown)
    return found


def declared_distributions(pyproject: Path) -> set[str]:
    """The canonical names of ``[project] dependencies`` (extras and versions dropped)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return {canonicalize_name(Requirement(spec).name) for spec in project["dependencies"]}


def undeclared(
    imports: dict[str, set[str]], declared: set[str], distributions: dict[str, list[str]]
) -> list[str]:
    """One line per third-party module whose distribution is not declared."""
    problems = []
    for module, files in sorted(imports.items()):
        if module in sys.stdlib_module_names or module == "releasegate":
            continue
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not providers:
            problems.append(f"{module} (no installed distribution provides it): {sorted(files)}")
        elif not providers & declared:
            problems.append(
                f"{module} (from {', '.join(sorted(providers))}) is not declared in "
                f"pyproject.toml [project] dependencies: {sorted(files)}"
            )
    return problems


def test_every_third_party_import_of_the_package_is_a_declared_dependency() -> None:
    imports = imported_top_levels(PACKAGE)
    assert {"torch", "requests", "yaml"} <= imports.keys()  # the scan sees the package
    problems = undeclared(
        imports,
        declared_distributions(ROOT / "pyproject.toml"),
        importlib.metadata.packages_distributions(),
    )
    assert problems == [], "\n".join(problems)


def test_the_check_finds_an_import_inside_a_function_of_an_undeclared_distribution(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text(
        "import os\nimport yaml\n\n\ndef late():\n    import requests.adapters\n",
        encoding="utf-8",
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["PyYAML>=6", "lm-eval[api]>=0.4"]\n',
        encoding="utf-8",
    )
    declared = declared_distributions(tmp_path / "pyproject.toml")
    assert declared == {"pyyaml", "lm-eval"}
    imports = imported_top_levels(package)
    assert set(imports) == {"os", "yaml", "requests"}
    problems = undeclared(imports, declared, importlib.metadata.packages_distributions())
    assert len(problems) == 1 and problems[0].startswith("requests (from requests) is not")
