"""The run's page as a person sees it: a real run of the default model, opened in headless
Chromium (Debian's ``chromium``, driven by Playwright; Playwright's own browser download needs
the network). One browser for the module; each test opens its own page.

The run is a tiny project with a hand-written baseline that puts its cases in every state: a
regression (whose baseline answer is hostile markup), an improvement, a critical failure, a
known failure whose question and expected answer are hostile markup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from releasegate.config import default_cache_dir
from releasegate.reports.html import write_page
from report_data import HISTORY, REVIEW, write_perf_run
from tiny_project import write_project

pytestmark = pytest.mark.slow

HOSTILE = (
    '<script>window.pwned = "script"</script>'
    "<img src=x onerror=\"window.pwned = 'onerror'\"> **not bold** " + "y" * 400
)

CASES = [
    {"id": "speaks", "input": "Say hello.", "expected": "hello", "check": {"name": "regex",
     "pattern": "\\S"}, "tags": ["smoke"]},
    {"id": "answers", "input": "What is your return policy?", "expected": "returns",
     "check": {"name": "regex", "pattern": "\\S"}},
    {"id": "never", "input": "Reply with the code word.", "expected": "ZQXJ-never-said"},
    {"id": "never-critical", "input": "Reply with the secret.", "expected": "QQQZ-never",
     "tags": ["critical"]},
    {"id": "hostile", "input": HOSTILE, "expected": HOSTILE},
    {"id": "退款", "input": "七天内可以退款吗", "expected": "可以七天内无理由退款"},
]  # fmt: skip

BASELINE = {
    "suite": "tiny",
    "cases": {
        "speaks": {"outcome": "passed", "answer": "Hello!"},
        "answers": {"outcome": "failed", "answer": "I cannot say."},
        "never": {"outcome": "passed", "answer": HOSTILE},
        "never-critical": {"outcome": "failed", "answer": "no"},
        "hostile": {"outcome": "failed", "answer": "no"},
        "退款": {"outcome": "failed", "answer": "七天内不能退款。"},
    },
    "metrics": {"accuracy": {"value": 0.5}},
}

MANIFEST = """\
name: tiny
cases: tiny.jsonl
prompt:
  system: You are a shop assistant. Answer in one short sentence.
generation:
  max_new_tokens: 8
check: exact
metrics:
  - {name: accuracy, max_drop: 0.2}
"""


@dataclass(frozen=True)
class Run:
    folder: Path
    exit_status: int
    results: dict[str, Any]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("install Chromium: apt-get install chromium")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="install playwright: pip install -e '.[dev]'"
    )
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def _project(root: Path) -> None:
    cache = root / "cache"
    cache.mkdir(parents=True)
    from releasegate.models.default_model import ensure_default_model

    models = ensure_default_model(default_cache_dir()).parent
    (cache / "models").symlink_to(models, target_is_directory=True)
    config = f'[tool.releasegate]\nmax_new_tokens = 8\nbatch_size = 8\ncache_dir = "{cache}"\n'
    write_project(root, config=config, manifest=MANIFEST, cases=CASES)
    baselines = root / "fixtures" / "baselines"
    baselines.mkdir()
    (baselines / "tiny.json").write_text(json.dumps(BASELINE), encoding="utf-8")


def _run(root: Path, *args: str) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "model_tests", "-p", "no:cacheprovider", "-q", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    folder = (root / "reports" / "latest").resolve()
    assert (folder / "report.html").exists(), done.stdout[-3000:] + done.stderr[-3000:]
    assert f"page: {root / 'reports' / folder.name / 'report.html'}" in done.stdout
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return Run(folder=folder, exit_status=done.returncode, results=results)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html_project")
    _project(root)
    return root


@pytest.fixture(scope="module")
def blocked_run(project: Path) -> Run:
    return _run(project)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("html_artifacts")


class Opened:
    """A page and everything it did that a self-contained report must not do."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready='1']")

    def visible_keys(self) -> list[str]:
        keys: list[str] = self.page.eval_on_selector_all(
            "#cases-table tbody tr:not([hidden]) td:first-child", "els => els.map(e => e.innerText)"
        )
        return keys


