"""An advisory verdict in a real pytest run: reported, then skipped, never failing the run.

A judge that is not calibrated against the reviewers gates nothing: its metric test computes
its verdict as usual (:func:`releasegate.judge.bars.advisory_outcome`), the record goes to
results.json with the verdict it would have had and why it did not gate, and the test is
SKIPPED with that line. The project here declares its own metric kind, through the public
registry, whose test is a real bar (``judge_bar``) on a known value made advisory by a known
calibration status: the session's judges (``releasegate.engine.judges``) are another part's,
and this checks the plugin's side alone (skip, record, exit status) on the instant backend.
"""

from __future__ import annotations

import os
import textwrap

import pytest

from releasegate.core.records import MetricRecord, load_run
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

CONFTEST = textwrap.dedent(
    '''
    """A metric kind whose judge is advisory: its value is 3.2 against a bar of 3.5."""

    from releasegate.gate.comparisons import judge_bar
    from releasegate.golden.metric_types import MetricValue
    from releasegate.golden.registry import register_metric_kind
    from releasegate.judge.bars import advisory_outcome
    from releasegate.judge.types import CalibrationStatus


    class Advisory:
        name = "advised_score"
        higher_is_better = True
        bounds = None
        additive = True
        source = "judge"

        def __call__(self, cases):
            raise AssertionError("gated by gate_self")

        def gate_self(self, request):
            from releasegate.gate.verdicts import MetricResult

            ids = [item.case_id for item in request.scored]
            value = MetricValue(3.2, tuple(3.2 for _ in ids))
            outcome = judge_bar(request.suite.name, request.spec, value, ids, {})
            status = CalibrationStatus(False, "advisory: kappa 0.31 on 58 answers, below 0.6")
            outcome = advisory_outcome(outcome, status, ("the judge is the model under test",))
            suite, spec = request.suite.name, request.spec
            return MetricResult(suite, spec, request.test, value, outcome, None)


    register_metric_kind("advised_score", lambda params, context: Advisory())
    '''
)
MANIFEST = (
    "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
    "metrics:\n  - {name: advised_score, min: 3.5}\n"
)
CASES = [{"id": "a", "input": "refund?", "expected": "7 days"}]


def test_an_advisory_metric_is_recorded_then_skipped_and_the_run_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES)
    write_instant_model(pytester.path / "fake-model", {"refund?": "It takes 7 days."})
    (pytester.path / "conftest.py").write_text(CONFTEST, encoding="utf-8")

    result = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*advisory: kappa 0.31 on 58 answers, below 0.6; would fail: tiny::advised_score = "
            "3.2 (bar >= 3.5): below its minimum 3.5*"
        ]
    )
    (record,) = [m for m in load_run(pytester.path / "reports" / "latest").metrics]
    assert isinstance(record, MetricRecord)
    assert (record.value, record.passed, record.outcome) == (3.2, False, "skipped")
    assert record.advisory.startswith("advisory: kappa 0.31 on 58 answers, below 0.6;")
    assert "note: the judge is the model under test" in record.message
