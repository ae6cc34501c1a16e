"""Review workbooks back in: every filled row validated, all problems listed, all or nothing.

A row is applied only to the exact answer it showed: the hidden binding sheet names suite, case,
answer hash, rubric hash, run and project; the visible row must still hold its case (rows
deleted or reordered are caught), the rubric must be the one scored, and the run being gated
must still give that answer (a re-run on a new model makes the sheet stale). Blank score cells
are pending, not errors. Workbooks that went through LibreOffice read the same (it keeps text
cells text and writes whole numbers as numbers).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.progress import Step, progress
from ..exceptions import ReleasegateError, ReviewError, ReviewSheetError
from ..golden.suites import Suite
from .bindings import Binding, cell_text, column_letter, read_bindings
from .records import ReviewRecord, answer_hash
from .row_cells import read_scores, read_texts
from .rubric import Rubric
from .runs import RunAnswers, read_run
from .sheet import (
    BINDING_SHEET,
    FIXED_COLUMNS,
    headers_for,
    language_of,
)
from .workbook import (
    EXTRA_ROWS,
    PART_BYTES,
    ROW_BYTES,
    SHEET_BYTES,
    read_formulas,
    read_table,
    saved_values,
)

__all__ = ["ImportResult", "SuiteImport", "read_workbooks"]


@dataclass
class SuiteImport:
    """What the workbooks hold for one suite."""

    records: list[ReviewRecord] = field(default_factory=list)
    pending: int = 0
    """Rows left blank (still to review)."""

    @property
    def reviewers(self) -> list[str]:
        return sorted({r.reviewer for r in self.records})


@dataclass(frozen=True)
class ImportResult:
    """Every suite's valid reviews, read from all the workbooks."""

    suites: Mapping[str, SuiteImport]


