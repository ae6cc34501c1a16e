"""Run settings: ``[tool.releasegate]`` in pyproject.toml, overridden by command-line options.

- :mod:`.settings`: :class:`Settings`, the one declaration of every key (type, default,
  description, constraints), and the JSON schema derived from it. The pytest plugin's options
  (one per key: ``max_new_tokens`` becomes ``--max-new-tokens``) and the ``openai`` backend's
  :class:`EndpointSpec`, whose keys :class:`Settings` extends, come from the same declaration, so
  a key can never be settable in one place and not the other.
- :mod:`.loading`: a table and the command line's overrides validated, merged and typed.
- :mod:`.project`: the one lookup of a project's ``pyproject.toml`` (:func:`load_project`), used
  by the pytest plugin, the command line, the Trainer callback and the perf load test.
"""

from __future__ import annotations

from .loading import load_settings
from .project import Project, find_pyproject, load_project, read_table
from .settings import (
    DEFAULT_MODEL_ALIAS,
    DTYPES,
    EndpointSpec,
    Settings,
    default_cache_dir,
    setting,
    settings_keys,
    settings_schema,
)

__all__ = [
    "DEFAULT_MODEL_ALIAS",
    "DTYPES",
    "EndpointSpec",
    "Project",
    "Settings",
    "default_cache_dir",
    "find_pyproject",
    "load_project",
    "load_settings",
    "read_table",
    "setting",
    "settings_keys",
    "settings_schema",
]
