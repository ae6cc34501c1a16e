"""The case check ``judge`` (issue 24): a marker golden builds (called alone: unscored, "needs
its judge's verdict"), the verdict supplied by the caller in its place (alone or inside a case's
assertions), and a suite that uses it without a judge refused at load naming the manifest.

Suites are real files in tmp_path loaded by the real loader; verdicts are real
:class:`~releasegate.judge.types.Judgment` values turned into a check's result by
``Judgment.as_check_result``, as the engine does with what the judge model said.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from judge_project import SCHEMAS

from releasegate.config.loading import load_settings
from releasegate.core.records import JudgeRecord, Prediction
from releasegate.exceptions import ConfigError, GoldenFileError
from releasegate.gate.judging import judge, pytest_outcome, score_suite
from releasegate.golden.check_protocol import CheckContext
from releasegate.golden.checks import build_check
from releasegate.golden.judge_check import JudgeCheck, uses_judge
from releasegate.golden.suites import Suite, project_suites
from releasegate.judge.kinds import register
from releasegate.judge.types import Judgment

CASES: list[dict[str, Any]] = [
    {"id": "refund", "input": "How long do refunds take?", "expected": "Within 5 days."},
    {"id": "ship", "input": "Do you ship abroad?", "expected": "Yes.", "check": "contains"},
    {
        "id": "cod",
        "input": "Can I pay on delivery?",
        "expected": "No.",
        "assert": [{"type": "not-contains", "value": "PayPal", "name": "no-paypal"}],
    },
]

REVIEW = "review:\n  criteria: [correctness, tone]\n  scale: 1-5\n  pass_mark: 4\n"


def write_suite(
    root: Path, *, check: str = "judge", judge: str = "", cases: list[dict[str, Any]] = CASES
) -> Path:
    register()
    golden = root / "golden"
    golden.mkdir(parents=True, exist_ok=True)
    (golden / "shop.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )
    manifest = golden / "shop.yaml"
    manifest.write_text(
        f"name: shop\ncases: shop.jsonl\ncheck: {check}\n{REVIEW}"
        + (f"judge:\n  {judge}\n" if judge else ""),
        encoding="utf-8",
    )
    return manifest


def load(root: Path, project_judge: dict[str, Any] | None = None) -> Suite:
    table: dict[str, Any] = {"golden_dir": str(root / "golden"), "schemas_dir": str(SCHEMAS)}
    if project_judge is not None:
        table["judge"] = project_judge
    settings = load_settings(table, {}, root=root)
    (suite,) = project_suites(settings, root=root)
    return suite


def answered(text: str) -> Prediction:
    return Prediction(prompt="q", answer=text, output_tokens=3, seconds=0.1, cached=False)


def test_the_check_alone_is_unscored_needing_its_judges_verdict(tmp_path: Path) -> None:
    context = CheckContext("en", tmp_path, SCHEMAS)
    check = build_check("judge", context, where="shop.yaml")
    assert isinstance(check, JudgeCheck) and uses_judge(check)
    result = check("Within 5 days.", "Within 5 days.")
    assert result.unscored and not result.passed and "needs its judge's verdict" in result.reason
    assert check.validate_expected("") is None  # no expected answer needed: the rubric decides
    with pytest.raises(ConfigError, match=r"shop.yaml: .*'pass_mark'"):
        build_check({"name": "judge", "pass_mark": 3}, context, where="shop.yaml")


def test_a_suite_judged_by_a_judge_it_does_not_have_is_refused_naming_the_manifest(
    tmp_path: Path,
) -> None:
    manifest = write_suite(tmp_path)
    with pytest.raises(GoldenFileError) as caught:
        load(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{manifest}, field 'check': ")
    assert "2 case(s) of suite 'shop' use check 'judge' (first: refund)" in message
    assert "add a judge: section" in message and "[tool.releasegate.judge]" in message


def test_one_case_judged_by_the_judge_is_enough_to_need_one(tmp_path: Path) -> None:
    cases = [{**CASES[0], "check": "judge"}, CASES[1]]
    manifest = write_suite(tmp_path, check="contains", cases=cases)
    with pytest.raises(GoldenFileError, match=rf"^{manifest}: 1 case\(s\) .*first: refund"):
        load(tmp_path)


def test_a_judge_in_the_manifest_or_the_project_lets_the_suite_load(tmp_path: Path) -> None:
    write_suite(tmp_path / "a", judge="model: smollm2-135m-instruct")
    suite = load(tmp_path / "a")
    assert [uses_judge(suite.check_for(c)) for c in suite.cases] == [True, False, True]
    write_suite(tmp_path / "b")
    assert load(tmp_path / "b", {"model": "smollm2-135m-instruct"}).judge is None


def test_the_judges_verdict_decides_the_case_in_the_checks_place(tmp_path: Path) -> None:
    write_suite(tmp_path, judge="model: smollm2-135m-instruct")
    suite = load(tmp_path)
    rubric = suite.rubric
    refund = suite.case("refund")
    good = Judgment({"correctness": 5.0, "tone": 4.0}, "right and polite", raw="{...}")
    bad = Judgment({"correctness": 2.0, "tone": 4.0}, "says 14 days", raw="{...}")
    record = JudgeRecord(
        scores=good.scores,
        overall=4.5,
        passed=True,
        reason=good.reason,
        unscored=False,
        cached=False,
    )
    passed = judge(
        suite,
        refund,
        answered("5 days"),
        None,
        judged=good.as_check_result(rubric),
        judge_record=record,
    )
    assert passed.passed and passed.check_name == "judge"
    assert (
        passed.result.score == 4.5
        and "meets the pass mark 4: right and polite" in passed.result.reason
    )
    assert passed.to_record().judge == record
    failed = judge(suite, refund, answered("14 days"), None, judged=bad.as_check_result(rubric))
    assert not failed.passed and not failed.result.unscored and pytest_outcome(failed) == "failed"
    assert "below the pass mark 4: says 14 days" in failed.to_record().reason
    # without the verdict the case cannot be judged: unscored, never a pass
    alone = judge(suite, refund, answered("5 days"), None)
    assert alone.result.unscored and not alone.passed


def test_an_unparseable_verdict_is_unscored_never_a_pass_or_a_wrong_answer(tmp_path: Path) -> None:
    write_suite(tmp_path, judge="model: smollm2-135m-instruct")
    suite = load(tmp_path)
    junk = Judgment(None, "no JSON object and no final 'Score: N' line", raw="I think it's fine")
    verdict = judge(
        suite,
        suite.case("refund"),
        answered("5 days"),
        None,
        judged=junk.as_check_result(suite.rubric),
    )
    assert verdict.result.unscored and not verdict.passed
    assert verdict.to_record().unscored


def test_inside_a_cases_assertions_the_verdict_is_the_checks_member(tmp_path: Path) -> None:
    """A judged case with assertions passes when the judge and its assertions say so; an
    unscored verdict leaves the case unscored (it used to read as a plain fail)."""
    write_suite(tmp_path, judge="model: smollm2-135m-instruct")
    suite = load(tmp_path)
    cod, rubric = suite.case("cod"), suite.rubric
    good = Judgment({"correctness": 5.0, "tone": 5.0}, "correct", raw="")
    both = judge(suite, cod, answered("No, sorry."), None, judged=good.as_check_result(rubric))
    assert both.passed and [a.outcome for a in both.result.assertions] == ["pass", "pass"]
    paypal = judge(suite, cod, answered("Use PayPal."), None, judged=good.as_check_result(rubric))
    assert not paypal.passed and paypal.result.assertions[1].outcome == "fail"
    junk = Judgment(None, "unparseable", raw="?")
    unscored = judge(suite, cod, answered("No, sorry."), None, judged=junk.as_check_result(rubric))
    assert unscored.result.unscored and unscored.result.assertions[0].outcome == "unscored"


def test_a_suites_metrics_read_the_verdicts_the_caller_supplies(tmp_path: Path) -> None:
    write_suite(tmp_path, judge="model: smollm2-135m-instruct")
    suite = load(tmp_path)
    rubric = suite.rubric
    answers = {"shop/refund": "5 days", "shop/ship": "Yes.", "shop/cod": "No."}
    verdicts = {
        "shop/refund": Judgment({"correctness": 1.0, "tone": 1.0}, "wrong", "").as_check_result(
            rubric
        ),
        "shop/cod": Judgment({"correctness": 5.0, "tone": 4.0}, "ok", "").as_check_result(rubric),
    }
    scored = score_suite(suite, answers, judge_verdicts=verdicts)
    assert [s.result.passed for s in scored] == [False, True, True]
    assert [s.result.unscored for s in score_suite(suite, answers)] == [True, False, True]
