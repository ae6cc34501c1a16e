"""Run settings: ``[tool.releasegate]`` in pyproject.toml, overridden by command-line options.

The schema ``schemas/config.schema.json`` is the one list of keys: it validates the table, and the
pytest plugin derives one command-line option per key from it (``max_new_tokens`` becomes
``--max-new-tokens``), so a key can never be settable in one place and not the other.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .exceptions import ConfigError
from .schemas import first_error

__all__ = [
    "DEFAULT_MODEL_ALIAS",
    "Settings",
    "default_cache_dir",
    "find_pyproject",
    "load_settings",
    "read_table",
]

DEFAULT_MODEL_ALIAS = "smollm2-135m-instruct"
"""The default model's name, defined here once: settings default to it and
:mod:`releasegate.models.default_model` (which imports this module) resolves it."""


def default_cache_dir() -> Path:
    """``$RELEASEGATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/releasegate``, else
    ``~/.cache/releasegate``."""
    explicit = os.environ.get("RELEASEGATE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "releasegate"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know; paths are absolute (resolved against the root folder)."""

    model: str = DEFAULT_MODEL_ALIAS
    """A local model folder, a hub id, or the default model's alias."""
    backend: str = "hf"
    """Backend name: ``hf`` (transformers in process) or ``openai`` (an OpenAI-compatible
    server)."""
    device: str = "auto"
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``."""
    dtype: str = "auto"
    """``auto``, ``float32``, ``bfloat16`` or ``float16``."""
    max_new_tokens: int = 64
    """Tokens generated per answer at most; a suite may override it."""
    temperature: float = 0.0
    """0 is greedy decoding, the default, so runs repeat exactly."""
    top_p: float = 1.0
    """Nucleus sampling bar, used only when temperature > 0."""
    seed: int = 0
    """Seed for sampling."""
    batch_size: int = 16
    """Prompts per batched generate call."""
    chunk_size: int | None = None
    """Cases one worker generates together; None means ``batch_size``."""
    golden_dir: Path = Path("fixtures/golden")
    """Folder of suite manifests and case files."""
    baselines_dir: Path = Path("fixtures/baselines")
    """Folder of per-suite baseline files."""
    schemas_dir: Path = Path("fixtures/schemas")
    """Folder of JSON schemas that ``json`` checks name."""
    reports_dir: Path = Path("reports")
    """Folder that each run writes ``<run-id>/`` into."""
    history_path: Path | None = None
    """The run history (SQLite) every run appends to; None means ``reports_dir/history.sqlite``."""
    cache_dir: Path = field(default_factory=default_cache_dir)
    """Folder of the converted default model and the prediction cache."""
    suites: tuple[str, ...] = ()
    """Run only these suites; empty means every manifest in ``golden_dir``."""
    prediction_cache: bool = True
    """Reuse answers cached for the same model fingerprint, prompt and settings."""
    base_url: str | None = None
    """openai backend: the endpoint (``http://host:port/v1``); None starts ``transformers serve``
    on ``model`` on a loopback port for the run."""
    api: str = "chat"
    """openai backend: ``chat`` (chat suites to ``/chat/completions``) or ``completions``."""
    served_model: str | None = None
    """openai backend: the model name sent in requests; None means ``model``."""
    api_key_env: str = "OPENAI_API_KEY"
    """openai backend: the environment variable holding the API key (never logged or stored)."""
    concurrency: int = 8
    """openai backend: requests in flight at once per process."""
    request_timeout: float = 120.0
    """openai backend: seconds one request may take."""
    run_timeout: float | None = None
    """openai backend: seconds the whole run may spend on requests; None is no limit."""
    max_retries: int = 4
    """openai backend: retries after 429, 5xx, a time-out or a dropped connection."""
    fingerprint: str | None = None
    """openai backend: the served weights' identity for the prediction cache; None derives it
    from the URL, the model name and what the server reports."""
    alpha: float = 0.05
    """Significance level of no-drop gates (one-sided paired tests)."""
    bootstrap_samples: int = 1000
    """Resamples of the paired bootstrap for metrics that are not accuracies."""
    general: Mapping[str, Any] = field(default_factory=dict)
    """``[tool.releasegate.general]`` as written; :mod:`releasegate.benchmarks.general` reads it."""
    perf: Mapping[str, Any] = field(default_factory=dict)
    """``[tool.releasegate.perf]`` as written; the ``perf`` package reads it."""

    @property
    def effective_history_path(self) -> Path:
        return self.history_path or self.reports_dir / "history.sqlite"

    @property
    def effective_chunk_size(self) -> int:
        return self.chunk_size or self.batch_size

    def public(self) -> dict[str, Any]:
        """The settings as plain JSON-able data, for reports."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out


_PATH_KEYS = frozenset(
    {"golden_dir", "baselines_dir", "schemas_dir", "reports_dir", "cache_dir", "history_path"}
)


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
    if inifile is not None and inifile.name == "pyproject.toml" and _has_table(inifile):
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


def load_settings(
    table: Mapping[str, Any],
    overrides: Mapping[str, Any],
    *,
    root: Path,
    source: str = "[tool.releasegate]",
) -> Settings:
    """Validate *table* (from pyproject.toml) and *overrides* (from the command line, ``None``
    meaning "not given"), and merge them into :class:`Settings` with paths made absolute."""
    _validate(table, source)
    given = {key: value for key, value in overrides.items() if value is not None}
    _validate(given, "command line")
    merged: dict[str, Any] = {**table, **given}
    if "suites" in merged:
        merged["suites"] = tuple(merged["suites"])
    for key in _PATH_KEYS & merged.keys():
        merged[key] = Path(str(merged[key])).expanduser()
    settings = replace(Settings(), **merged)
    return replace(
        settings,
        golden_dir=_absolute(settings.golden_dir, root),
        baselines_dir=_absolute(settings.baselines_dir, root),
        schemas_dir=_absolute(settings.schemas_dir, root),
        reports_dir=_absolute(settings.reports_dir, root),
        cache_dir=_absolute(settings.cache_dir, root),
        history_path=(
            None if settings.history_path is None else _absolute(settings.history_path, root)
        ),
    )


def _validate(document: Mapping[str, Any], source: str) -> None:
    found = first_error("config", dict(document))
    if found is not None:
        field_name, message = found
        raise ConfigError(f"{source}: '{field_name}': {message}")


def _absolute(path: Path, root: Path) -> Path:
    return path if path.is_absolute() else (root / path).resolve()