def test_the_page_of_a_real_run_loads_with_no_error_and_no_request(
    browser: Any, blocked_run: Run, artifacts: Path
) -> None:
    opened = Opened(browser, blocked_run.folder / "report.html")
    shot = artifacts / "report.png"
    opened.page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert opened.console_errors == []
    assert opened.requests == [opened.url]  # the file itself, nothing else
    assert shot.stat().st_size > 10_000
    assert len(opened.visible_keys()) == len(blocked_run.results["cases"])
    opened.page.close()


def test_the_verdict_banner_matches_the_exit_status(
    browser: Any, project: Path, blocked_run: Run
) -> None:
    assert blocked_run.exit_status == 1
    opened = Opened(browser, blocked_run.folder / "report.html")
    banner = opened.page.locator("#verdict")
    assert banner.get_attribute("data-verdict") == "blocked"
    assert banner.inner_text().startswith("BLOCKED: 2 regressions")  # never, never-critical
    opened.page.close()
    green = _run(project, "-k", "speaks")  # cached answers: no generation
    assert green.exit_status == 0
    opened = Opened(browser, green.folder / "report.html")
    assert opened.page.locator("#verdict").get_attribute("data-verdict") == "releasable"
    assert opened.page.locator("#verdict").inner_text().startswith("Releasable: 0 regressions")
    opened.page.close()


def test_filtering_by_verdict_shows_exactly_those_cases(browser: Any, blocked_run: Run) -> None:
    opened = Opened(browser, blocked_run.folder / "report.html")
    expected = {
        label: sorted(c["key"] for c in blocked_run.results["cases"] if c["outcome"] == outcome)
        for outcome, label in (
            ("failed", "regression / failed"),
            ("xpassed", "improvement"),
            ("xfailed", "known failure"),
        )
    }
    assert all(expected.values())
    for label, keys in expected.items():
        opened.page.select_option("#f-verdict", label=label)
        assert sorted(opened.visible_keys()) == keys
        assert opened.page.inner_text("#f-count").startswith(f"{len(keys)} matching of ")
    opened.page.select_option("#f-verdict", "")
    opened.page.fill("#f-search", "退款")
    assert opened.visible_keys() == ["tiny/退款"]
    opened.page.close()


def test_a_crafted_answer_shows_as_text_and_runs_nothing(
    browser: Any, blocked_run: Run, tmp_path: Path
) -> None:
    crafted = json.loads(json.dumps(blocked_run.results))
    for case in crafted["cases"]:
        if case["outcome"] == "failed":
            case["answer"] = HOSTILE
    folder = tmp_path / crafted["run_id"]
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(crafted, ensure_ascii=False), "utf-8")
    opened = Opened(browser, write_page(folder))
    assert opened.page.evaluate("window.pwned === undefined")
    assert opened.page.locator("#changed img, #cases-table img").count() == 0
    changed = opened.page.locator("#changed ~ div.case").first.inner_text()
    assert '<script>window.pwned = "script"</script>' in changed
    cell = opened.page.locator("#cases-table tbody tr", has_text="tiny/never").first
    assert "onerror=" in cell.inner_text()
    # A 400-character word wraps inside its column instead of widening the page.
    width = opened.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
    assert opened.console_errors == [] and opened.requests == [opened.url]
    opened.page.close()


def test_perf_review_and_history_sections_render_offline(
    browser: Any, blocked_run: Run, tmp_path: Path, artifacts: Path
) -> None:
    document = {**blocked_run.results, "review": REVIEW, "history": HISTORY}
    folder = tmp_path / document["run_id"]
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    write_perf_run(tmp_path, "perf-20260101-120000-1")
    opened = Opened(browser, write_page(folder))
    for section in ("#perf", "#review", "#history"):
        assert opened.page.locator(section).is_visible()
    plot = opened.page.locator("#perf ~ img").first
    assert opened.page.evaluate("img => img.naturalWidth", plot.element_handle()) > 500
    assert opened.page.locator("#history ~ svg polyline").count() == 2
    opened.page.locator("#perf").scroll_into_view_if_needed()
    shot = artifacts / "optional-sections.png"
    opened.page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert opened.console_errors == [] and opened.requests == [opened.url]
    opened.page.close()
