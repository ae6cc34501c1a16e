"""The throw-away project the perf tests load-test with: the repository's golden suites and
locustfile, and a pyproject.toml whose [tool.releasegate.perf] table the test writes."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "perf" / "locustfile.py"


def write_config(folder: Path, perf: str) -> Path:
    """A pyproject.toml in *folder* reading the repository's golden suites, reports under
    *folder*, with *perf* as the body of its [tool.releasegate.perf] table."""
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
