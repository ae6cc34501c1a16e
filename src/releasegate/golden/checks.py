"""Checks: how one case passes. Chosen by name from :data:`CHECKS`, configured by a few params.

A check is built once per suite (or per case that overrides it) by :func:`build_check`, which
rejects an unknown name, parameter or value before anything runs; :meth:`Check.validate_expected`
lets the loader reject a case whose ``expected`` the check cannot use (a bad regex, a label that
is not in the suite's labels) with the case's file and line. Calling a check never raises for a
model answer: whatever the model said becomes a :class:`CheckResult` with a readable reason.

The pieces: :mod:`.check_protocol` (the result, context and protocol), :mod:`.params` (how a
check or metric declares and reads its parameters), :mod:`.text_checks` and :mod:`.json_check`
(the checks and their factories). This module is the registry, and re-exports the names
metrics and callers import from ``releasegate.golden.checks``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ..exceptions import ConfigError, UnknownNameError
from .check_protocol import Check, CheckContext, CheckResult, expected_strings
from .json_check import JsonCheck, _json, extract_json_object
from .judge_check import JudgeCheck, judge_check
from .params import (
    Param,
    ParamError,
    as_bool,
    as_mapping,
    as_number,
    as_str,
    as_str_tuple,
    one_of,
    param,
    params_of,
    read_params,
)
from .text_checks import (
    ContainsCheck,
    ExactCheck,
    LabelCheck,
    NormalizedCheck,
    RegexCheck,
    SimilarityCheck,
    _contains,
    _exact,
    _label,
    _normalized,
    _regex,
    _similarity,
)

__all__ = [
    "CHECKS",
    "Check",
    "CheckContext",
    "CheckResult",
    "ContainsCheck",
    "ExactCheck",
    "JsonCheck",
    "JudgeCheck",
    "LabelCheck",
    "NormalizedCheck",
    "Param",
    "ParamError",
    "RegexCheck",
    "SimilarityCheck",
    "as_bool",
    "as_mapping",
    "as_number",
    "as_str",
    "as_str_tuple",
    "build_check",
    "expected_strings",
    "extract_json_object",
    "one_of",
    "param",
    "params_of",
    "read_params",
    "split_spec",
]


CHECKS: Mapping[str, Callable[[Mapping[str, Any], CheckContext], Check]] = MappingProxyType(
    {
        "exact": _exact,
        "normalized": _normalized,
        "contains": _contains,
        "regex": _regex,
        "label": _label,
        "json": _json,
        "similarity": _similarity,
        "judge": judge_check,
    }
)
"""Every check by name: a factory taking the check's params and the suite's context."""


def split_spec(
    spec: Mapping[str, Any] | str, kind: str, *, where: str
) -> tuple[str, dict[str, Any]]:
    """``"contains"`` or ``{"name": "contains", "mode": "any"}`` -> (name, params)."""
    if isinstance(spec, str):
        return spec, {}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{where}: a {kind} must be a name or a mapping with 'name', got {spec!r}"
        )
    params = dict(spec)
    name = params.pop("name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: a {kind} needs a 'name' (a string), got {spec!r}")
    return name, params


def build_check(spec: Mapping[str, Any] | str, context: CheckContext, *, where: str) -> Check:
    """Build the check *spec* names, for the suite in *context*; *where* prefixes any error."""
    name, params = split_spec(spec, "check", where=where)
    factory = CHECKS.get(name)
    if factory is None:
        raise UnknownNameError("check", name, CHECKS, where=where)
    try:
        return factory(params, context)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
