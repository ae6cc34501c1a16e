"""Size and speed of the run's HTML page (targets: a 10,000-case run's page at most 5 MB,
interactive in headless Chromium within 2 s).

For the demo run (``reports/latest``, or the run folder given) and for a generated 10,000-case
run (the demo run's cases repeated with new ids, answers and reasons of realistic length, a
tenth of them regressions), it prints the time to build ``report.html`` from ``results.json``,
the page's size, and the time to interactive in Debian's chromium: from navigation to the
page's filter script having run (``body[data-ready]``), then the time one verdict filter takes
to apply to every row.

    .venv/bin/python benchmarks/html_report.py [RUN_FOLDER] [--cases 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from releasegate.reports.html import write_page

SENTENCE = "Your parcel ships within three working days and the refund reaches you in a week. "
CHINESE = "您的包裹将在三个工作日内发出。退款会在一周内到账。"


def synthetic(demo: dict[str, Any], cases: int, seed: int = 0) -> dict[str, Any]:
    """*demo* with *cases* cases: its own repeated under new ids, a tenth turned regressions."""
    rng = random.Random(seed)
    out = json.loads(json.dumps(demo))
    source = demo["cases"]
    made = []
    for i in range(cases):
        case = dict(source[i % len(source)])
        text = CHINESE if case["suite"] == "cs_zh" else SENTENCE
        case["id"] = f"{case['id']}-{i:05d}"
        case["key"] = f"{case['suite']}/{case['id']}"
        case["answer"] = text * rng.randint(1, 4)
        case["baseline_answer"] = text * rng.randint(1, 4)
        if rng.random() < 0.1:
            case["outcome"], case["status"] = "failed", "regression"
            case["reason"] = f"answer {case['answer'][:60]!r} does not contain the keywords"
        made.append(case)
    out["cases"] = made
    out["run_id"] = f"synthetic-{cases}"
    return out


def time_to_interactive(page_path: Path, repeat: int) -> tuple[float, float]:
    """Median seconds from navigation to the filters ready, and to one filter applied."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("install Chromium: apt-get install chromium")
    ready, filtered = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        for _ in range(repeat):
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(page_path.resolve().as_uri())
            page.wait_for_selector("body[data-ready='1']")
            ready.append(time.perf_counter() - start)
            start = time.perf_counter()
            page.select_option("#f-verdict", value="failed")
            page.evaluate("document.getElementById('f-count').textContent")
            filtered.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return statistics.median(ready), statistics.median(filtered)


def measure(label: str, document: dict[str, Any], repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / document["run_id"]
        folder.mkdir()
        (folder / "results.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
        builds = []
        for _ in range(repeat):
            start = time.perf_counter()
            page = write_page(folder)
            builds.append(time.perf_counter() - start)
        size, source = page.stat().st_size, (folder / "results.json").stat().st_size
        ready, filtered = time_to_interactive(page, repeat)
    print(
        f"{label}: {len(document['cases'])} cases, results.json {source / 1e6:.2f} MB; "
        f"page {size / 1e6:.2f} MB, built in {statistics.median(builds):.2f} s; "
        f"interactive in {ready:.2f} s, a verdict filter applied in {filtered * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path, default=Path("reports/latest"))
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    demo = json.loads((args.run / "results.json").read_text(encoding="utf-8"))
    measure("demo run", demo, args.repeat)
    measure("generated run", synthetic(demo, args.cases), args.repeat)


if __name__ == "__main__":
    main()
