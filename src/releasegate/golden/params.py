"""Parameters of checks and metrics: declared once, as fields of the check's (or metric's)
dataclass made with :func:`param`; read and validated in one place, :func:`read_params`, which
names an unknown or bad parameter and lists the accepted ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

from ..exceptions import ConfigError

__all__ = [
    "Param",
    "ParamError",
    "as_bool",
    "as_mapping",
    "as_number",
    "as_str",
    "as_str_tuple",
    "one_of",
    "param",
    "params_of",
    "read_params",
]


class ParamError(ConfigError):
    """A bad parameter; :func:`~releasegate.golden.checks.build_check` and ``build_metric``
    prefix it with where it was."""


@dataclass(frozen=True)
class Param:
    """One accepted parameter: its name, how to read it, and whether it must be given."""

    name: str
    read: Callable[[Any], Any]
    """Returns the value to use, or raises ValueError saying what the value must be."""
    required: bool = False
    default: Any = None


_PARAM = "releasegate.param"


def param(read: Callable[[Any], Any], *, default: Any = None, required: bool = False) -> Any:
    """A dataclass field that is also a parameter a manifest may give, under the field's name.

    *read* returns the value to use or raises ValueError saying what it must be; *default* is the
    value when the manifest leaves it out (a required parameter has none: declare the class
    ``kw_only`` when a required one follows one with a default). :func:`params_of` lists them.
    """
    declared = Param(name="", read=read, required=required, default=default)
    metadata = {_PARAM: declared}
    if required:
        return field(metadata=metadata)
    if isinstance(default, dict | list):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@cache
def params_of(cls: type) -> tuple[Param, ...]:
    """The parameters *cls* (a check or metric dataclass) declares with :func:`param`, in field
    order."""
    return tuple(
        replace(f.metadata[_PARAM], name=f.name) for f in fields(cls) if _PARAM in f.metadata
    )


def read_params(
    kind: str, name: str, params: Mapping[str, Any], accepted: Sequence[Param]
) -> dict[str, Any]:
    """Validate *params* of the *kind* ("check", "metric") called *name* against *accepted*.

    Returns every accepted parameter's value (its default where not given). Raises
    :class:`ParamError` naming the parameter and listing the accepted ones.
    """
    by_name = {param.name: param for param in accepted}
    listing = ", ".join(sorted(by_name)) if by_name else "none"
    for key in params:
        if key not in by_name:
            close = difflib.get_close_matches(str(key), list(by_name), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ParamError(
                f"{kind} '{name}': unknown parameter '{key}'.{hint} Accepted parameters: {listing}."
            )
    values: dict[str, Any] = {}
    for param in accepted:
        if param.name not in params:
            if param.required:
                raise ParamError(
                    f"{kind} '{name}': parameter '{param.name}' is required. "
                    f"Accepted parameters: {listing}."
                )
            values[param.name] = param.default
            continue
        try:
            values[param.name] = param.read(params[param.name])
        except ValueError as err:
            raise ParamError(
                f"{kind} '{name}': parameter '{param.name}' {err} "
                f"(got {params[param.name]!r}). Accepted parameters: {listing}."
            ) from None
    return values


def as_str(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValueError("must be a number")
    return float(value)


def as_str_tuple(value: Any) -> tuple[str, ...]:
    """A non-empty string or list of non-empty strings, as a tuple."""
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, (list, tuple))
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise ValueError("must be a non-empty string or a non-empty list of non-empty strings")
    return tuple(value)


def one_of(*choices: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(f"'{c}'" for c in choices))
        return str(value)

    return read


def as_mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValueError("must be a mapping of names to values")
    return dict(value)
