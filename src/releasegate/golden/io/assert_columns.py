"""Assertions written as spreadsheet columns (or the same keys of a JSONL row), turned into the
``assert:`` list a case carries.

======================  ===================================================  ==================
column                  each value becomes                                   example cell
======================  ===================================================  ==================
``must_contain``        ``{type: contains, value: V}``                       ``退款|7天``
``must_not_contain``    ``{type: not-contains, value: V}``                   ``PayPal|货到付款``
``must_match``          ``{type: regex, value: V}``                          ``\\d+ ?天``
``must_not_match``      ``{type: not-regex, value: V}``                      ``1\\d{10}``
``must_not_leak``       ``{type: not-canary, value: V}`` (a planted string)   ``Marisol Quenby``
``max_chars``           ``{type: length, max: V}`` (one whole number)        ``120``
``critical``            marks assertions of this row critical                ``must_not_contain``
======================  ===================================================  ==================

Several values in a cell are split on new lines and on ``|``, except in the two regular
expression columns, which split on new lines only (``|`` is a pattern's own "or"). A column may
carry a name for its assertions after a colon, ``must_not_contain:competitor``, and appear once
per name. A ``critical`` cell lists column headers (every assertion of that column is critical)
or values written in this row's assertion cells (that one is), split the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["ASSERTION_COLUMNS", "COLUMN", "ColumnError", "assertion_column", "column_assertions"]

COLUMN = "\0column"
"""Key of the column an assertion came from, in the dicts :func:`column_assertions` returns;
the row takes it out before the case keeps them (an error names the column, not ``assert``)."""


class ColumnError(ValueError):
    """A value its assertion column cannot take; ``field`` is the column."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


ASSERTION_COLUMNS = (
    "must_contain",
    "must_not_contain",
    "must_match",
    "must_not_match",
    "must_not_leak",
    "max_chars",
    "critical",
)
"""The columns (and JSONL keys) that hold assertions."""

_TYPES = {
    "must_contain": "contains",
    "must_not_contain": "not-contains",
    "must_match": "regex",
    "must_not_match": "not-regex",
    "must_not_leak": "not-canary",
}
_SPLIT = re.compile(r"\s*(?:\r?\n|\|)\s*")
_SPLIT_LINES = re.compile(r"\s*\r?\n\s*")
_WHOLE = re.compile(r"\d+")


def assertion_column(name: str) -> tuple[str, str | None] | None:
    """``"must_not_contain:competitor"`` -> ``("must_not_contain", "competitor")``;
    ``"MUST_CONTAIN"`` -> ``("must_contain", None)``; None for any other column. Raises
    ValueError for a column named with a colon and nothing after it."""
    kind, colon, label = name.partition(":")
    kind = kind.strip().casefold()
    if kind not in ASSERTION_COLUMNS:
        return None
    if not colon:
        return kind, None
    if not label.strip():
        raise ValueError(
            f"the column '{name}' names no assertion after its colon: write {kind} alone, or "
            f"{kind}:<name> (like {kind}:competitor)"
        )
    if kind == "critical":
        raise ValueError("the critical column takes no name: write critical")
    return kind, label.strip()


def _values(raw: Any, kind: str, field: str) -> list[str]:
    if isinstance(raw, list):
        if not all(isinstance(item, str) and item.strip() for item in raw):
            raise ColumnError(field, f"{field}: every value must be non-empty text, got {raw!r}")
        return [item.strip() for item in raw]
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ColumnError(field, f"{field} must be text or a list of texts, got {raw!r}")
    split = _SPLIT_LINES if kind in ("must_match", "must_not_match") else _SPLIT
    return [value for value in split.split(raw.strip()) if value]


def column_assertions(data: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The assertions a row's assertion columns hold, in column order; None if it has none.
    Raises for a value that is not
    what its column takes (:class:`ColumnError`)."""
    assertions: list[dict[str, Any]] = []
    by_value: dict[str, list[dict[str, Any]]] = {}
    by_column: dict[str, list[dict[str, Any]]] = {}
    critical_field = None
    for field, raw in data.items():
        found = assertion_column(field)
        if found is None or raw is None:
            continue
        kind, label = found
        if kind == "critical":
            critical_field = field
            continue
        made: list[dict[str, Any]] = []
        if kind == "max_chars":
            text = raw.strip() if isinstance(raw, str) else ""
            if isinstance(raw, int) and not isinstance(raw, bool):
                text = str(raw)
            if not _WHOLE.fullmatch(text):
                raise ColumnError(
                    field, f"{field} must be a whole number of characters, like 120, got {raw!r}"
                )
            made.append({"type": "length", "max": int(text), COLUMN: field})
        else:
            for value in _values(raw, kind, field):
                assertion = {"type": _TYPES[kind], "value": value, COLUMN: field}
                made.append(assertion)
                by_value.setdefault(value, []).append(assertion)
        if label is not None:
            for assertion in made:
                assertion["name"] = label
        by_column.setdefault(field, []).extend(made)
        by_column.setdefault(kind, []).extend(made)
        assertions.extend(made)
    if critical_field is not None:
        _mark_critical(data[critical_field], critical_field, by_column, by_value)
    return assertions or None


def _mark_critical(
    raw: Any,
    field: str,
    by_column: Mapping[str, list[dict[str, Any]]],
    by_value: Mapping[str, list[dict[str, Any]]],
) -> None:
    for entry in _values(raw, "critical", field):
        column = entry.casefold() if entry.casefold() in by_column else entry
        marked = by_column.get(column) or by_value.get(entry)
        if not marked:
            named = ", ".join([*(k for k in by_column if ":" in k or k in _TYPES), *by_value])
            raise ColumnError(
                field,
                f"{field}: '{entry}' is neither an assertion column nor a value of this row's "
                f"assertion cells (this row has: {named or 'no assertions'}); list a column, "
                "like must_not_contain, or one of the values",
            )
        for assertion in marked:
            assertion["critical"] = True
