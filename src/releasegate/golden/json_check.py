"""The json check: a JSON object extracted from the answer (:func:`extract_json_object`),
validated against the suite's JSON schema, its fields compared with the expected object's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.display import shorten
from .cases import Expected
from .check_protocol import Check, CheckContext, CheckResult, _short, _show
from .normalize import normalized_equal
from .params import ParamError, as_str, as_str_tuple, param, params_of, read_params

__all__ = ["JsonCheck", "extract_json_object"]


_JSON_FENCE = re.compile(r"```[ \t]*(json)?[^\n`]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_json_object(answer: str) -> dict[str, Any] | None:
    """The JSON object in a model's answer, or None.

    A fenced block (```` ```json ````, or a bare ```` ``` ````) that parses as an object comes
    first, json-tagged fences before bare ones; otherwise the first ``{`` at which a whole JSON
    object parses, so prose before and after it is ignored.
    """
    fenced = sorted(_JSON_FENCE.finditer(answer), key=lambda m: m.group(1) is None)
    for match in fenced:
        try:
            value = json.loads(match.group(2))
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    start = answer.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(answer, start)
        except (ValueError, RecursionError):
            pass
        else:
            if isinstance(value, dict):
                return value
        start = answer.find("{", start + 1)
    return None


def _load_schema(schema: str, context: CheckContext) -> Any:
    """A validator for a JSON schema file, looked up next to the manifest, then in the schemas dir.

    ``format`` keywords (``date``, ``email``, ...) are checked, not only annotated: a schema that
    says a field is a date means it.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    tried = [context.base_dir / schema, context.schemas_dir / schema]
    path = next((p for p in tried if p.is_file()), None)
    if path is None:
        raise ParamError(
            f"check 'json': schema file '{schema}' not found (looked for "
            f"{_show(str(p) for p in tried)})"
        )
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ParamError(f"check 'json': schema file {path} is not valid JSON: {err}") from None
    if not isinstance(loaded, dict):
        raise ParamError(f"check 'json': schema file {path} must hold a JSON object")
    try:
        Draft202012Validator.check_schema(loaded)
    except SchemaError as err:
        raise ParamError(
            f"check 'json': schema file {path} is not a valid JSON schema: {err.message}"
        ) from None
    return Draft202012Validator(loaded, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _json_text(value: Any) -> str:
    return _short(json.dumps(value, ensure_ascii=False), 30)


@dataclass(frozen=True, kw_only=True)
class JsonCheck:
    """Extract a JSON object from the answer, validate it against a schema, compare fields.

    Fields are the ``fields`` param if given, else every key of the expected object; a field is
    right when present and equal after normalisation (strings via ``normalize_text``).
    """

    schema: str = param(as_str, required=True)
    """The schema file as the manifest names it (looked up in the suite's folder, then
    ``schemas_dir``)."""
    fields: tuple[str, ...] | None = param(as_str_tuple)
    validator: Any = field(repr=False)
    """A jsonschema Draft 2020-12 validator for the check's schema."""
    name: str = "json"

    def __call__(self, answer: str, expected: Expected) -> CheckResult:
        from jsonschema.exceptions import best_match

        wanted: Mapping[str, Any] = expected if isinstance(expected, Mapping) else {}
        fields = self.fields if self.fields is not None else tuple(wanted)
        parsed = extract_json_object(answer)
        if parsed is None:
            return CheckResult(False, f"no JSON object found in {_short(answer)}", 0.0, None)
        wrong = [
            f for f in fields if f not in parsed or not normalized_equal(parsed[f], wanted.get(f))
        ]
        score = (len(fields) - len(wrong)) / len(fields) if fields else 1.0
        error = best_match(self.validator.iter_errors(parsed))
        if error is not None:
            message = shorten(error.message, 200, ellipsis="…")
            reason = f"schema violation at {error.json_path}: {message}"
            return CheckResult(False, reason, score, parsed)
        if wrong:
            shown = _show(
                f"{f} (missing)"
                if f not in parsed
                else f"{f} (got {_json_text(parsed[f])}, expected {_json_text(wanted.get(f))})"
                for f in wrong
            )
            return CheckResult(False, f"wrong fields: {shown}", score, parsed)
        return CheckResult(True, f"valid JSON, {len(fields)} field(s) right", score, parsed)

    def validate_expected(self, expected: Expected) -> str | None:
        if not isinstance(expected, Mapping):
            return "the json check needs a JSON object as expected value"
        if self.fields is not None:
            missing = [f for f in self.fields if f not in expected]
            if missing:
                return f"expected object lacks field(s) named in the check: {_show(missing)}"
        return None


def _json(params: Mapping[str, Any], context: CheckContext) -> Check:
    values = read_params("check", "json", params, params_of(JsonCheck))
    return JsonCheck(**values, validator=_load_schema(values["schema"], context))
