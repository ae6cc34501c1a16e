"""A case row: the fields a row of a case file may hold, the one rule per field that checks it,
and the row's conversion to a :class:`~releasegate.golden.cases.GoldenCase`.

Every row of every format takes one path: :func:`to_case` asks each field's rule (in
:data:`KNOWN_FIELDS` order) what is wrong with its value, and the first answer becomes the
:class:`GoldenFileError`, which names the file, the line and the field. The rules are plain
Python, so 10,000 rows are checked in milliseconds, and each says in words what to do.
``schemas/case.schema.json`` publishes the same contract for editors and other tools; a test
(``tests/golden/io/test_rows.py``) checks on generated rows that it accepts what the rules accept.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.display import shorten
from ...exceptions import GoldenFileError
from ..cases import ChatMessage, Expected, GoldenCase
from .assert_columns import COLUMN as _COLUMN
from .assert_columns import ColumnError, assertion_column, column_assertions

__all__ = [
    "CHAT_ROLES",
    "EXAMPLE_ROW",
    "JSON_CELL_FIELDS",
    "KNOWN_FIELDS",
    "REQUIRED_FIELDS",
    "CaseRow",
    "has_assertions",
    "id_problem",
    "json_kind",
    "row_error",
    "to_case",
]

CHAT_ROLES = ("system", "user", "assistant")
"""The roles a chat message in ``input`` may have."""

EXAMPLE_ROW = '{"id": "q1", "input": "...", "expected": "..."}'
_EXAMPLE_MESSAGE = '{"role": "user", "content": "..."}'


@dataclass(frozen=True)
class CaseRow:
    """One row of a case file, before validation."""

    line: int
    """1-based: for JSONL/CSV the physical line the record starts on; for XLSX the row number."""
    data: Mapping[str, Any]
    """The row as parsed (JSONL: the JSON object; CSV/XLSX: the cells by the cell conventions)."""


def json_kind(value: object) -> str:
    """What a parsed JSON value is, in words ("a list", "null"), for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return shorten(text, 60)


