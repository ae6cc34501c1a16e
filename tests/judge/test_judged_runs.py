"""A suite with a judge model in a real pytest run (issue 24): the judge's verdicts in
results.json, summary.md, report.html and the terminal; a re-run that makes no judge call; an
advisory judge's ``check: judge`` cases skipped, a calibrated one's failing; the self-judge
refusal and its ``allow_self_judge`` note; a judge that is down making the judged tests errors
that name its URL, the answers kept.

The model under test is the instant backend (answers from a table, no weights); the judge is
the scripted judge server on loopback (tests/judge/scripted_judge.py), whose verdicts are known.
The real default model judging itself is tests/judge/test_judged_real_model.py.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from scripted_judge import ScriptedJudge

from releasegate.core.records import RunRecord, load_run
from releasegate.judge.types import JudgeIdentity
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

CASES = [
    {"id": "a", "input": "refund?", "expected": "7 days"},
    {"id": "b", "input": "ship?", "expected": "yes, abroad too"},
    {"id": "c", "input": "pay?", "expected": "card or cash"},
]
ANSWERS = {"refund?": "It takes 7 days.", "ship?": "We ship <b>abroad</b>.", "pay?": "?"}
SCORES = {"It takes 7 days.": 5, "We ship <b>abroad</b>.": 4, "?": 1}


def manifest(url: str, *, check: str = "judge", extra: str = "") -> str:
    return (
        f"name: tiny\ncases: tiny.jsonl\ncheck: {check}\n"
        f"judge:\n  backend: openai\n  base_url: {url}\n  model: judge-7b\n"
        f"  max_retries: 0\n  request_timeout: 5\n{extra}"
        "metrics:\n  - {name: judge_pass_rate, min: 0.5}\n"
    )


def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=text, cases=CASES)
    write_instant_model(pytester.path / "fake-model", ANSWERS)
    return pytester.path


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, RunRecord]:
    result = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rs", *args)
    return result, load_run(pytester.path / "reports" / "latest")


def calibrate(root: Path, identity: dict[str, Any], kappa: float = 0.8) -> Path:
    """``fixtures/judges/tiny.json`` with a calibration of *identity* that clears the bars (as
    ``releasegate judge calibrate`` writes one: the same file format, a known kappa)."""
    key = JudgeIdentity.from_json(identity).key
    entry = {
        "identity": identity,
        "answers": 60,
        "criteria": {"overall": {"kappa": kappa}},
        "reviewers": {"overall": {"kappa": 0.85}},
    }
    path = root / "fixtures" / "judges" / "tiny.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"suite": "tiny", "judges": {key: entry}}), encoding="utf-8")
    return path


def test_verdicts_are_reported_advisory_until_calibrated_and_a_rerun_calls_no_judge(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = ScriptedJudge(scores=SCORES)
    with judge.running() as url:
        root = project(pytester, monkeypatch, manifest(url))

        # Not calibrated: every check: judge case is reported with its verdict, then skipped.
        result, first = run(pytester)
        result.assert_outcomes(skipped=4)  # and the advisory judge_pass_rate
        assert result.ret == 0
        result.stdout.fnmatch_lines(
            [
                "*judge: 3 calls, 3 cached",  # the metric reads the cases' verdicts
                "*tiny: judge judge-7b (openai), advisory: not calibrated*",
                "*SKIPPED*advisory: not calibrated: run releasegate judge calibrate --suite tiny;"
                " the judge said: 1 (overall 1), below the pass mark: scripted 1*",
            ]
        )
        assert len(judge.prompts()) == 3
        by_id = {case.id: case for case in first.cases}
        a = by_id["a"].judge
        assert a is not None and a.scores == {"overall": 5.0} and a.passed is True
        assert a.reason == "scripted 5" and not a.cached and a.advisory.startswith("advisory")
        assert by_id["c"].judge is not None and by_id["c"].judge.passed is False
        assert {c.outcome for c in first.cases} == {"skipped"}
        assert first.judge is not None
        summary = first.judge["tiny"]
        assert (summary.calls, summary.cache_hits, summary.gating) == (3, 3, False)
        assert summary.identity["model"] == "judge-7b" and not summary.self_judge

        # Calibrated (an entry for this very judge): it gates; every verdict is cached.
        calibrate(root, dict(summary.identity))
        result, second = run(pytester)
        result.assert_outcomes(passed=3, failed=1)  # judge_pass_rate 2/3 passes its 0.5
        result.stdout.fnmatch_lines(
            ["*judge: 0 calls, 6 cached", "*tiny: judge judge-7b (openai), calibrated: kappa 0.80*"]
        )
        assert len(judge.prompts()) == 3  # no new prompt reached the judge
        result.stdout.fnmatch_lines(["*tiny/c*", "*judge: 1/5 (overall 1), below the pass mark 4*"])
        assert second.judge is not None and second.judge["tiny"].gating
        assert (second.judge["tiny"].calls, second.judge["tiny"].cache_hits) == (0, 6)
        assert all(c.judge is not None and c.judge.cached for c in second.cases)

    folder = root / "reports" / "latest"
    markdown = (folder / "summary.md").read_text(encoding="utf-8")
    assert "judge: 0 calls, 6 cached" in markdown and "calibrated: kappa 0.80" in markdown
    assert "| `tiny/c` | 1 (below the pass mark) | 1 (overall 1), below the pass mark" in markdown
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="judge"' in page and "calibrated: kappa 0.80 on 60 answers" in page
    assert "judge: 4 (overall 4), meets the pass mark: scripted 4" in page
    junit = (folder / "junit.xml").read_text(encoding="utf-8")
    assert 'name="judge" value="5 (overall 5), meets the pass mark: scripted 5"' in junit


def test_a_judge_beside_another_check_is_recorded_and_decides_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = ScriptedJudge(scores=SCORES)
    with judge.running() as url:
        project(pytester, monkeypatch, manifest(url, check="contains"))
        result, record = run(pytester)
    # the contains check decides (refund's answer holds "7 days"); the judge is only recorded
    result.assert_outcomes(passed=1, failed=2, skipped=1)  # judge_pass_rate: advisory
    assert [c.judge.overall if c.judge else None for c in record.cases] == [5.0, 4.0, 1.0]
    assert len(judge.prompts()) == 3


def test_a_judge_that_is_the_baselines_model_is_refused_unless_allowed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = ScriptedJudge(scores=SCORES)
    with judge.running() as url:
        root = project(pytester, monkeypatch, manifest(url))
        result, _ = run(pytester, "--update-baseline")
        result.assert_outcomes(skipped=4)
        baseline = root / "fixtures" / "baselines" / "tiny.json"
        document = json.loads(baseline.read_text(encoding="utf-8"))
        made = load_run(root / "reports" / "latest").judge
        assert made is not None
        fingerprint = made["tiny"].identity["fingerprint"]
        document["model"]["fingerprint"] = fingerprint  # the baseline was made by the judge
        baseline.write_text(json.dumps(document), encoding="utf-8")

        result, refused = run(pytester)
        result.assert_outcomes(errors=4)  # the cases and judge_pass_rate
        assert result.ret != 0
        result.stdout.fnmatch_lines(
            [
                "*the judge is the baseline's model; use another model, or set "
                "allow_self_judge: true (every report will say so)*"
            ]
        )
        assert {t.outcome for t in refused.unjudged} == {"error"}
        assert refused.judge is None  # no judge was used

        write_project(
            root,
            config=(root / "pyproject.toml").read_text(encoding="utf-8"),
            manifest=manifest(url, extra="  allow_self_judge: true\n"),
            cases=CASES,
        )
        result, allowed = run(pytester)
        result.assert_outcomes(skipped=4)  # still advisory: not calibrated
        note = "self-judge: the judge (judge-7b, fingerprint"
        result.stdout.fnmatch_lines([f"*{note}*is the baseline's model, allowed*"])
    assert allowed.judge is not None and allowed.judge["tiny"].self_judge
    assert allowed.judge["tiny"].notes[0].startswith(note)
    folder = root / "reports" / "latest"
    assert note in (folder / "summary.md").read_text(encoding="utf-8")
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert note in page[: page.index('id="suites"')]  # at the top of the page


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_judge_that_is_down_makes_the_judged_tests_errors_naming_its_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    root = project(pytester, monkeypatch, manifest(url))
    result, record = run(pytester)
    result.assert_outcomes(errors=4)
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"*the judge endpoint {url} (model judge-7b)*"])
    assert [t.outcome for t in record.unjudged] == ["error"] * 4
    assert all(url in t.message for t in record.unjudged)

    # the answers were kept: with the judge up, none is generated again
    judge = ScriptedJudge(scores=SCORES)
    with judge.running() as live:
        write_project(
            root,
            config=(root / "pyproject.toml").read_text(encoding="utf-8"),
            manifest=manifest(live),
            cases=CASES,
        )
        result, again = run(pytester)
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines(["*answers: 0 generated, 3 from the cache"])
    assert all(c.cached for c in again.cases)


def test_under_xdist_every_workers_judge_calls_are_summed_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker judges its own cases (one a chunk here) with its own judge: the run's figures
    are their sum, so the calls counted are the prompts the judge received, no more, no less."""
    judge = ScriptedJudge(scores=SCORES)
    with judge.running() as url:
        root = project(pytester, monkeypatch, manifest(url))
        config = (root / "pyproject.toml").read_text(encoding="utf-8")
        (root / "pyproject.toml").write_text(config + "chunk_size = 1\n", encoding="utf-8")
        result, record = run(pytester, "-n", "2")
    result.assert_outcomes(skipped=4)
    assert len(record.models) == 2  # both workers took part
    assert record.judge is not None
    summary = record.judge["tiny"]
    assert summary.calls == len(judge.prompts()) >= 3
    # every case judged once at least, then the metric's three from the cache or the judge
    assert summary.calls + summary.cache_hits >= 6
    result.stdout.fnmatch_lines([f"*judge: {summary.calls} calls, {summary.cache_hits} cached"])


def test_a_judge_that_is_down_beside_another_check_errors_only_what_it_decides(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cases whose check is contains do not depend on the judge: they are judged by their
    check (no judge verdict in their records, one warning), and the judge metric is the ERROR
    that names the judge's URL; the run fails."""
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    project(pytester, monkeypatch, manifest(url, check="contains"))
    result, record = run(pytester)
    result.assert_outcomes(passed=1, failed=2, errors=1)
    assert result.ret != 0
    assert [c.judge for c in record.cases] == [None, None, None]
    [metric] = record.unjudged
    assert metric.outcome == "error" and url in metric.message
    result.stdout.fnmatch_lines(["*JudgeUnavailableWarning: tiny: the judge could not judge*"])
