"""Review workbooks out: one ``.xlsx`` for people to score, bound to the exact answers it shows.

Layout (read back by :mod:`releasegate.review.importing`): an instructions sheet; one sheet per
suite, one row per answer, the filled columns protected (no password: protection guards against
slips, not people) and the score, comment and reviewer cells open, with data validation on the
scores; and a hidden sheet that binds each row to suite, case id, answer hash, model
fingerprint, run id, rubric hash and project, so a sheet can never be applied to other answers.

The judge's scores are never shown by default: a reviewer who sees them is anchored, and the
agreement calibration measures would be inflated. An export for adjudication (``--show-judge``)
adds the judge's score and reason after the reviewer's columns and marks each of its rows in the
hidden sheet (``judge_shown``), so the reviews read back from it are stored with
``saw_judge`` and left out of calibration. review sits below judge: the judge's columns are
computed by the caller and handed in (:class:`JudgeColumn` per case).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..core.atomic import write_bytes_atomic
from ..gate.baselines import BaselineStore, CaseBaseline
from ..golden.suites import Suite
from .records import answer_hash
from .rubric import Rubric
from .runs import RunAnswer, RunAnswers
from .store import ReviewStore
from .texts import TEXTS

__all__ = [
    "BINDING_COLUMNS",
    "BINDING_SHEET",
    "FIXED_COLUMNS",
    "JUDGE_BINDING",
    "JUDGE_COLUMNS",
    "ExportResult",
    "JudgeColumn",
    "export_workbook",
    "headers_for",
]

BINDING_SHEET = "_releasegate"
"""The hidden sheet that binds rows to answers."""
BINDING_COLUMNS = (
    "sheet",
    "row",
    "project",
    "suite",
    "case_id",
    "answer_hash",
    "fingerprint",
    "run_id",
    "rubric_hash",
)
FIXED_COLUMNS = ("case_id", "question", "expected", "answer", "baseline", "verdict", "reason")
"""The filled (protected) columns, in order; then one per criterion, comment, reviewer."""
JUDGE_COLUMNS = ("judge_score", "judge_reason")
"""The judge's columns of an adjudication export, after the reviewer's (protected)."""
JUDGE_BINDING = "judge_shown"
"""The binding sheet's column after :data:`BINDING_COLUMNS`: ``1`` on a row whose sheet shows the
judge's scores (empty, or absent in a workbook from before it existed, otherwise)."""


class JudgeColumn(NamedTuple):
    """What an adjudication export shows of the judge's verdict on one answer."""

    score: str
    """As the reviewer reads it (``4 (correctness 4, tone 5)``, or ``unscored``)."""
    reason: str


_WIDTHS = {
    "case_id": 18,
    "question": 48,
    "expected": 36,
    "answer": 48,
    "baseline": 36,
    "verdict": 12,
    "reason": 30,
    "comment": 36,
    "reviewer": 16,
    "judge_score": 16,
    "judge_reason": 40,
}
_CELL_LIMIT = 32000
"""Excel holds at most 32,767 characters in a cell."""


def language_of(suite: Suite | None) -> str:
    return "zh" if suite is not None and suite.language.startswith("zh") else "en"


def headers_for(rubric: Rubric, language: str, *, judge: bool = False) -> list[str]:
    """The header row of a suite's sheet (with the judge's columns on an adjudication sheet)."""
    text = TEXTS[language]
    return [
        *(text[name] for name in FIXED_COLUMNS),
        *(criterion.header for criterion in rubric.criteria),
        text["comment"],
        text["reviewer"],
        *((text[name] for name in JUDGE_COLUMNS) if judge else ()),
    ]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: Path | None
    """The workbook, or None when nothing awaited review."""
    rows: Mapping[str, int]
    """Answers exported, per suite."""
    already_reviewed: Mapping[str, int]
    """Answers left out because a review of them is stored, per suite."""


def select_answers(
    run: RunAnswers,
    suites: Mapping[str, Suite],
    store: ReviewStore,
    *,
    only: Sequence[str] = (),
    everything: bool = False,
) -> tuple[dict[str, list[RunAnswer]], dict[str, int]]:
    """The answers to send to reviewers, per suite, and how many were left out as reviewed."""
    chosen: dict[str, list[RunAnswer]] = {}
    skipped: dict[str, int] = {}
    for name in sorted({a.suite for a in run.answers}):
        if (only and name not in only) or name not in suites:
            continue
        rubric = suites[name].rubric
        for answer in run.of_suite(name):
            if not everything and store.reviews_of(
                name, answer.case_id, answer.answer, rubric.hash
            ):
                skipped[name] = skipped.get(name, 0) + 1
                continue
            chosen.setdefault(name, []).append(answer)
    for name, answers in chosen.items():  # in the suite's own order, as in its case file
        order = {case.id: i for i, case in enumerate(suites[name].cases)}
        answers.sort(key=lambda a: order.get(a.case_id, len(order)))
    return chosen, skipped