def id_problem(value: object) -> str | None:
    """What makes *value* an id the case loader refuses (with what to do), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return f'id must be text or a whole number, not {_show(value)}: use a name like "refund-1"'
    if isinstance(value, float) and not value.is_integer():
        return f'id must be text or a whole number, not {_show(value)}: use a name like "refund-1"'
    text = _id_text(value)
    if not text.strip():
        return 'id is empty: give every case a short unique id, like "refund-1"'
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\t\n\r":
            return (
                f"id {_show(text)} contains the control character U+{ord(char):04X}: remove it "
                "(ids are shown in reports and terminals)"
            )
        if category == "Cs":
            return (
                f"id {shorten(json.dumps(text), 60)} contains U+{ord(char):04X}, half of a "
                "UTF-16 surrogate pair and not a character: fix the id"
            )
    return None


def _id_text(value: object) -> str:
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def _input_problem(value: object) -> str | None:
    if isinstance(value, str):
        if not value.strip():
            return "input is empty: write the text sent to the model"
        return None
    if not isinstance(value, list):
        return (
            f"input must be text or a non-empty list of chat messages like [{_EXAMPLE_MESSAGE}], "
            f"not {json_kind(value)}"
        )
    if not value:
        return f"input is an empty list of chat messages: add at least one, like {_EXAMPLE_MESSAGE}"
    count = len(value)
    for number, message in enumerate(value, start=1):
        where = f"input message {number} of {count}"
        if not isinstance(message, dict):
            return f"{where} is {json_kind(message)}, not an object like {_EXAMPLE_MESSAGE}"
        for key in ("role", "content"):
            if key not in message:
                return f"{where} has no '{key}': write it like {_EXAMPLE_MESSAGE}"
        if message["role"] not in CHAT_ROLES:
            return (
                f"{where} has role {_show(message['role'])}: the role must be system, user or "
                "assistant"
            )
        if not isinstance(message["content"], str):
            return f"{where} has content {_show(message['content'])}: the content must be text"
        unknown = sorted(set(message) - {"role", "content"})
        if unknown:
            return (
                f"{where} has the key '{unknown[0]}': a chat message has only 'role' and 'content'"
            )
    return None


def _expected_problem(value: object) -> str | None:
    if isinstance(value, str | dict):
        return None
    if isinstance(value, list):
        if not value:
            return "expected is an empty list: list at least one acceptable answer"
        for number, item in enumerate(value, start=1):
            if not isinstance(item, str):
                return (
                    f"expected answer {number} is {_show(item)}, not text: a list of expected "
                    'answers holds only strings (write numbers in quotes, like "42")'
                )
        return None
    return (
        f"expected must be text, a non-empty list of strings or a JSON object, not {_show(value)}"
    )


def _tags_problem(value: object) -> str | None:
    if not isinstance(value, list):
        return f'tags must be a list of strings, like ["critical", "refund"], not {_show(value)}'
    for number, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item:
            return f"tag {number} is {_show(item)}: every tag must be non-empty text"
    return None


def _check_problem(value: object) -> str | None:
    example = '{"name": "regex", "pattern": "..."}'
    if isinstance(value, str):
        if not value.strip():
            return (
                'check is empty: name a check, like "contains", or leave it out to use the '
                "suite's check"
            )
        return None
    if isinstance(value, dict):
        if "name" not in value:
            return f"check has no 'name': write it like {example}"
        name = value["name"]
        if not isinstance(name, str) or not name.strip():
            return f"check name must be non-empty text, not {_show(name)}"
        return None
    return f'check must be a check name like "contains" or an object like {example}'


def _assert_problem(value: object) -> str | None:
    example = '[{"type": "not-contains", "value": "PayPal", "critical": true}]'
    if isinstance(value, list):
        if not value:
            return f"assert is an empty list: list the case's assertions, like {example}"
        return None
    if isinstance(value, dict):
        return None
    return f"assert must be a list of assertions, like {example}, not {json_kind(value)}"


@dataclass(frozen=True)
class _Field:
    """What the engine makes of one known field of a row."""

    rule: Callable[[object], str | None]
    """What is wrong with a value of the field, in words that say what to do; None if nothing."""
    needs: str | None = None
    """For a required field, what every case needs it for; None for an optional field."""
    json_cell: bool = False
    """In a spreadsheet, a cell that starts with ``[`` or ``{`` and parses as JSON is JSON."""


_FIELDS: dict[str, _Field] = {
    "id": _Field(id_problem, needs='an id that is unique in the suite, like "refund-1" or 7'),
    "input": _Field(_input_problem, needs="the input sent to the model", json_cell=True),
    "expected": _Field(_expected_problem, needs="the answer it expects", json_cell=True),
    "tags": _Field(_tags_problem),
    "check": _Field(_check_problem, json_cell=True),
    "assert": _Field(_assert_problem, json_cell=True),
}

KNOWN_FIELDS = tuple(_FIELDS)
"""The fields the engine interprets; every other field or column is kept as ``extra``."""
REQUIRED_FIELDS = tuple(name for name, field in _FIELDS.items() if field.needs is not None)
"""The fields every case must have."""
JSON_CELL_FIELDS = tuple(name for name, field in _FIELDS.items() if field.json_cell)
"""The fields whose spreadsheet cells may hold JSON."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: object) -> str | None:
    """The first lone UTF-16 surrogate in any text of *value* (keys too), or None.

    JSON can write one (``"\\ud83d"`` without its pair); it is no character, cannot be encoded
    as UTF-8, and would crash whatever writes or hashes the case later (reports, the cache key,
    the isolation check)."""
    if isinstance(value, str):
        match = _SURROGATE.search(value)
        return None if match is None else match.group()
    if isinstance(value, Mapping | list | tuple) and _encodes(value):
        return None  # the common case, decided in C: no text in it holds a surrogate
    if isinstance(value, Mapping):
        items: list[object] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return None
    return next((found for item in items if (found := _lone_surrogate(item)) is not None), None)


def _encodes(value: object) -> bool:
    """Whether *value* (parsed JSON) written as JSON text encodes as UTF-8: False where some
    text in it (a key too) holds a lone surrogate, or it cannot be written (then the walk of
    :func:`_lone_surrogate` decides)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError, RecursionError):
        return False
    return True


def _surrogate_error(data: Mapping[str, Any], *, path: Path, line: int) -> GoldenFileError | None:
    """The error for the first field (in row order; ids have their own rule) whose name or value
    holds a lone surrogate."""
    for name, value in data.items():
        if name == "id":
            continue
        found = _lone_surrogate(name) or _lone_surrogate(value)
        if found is not None:
            shown = name if _lone_surrogate(name) is None else json.dumps(name)
            return GoldenFileError(
                f"{shown} contains U+{ord(found):04X}, half of a UTF-16 surrogate pair and not "
                f"a character (a JSON escape like \\u{ord(found):04x} without its other half): "
                "write the character itself, or both halves of the pair",
                path=path,
                line=line,
                field=shown,
            )
    return None


def row_error(
    data: Mapping[str, Any], *, path: Path, line: int, from_cells: bool
) -> GoldenFileError | None:
    """The error for the first known field (in :data:`KNOWN_FIELDS` order) that is missing
    though required, or whose rule rejects its value; then for the first field holding a lone
    surrogate; None for a valid row."""
    error = _known_field_error(data, path=path, line=line, from_cells=from_cells)
    return error if error is not None else _surrogate_error(data, path=path, line=line)


def _known_field_error(
    data: Mapping[str, Any], *, path: Path, line: int, from_cells: bool
) -> GoldenFileError | None:
    for name, field in _FIELDS.items():
        if name not in data:
            if field.needs is None or (name == "expected" and has_assertions(data)):
                continue
            message = f"required field missing: every case needs {field.needs}"
            near = [key for key in data if key.lower().strip() == name and key != name]
            if near:
                message += f" (found '{near[0]}': field names are lowercase)"
            return GoldenFileError(message, path=path, line=line, field=name)
        value = data[name]
        problem = field.rule(value)
        if problem is not None:
            if from_cells and field.json_cell and isinstance(value, list | dict):
                problem += (
                    " (the cell starts with '[' or '{' and is valid JSON, so it is read as JSON)"
                )
            return GoldenFileError(problem, path=path, line=line, field=name)
    return None


def has_assertions(data: Mapping[str, Any]) -> bool:
    """Whether a row carries assertions (``assert``, or an assertion column with a value): such
    a case needs no expected answer."""
    if data.get("assert") is not None:
        return True
    return any(value is not None and _is_assertion_column(key) for key, value in data.items())


def _is_assertion_column(name: str) -> bool:
    try:
        return assertion_column(name) is not None
    except ValueError:
        return True


def _assertions(
    data: Mapping[str, Any], *, path: Path, line: int
) -> tuple[list[Any] | None, tuple[str, ...]]:
    """The row's ``assert`` list, then the assertions its columns hold (None for neither), and
    the field each came from (``assert``, or the column), for an error to name."""
    written = data.get("assert")
    listed: list[Any] = []
    if written is not None:
        listed = [written] if isinstance(written, dict) else list(written)
    fields = ["assert"] * len(listed)
    try:
        columns = column_assertions(data)
    except ColumnError as err:
        raise GoldenFileError(str(err), path=path, line=line, field=err.field) from None
    except ValueError as err:
        raise GoldenFileError(str(err), path=path, line=line) from None
    for assertion in columns or ():
        listed.append(assertion)
        fields.append(assertion.pop(_COLUMN))
    return listed or None, tuple(fields)


def to_case(row: CaseRow, *, path: Path, suite: str, from_cells: bool) -> GoldenCase:
    """The case a row holds; raise the :func:`row_error` of an invalid row."""
    data = dict(row.data)
    error = row_error(data, path=path, line=row.line, from_cells=from_cells)
    if error is not None:
        raise error

    raw_input = data["input"]
    case_input: str | tuple[ChatMessage, ...]
    if isinstance(raw_input, str):
        case_input = raw_input
    else:
        case_input = tuple({"role": m["role"], "content": m["content"]} for m in raw_input)

    raw_expected = data.get("expected", "")
    expected: Expected
    if isinstance(raw_expected, list):
        expected = tuple(raw_expected)
    elif isinstance(raw_expected, dict):
        expected = dict(raw_expected)
    else:
        expected = raw_expected

    raw_check = data.get("check")
    check: dict[str, Any] | None
    if raw_check is None:
        check = None
    elif isinstance(raw_check, str):
        check = {"name": raw_check.strip()}
    else:
        check = dict(raw_check)

    assertions, fields = _assertions(data, path=path, line=row.line)
    return GoldenCase(
        suite=suite,
        id=_id_text(data["id"]),
        input=case_input,
        expected=expected,
        tags=tuple(dict.fromkeys(data.get("tags", ()))),
        check=check,
        source=f"{path}:{row.line}",
        extra={
            key: value
            for key, value in data.items()
            if key not in _FIELDS and not _is_assertion_column(key)
        },
        assertions=assertions,
        assertion_fields=fields,
    )
