"""The isolation check: no golden case may appear in the training data.

A golden case that leaked into the fine-tuning set measures memory, not skill. Each case's input
(every user turn) and expected answer is looked for in every training text
(:mod:`~releasegate.isolation.matching`); what is found is a :class:`Leak` naming the training
file, row, field and text and the similarity.

Not looked for: a text under four characters after normalisation ("yes", "4.95") and the
expected value of a classification suite (a label such as ``refund``): they recur in any data
by chance, and finding them says nothing about leakage.

The result is cached under the cache folder, keyed by the training data's signature (each file's
path, size and modification time), the fields and bar used, and the golden texts, so a re-run on
the same data costs a file read; processes that start the check together run it once
(:func:`releasegate.core.memo.compute_json_once`).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core.display import shorten
from ..core.memo import compute_json_once
from ..core.records import Leak, MetricRecord
from ..exceptions import RecordError
from ..golden.checks import expected_strings
from ..golden.suites import Suite
from .matching import find_matches, normalize_many
from .readers import TrainingFile, read_training_file

__all__ = [
    "GoldenText",
    "IsolationReport",
    "Leak",
    "check_isolation",
    "describe_leak",
    "golden_texts",
]

MIN_CHARS = 4
"""Golden texts shorter than this (normalised) are not looked for."""

MAX_SHOWN = 20
"""Matches kept per golden text (the count of all is kept too)."""

MAX_TEXTLESS_SHOWN = 5
"""Rows without text named in the message (all are counted)."""

_VERSION = "releasegate-isolation-v2"


@dataclass(frozen=True)
class GoldenText:
    """One text of a golden case that must not be in the training data."""

    suite: str
    case_id: str
    part: str
    """``input`` (a user turn) or ``expected``."""
    text: str


def describe_leak(leak: Leak) -> str:
    """One leak on one line: the case, the training file's row and text, the similarity."""
    kind = "exact" if leak.exact else f"similarity {leak.similarity:.2f}"
    return (
        f"{leak.suite}/{leak.case_id} ({leak.part}) {shorten(leak.golden_text, 80)!r} "
        f"~ {leak.file} row {leak.row} ({leak.field}) {shorten(leak.train_text, 80)!r}: {kind}"
    )