def export_workbook(
    run: RunAnswers,
    suites: Mapping[str, Suite],
    store: ReviewStore,
    baselines: BaselineStore,
    out: Path,
    *,
    project: str,
    only: Sequence[str] = (),
    everything: bool = False,
    judge: Mapping[str, Mapping[str, JudgeColumn]] | None = None,
) -> ExportResult:
    """Write the review workbook of *run* to *out* (atomically); nothing when nothing is left
    to review. The sheets of the suites in *judge* (suite -> case id -> the judge's verdict on
    the answer shown) show the judge's columns and are marked so: for adjudication only."""
    judge = judge or {}
    chosen, skipped = select_answers(run, suites, store, only=only, everything=everything)
    rows = {name: len(answers) for name, answers in chosen.items()}
    if not chosen:
        return ExportResult(None, rows, skipped)
    from openpyxl import Workbook

    book = Workbook()
    languages = {language_of(suites[name]) for name in chosen}
    language = "zh" if languages == {"zh"} else "en"
    intro = book.active
    assert intro is not None
    intro.title = TEXTS[language]["instructions"]
    binding = book.create_sheet(BINDING_SHEET)
    binding.append([*BINDING_COLUMNS, JUDGE_BINDING])
    sheet_names: dict[str, str] = {}
    for name, answers in chosen.items():
        suite = suites[name]
        title = _sheet_title(name, sheet_names.values())
        sheet_names[name] = title
        baseline = baselines.load(name)
        _suite_sheet(
            book, title, suite, answers, baseline.cases if baseline else {}, judge.get(name)
        )
        rubric_hash = suite.rubric.hash
        for row, answer in enumerate(answers, start=2):
            values = [
                title,
                row,
                project,
                name,
                answer.case_id,
                answer_hash(answer.answer),
                run.fingerprint,
                run.run_id,
                rubric_hash,
                "1" if name in judge else "",
            ]
            binding.append(values)
            bound = binding._current_row  # the row just appended (max_row would scan the sheet)
            for column, value in enumerate(values, start=1):
                if isinstance(value, str) and value.startswith("="):
                    # a case id such as "=sum" is text, not a formula
                    binding.cell(row=bound, column=column).data_type = "s"
    binding.sheet_state = "hidden"
    _instructions(intro, language, run, chosen, suites, sheet_names, shown=set(judge))
    buffer = io.BytesIO()
    book.save(buffer)
    write_bytes_atomic(out, buffer.getvalue())
    return ExportResult(out, rows, skipped)