class _Reader:
    """Reads workbooks, collecting problems instead of stopping at the first."""

    def __init__(
        self,
        suites: Mapping[str, Suite],
        *,
        project: str,
        reports_dir: Path,
        reference: RunAnswers | None,
    ) -> None:
        self.suites = suites
        self.project = project
        self.reports_dir = reports_dir
        self.reference = reference
        self.problems: list[str] = []
        self.result: dict[str, SuiteImport] = {}
        self._seen: dict[tuple[str, str, str, str, str], str] = {}
        self._runs: dict[str, RunAnswers | None] = {}

    def problem(
        self, path: Path, message: str, *, sheet: str = "", row: int = 0, column: str = ""
    ) -> None:
        where = str(path)
        if sheet:
            where += f", sheet '{sheet}'"
        if row:
            where += f", row {row}"
        if column:
            where += f", column {column}"
        self.problems.append(f"{where}: {message}")

    def read(self, path: Path) -> None:
        # A big sheet takes a while to open and check: its rows are counted as they are read.
        with progress(f"reading {path.name}") as step:
            opened = self._open(path)
            if opened is None:
                return
            book, sizes = opened
            try:
                self._read(path, book, sizes, step)
            finally:
                book.close()

    def _read(self, path: Path, book: Any, sizes: Mapping[str, int], step: Step) -> None:
        if BINDING_SHEET not in book.sheetnames:
            self.problem(
                path,
                f"the hidden sheet '{BINDING_SHEET}' that binds each row to the answer it shows is "
                "missing (deleted, or this is not a sheet from releasegate review export); export "
                "the answers again and review that file",
            )
            return
        bindings = read_bindings(
            path, book[BINDING_SHEET], project=self.project, problem=self.problem
        )
        if bindings is None:
            return
        step.set_total(len(bindings))
        by_sheet: dict[str, dict[int, Binding]] = {}
        for binding in bindings:
            by_sheet.setdefault(binding.sheet, {})[binding.row] = binding
        for title, rows in by_sheet.items():
            if title not in book.sheetnames:
                self.problem(
                    path,
                    "the sheet is missing (renamed or deleted); keep the exported sheets as they "
                    "are",
                    sheet=title,
                )
                continue
            sheet = book[title]
            if self._too_big(path, sheet, rows, sizes):
                continue
            self._sheet(path, sheet, rows, step)

    def _too_big(
        self, path: Path, sheet: Any, rows: Mapping[int, Binding], sizes: Mapping[str, int]
    ) -> bool:
        """A sheet far larger than the rows exported into it is refused before it is parsed:
        its unpacked XML against a bound per exported row, and its declared last row."""
        size = sizes.get(str(sheet._worksheet_path), 0)
        allowed = SHEET_BYTES + len(rows) * ROW_BYTES
        if size > allowed:
            self.problem(
                path,
                f"the sheet unpacks to {size / 2**20:.1f} MiB of XML, more than "
                f"{allowed / 2**20:.1f} MiB for the {len(rows)} answer row(s) exported into it "
                "(cells were filled far beyond the exported rows); export again and fill only "
                "the exported rows",
                sheet=sheet.title,
            )
            return True
        declared = sheet.max_row or 0
        cap = max(rows) + EXTRA_ROWS
        if declared > cap:
            self.problem(
                path,
                f"the sheet declares {declared:,} rows but was exported with {len(rows)} answer "
                f"row(s) (at most {cap:,} rows are read); rows were added below the exported "
                "ones: export again and fill only the exported rows",
                sheet=sheet.title,
            )
            return True
        return False

    def _open(self, path: Path) -> tuple[Any, dict[str, int]] | None:
        """The workbook, read-only with saved values, and each part's unpacked size; parts
        larger than any review workbook holds are refused before anything is parsed."""
        import zipfile

        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        if not path.is_file():
            self.problem(path, "no such file")
            return None
        try:
            with zipfile.ZipFile(path) as archive:
                sizes = {info.filename: info.file_size for info in archive.infolist()}
            big = {name: size for name, size in sizes.items() if size > PART_BYTES}
            if big:
                name, size = max(big.items(), key=lambda item: item[1])
                self.problem(
                    path,
                    f"its part {name} unpacks to {size / 2**20:,.0f} MiB, more than a review "
                    f"workbook holds ({PART_BYTES / 2**20:.0f} MiB); it is not the workbook "
                    "releasegate review export wrote, or cells were filled far beyond the "
                    "exported rows: export again and fill only the exported rows",
                )
                return None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # styles and extensions openpyxl skips
                book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            return book, sizes
        except (
            zipfile.BadZipFile,
            InvalidFileException,
            KeyError,
            ValueError,
            OSError,
            EOFError,
        ) as exc:
            self.problem(
                path,
                f"not a readable .xlsx workbook ({type(exc).__name__}: {exc}); it may be truncated "
                "or saved in another format: save it as Excel 2007-365 (.xlsx) and import again",
            )
            return None

    def _sheet(self, path: Path, sheet: Any, rows: Mapping[int, Binding], step: Step) -> None:
        title = sheet.title
        suite_name = next(iter(rows.values())).suite
        suite = self.suites.get(suite_name)
        if suite is None:
            self.problem(
                path,
                f"suite '{suite_name}' is not in this project (known: "
                f"{', '.join(sorted(self.suites))})",
                sheet=title,
            )
            return
        rubric = suite.rubric
        stale = {b.rubric_hash for b in rows.values()} - {rubric.hash}
        if stale:
            self.problem(
                path,
                f"the rubric of suite '{suite_name}' changed since this sheet was exported (other "
                "criteria or scale); scores for the old rubric cannot be applied: export again",
                sheet=title,
            )
            return
        shown = any(b.judge_shown for b in rows.values())
        headers = headers_for(rubric, language_of(suite), judge=shown)
        cap = max(rows) + EXTRA_ROWS
        table = read_table(sheet, len(headers), cap + 1)
        if len(table) > cap:
            self.problem(
                path,
                f"the sheet has more than {cap:,} rows but was exported with {len(rows)} answer "
                "row(s): rows were added below the exported ones; export again and fill only "
                "the exported rows",
                sheet=title,
            )
            return
        # The same cells as written, where the sheet holds formulas: "=..." there, and their
        # saved value (if any) above.
        written = read_formulas(path, sheet, len(headers), cap)
        found = [cell_text(v) for v in table[0]] if table else []
        if found != headers:
            self.problem(
                path,
                f"the header row is {found}, expected {headers}: columns were added, moved or "
                "deleted; keep the exported columns",
                sheet=title,
                row=1,
            )
            return
        last = max(rows)
        if len(table) < last:
            self.problem(
                path,
                f"the sheet ends at row {len(table)} but was exported with {last - 1} answer "
                "rows: rows were deleted; export again (blank rows stay pending, no need to "
                "delete them)",
                sheet=title,
            )
            return
        into = self.result.setdefault(suite_name, SuiteImport())
        for number, values in enumerate(table[1:], start=2):
            binding = rows.get(number)
            if binding is None:
                if any(cell_text(v) for v in values):
                    self.problem(
                        path,
                        "this row was not exported (rows were added or moved); export again",
                        sheet=title,
                        row=number,
                    )
                continue
            typed = written[number - 1] if number - 1 < len(written) else []
            values = saved_values(values, typed)
            self._row(path, title, number, values, binding, rubric, headers, into)
            step.advance()

    def _row(
        self,
        path: Path,
        title: str,
        number: int,
        values: Sequence[Any],
        binding: Binding,
        rubric: Rubric,
        headers: Sequence[str],
        into: SuiteImport,
    ) -> None:
        problems_before = len(self.problems)
        shown = cell_text(values[0])
        if shown != binding.case_id:
            self.problem(
                path,
                f"holds case '{shown}' but row {number} was exported for case '{binding.case_id}': "
                "rows were deleted, moved or sorted; export again",
                sheet=title,
                row=number,
                column=f"A '{headers[0]}'",
            )
            return
        suite = self.suites[binding.suite]
        if not _has_case(suite, binding.case_id):
            self.problem(
                path,
                f"case '{binding.case_id}' is no longer in suite '{binding.suite}'",
                sheet=title,
                row=number,
                column=f"A '{headers[0]}'",
            )
            return
        self._check_answer(path, title, number, binding, headers)

        def problem(message: str, column: str) -> None:
            self.problem(path, message, sheet=title, row=number, column=column)

        scores, blank = read_scores(values, rubric, problem)
        comment, reviewer = read_texts(values, rubric, headers, problem)
        if len(self.problems) != problems_before:
            return
        if len(blank) == len(rubric.criteria):
            into.pending += 1
            return
        if blank and len(self.problems) == problems_before:
            self.problem(
                path,
                "left blank while other criteria of the row are scored; score every criterion "
                "of the row, or none (the row stays pending)",
                sheet=title,
                row=number,
                column=", ".join(blank),
            )
        if not reviewer:
            at = len(FIXED_COLUMNS) + len(rubric.criteria) + 2  # case columns, scores, comment
            self.problem(
                path,
                "empty on a scored row; write the reviewer's name (agreement between reviewers "
                "needs it)",
                sheet=title,
                row=number,
                column=f"{column_letter(at)} '{headers[at - 1]}'",
            )
        if len(self.problems) != problems_before:
            return
        key = (binding.suite, binding.case_id, binding.answer_hash, binding.rubric_hash, reviewer)
        place = f"{path}, sheet '{title}', row {number}"
        if key in self._seen:
            self.problem(
                path,
                f"{reviewer} reviews this answer twice (also at {self._seen[key]}); keep one",
                sheet=title,
                row=number,
            )
            return
        self._seen[key] = place
        into.records.append(
            ReviewRecord(
                suite=binding.suite,
                case_id=binding.case_id,
                answer_hash=binding.answer_hash,
                rubric_hash=binding.rubric_hash,
                scores=scores,
                reviewer=reviewer,
                comment=comment,
                reviewed_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                sheet=f"{path.name}#{title}",
                run_id=binding.run_id,
                fingerprint=binding.fingerprint,
                extra={"saw_judge": True} if binding.judge_shown else {},
            )
        )

    def _check_answer(
        self, path: Path, title: str, number: int, binding: Binding, headers: Sequence[str]
    ) -> None:
        """The answer the row shows must be its run's, and still the answer being gated."""
        column = f"D '{headers[3]}'"
        own = self._run(binding.run_id)
        if own is not None:
            answered = own.find(binding.suite, binding.case_id)
            if answered is not None and answer_hash(answered.answer) != binding.answer_hash:
                self.problem(
                    path,
                    f"the hidden sheet does not match run {binding.run_id}'s answer to this case; "
                    "the sheet was altered: export again",
                    sheet=title,
                    row=number,
                    column=column,
                )
                return
        ref = self.reference
        if ref is None or ref.run_id == binding.run_id:
            return
        now = ref.find(binding.suite, binding.case_id)
        if now is not None and answer_hash(now.answer) != binding.answer_hash:
            self.problem(
                path,
                f"the answer changed since export: run {ref.run_id} (model "
                f"{ref.fingerprint or '?'}) answers this case differently from run "
                f"{binding.run_id} (model {binding.fingerprint or '?'}) shown here, so these "
                "scores would not apply to it; export the new answers with `releasegate review "
                "export` (or import against the old run with --run "
                f"{binding.run_id})",
                sheet=title,
                row=number,
                column=column,
            )

    def _run(self, run_id: str) -> RunAnswers | None:
        if run_id not in self._runs:
            try:
                self._runs[run_id] = read_run(self.reports_dir, run_id)
            except ReviewError:
                self._runs[run_id] = None
        return self._runs[run_id]


def _has_case(suite: Suite, case_id: str) -> bool:
    try:
        suite.case(case_id)
    except ReleasegateError:
        return False
    return True


def read_workbooks(
    paths: Sequence[Path],
    suites: Mapping[str, Suite],
    *,
    project: str,
    reports_dir: Path,
    reference: RunAnswers | None,
) -> ImportResult:
    """Read and validate every workbook; raise :class:`ReviewSheetError` listing every problem
    of all of them (then nothing may be imported), else return their reviews."""
    reader = _Reader(suites, project=project, reports_dir=reports_dir, reference=reference)
    for path in paths:
        reader.read(path)
    if reader.problems:
        raise ReviewSheetError(reader.problems)
    return ImportResult(reader.result)
