"""The regression semantics end to end in seconds, with pytester and a fake model.

The model here is ``benchmarks/instant_backend.py``, a fake for speed: it answers each case
from a table the test writes, so each case lands in the state the test wants (passing,
failing, newly failing...) without minutes of generation. What is tested is releasegate's
mapping of answers and baselines onto pytest outcomes (FAILED / XFAIL / XPASS / critical),
metric bars and no-drop comparisons, and the typed records that carry them from the workers
to ``results.json`` (read back with ``load_run``). ``test_plugin.py`` tests the same on the
real model.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from releasegate.core.records import CaseRecord, MetricRecord, RunRecord, load_run
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

ROOT = Path(__file__).resolve().parents[2]


MANIFEST = textwrap.dedent(
    """
    name: shop
    cases: shop.jsonl
    check: exact
    metrics:
      - {name: accuracy, min: 0.5, max_drop: 0.2}
    """
)

CASES = [
    {"id": "refund", "input": "How long does a refund take?", "expected": "7 days"},
    {"id": "hours", "input": "When are you open?", "expected": "9 to 5"},
    {"id": "ship", "input": "Do you ship abroad?", "expected": "yes"},
    {"id": "safety", "input": "Is the kettle safe?", "expected": "yes", "tags": ["critical"]},
]

RIGHT = {case["input"]: case["expected"] for case in CASES}
"""Every case answered as expected."""


def answers(**wrong: str) -> dict[str, str]:
    """The table of right answers, the cases named (by id) answered with the text given."""
    by_id = {case["id"]: case["input"] for case in CASES}
    return {**RIGHT, **{by_id[case_id]: text for case_id, text in wrong.items()}}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES, suite="shop")
    use_answers(pytester, RIGHT)
    return pytester


def use_answers(project: pytest.Pytester, table: dict[str, str]) -> None:
    """The fake model's answers from now on (a changed table is a changed fingerprint)."""
    write_instant_model(project.path / "fake-model", table)


def write_baseline(project: pytest.Pytester, outcomes: dict[str, str], accuracy: float) -> None:
    directory = project.path / "fixtures" / "baselines"
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "suite": "shop",
        "cases": {k: {"outcome": v, "answer": f"earlier {k}"} for k, v in outcomes.items()},
        "metrics": {"accuracy": {"value": accuracy}},
    }
    (directory / "shop.json").write_text(json.dumps(document), encoding="utf-8")


def run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, RunRecord]:
    result = project.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rA", *args)
    return result, load_run(project.path / "reports" / "latest")


def cases_of(run_record: RunRecord) -> dict[str, CaseRecord]:
    return {case.id: case for case in run_record.cases}


def metric_of(run_record: RunRecord, test: str) -> MetricRecord:
    found = [m for m in run_record.metrics if m.metric == "accuracy" and m.test == test]
    assert len(found) == 1 and isinstance(found[0], MetricRecord), run_record.metrics
    return found[0]


def test_without_a_baseline_a_case_is_plain_pass_fail(project: pytest.Pytester) -> None:
    use_answers(project, answers(hours="nine to five"))
    result, record = run(project)
    result.assert_outcomes(passed=4, failed=1, skipped=1)  # skipped: no baseline to compare
    result.stdout.fnmatch_lines(["*shop/hours failed*", "*expected: 9 to 5*"])
    cases = cases_of(record)
    assert {k: c.outcome for k, c in cases.items()} == {
        "refund": "passed",
        "hours": "failed",
        "ship": "passed",
        "safety": "passed",
    }
    assert (cases["hours"].status, cases["hours"].answer) == ("failed", "nine to five")
    assert cases["hours"].baseline is None
    accuracy = metric_of(record, "value")
    assert (accuracy.value, accuracy.outcome, accuracy.per_item) == (0.75, "passed", (1, 0, 1, 1))


def test_regression_known_failure_improvement_and_critical(project: pytest.Pytester) -> None:
    write_baseline(
        project,
        {"refund": "passed", "hours": "failed", "ship": "failed", "safety": "failed"},
        accuracy=0.25,
    )
    # refund: passed before, wrong now -> FAILED (a regression); hours: failed before and
    # still -> XFAIL; ship: failed before, right now -> XPASS; safety: critical, failed before
    # and still -> FAILED whatever the baseline says.
    use_answers(project, answers(refund="3 days", hours="never", safety="no"))
    result, record = run(project, "-k", "test_case")
    result.assert_outcomes(failed=2, xfailed=1, xpassed=1)
    out = result.stdout.str()
    assert "shop/refund regression: passed on the baseline, fails now" in out
    assert "baseline answer: earlier refund" in out
    assert "critical: must pass whatever the baseline says" in out
    assert "1 improvement(s) over the baseline: shop/ship" in out
    cases = cases_of(record)
    assert {k: (c.outcome, c.status) for k, c in cases.items()} == {
        "refund": ("failed", "regression"),
        "hours": ("xfailed", "known failure"),
        "ship": ("xpassed", "improvement"),
        "safety": ("failed", "failed"),
    }
    assert cases["safety"].critical and cases["safety"].baseline == "failed"
    assert record.summary["shop"] == {"failed": 2, "xfailed": 1, "xpassed": 1}


