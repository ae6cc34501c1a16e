"""Human review in the gate, end to end on a small project answered by a scripted server:
``pending: skip``, a case failing on review alone (a regression when the baseline's answer
passed review), and the paired no-drop comparison on the cases both runs had reviewed."""

from __future__ import annotations

import json

import pytest

# Imported before pytester's sys.modules snapshot: pytester drops modules first imported during a
# test, and numpy's extensions (scikit-learn's kappa, behind `review import`) load once a process.
import sklearn.metrics  # noqa: F401
from review_project import cli, make_project
from reviewers import fill

from fake_openai import FakeServer


def test_pending_skip_keeps_the_gate_green_and_says_what_awaits_review(
    pytester: pytest.Pytester, server: tuple[str, FakeServer]
) -> None:
    project = make_project(pytester, pending="skip")
    result = project.runpytest_subprocess("model_tests", "--base-url", server[0], "-rs")
    result.assert_outcomes(passed=4, skipped=3)
    out = result.stdout.str()
    assert (
        "tiny::human_score: 3 of 3 answer(s) await human review (first: hello, refund, rude)" in out
    )
    assert "3 answer(s) await review: releasegate review export --suite tiny" in out
    document = json.loads(
        (project.path / "reports" / "latest" / "results.json").read_text(encoding="utf-8")
    )
    assert document["review"]["tiny"] == {
        "reviewed": 0,
        "pending": 3,
        "reviewers": [],
        "criteria": {"correctness": None, "tone": None},
        "overall": None,
        "pass_rate": None,
        "export_command": "releasegate review export --suite tiny",
    }


def test_a_worse_reviewed_answer_is_a_regression_and_three_cases_cannot_show_a_human_drop(
    project: pytest.Pytester,
    server: tuple[str, FakeServer],
    answers: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = server[0]
    # The reference run becomes the baseline; reviewers pass all three of its answers.
    project.runpytest_subprocess("model_tests", "--base-url", url, "--update-baseline")
    baseline = json.loads(
        (project.path / "fixtures" / "baselines" / "tiny.json").read_text(encoding="utf-8")
    )
    assert {c["outcome"] for c in baseline["cases"].values()} == {"passed"}  # the checks'
    assert set(baseline["metrics"]) == {"accuracy"}  # human metrics pair reviews instead
    first = project.path / "first.xlsx"
    assert cli(project.path, "export", "--out", str(first)) == 0
    fill(first, {"hello": [5, 5], "refund": [4, 4], "rude": [4, 4]}, reviewer="Scripted A")
    assert cli(project.path, "import", str(first)) == 0

    # A new model changes one answer: only that one goes to the reviewers.
    answers["Where is my parcel?"] = "Go away."
    project.runpytest_subprocess("model_tests", "--base-url", url, "--no-prediction-cache")
    capsys.readouterr()
    second = project.path / "second.xlsx"
    assert cli(project.path, "export", "--out", str(second)) == 0
    assert "tiny: 1 answer(s) to review (2 already reviewed" in capsys.readouterr().out
    fill(second, {"rude": [1, 1]}, reviewer="Scripted A", comment="tells the customer off")
    assert cli(project.path, "import", str(second)) == 0

    gated = project.runpytest_subprocess("model_tests", "--base-url", url)
    out = gated.stdout.str()
    gated.assert_outcomes(passed=5, failed=2)  # the case and the human score's bar
    assert "tiny/rude regression: passed on the baseline, fails now" in out
    why = (
        "reviewers scored 1 on 1-5 (Scripted A 1), below the pass mark 4; Scripted A: tells the "
        "customer off (the baseline's answer passed review)"
    )
    # The reviewers' reason, not the check's (its regex found a character: it passed), in the
    # terminal, summary.md and the page.
    assert f"  review:   {why}\n  check:    regex passed (" in out
    reports = project.path / "reports" / "latest"
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    (line,) = [x for x in summary.splitlines() if x.startswith("- `tiny/rude`")]
    assert line == f"- `tiny/rude` (regression): {why}"
    page = (reports / "report.html").read_text(encoding="utf-8")
    assert why.replace("'", "&#39;") in page
    # 13/3 -> 10/3 on the three cases both runs had reviewed: a drop of 1 > max_drop 0.5, but
    # three cases cannot show any drop at alpha 0.05 (issue 21: p >= 1/8), so the no-drop test
    # passes, keeps the flipped case, and says the suite is too small.
    document = json.loads(
        (project.path / "reports" / "latest" / "results.json").read_text(encoding="utf-8")
    )
    drop = next(
        m for m in document["metrics"] if m["metric"] == "human_score" and m["test"] == "no_drop"
    )
    assert drop["outcome"] == "passed"
    assert "too few cases (3) to detect any drop at alpha 0.05" in drop["message"]
    assert drop["baseline"] == pytest.approx(13 / 3)
    assert drop["value"] == pytest.approx(10 / 3)
    assert drop["comparison"]["items"] == 3
    assert [f["item"] for f in drop["flips"]] == ["rude"]


def test_a_broken_review_file_stops_collection_naming_file_and_line(
    project: pytest.Pytester,
) -> None:
    reviews = project.path / "fixtures" / "reviews"
    reviews.mkdir()
    (reviews / "tiny.jsonl").write_text(
        '{"suite": "tiny", "case_id": "hello"}\n<<<<<<< HEAD\n', encoding="utf-8"
    )
    result = project.runpytest_subprocess("model_tests")
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [f"*{reviews / 'tiny.jsonl'}, line 1: not a review record (missing answer_hash*"]
    )


def test_an_unchanged_answer_reviewed_below_the_mark_is_a_known_failure_not_a_regression(
    project: pytest.Pytester, server: tuple[str, FakeServer]
) -> None:
    """The first import of reviews on an unchanged model: the baseline's answer is this
    answer, so reviewers failed it on the baseline too (it was BLOCKED as a regression)."""
    url = server[0]
    project.runpytest_subprocess("model_tests", "--base-url", url, "--update-baseline")
    sheet = project.path / "review.xlsx"
    assert cli(project.path, "export", "--out", str(sheet)) == 0
    fill(sheet, {"hello": [5, 5], "refund": [4, 4], "rude": [1, 2]}, reviewer="Scripted A")
    assert cli(project.path, "import", str(sheet)) == 0

    gated = project.runpytest_subprocess("model_tests", "--base-url", url, "-rx")
    gated.assert_outcomes(passed=6, xfailed=1)
    assert "XFAIL model_tests/test_golden.py::test_case[tiny/rude]" in gated.stdout.str()
    reports = project.path / "reports" / "latest"
    document = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    (rude,) = [c for c in document["cases"] if c["id"] == "rude"]
    assert (rude["status"], rude["baseline"], rude["outcome"]) == (
        "known failure",
        "failed",
        "xfailed",
    )
    assert rude["human"]["message"].endswith("(the baseline's answer failed review too)")
    page = (reports / "report.html").read_text(encoding="utf-8")
    assert "Releasable: 0 regressions" in page and "BLOCKED" not in page
