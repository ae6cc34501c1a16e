"""Scripted reviewers: they fill an exported review workbook with openpyxl, cell by cell, as a
person would in Excel (open the file, type scores, a comment and a name, save). They stand in
for the people in tests only; no review they write is ever committed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from releasegate.review.texts import TEXTS


def fill(
    path: Path,
    scores: Mapping[str, Sequence[Any]],
    *,
    reviewer: str,
    sheet: str | None = None,
    comment: str = "",
    out: Path | None = None,
) -> Path:
    """Type *scores* (case id -> one value per criterion, as typed) into the row of each case,
    the reviewer's name, and *comment*; save to *out* (default: over *path*)."""
    book = openpyxl.load_workbook(path)
    names = [n for n in book.sheetnames if n != "_releasegate"][1:]
    ws = book[sheet or names[0]]
    header = [c.value for c in ws[1]]
    # comment and reviewer follow the scores (an adjudication sheet shows the judge after them)
    comment_column = 1 + next(
        i for i, name in enumerate(header) if name in {t["comment"] for t in TEXTS.values()}
    )
    first = 8  # after case, question, expected, answer, baseline, verdict, reason
    for row in ws.iter_rows(min_row=2):
        case_id = str(row[0].value)
        if case_id not in scores:
            continue
        for offset, value in enumerate(scores[case_id]):
            ws.cell(row=row[0].row, column=first + offset, value=value)
        ws.cell(row=row[0].row, column=comment_column, value=comment or None)
        ws.cell(row=row[0].row, column=comment_column + 1, value=reviewer)
    target = out or path
    book.save(target)
    return target