def _sheet_title(name: str, taken: Iterable[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31]
    used = {*taken, BINDING_SHEET}
    title, n = base, 1
    while title in used:
        n += 1
        title = f"{base[:28]}~{n}"
    return title


def _text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned = str(ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    return cleaned if len(cleaned) <= _CELL_LIMIT else cleaned[: _CELL_LIMIT - 3] + "..."


def _suite_sheet(
    book: Any,
    title: str,
    suite: Suite,
    answers: Sequence[RunAnswer],
    baseline_cases: Mapping[str, CaseBaseline],
    judged: Mapping[str, JudgeColumn] | None,
) -> None:
    from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    rubric = suite.rubric
    language = language_of(suite)
    text = TEXTS[language]
    sheet = book.create_sheet(title)
    headers = headers_for(rubric, language, judge=judged is not None)
    sheet.append(headers)
    wrap = Alignment(wrap_text=True, vertical="top")
    # Named styles: one lookup per cell instead of hashing style objects per cell (1,000 rows).
    if "releasegate text" not in book.named_styles:
        book.add_named_style(NamedStyle(name="releasegate text", alignment=wrap))
        book.add_named_style(
            NamedStyle(
                name="releasegate score",
                alignment=wrap,
                fill=PatternFill("solid", fgColor="FFF2CC"),
                protection=Protection(locked=False),
            )
        )
    first_score = len(FIXED_COLUMNS) + 1
    last_open = len(headers) - (len(JUDGE_COLUMNS) if judged is not None else 0)
    for row, answer in enumerate(answers, start=2):
        before = baseline_cases.get(answer.case_id)
        baseline_answer = before.answer if before is not None else answer.baseline_answer
        shown_baseline = "" if baseline_answer in (None, answer.answer) else str(baseline_answer)
        values = [
            answer.case_id,
            answer.question,
            answer.expected,
            answer.answer,
            shown_baseline,
            text["passed"] if answer.passed else text["failed"],
            answer.reason,
        ]
        shown_judge: list[str] = []
        if judged is not None:
            verdict = judged.get(answer.case_id, JudgeColumn("", ""))
            shown_judge = [_text(verdict.score), _text(verdict.reason)]
        sheet.append([_text(v) for v in values] + [None] * (last_open - len(values)) + shown_judge)
        for column in range(1, len(headers) + 1):
            cell = sheet.cell(row=row, column=column)
            if cell.data_type == "f":  # an answer that starts with "=" is text, not a formula
                cell.data_type = "s"
            open_cell = first_score <= column <= last_open
            cell.style = "releasegate score" if open_cell else "releasegate text"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = wrap
    widths = [_WIDTHS[name] for name in FIXED_COLUMNS]
    widths += [max(12, len(c.header) + 4) for c in rubric.criteria]
    widths += [_WIDTHS["comment"], _WIDTHS["reviewer"]]
    if judged is not None:
        widths += [_WIDTHS[name] for name in JUDGE_COLUMNS]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    last_row = len(answers) + 1
    scale = rubric.scale
    if scale.pass_fail:
        validation = DataValidation(
            type="list", formula1=f'"{text["pass"]},{text["fail"]}"', allow_blank=True
        )
        prompt = f"{text['pass']} / {text['fail']}"
    else:
        validation = DataValidation(
            type="whole",
            operator="between",
            formula1=str(scale.low),
            formula2=str(scale.high),
            allow_blank=True,
        )
        prompt = f"{scale.low}-{scale.high}"
    validation.showErrorMessage = True
    validation.error = prompt
    validation.prompt = prompt
    validation.showInputMessage = True
    sheet.add_data_validation(validation)
    for offset in range(len(rubric.criteria)):
        letter = get_column_letter(first_score + offset)
        validation.add(f"{letter}2:{letter}{last_row}")
    sheet.protection.sheet = True  # no password: it guards against slips, not people
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _instructions(
    sheet: Any,
    language: str,
    run: RunAnswers,
    chosen: Mapping[str, Sequence[RunAnswer]],
    suites: Mapping[str, Suite],
    sheet_names: Mapping[str, str],
    *,
    shown: set[str],
) -> None:
    from openpyxl.styles import Alignment, Font

    total = sum(len(a) for a in chosen.values())
    lines: list[str] = []
    # The general rules in every language of the workbook's suites (the workbook's own first).
    for each in sorted(
        {language, *(language_of(suites[name]) for name in chosen)}, key=language.__ne__
    ):
        text = TEXTS[each]
        lines += [
            text["intro"].format(n=total, run=run.run_id, model=run.fingerprint or "?"),
            text["how"],
            text["pending"],
            text["name"],
            text["rows"],
            "",
        ]
    contacts = set()
    for name, answers in chosen.items():
        text = TEXTS[language_of(suites[name])]
        rubric = suites[name].rubric
        lines.append(text["sheet"].format(sheet=sheet_names[name], n=len(answers)))
        for criterion in rubric.criteria:
            detail = f": {criterion.description}" if criterion.description else ""
            lines.append(f"  - {criterion.header}{detail}")
        scale = rubric.scale
        if scale.pass_fail:
            lines.append("  " + text["scale_pf"])
        else:
            lines.append(
                "  "
                + text["scale_range"].format(low=scale.low, high=scale.high, mark=rubric.pass_mark)
            )
        if rubric.instructions:
            lines += ["  " + line for line in rubric.instructions.splitlines()]
        if rubric.contact:
            contacts.add(rubric.contact)
        if name in shown:
            lines.append("  " + text["judge_shown"])
        lines.append("")
    text = TEXTS[language]
    if contacts:
        lines.append(text["back"].format(contact=", ".join(sorted(contacts))))
    else:
        lines.append(text["back_anyone"])
    for line in lines:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 110
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True)
