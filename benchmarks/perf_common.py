"""Shared by the perf benchmarks: a throw-away pyproject and one headless locust run."""

from __future__ import annotations

from pathlib import Path

from releasegate.perf.runner import LoadResult, locust_command, run_load

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "perf" / "locustfile.py"


def write_config(folder: Path, perf: str) -> Path:
    """A pyproject.toml in *folder* reading the repository's golden suites, with *perf* as the
    body of its [tool.releasegate.perf] table."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(
        f"""[tool.releasegate]
golden_dir = "{ROOT / "fixtures" / "golden"}"
schemas_dir = "{ROOT / "fixtures" / "schemas"}"
reports_dir = "{folder / "reports"}"

[tool.releasegate.perf]
{perf}
""",
        encoding="utf-8",
    )
    return path


def headless(
    folder: Path,
    url: str,
    *,
    users: int,
    seconds: float,
    perf: str,
    model: str | None = None,
    extra: tuple[str, ...] = (),
) -> LoadResult:
    """One ``locust --headless`` run of perf/locustfile.py; its report lands in folder/report."""
    config = write_config(folder, perf)
    report = folder / "report"
    command = locust_command(
        LOCUSTFILE,
        host=url,
        users=users,
        run_time_s=seconds,
        report_dir=report,
        pyproject=config,
        model=model,
        extra=extra,
    )
    return run_load(command, report, timeout=seconds + 300, cwd=folder)
