"""JSON schemas shipped with the package, and validation that names the file, line and field.

Every input the engine reads is checked against a schema before anything runs, so a bad file is
one clear error instead of a traceback half-way through a run: manifests and baselines against
these files, the settings against the schema :mod:`releasegate.config` derives from its
``Settings``, case rows by the rules of :mod:`releasegate.golden.io.rows` (``case.schema.json``
publishes the same contract).
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

__all__ = ["first_error", "first_violation", "load_schema", "validate_document"]


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
    return first_violation(_validator(name), document)


def first_violation(
    validator: jsonschema.protocols.Validator, document: Any
) -> tuple[str, str] | None:
    """``(field path, message)`` of the most relevant violation of *validator*'s schema (one
    built at run time, like the settings schema), or None."""
    errors = list(validator.iter_errors(document))
    if not errors:
        return None
    error = jsonschema.exceptions.best_match(errors)
    field = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    return field, _describe(error)


_TYPE_WORDS = {
    "object": "a mapping (keys indented below)",
    "array": "a list",
    "string": "a text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


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
    if error.validator == "type" and error.instance is None:
        # "robustness:" with nothing under it: YAML reads null, and jsonschema would say
        # "None is not of type 'object'"
        wanted = (
            error.validator_value
            if isinstance(error.validator_value, list)
            else [error.validator_value]
        )
        words = " or ".join(_TYPE_WORDS.get(str(name), str(name)) for name in wanted)
        return f"is empty where {words} is expected: write it under the key, or remove the key"
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
