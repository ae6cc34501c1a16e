"""``reports/<run>/report.html``: the page a person opens, built from the run's typed record.

The page is made from the run's :class:`~releasegate.core.records.RunRecord` alone (plus,
where one exists, the newest perf run's ``summary.json`` and ``latency.png`` in the same
reports folder): the controller hands over the record it has just written as ``results.json``,
and ``releasegate report RUN`` reads a past run's back with
:func:`~releasegate.core.records.load_run`, so any run's page can be rewritten without
running anything. Fields are read from the records, never from ``results.json`` by key. The
page is one self-contained file (inline CSS, a little inline JavaScript for filtering, plots as
inline SVG or base64 PNG, nothing fetched) so it can be attached to a CI run or mailed.

Golden inputs and model answers are untrusted text: the page is rendered by Jinja2 with
autoescaping, so ``<script>`` or ``<img onerror=...>`` in an answer shows as text; nothing here
builds HTML by concatenation.

The page's contents are worked out in :mod:`.page` (:func:`~.page.build_page`); this module
finds the run and the newest perf run, renders the page and writes it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from ..core.atomic import write_text_atomic
from ..core.display import for_html, shorten
from ..core.records import (
    RunRecord,
    load_run,
)
from ..exceptions import RecordError, ReportError
from .page import (
    _CELL_CHARS,
    DETAILED,
    FLIPS_SHOWN,
    ROWS_SHOWN,
    VERDICTS,
    Page,
    PerfRun,
    build_page,
    diff_segments,
)
from .robustness_report import FLIPS_LISTED

__all__ = [
    "DETAILED",
    "FLIPS_SHOWN",
    "ROWS_SHOWN",
    "Page",
    "PerfRun",
    "build_page",
    "diff_segments",
    "find_perf_run",
    "load_results",
    "render_page",
    "resolve_run",
    "write_page",
]


def load_results(run_dir: Path) -> RunRecord:
    """The run's record, read back from its ``results.json`` by
    :func:`~releasegate.core.records.load_run`, or a :class:`ReportError` that names the
    file and says why."""
    path = run_dir / "results.json"
    if not path.is_file():
        raise ReportError(
            f"{path} does not exist: name a run folder that a releasegate run wrote "
            "(reports/<run-id>)"
        )
    try:
        return load_run(path)
    except RecordError as exc:
        raise ReportError(str(exc)) from None


def resolve_run(reports_dir: Path, run: str | None) -> Path:
    """The folder of *run* (a run id under *reports_dir*, or a path), or of the latest run."""
    if run is None:
        latest = reports_dir / "latest"
        if latest.is_file():  # where links are not allowed, a text file names the run
            return reports_dir / latest.read_text(encoding="utf-8").strip()
        if not latest.exists():
            raise ReportError(
                f"no run in {reports_dir} ({latest} does not exist): run the suite first, "
                "or name a run folder"
            )
        return latest.resolve()
    candidate = Path(run)
    if (candidate / "results.json").exists():
        return candidate
    return reports_dir / run


def find_perf_run(reports_dir: Path) -> PerfRun | None:
    """The newest ``perf-*`` run under *reports_dir* with a ``summary.json``, or None.

    Perf runs are their own pytest sessions (``pytest perf``), so the page shows the newest one
    beside the golden run, under its own name."""
    for folder in sorted(reports_dir.glob("perf-*"), reverse=True):
        summary_path = folder / "summary.json"
        if not summary_path.is_file():
            continue
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReportError(f"{summary_path} cannot be read as JSON: {exc}") from None
        plot = folder / "latency.png"
        png = base64.b64encode(plot.read_bytes()).decode("ascii") if plot.is_file() else None
        return PerfRun(name=folder.name, summary=summary, plot_png=png)
    return None


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("releasegate.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_visible_text,  # every value the page shows, attributes included
    )
    env.filters["short"] = lambda text, width=_CELL_CHARS: shorten(for_html(str(text)), width)
    env.filters["num"] = _number
    env.globals["verdicts"] = VERDICTS
    env.globals["rows_shown"] = ROWS_SHOWN
    env.globals["flips_listed"] = FLIPS_LISTED
    return env


def _visible_text(value: Any) -> Any:
    """A value as the page shows it: its control characters as escapes (:func:`for_html`);
    markup the page made itself (``tojson``: ASCII, escaped) stays markup."""
    if not isinstance(value, str):
        return value
    import markupsafe

    shown = for_html(str(value))
    return markupsafe.Markup(shown) if isinstance(value, markupsafe.Markup) else shown


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int):
        return f"{value:.{digits}g}"
    return str(value)


def render_page(
    run: RunRecord,
    *,
    perf: PerfRun | None = None,
    exit_status: int | None = None,
) -> str:
    """The page of a run's record, as one self-contained HTML text."""
    page = build_page(run, perf=perf, exit_status=exit_status)
    text: str = _environment().get_template("report.html.j2").render(page=page)
    return text


def write_page(
    run_dir: Path,
    *,
    run: RunRecord | None = None,
    exit_status: int | None = None,
    reports_dir: Path | None = None,
) -> Path:
    """Write ``report.html`` into *run_dir* from the run's record; return its path.

    *run* is the record the controller has just written as ``results.json``; without it the
    record is read back from *run_dir*'s ``results.json`` (:func:`load_results`).
    *reports_dir* (default: the run folder's parent) is searched for the newest perf run."""
    import jinja2

    if run is None:
        run = load_results(run_dir)
    perf = find_perf_run(reports_dir if reports_dir is not None else run_dir.parent)
    path = run_dir / "report.html"
    try:
        text = render_page(run, perf=perf, exit_status=exit_status)
    except (KeyError, TypeError, ValueError, jinja2.UndefinedError) as exc:
        # A review, history or perf block without a field the page shows: say which, and
        # leave the run's other reports as they are.
        raise ReportError(
            f"{run_dir / 'results.json'}: a record lacks a field the page shows ({exc}); "
            "the run's results.json and summary.md are unaffected"
        ) from None
    write_text_atomic(path, text)
    return path
