"""List the Sphinx cross-references in releasegate's docstrings that name nothing.

Docstrings point at other code with ``:func:`name```, ``:class:``, ``:mod:``, ``:meth:``,
``:attr:``, ``:data:`` and ``:exc:``. When the code moves or is renamed, the docstring goes on
naming what is no longer there. This script resolves each reference by importing it, as Sphinx
would look it up:

- ``releasegate.a.b.name`` (``~`` dropped): the longest importable module, then attributes;
- ``.b.name`` (leading dot): from the module's own package upwards, then the module itself;
- ``name`` or ``Class.method``: the module's globals (imported names included), an attribute of
  a class defined in the module (a method naming a sibling), then the builtins, then a module
  of the standard library or an installed package (``os.replace``).

    python scripts/check_doc_references.py [PACKAGE_FOLDER]   # default src/releasegate

It prints ``file:line: role `target``` for each reference that resolves to nothing, and exits
with status 1 if there is any. tests/test_doc_references.py runs it.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "releasegate"
REFERENCE = re.compile(r":(func|class|mod|meth|attr|data|exc|obj):`~?([^`<>]+?)(?:\s*<([^>]+)>)?`")
_MISSING = object()


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:  # an optional package missing, a name that is not a module
        return None


def _attributes(start: Any, names: list[str]) -> Any:
    """The object *names* lead to from *start*, or ``_MISSING``; a class's last name may also be
    a member without a class-level value (a dataclass field, a Protocol member, an attribute
    its methods set on ``self``)."""
    value = start
    for index, name in enumerate(names):
        found = getattr(value, name, _MISSING)
        if found is _MISSING:
            last = index == len(names) - 1
            return True if last and isinstance(value, type) and _member(value, name) else _MISSING
        value = found
    return value


def _member(cls: type, name: str) -> bool:
    for klass in cls.__mro__:
        if name in vars(klass).get("__annotations__", {}):
            return True
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if re.search(rf"\bself\.{re.escape(name)}\s*(:[^=]*)?=", source):
            return True
    return False


def resolve_absolute(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = _import(".".join(parts[:cut]))
        if module is not None:
            return _attributes(module, parts[cut:]) is not _MISSING
    return False


def resolves(target: str, module: ModuleType) -> bool:
    target = target.strip().removesuffix("()")
    if target.startswith("."):
        package = module.__name__ if hasattr(module, "__path__") else module.__package__ or ""
        bases = [module.__name__]
        while package:
            bases.append(package)
            package = package.rpartition(".")[0]
        return any(resolve_absolute(base + target) for base in bases)
    parts = target.split(".")
    if _attributes(module, parts) is not _MISSING:
        return True
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and getattr(value, "__module__", None) == module.__name__
            and _attributes(value, parts) is not _MISSING
        ):
            return True
    if hasattr(builtins, parts[0]) and _attributes(builtins, parts) is not _MISSING:
        return True
    return resolve_absolute(target)


def broken_references(package: Path = PACKAGE) -> list[str]:
    """``file:line: role `target``` for every reference in a docstring that resolves to nothing."""
    problems: list[str] = []
    for path in sorted(package.rglob("*.py")):
        module = importlib.import_module(module_name(path, package))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            for match in REFERENCE.finditer(node.value):
                role, shown, explicit = match.groups()
                target = explicit or shown
                if not resolves(target, module):
                    line = node.lineno + node.value[: match.start()].count("\n")
                    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                    problems.append(f"{shown}:{line}: {role} `{target}`")
    return problems


def main() -> int:
    # perf/locust_users.py imports locust, which patches the standard library for gevent: as in
    # a locust process, that must happen before anything imports ssl, or locust's import fails.
    from gevent import monkey

    monkey.patch_all()
    package = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else PACKAGE
    sys.path.insert(0, str(package.parent))
    problems = broken_references(package)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
