"""JSON Lines case files: one case object per line, blank lines skipped; and the strict JSON
parsing (a key twice in one object is an error) that spreadsheet cells holding JSON use too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...exceptions import GoldenFileError
from .rows import EXAMPLE_ROW, CaseRow, json_kind
from .text import LINE_BREAK, decode

__all__ = ["DuplicateKeyError", "parse_json", "read_jsonl"]


class DuplicateKeyError(Exception):
    """A JSON object names the same key twice (:mod:`json` would keep the last silently)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def parse_json(text: str) -> Any:
    """The JSON *text* holds; raises :class:`DuplicateKeyError` or :class:`ValueError`."""
    return json.loads(text, object_pairs_hook=_object_without_duplicates)


_ONE_PER_LINE = (
    "write one object per line, like {example} (e.g. with jq -c '.[]' for an array, or jq -c . "
    "for pretty-printed objects)"
)


def _spread_over_lines(text: str, start: int, number: int) -> str | None:
    """What the file is, if a JSON value that starts at *start* (on line *number*) spans more
    lines: a JSON array or pretty-printed JSON; None otherwise."""
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError):
        value, end = None, start
    last = number + len(LINE_BREAK.findall(text, start, end))
    if isinstance(value, list) or (end == start and text[start] == "["):
        return "a JSON array, not JSON Lines"
    if end > start and last > number:
        return f"pretty-printed JSON (the value that starts on this line ends on line {last})"
    return None


def read_jsonl(path: Path, data: bytes, encoding: str) -> list[CaseRow]:
    """Every non-blank line as one row; a line that is not one JSON object is an error, and a
    JSON array or pretty-printed JSON says so."""
    text = decode(data, encoding, path, detect=False)
    rows: list[CaseRow] = []
    start = 0
    breaks = [*LINE_BREAK.finditer(text), None]
    for number, line_break in enumerate(breaks, start=1):
        end = len(text) if line_break is None else line_break.start()
        line, line_start = text[start:end], start
        start = len(text) if line_break is None else line_break.end()
        if not line.strip():
            continue
        try:
            value = parse_json(line)
        except DuplicateKeyError as exc:
            raise GoldenFileError(
                f"key '{exc.key}' appears twice in the same object: keep only one of them",
                path=path,
                line=number,
            ) from None
        except json.JSONDecodeError as exc:
            offset = line_start + len(line) - len(line.lstrip())
            spread = _spread_over_lines(text, offset, number)
            if spread is not None:
                raise GoldenFileError(
                    f"this file is {spread}: {_ONE_PER_LINE.format(example=EXAMPLE_ROW)}",
                    path=path,
                    line=number,
                ) from None
            raise GoldenFileError(
                f"not valid JSON: {exc.msg} (column {exc.colno}): each line must be one JSON "
                f"object, like {EXAMPLE_ROW}",
                path=path,
                line=number,
            ) from None
        except RecursionError:
            raise GoldenFileError(
                "not valid JSON: nested too deeply", path=path, line=number
            ) from None
        except ValueError as exc:  # e.g. an integer with more digits than Python converts
            raise GoldenFileError(f"not valid JSON: {exc}", path=path, line=number) from None
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            raise GoldenFileError(
                "this file is a JSON array, not JSON Lines: "
                + _ONE_PER_LINE.format(example=EXAMPLE_ROW),
                path=path,
                line=number,
            )
        if not isinstance(value, dict):
            raise GoldenFileError(
                f"the line holds {json_kind(value)}, not a JSON object: each line must be one "
                f"case object, like {EXAMPLE_ROW}",
                path=path,
                line=number,
            )
        rows.append(CaseRow(line=number, data=value))
    return rows
