"""The judge metrics' tests through the metric gate (``gate_metric``) with a real judge
(:class:`releasegate.judge.runner.Judge`) on the scripted judge server: the always-first judge's
win rate is 0.5, a fair judge's verdicts decide, an unparseable judge fails the metric listing
its outputs, the no-drop test judges the baseline's answers (only those that differ), an
advisory judge's verdict is carried, and a judge that is down raises one error naming its URL.

The session's judges (``releasegate.engine.judges.JudgeService``) are another part's; the
context here is the smallest :class:`~releasegate.judge.context.JudgeContext`: one real judge,
and a calibration status the test sets.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from judge_project import judged_suite, project_settings
from scripted_judge import ScriptedJudge

from releasegate.exceptions import ConfigError, JudgeError
from releasegate.gate.baselines import CaseBaseline, SuiteBaseline
from releasegate.gate.judging import score_case
from releasegate.gate.verdicts import MetricResult, gate_metric
from releasegate.golden.suites import Suite
from releasegate.judge.context import JudgeContext
from releasegate.judge.runner import Judge, judge_for
from releasegate.judge.types import CalibrationStatus

GOOD, WEAK, BAD = "Refunds take 5 days.", "Refunds take a while.", "We never refund."
TABLE = {GOOD: 5, WEAK: 3, BAD: 1}
CALIBRATED = CalibrationStatus(True, "calibrated: kappa 0.71 on 64 answers (reviewers 0.78)")
IDS = [f"c{i:02d}" for i in range(12)]
CASES = [{"id": i, "input": f"How long do refunds take ({i})?", "expected": "5 days"} for i in IDS]


@dataclass
class OneJudge:
    """A :class:`JudgeContext` of one suite's real judge."""

    judge: Judge
    status: CalibrationStatus = CALIBRATED
    notes: tuple[str, ...] = ()
    asked: list[str] = field(default_factory=list)

    def runner_for(self, suite: Suite) -> Judge:
        self.asked.append(suite.name)
        return self.judge

    def status_for(self, suite: Suite) -> CalibrationStatus:
        return self.status

    def notes_for(self, suite: Suite) -> tuple[str, ...]:
        return self.notes


def judged(root: Path, url: str, metrics: str, settings: str = "") -> tuple[Suite, Judge]:
    suite = judged_suite(
        root / "golden",
        f"backend: openai\nbase_url: {url}\nmodel: judge-7b\nmax_retries: 0\nrequest_timeout: 5"
        f"\n{settings}",
        extra=f"metrics:\n{metrics}",
        cases=CASES,
    )
    judge = judge_for(suite, project_settings(root), root=root)
    assert judge is not None
    return suite, judge


def run(
    suite: Suite,
    context: JudgeContext,
    answers: Mapping[str, str],
    *,
    test: str = "value",
    metric: int = 0,
    baseline: Mapping[str, str] | None = None,
) -> MetricResult:
    scored = [score_case(suite, suite.case(case_id), answer) for case_id, answer in answers.items()]
    stored = None
    if baseline is not None:
        stored = SuiteBaseline(
            suite=suite.name,
            cases={k: CaseBaseline("passed", v) for k, v in baseline.items()},
            metrics={},
        )
    return gate_metric(
        suite,
        suite.metrics[metric],
        test,
        scored,
        stored,
        alpha=0.05,
        samples=500,
        reviews=context,
    )


def test_the_always_first_judge_gives_a_win_rate_of_one_half(tmp_path: Path) -> None:
    scripted = ScriptedJudge("always_first", TABLE)
    with scripted.running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_win_rate}\n")
        now = {i: BAD for i in IDS}  # worse than the baseline everywhere; the judge cannot tell
        result = run(suite, OneJudge(judge), now, baseline=dict.fromkeys(IDS, GOOD))
        judge.close()
    assert result.value.value == 0.5
    details = result.value.details
    assert details["position_consistency"] == 0.0 and details["first_position_rate"] == 1.0
    assert (details["pairs"], details["ties"], details["wins"]) == (12, 12, 0)
    assert result.outcome.passed and not result.outcome.advisory
    assert len(scripted.prompts()) == 24  # both orders of every pair


def test_a_fair_judge_decides_and_a_clear_loss_fails_non_inferiority(tmp_path: Path) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_win_rate, margin: 0.05}\n")
        same = dict.fromkeys(IDS[:2], GOOD)
        now = {**same, **{i: BAD for i in IDS[2:]}}
        result = run(suite, OneJudge(judge), now, baseline=dict.fromkeys(IDS, GOOD))
        judge.close()
    details = result.value.details
    assert details["position_consistency"] == 1.0 and details["first_position_rate"] == 0.5
    assert (details["identical"], details["losses"], details["pairs"]) == (2, 10, 10)
    assert result.value.value == pytest.approx(1 / 12)  # two ties of twelve
    assert len(scripted.prompts()) == 20  # identical answers: no call
    assert not result.outcome.passed
    assert "significantly below 0.45" in result.outcome.message
    assert "lost to the baseline (10)" in result.outcome.message
    assert result.comparison is not None and result.comparison.worse == 10
    assert [flip.item for flip in result.flips] == IDS[2:]


