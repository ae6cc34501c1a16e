"""JSON schemas shipped with the package, and validation that names the file, line and field.

Every input the engine reads (configuration, manifests, case rows, baselines) is checked against
one of these schemas before anything runs, so a bad file is one clear error instead of a
traceback half-way through a run.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from ..exceptions import GoldenFileError

__all__ = ["describe_keys", "first_error", "load_schema", "validate_document"]


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The packaged schema ``schemas/<name>.schema.json``."""
    text = (
        resources.files("releasegate")
        .joinpath("schemas", f"{name}.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def first_error(name: str, document: Any) -> tuple[str, str] | None:
    """``(field path, message)`` of the most relevant violation of schema *name*, or None."""
    errors = list(_validator(name).iter_errors(document))
    if not errors:
        return None
    error = jsonschema.exceptions.best_match(errors)
    field = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    return field, _describe(error)


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hints.append(f"'{key}' (did you mean '{close[0]}'?)" if close else f"'{key}'")
        return f"unknown key {', '.join(hints)}; allowed keys: {', '.join(allowed)}"
    if error.validator == "pattern" and "{input}" in str(error.validator_value).replace("\\", ""):
        return f"{error.instance!r} must contain {{input}}, where the case's input goes"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    return str(error.message)


def validate_document(
    name: str, document: Any, *, path: str | Path, line: int | None = None
) -> None:
    """Raise :class:`GoldenFileError` naming *path*, *line* and the field if *document* breaks
    schema *name*."""
    found = first_error(name, document)
    if found is not None:
        field, message = found
        raise GoldenFileError(message, path=path, line=line, field=field)


def describe_keys(name: str) -> Mapping[str, Any]:
    """The ``properties`` of schema *name*: used to build command-line options from the schema."""
    properties: Mapping[str, Any] = load_schema(name)["properties"]
    return properties
