"""The hidden binding sheet of a review workbook: which answer each visible row shows.

:func:`read_bindings` reads it whole or not at all: releasegate wrote it and nobody edits it, so a
sheet that was edited (an emptied cell, a row bound twice, a sheet bound to two suites), that is
larger than any export, or that comes from another project is refused with one problem, and
nothing of its workbook is read. :mod:`releasegate.review.importing` then reads the rows it binds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .sheet import BINDING_COLUMNS, BINDING_SHEET, JUDGE_BINDING
from .workbook import MAX_ANSWERS

__all__ = ["OPTIONAL_BINDINGS", "Binding", "Problem", "cell_text", "column_letter", "read_bindings"]

OPTIONAL_BINDINGS = frozenset({"project", "fingerprint", "run_id"})
"""Binding columns that may be empty; an empty cell in any other one means the sheet was edited."""


@dataclass(frozen=True)
class Binding:
    """One row of the binding sheet: the visible sheet and row it binds, and the answer (suite,
    case, answer hash, run, rubric) that row was exported with."""

    sheet: str
    row: int
    project: str
    suite: str
    case_id: str
    answer_hash: str
    fingerprint: str
    run_id: str
    rubric_hash: str
    judge_shown: bool = False
    """The row's sheet showed the judge's scores (an adjudication export): its reviews are kept
    out of the judge's calibration."""


class Problem(Protocol):
    """Where a problem is collected (the reader's list of them), with its place in the file."""

    def __call__(
        self, path: Path, message: str, *, sheet: str = "", row: int = 0, column: str = ""
    ) -> None: ...


def cell_text(value: Any) -> str:
    """A cell's saved value as text: empty for an empty cell, a whole float as an integer."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def column_letter(index: int) -> str:
    """The letter of the 1-based column *index* (``1`` -> ``A``)."""
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def read_bindings(
    path: Path, sheet: Any, *, project: str, problem: Problem
) -> list[Binding] | None:
    """The rows of the hidden binding sheet *sheet* of the workbook at *path*, each naming the
    sheet row it binds and the answer that row shows; None, after one *problem*, when the sheet
    was edited (a cell emptied, a row bound twice, a sheet bound to two suites), is larger than
    any export, or comes from another *project* than this one."""
    declared = sheet.max_row or 0
    if declared > MAX_ANSWERS + 1:
        _edited(problem, path, 1, "", f"it declares {declared:,} rows")
        return None
    sheet.reset_dimensions()  # the rows themselves are read, at most one past the cap
    rows = list(
        sheet.iter_rows(max_col=len(BINDING_COLUMNS) + 1, max_row=MAX_ANSWERS + 2, values_only=True)
    )
    if len(rows) > MAX_ANSWERS + 1:
        _edited(problem, path, MAX_ANSWERS + 2, "", f"it has more than {MAX_ANSWERS:,} rows")
        return None
    header = tuple(cell_text(v) for v in rows[0]) if rows else ()
    header += ("",) * (len(BINDING_COLUMNS) + 1 - len(header))
    if header[:-1] != BINDING_COLUMNS or header[-1] not in ("", JUDGE_BINDING):
        problem(
            path,
            "the hidden binding sheet was changed (its header is not releasegate's); export "
            "the answers again",
            sheet=BINDING_SHEET,
            row=1,
        )
        return None
    bindings = []
    places: dict[tuple[str, int], int] = {}
    suites: dict[str, tuple[str, int]] = {}
    for number, values in enumerate(rows[1:], start=2):
        cells = [cell_text(v) for v in values[: len(BINDING_COLUMNS)]]
        shown = (
            cell_text(values[len(BINDING_COLUMNS)]) if len(values) > len(BINDING_COLUMNS) else ""
        )
        if not any(cells):
            continue
        cells += [""] * (len(BINDING_COLUMNS) - len(cells))
        if shown not in ("", "1"):
            _edited(problem, path, number, "", f"'{shown}' in column {JUDGE_BINDING}")
            return None
        for index, name in enumerate(BINDING_COLUMNS):
            if not cells[index] and name not in OPTIONAL_BINDINGS:
                _edited(problem, path, number, name, "the cell is empty")
                return None
        sheet_name, row, exported_from, suite, case_id, digest, fingerprint, run_id, rubric = cells
        if not row.isdigit() or int(row) < 2:
            _edited(problem, path, number, "row", f"'{row}' is not a row number of a sheet")
            return None
        place = (sheet_name, int(row))
        if place in places:
            _edited(
                problem,
                path,
                number,
                "row",
                f"row {row} of sheet '{sheet_name}' is bound twice (also on row {places[place]})",
            )
            return None
        places[place] = number
        first = suites.setdefault(sheet_name, (suite, number))
        if first[0] != suite:
            _edited(
                problem,
                path,
                number,
                "suite",
                f"suite '{suite}', but row {first[1]} binds sheet '{sheet_name}' to suite "
                f"'{first[0]}'",
            )
            return None
        bindings.append(
            Binding(
                sheet_name,
                int(row),
                exported_from,
                suite,
                case_id,
                digest,
                fingerprint,
                run_id,
                rubric,
                judge_shown=shown == "1",
            )
        )
    projects = {b.project for b in bindings}
    if projects and projects != {project}:
        problem(
            path,
            f"this workbook was exported from project '{', '.join(sorted(projects))}', not "
            f"'{project}'; import it in that project, or export this project's answers",
            sheet=BINDING_SHEET,
        )
        return None
    return bindings


def _edited(problem: Problem, path: Path, row: int, name: str, what: str) -> None:
    """One problem for a hidden binding sheet that was edited."""
    column = ""
    if name:
        column = f"{column_letter(BINDING_COLUMNS.index(name) + 1)} '{name}'"
    problem(
        path,
        f"{what}: the hidden sheet that binds each row to the answer it shows was edited; "
        "it cannot be trusted, so nothing of this workbook is read. Export the answers "
        "again and copy the scores into the new workbook (leave its hidden sheet alone)",
        sheet=BINDING_SHEET,
        row=row,
        column=column,
    )
