"""Settings from a table and the command line: validated against the schema, merged (the
command line wins), typed (paths, tuples) and made absolute against the project root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from ..exceptions import ConfigError
from ..schemas import first_violation
from .settings import Settings, _inner, _validator

__all__ = ["load_settings"]


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
    hints = get_type_hints(Settings)
    settings = replace(Settings(), **{k: _typed(hints[k], v) for k, v in merged.items()})
    absolute = {
        name: _resolved(getattr(settings, name), root)
        for name in hints
        if _holds_paths(hints[name])
    }
    return replace(settings, **absolute)


def _typed(hint: Any, value: Any) -> Any:
    """A value as written (text, a list) as the field's type: a ``Path``, a tuple (of paths)."""
    hint = _inner(hint)
    if value is None:
        return None
    if hint is Path:
        return Path(str(value)).expanduser()
    if get_origin(hint) is tuple:
        return tuple(_typed(get_args(hint)[0], item) for item in value)
    return value


def _holds_paths(hint: Any) -> bool:
    """Whether a field of this type is a path, or a tuple of paths, made absolute on loading."""
    hint = _inner(hint)
    return hint is Path or (get_origin(hint) is tuple and _inner(get_args(hint)[0]) is Path)


def _resolved(value: Any, root: Path) -> Any:
    if isinstance(value, tuple):
        return tuple(_resolved(item, root) for item in value)
    return None if value is None else _absolute(value, root)


def _validate(document: Mapping[str, Any], source: str) -> None:
    found = first_violation(_validator(), dict(document))
    if found is not None:
        field_name, message = found
        hint = _hints().get(field_name)
        if hint is not None and "does not match" in message:  # a pattern, worded by its key
            message = f"{document[field_name]!r} {hint}"
        raise ConfigError(f"{source}: '{field_name}': {message}")


@cache
def _hints() -> Mapping[str, str]:
    """The keys whose pattern violation :func:`~releasegate.config.settings.setting` words
    with a *hint*."""
    return {f.name: f.metadata["hint"] for f in fields(Settings) if f.metadata.get("hint")}


def _absolute(path: Path, root: Path) -> Path:
    return path if path.is_absolute() else (root / path).resolve()