@dataclass(frozen=True)
class IsolationReport:
    """Every leak of the checked suites, with what was checked."""

    leaks: tuple[Leak, ...]
    files: tuple[str, ...]
    rows: int
    """Training examples read, over all files."""
    train_texts: int
    checked: Mapping[str, int]
    """Golden texts looked for, by suite."""
    threshold: float
    seconds: float
    """Time the check took when it ran (not when it came from the cache)."""
    rows_without_text: int = 0
    """Training rows that gave no text to look in (see
    :attr:`~releasegate.isolation.readers.TrainingFile.rows_without_text`)."""
    textless_shown: tuple[str, ...] = ()
    """The first few of them, as ``<file> row <n>``."""
    cached: bool = False

    def of_suite(self, suite: str) -> list[Leak]:
        return [leak for leak in self.leaks if leak.suite == suite]

    def leaked_cases(self, suite: str) -> list[str]:
        return list(dict.fromkeys(leak.case_id for leak in self.of_suite(suite)))

    def message(self, suite: str, *, shown: int = 10) -> str:
        """The suite's verdict in words: what was checked, and each leak (the first *shown*)."""
        leaks = self.of_suite(suite)
        head = (
            f"{suite}::isolation: {self.checked.get(suite, 0)} texts of its cases looked for in "
            f"{self.rows} training rows of {', '.join(self.files)} (exact, and 3-gram Jaccard "
            f">= {self.threshold:g})"
        )
        textless = self._textless()
        if not leaks:
            return f"{head}: no golden case found in the training data{textless}"
        cases = self.leaked_cases(suite)
        lines = [f"{head}: {len(cases)} golden case(s) found in the training data{textless}:"]
        lines += [f"  {describe_leak(leak)}" for leak in leaks[:shown]]
        if len(leaks) > shown:
            lines.append(f"  ... and {len(leaks) - shown} more match(es)")
        lines.append(
            "Remove these rows from the training data (or the cases from the suite): a leaked "
            "case measures memory, not skill."
        )
        return "\n".join(lines)

    def _textless(self) -> str:
        """The rows that gave no text, as a clause of the message ('' when there are none)."""
        if not self.rows_without_text:
            return ""
        more = self.rows_without_text - len(self.textless_shown)
        shown = ", ".join(self.textless_shown) + (f" and {more} more" if more > 0 else "")
        return (
            f" ({self.rows_without_text} training row(s) gave no text and were not looked in: "
            f"{shown}; their fields hold no string, see train_fields)"
        )

    def record(self, suite: str) -> MetricRecord:
        """The ``<suite>::isolation`` test's record for the run's reports: a metric record
        whose value is the number of leaked cases (the bar: none), its leaks typed."""
        leaks = self.of_suite(suite)
        return MetricRecord(
            suite=suite,
            metric="isolation",
            test="isolation",
            value=float(len(self.leaked_cases(suite))),
            details={
                "training_rows": float(self.rows),
                "matches": float(len(leaks)),
                "rows_without_text": float(self.rows_without_text),
            },
            bar="no leaked case",
            min=None,
            max=0.0,
            max_drop=None,
            baseline=None,
            higher_is_better=False,
            passed=not leaks,
            message=self.message(suite),
            per_item=(),
            leaks=tuple(leaks),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["leaks"] = [leak.to_json() for leak in self.leaks]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IsolationReport:
        """The report as :meth:`to_json` wrote it (raises KeyError/TypeError if it is not)."""
        return cls(
            leaks=tuple(Leak.from_json(leak) for leak in data["leaks"]),
            files=tuple(data["files"]),
            rows=int(data["rows"]),
            train_texts=int(data["train_texts"]),
            checked=dict(data["checked"]),
            threshold=float(data["threshold"]),
            seconds=float(data["seconds"]),
            rows_without_text=int(data["rows_without_text"]),
            textless_shown=tuple(data["textless_shown"]),
            cached=True,
        )


def golden_texts(suites: Iterable[Suite]) -> list[GoldenText]:
    """The texts of every case that must not be in the training data (see the module doc)."""
    out: list[GoldenText] = []
    for suite in suites:
        for case in suite.cases:
            if isinstance(case.input, str):
                inputs: list[str] = [case.input]
            else:
                inputs = [m["content"] for m in case.input if m.get("role") == "user"]
            candidates = [("input", text) for text in inputs]
            if not suite.labels:
                candidates += [("expected", text) for text in expected_strings(case.expected)]
            for part, text in candidates:
                out.append(GoldenText(suite.name, case.id, part, text))
    kept = normalize_many([g.text for g in out])
    return [g for g, norm in zip(out, kept, strict=True) if len(norm) >= MIN_CHARS]


def _signature(
    paths: Sequence[Path], fields: Sequence[str], threshold: float, golden: Sequence[GoldenText]
) -> str:
    files = []
    for path in paths:
        if path.is_dir():
            stats = [
                (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.rglob("*"))
            ]
            files.append((str(path), stats))
        elif path.exists():
            stat = path.stat()
            files.append((str(path), [(path.name, stat.st_size, stat.st_mtime_ns)]))
        else:
            files.append((str(path), []))
    document = [_VERSION, files, list(fields), threshold, [asdict(g) for g in golden]]
    return hashlib.sha256(json.dumps(document, ensure_ascii=False).encode()).hexdigest()[:32]


def _display(path: Path, root: Path | None) -> str:
    if root is not None and path.is_relative_to(root):
        return str(path.relative_to(root))
    return str(path)


def check_isolation(
    suites: Iterable[Suite],
    train_data: Sequence[Path],
    *,
    fields: Sequence[str] = (),
    threshold: float,
    cache_dir: Path | None,
    root: Path | None = None,
) -> IsolationReport:
    """Look for every golden text of *suites* in *train_data*; cached under *cache_dir*."""
    golden = golden_texts(suites)
    key = _signature(train_data, fields, threshold, golden)
    cached = cache_dir / "isolation" / f"{key}.json" if cache_dir is not None else None
    if cached is None:
        return _run(golden, train_data, fields, threshold, root)
    return compute_json_once(
        cached,
        lambda: _run(golden, train_data, fields, threshold, root),
        load=_cached_report,
        dump=IsolationReport.to_json,
        what="the isolation check's cache",
    )


def _cached_report(document: Any) -> IsolationReport | None:
    try:
        return IsolationReport.from_json(document)
    except (ValueError, TypeError, KeyError, RecordError):
        return None  # unreadable: the check runs again


def _run(
    golden: Sequence[GoldenText],
    train_data: Sequence[Path],
    fields: Sequence[str],
    threshold: float,
    root: Path | None,
) -> IsolationReport:
    started = time.perf_counter()
    files: list[TrainingFile] = [read_training_file(path, fields=fields) for path in train_data]
    texts = [text for f in files for text in f.texts]
    starts = list(itertools.accumulate((len(f.texts) for f in files), initial=0))
    matches = find_matches([g.text for g in golden], texts, threshold=threshold)
    per_golden: dict[int, int] = {}
    leaks: list[Leak] = []
    for match in sorted(matches, key=lambda m: (m.golden, -m.similarity, m.train)):
        per_golden[match.golden] = per_golden.get(match.golden, 0) + 1
        if per_golden[match.golden] > MAX_SHOWN:
            continue
        g = golden[match.golden]
        which = bisect.bisect_right(starts, match.train) - 1
        f, i = files[which], match.train - starts[which]
        leaks.append(
            Leak(
                suite=g.suite,
                case_id=g.case_id,
                part=g.part,
                golden_text=g.text,
                file=_display(f.path, root),
                row=int(f.row_of[i]),
                field=f.field_of[i],
                train_text=f.texts[i],
                similarity=round(match.similarity, 4),
                exact=match.exact,
            )
        )
    textless = (f"{_display(f.path, root)} row {row}" for f in files for row in f.rows_without_text)
    return IsolationReport(
        leaks=tuple(leaks),
        files=tuple(_display(f.path, root) for f in files),
        rows=sum(f.rows for f in files),
        train_texts=len(texts),
        checked=dict(Counter(g.suite for g in golden)),
        threshold=threshold,
        seconds=round(time.perf_counter() - started, 3),
        rows_without_text=sum(len(f.rows_without_text) for f in files),
        textless_shown=tuple(itertools.islice(textless, MAX_TEXTLESS_SHOWN)),
    )
