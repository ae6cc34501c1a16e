"""``--update-baseline`` end to end, with pytester, on the real default model: a session that
does not run to its end writes no baseline; one that does replaces each file whole; a broken
baseline is named and replaced, never read."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import test_plugin
from test_plugin import CASES, run

from releasegate.gate.baselines import BaselineStore

pytestmark = pytest.mark.slow

# The test project of test_plugin (the tiny suite, the shared converted model).
project = test_plugin.project
shared_models = test_plugin.shared_models

OLD_BASELINE = {
    "suite": "tiny",
    "model": {"model": "org/old-model", "fingerprint": "old-fingerprint"},
    "generation": {},
    "metrics": {
        "accuracy": {"value": 0.75, "per_item": {c["id"]: 1.0 for c in CASES}},
        "bleu": {"value": 12.5},
    },
    "cases": {
        **{c["id"]: {"outcome": "passed", "answer": f"old answer to {c['id']}"} for c in CASES},
        "gone": {"outcome": "failed", "answer": "a case the suite no longer has"},
    },
}


def baseline_path(project: pytest.Pytester) -> Path:
    return project.path / "fixtures" / "baselines" / "tiny.json"


def write_old_baseline(project: pytest.Pytester) -> bytes:
    path = baseline_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(OLD_BASELINE, indent=2) + "\n", encoding="utf-8")
    return path.read_bytes()


@pytest.mark.parametrize(
    "stop",
    ["raise KeyboardInterrupt", 'pytest.exit("stopped after two cases", returncode=0)'],
    ids=["ctrl-c", "pytest-exit-status-0"],
)
def test_interrupted_update_writes_no_baseline(project: pytest.Pytester, stop: str) -> None:
    before = write_old_baseline(project)
    project.makeconftest(
        textwrap.dedent(
            f"""
            import pytest

            finished = []

            def pytest_runtest_logreport(report):
                if report.when == "call" and "test_case[" in report.nodeid:
                    finished.append(report.nodeid)
                    if len(finished) == 2:
                        {stop}
            """
        )
    )
    result = run(project, "--update-baseline")
    assert baseline_path(project).read_bytes() == before
    assert [p.name for p in baseline_path(project).parent.iterdir()] == ["tiny.json"]
    out = result.stdout.str()
    assert "baselines not updated, no file written: the session was interrupted" in out
    assert "baseline updated" not in out


def test_a_crashed_worker_means_no_baseline(project: pytest.Pytester) -> None:
    before = write_old_baseline(project)
    project.makeconftest(
        textwrap.dedent(
            """
            import os

            def pytest_runtest_call(item):
                if "tiny/answers" in item.nodeid and os.environ.get("PYTEST_XDIST_WORKER"):
                    os._exit(3)  # the worker process dies, as on a segfault or OOM kill
            """
        )
    )
    result = run(project, "--update-baseline", "-n", "2")
    assert baseline_path(project).read_bytes() == before
    out = result.stdout.str()
    assert "crashed while running" in out
    result.stdout.fnmatch_lines(
        ["baselines not updated, no file written: *test(s) errored (*tiny/answers*"]
    )
    assert "baseline updated" not in out


def test_complete_update_replaces_the_file_whole(project: pytest.Pytester) -> None:
    write_old_baseline(project)
    result = run(project, "--update-baseline")
    result.stdout.fnmatch_lines(
        [
            "*baseline updated: *tiny.json (1 unused case entries removed)",
            "1 baseline file(s) replaced whole (written atomically)",
        ]
    )
    assert result.stdout.str().count("baseline updated: ") == 1  # said once, not repeated
    document = json.loads(baseline_path(project).read_text(encoding="utf-8"))
    assert set(document["cases"]) == {c["id"] for c in CASES}  # "gone" is gone
    assert set(document["metrics"]) == {"accuracy", "rougeL"}  # "bleu" is not kept
    assert document["model"]["fingerprint"] != "old-fingerprint"
    assert not any(c["answer"].startswith("old answer") for c in document["cases"].values())
    assert [p.name for p in baseline_path(project).parent.iterdir()] == ["tiny.json"]


BROKEN = {
    "conflict-markers": "<<<<<<< HEAD\n"
    + json.dumps(OLD_BASELINE, indent=2)
    + "\n=======\n"
    + json.dumps(OLD_BASELINE, indent=2)
    + "\n>>>>>>> tuned\n",
    "truncated": json.dumps(OLD_BASELINE, indent=2)[:200],
    "schema-invalid": json.dumps({**OLD_BASELINE, "cases": {"speaks": {"outcome": "maybe"}}}),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_update_repairs_a_broken_baseline(project: pytest.Pytester, broken: str) -> None:
    path = baseline_path(project)
    path.parent.mkdir(parents=True)
    path.write_text(BROKEN[broken], encoding="utf-8")
    result = run(project, "--update-baseline")
    out = result.stdout.str()
    assert "BaselineError" not in out
    result.assert_outcomes(passed=4, xfailed=1, failed=1, skipped=1)  # never-critical must pass
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, warnings
    assert str(path) in warnings[0]
    result.stdout.fnmatch_lines(["*baseline updated: *tiny.json*"])
    loaded = BaselineStore(path.parent).load("tiny")
    assert loaded is not None
    assert set(loaded.cases) == {c["id"] for c in CASES}
