"""The imports a package of releasegate makes, read from its source files (issue 22's floors).

Every ``import``/``from ... import`` counts, at module level or inside a function (a lazy import
back up a floor is still a dependency), except those under ``if TYPE_CHECKING:`` (types only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import releasegate

SRC = Path(releasegate.__file__).parent


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    found: list[str] = []
    for node in ast.iter_child_nodes(tree):
        if _type_checking(node):
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append(name)
            found += [f"{name}.{alias.name}" for alias in node.names]
        found += _imports(node, module, is_package)
    return found


def packages_imported_by(package: str, *, skip: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """``{other subpackage of releasegate: {module of *package* importing it}}`` for every
    module of ``releasegate.<package>`` but those named in *skip* (file names)."""
    found: dict[str, set[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        if path.name in skip:
            continue
        relative = path.relative_to(SRC.parent).with_suffix("")
        is_package = path.name == "__init__.py"
        module = ".".join(relative.parent.parts if is_package else relative.parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in _imports(tree, module, is_package):
            parts = name.split(".")
            if parts[0] == "releasegate" and len(parts) > 1 and parts[1] != package:
                found.setdefault(parts[1], set()).add(module)
    return found