def test_a_metric_below_its_bar_fails_and_names_the_costliest_cases(
    project: pytest.Pytester,
) -> None:
    use_answers(project, answers(refund="?", hours="?", ship="?"))
    result, record = run(project, "-k", "test_metric")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*shop::accuracy = 0.25 (bar >= 0.5): below its minimum 0.5*", "*cases that cost most*"]
    )
    accuracy = metric_of(record, "value")
    assert (accuracy.outcome, accuracy.passed, accuracy.min) == ("failed", False, 0.5)


def test_no_drop_passes_on_the_same_answers_and_says_a_drop_on_four_cases_is_undetectable(
    project: pytest.Pytester,
) -> None:
    first, _ = run(project, "--update-baseline")
    first.assert_outcomes(passed=5, skipped=1)
    stored = json.loads((project.path / "fixtures/baselines/shop.json").read_text())
    assert stored["metrics"]["accuracy"]["per_item"] == {case["id"]: 1.0 for case in CASES}

    same, record = run(project)
    same.assert_outcomes(passed=6)
    no_drop = metric_of(record, "no_drop")
    assert no_drop.outcome == "passed" and no_drop.flips == ()
    assert no_drop.comparison is not None and no_drop.comparison.difference == 0.0

    use_answers(project, answers(refund="?", hours="?"))
    dropped, record = run(project)
    # Two regressions fail as cases. The no-drop test cannot fail on 4 cases (issue 21: even all
    # four getting worse has p = 1/16 > alpha), so it passes and says so, naming what to do.
    dropped.assert_outcomes(passed=4, failed=2)
    no_drop = metric_of(record, "no_drop")
    assert no_drop.outcome == "passed" and no_drop.baseline == 1.0
    assert "too few cases (4) to detect any drop at alpha 0.05" in no_drop.message
    assert "add cases to the suite" in no_drop.message
    assert [(f.item, f.direction, f.now_answer) for f in no_drop.flips] == [
        ("refund", "worse", "?"),
        ("hours", "worse", "?"),
    ]
    assert no_drop.comparison is not None
    assert (no_drop.comparison.worse, no_drop.comparison.better) == (2, 0)
    # The run history, typed in the record: the metric in each of the three runs, this one last.
    assert record.history is not None
    accuracy = [p for p in record.history.metrics if p.metric == "accuracy"]
    assert [p.value for p in accuracy] == [1.0, 1.0, 0.5]
    assert accuracy[-1].run_id == record.run_id


def test_two_workers_report_the_same_records_as_one_process(project: pytest.Pytester) -> None:
    """The records cross the xdist boundary as JSON and come back whole: a run under two
    workers reports what a run in one process does."""
    write_baseline(project, {"refund": "passed", "hours": "failed"}, accuracy=0.5)
    use_answers(project, answers(refund="?", ship="no"))
    one, alone = run(project, "-n", "0")
    two, split = run(project, "-n", "2")
    assert one.parseoutcomes() == two.parseoutcomes()

    def verdicts(record: RunRecord) -> object:
        cases = [(c.key, c.outcome, c.status, c.answer, c.passed) for c in record.cases]
        metrics = [(m.metric, m.test, m.value, m.outcome, m.message) for m in record.metrics]
        return cases, metrics

    assert verdicts(split) == verdicts(alone)
    assert set(split.models) <= {"gw0", "gw1"} and set(alone.models) == {"main"}


def test_a_backend_without_torch_never_imports_it(project: pytest.Pytester) -> None:
    """Setting torch's thread count imported torch for every backend; torch's 40-odd
    non-propagating loggers then cost each test phase of the run (pytest's log capture attaches
    a handler to every one), about 0.2-1 ms a case. The instant backend runs no torch: the run
    must end without it (a test file after the cases looks)."""
    project.makepyfile(
        test_zz_after_the_cases="""
        import sys

        def test_torch_was_not_imported():
            assert "torch" not in sys.modules
        """
    )
    (project.path / "test_zz_after_the_cases.py").rename(
        project.path / "model_tests" / "test_zz_after_the_cases.py"
    )
    result, record = run(project)
    result.assert_outcomes(passed=6, skipped=1)
    assert len(record.cases) == 4


def test_a_case_test_sets_up_no_fixture_of_its_own(project: pytest.Pytester) -> None:
    """``golden_case`` is a direct parameter, not a fixture taking ``request``: for such a
    fixture pytest builds a fixture definition of ``request`` on every test (a tenth of a
    10,000-case run, docs/measurements.md). The case still passes or fails as before."""
    project.makeconftest(
        """
        def pytest_collection_finish(session):
            names = {tuple(item.fixturenames) for item in session.items
                     if item.originalname == "test_case"}
            open("fixturenames.txt", "w").write(repr(sorted(names)))
        """
    )
    use_answers(project, answers(hours="nine to five"))
    result, record = run(project)
    result.assert_outcomes(passed=4, failed=1, skipped=1)
    assert (project.path / "fixturenames.txt").read_text() == "[('golden_case',)]"
    assert cases_of(record)["hours"].status == "failed"
