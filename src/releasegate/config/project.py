"""Where a project's settings are: the one lookup of ``pyproject.toml`` that the pytest plugin,
the command line, the Trainer callback and the perf load test all use (:func:`load_project`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from .loading import load_settings
from .settings import Settings

__all__ = ["Project", "find_pyproject", "load_project", "read_table"]


@dataclass(frozen=True)
class Project:
    """A project's settings and where they came from."""

    settings: Settings
    root: Path
    """The folder relative paths start from: the folder of :attr:`pyproject`, or the given root,
    or (with no settings file) the folder the lookup stopped at."""
    pyproject: Path | None
    """The file ``[tool.releasegate]`` was read from; None when the defaults hold."""


def load_project(
    starts: Iterable[Path] = (),
    *,
    root: Path | None = None,
    pyproject: Path | None = None,
    chosen: Path | None = None,
    stop: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Project:
    """Find the project's ``pyproject.toml`` and load its ``[tool.releasegate]`` with
    *overrides* (the command line's; None values are "not given") on top.

    The file, first match wins:

    1. *pyproject*, a file named outright (``--perf-config``); it must exist.
    2. *chosen*, the configuration file pytest settled on, if it holds ``[tool.releasegate]``.
    3. *root*'s ``pyproject.toml``, for a root named outright (``releasegate --root``, the
       callback's ``root=``): the root is that folder, with or without the file.
    4. The nearest ``pyproject.toml`` holding ``[tool.releasegate]``, looking upward from each
       of *starts* (the test paths; default: the current folder) to *stop* (pytest's rootdir)
       or the top of the file system (:func:`find_pyproject`).

    With no file found, the defaults hold, relative to *stop* (else the current folder).
    """
    if pyproject is not None:
        path = pyproject.expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"{pyproject}: no such file; give a pyproject.toml path")
        found: Path | None = path
        base = path.parent
    elif root is not None and not (chosen is not None and _is_config(chosen)):
        base = root.expanduser().resolve()
        candidate = base / "pyproject.toml"
        found = candidate if candidate.is_file() else None
    else:
        folders = [path.resolve() for path in starts] or [Path.cwd().resolve()]
        found = find_pyproject(folders, rootdir=stop or Path("/"), inifile=chosen)
        base = found.parent if found is not None else (stop or Path.cwd()).resolve()
    settings = load_settings(read_table(found), overrides or {}, root=base)
    return Project(settings=settings, root=base, pyproject=found)


def _is_config(inifile: Path) -> bool:
    return inifile.name == "pyproject.toml" and _has_table(inifile)


def read_table(pyproject: Path | None) -> dict[str, Any]:
    """The ``[tool.releasegate]`` table of *pyproject*, or ``{}`` when there is none."""
    if pyproject is None or not pyproject.is_file():
        return {}
    table = _tool_table(pyproject).get("releasegate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.releasegate] must be a table")
    return table


def find_pyproject(
    test_paths: Iterable[Path], *, rootdir: Path, inifile: Path | None
) -> Path | None:
    """The ``pyproject.toml`` whose ``[tool.releasegate]`` configures a run, or None.

    pytest settles on one configuration file, and it need not be the project's: in a folder
    inside a larger repository (``releasegate init`` in a subfolder), pytest takes the outer
    repository's file that configures pytest, which has no ``[tool.releasegate]``. So: the
    file pytest chose, if it holds the table; else the nearest ``pyproject.toml`` holding it,
    looking upward from each of *test_paths* (absolute) to *rootdir* (or to the top of the file
    system, for a path outside it). Test paths of two different projects are refused: their
    settings cannot both hold.
    """
    if inifile is not None and _is_config(inifile):
        return inifile
    found: dict[Path, list[Path]] = {}
    for path in test_paths:
        for folder in (path, *path.parents):
            candidate = folder / "pyproject.toml"
            if _has_table(candidate):
                found.setdefault(candidate, []).append(path)
                break
            if folder == rootdir:
                break
    if len(found) > 1:
        shown = "; ".join(f"{p} (for {', '.join(map(str, paths))})" for p, paths in found.items())
        raise ConfigError(
            f"the test paths belong to different projects, each with its own [tool.releasegate]: "
            f"{shown}. Run each project's model_tests separately"
        )
    return next(iter(found), None)


def _has_table(pyproject: Path) -> bool:
    return pyproject.is_file() and "releasegate" in _tool_table(pyproject)


def _tool_table(pyproject: Path) -> Mapping[str, Any]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from exc
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}