def test_the_win_rate_without_a_baseline_fails_saying_to_record_one(tmp_path: Path) -> None:
    with ScriptedJudge("fair", TABLE).running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_win_rate}\n")
        result = run(suite, OneJudge(judge), dict.fromkeys(IDS, GOOD))
        judge.close()
    assert not result.outcome.passed
    assert "--update-baseline" in result.outcome.message


def test_an_unparseable_judge_fails_the_metric_listing_its_outputs(tmp_path: Path) -> None:
    with ScriptedJudge("unparseable", TABLE).running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_score, min: 1}\n")
        result = run(suite, OneJudge(judge), dict.fromkeys(IDS, GOOD))
        judge.close()
    assert not result.outcome.passed
    message = result.outcome.message
    assert "12 of 12 judge output(s) could not be parsed" in message
    assert "rather not commit to a number" in message  # the raw output, listed
    assert result.value.details["unscored"] == 12


def test_scores_bar_and_pass_rate_of_the_answers(tmp_path: Path) -> None:
    with ScriptedJudge("fair", TABLE).running() as url:
        suite, judge = judged(
            tmp_path,
            url,
            "  - {name: judge_score, min: 3.5}\n  - {name: judge_pass_rate, min: 0.5}\n",
        )
        answers = {**dict.fromkeys(IDS[:6], GOOD), **dict.fromkeys(IDS[6:], WEAK)}
        context = OneJudge(judge, notes=("the judge is the model under test",))
        score = run(suite, context, answers)
        rate = run(suite, context, answers, metric=1)
        judge.close()
    assert score.value.value == 4.0 and score.outcome.passed
    assert "note: the judge is the model under test" in score.outcome.message
    assert rate.value.value == 0.5 and rate.value.per_item == (1.0,) * 6 + (0.0,) * 6
    assert rate.outcome.passed


def test_no_drop_judges_the_baseline_answers_that_differ_and_fails_a_drop(
    tmp_path: Path,
) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_score, max_drop: 0.1}\n")
        now = {**dict.fromkeys(IDS[:2], GOOD), **dict.fromkeys(IDS[2:], BAD)}
        result = run(suite, OneJudge(judge), now, test="no_drop", baseline=dict.fromkeys(IDS, GOOD))
        judge.close()
    # 12 answers now; of the baseline's only the 10 that differ are judged again
    assert result.value.details["baseline_judged"] == 10
    assert len(scripted.prompts()) == 12 + 10
    assert result.baseline_value == 5.0 and result.value.value == pytest.approx(20 / 12)
    assert not result.outcome.passed
    assert result.comparison is not None and result.comparison.worse == 10


def test_an_advisory_judge_carries_its_verdict_without_gating(tmp_path: Path) -> None:
    status = CalibrationStatus(False, "advisory: kappa 0.31 on 58 answers, below 0.6")
    with ScriptedJudge("fair", TABLE).running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_score, min: 3.5}\n")
        result = run(suite, OneJudge(judge, status), dict.fromkeys(IDS, WEAK))
        judge.close()
    assert not result.outcome.passed
    assert result.outcome.advisory.startswith(
        "advisory: kappa 0.31 on 58 answers, below 0.6; would fail: shop::judge_score = 3"
    )
    assert result.to_record().advisory == result.outcome.advisory


def test_a_judge_that_is_down_raises_one_error_naming_its_url(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{free.getsockname()[1]}/v1"
    suite, judge = judged(tmp_path, url, "  - {name: judge_score, min: 3}\n")
    with pytest.raises(JudgeError, match=re.escape(url)):
        run(suite, OneJudge(judge), dict.fromkeys(IDS, GOOD))
    judge.close()


def test_a_run_without_judges_is_refused_naming_the_metric(tmp_path: Path) -> None:
    with ScriptedJudge("fair", TABLE).running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_score, min: 3}\n")
        with pytest.raises(JudgeError, match=r"shop::judge_score: a judge metric .* has none"):
            run(suite, object(), dict.fromkeys(IDS, GOOD))  # type: ignore[arg-type]
        judge.close()


def test_a_criterion_the_judges_rubric_lacks_is_one_error_naming_the_manifest(
    tmp_path: Path,
) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        suite, judge = judged(tmp_path, url, "  - {name: judge_score, criterion: tone}\n")
        with pytest.raises(ConfigError, match=r"shop.yaml: metric 'judge_score\[tone\]'") as caught:
            run(suite, OneJudge(judge), dict.fromkeys(IDS, GOOD))
        judge.close()
    assert "criterion 'tone' is not one of the judge's rubric criteria (overall)" in str(
        caught.value
    )
    assert scripted.prompts() == []  # refused before anything was judged


def test_the_judges_own_max_unscored_is_the_bar(tmp_path: Path) -> None:
    """A judge configured to tolerate unscored outputs (max_unscored: 1) passes the unscored bar;
    with nothing scored the test still fails: it read nothing."""
    with ScriptedJudge("unparseable", TABLE).running() as url:
        suite, judge = judged(
            tmp_path, url, "  - {name: judge_score, min: 1}\n", "max_unscored: 1.0"
        )
        result = run(suite, OneJudge(judge), dict.fromkeys(IDS, GOOD))
        judge.close()
    assert not result.outcome.passed
    assert "could not be parsed" not in result.outcome.message
    assert "the judge scored none of 12 answers" in result.outcome.message
    assert "read nothing" in result.outcome.message
