"""The three judge metrics in a real pytest run of a small project: the model under test is the
instant backend (answers from a table the test writes), the judge the scripted judge server on
loopback (tests/judge/scripted_judge.py), the cases checked by ``contains`` so that only the
metrics use the judge.

- the reference run records the baseline and skips ``judge_win_rate`` (nothing to compare);
- with a changed model, the always-first judge's win rate is 0.5 exactly (every verdict flips
  with the order: ties), position consistency 0, and the test passes;
- an unparseable judge fails ``judge_score`` listing the raw outputs;
- a judge that is down makes the judge metric tests ERRORS naming its URL, and the answers are
  kept (a re-run with the judge up generates none).

A judge gates only when calibrated: the test writes the calibration file for the judge the
first run reports (``fixtures/judges/tiny.json``, as ``releasegate judge calibrate`` writes it,
with a kappa that clears the bars).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from scripted_judge import ScriptedJudge

from releasegate.core.records import MetricRecord, RunRecord, load_run
from releasegate.judge.types import JudgeIdentity
from tiny_project import INSTANT_BACKEND, instant_config, write_instant_model, write_project

pytest.importorskip(
    "releasegate.engine.judges",
    reason="the session's judges (engine/judges.py, the judge-engine part) are not merged yet",
)

CASES = [{"id": f"c{i}", "input": f"refund {i}?", "expected": "7 days"} for i in range(6)]
BEFORE = {f"refund {i}?": "Refunds take 7 days." for i in range(6)}
AFTER = {f"refund {i}?": f"Refunds take 7 days (ask {i})." for i in range(6)}
SCORES = {"Refunds take 7 days.": 4, **{answer: 5 for answer in AFTER.values()}}
METRICS = (
    "metrics:\n"
    "  - {name: judge_score, min: 3}\n"
    "  - {name: judge_pass_rate, min: 0.5}\n"
    "  - {name: judge_win_rate}\n"
)


def manifest(url: str) -> str:
    return (
        "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
        f"judge:\n  backend: openai\n  base_url: {url}\n  model: judge-7b\n"
        f"  max_retries: 0\n  request_timeout: 5\n{METRICS}"
    )


def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str) -> Path:
    paths = [str(INSTANT_BACKEND), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    config = instant_config("./fake-model", pytester.path / "cache")
    write_project(pytester.path, config=config, manifest=manifest(url), cases=CASES)
    write_instant_model(pytester.path / "fake-model", BEFORE)
    return pytester.path


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, RunRecord]:
    result = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rA", *args)
    return result, load_run(pytester.path / "reports" / "latest")


def calibrate(root: Path, record: RunRecord) -> None:
    """A calibration of the judge *record* reports that clears the bars."""
    assert record.judge is not None
    identity: dict[str, Any] = dict(record.judge["tiny"].identity)
    entry = {
        "identity": identity,
        "answers": 60,
        "criteria": {"overall": {"kappa": 0.8}},
        "reviewers": {"overall": {"kappa": 0.85}},
    }
    path = root / "fixtures" / "judges" / "tiny.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = JudgeIdentity.from_json(identity).key
    path.write_text(json.dumps({"suite": "tiny", "judges": {key: entry}}), encoding="utf-8")


def metric(record: RunRecord, name: str) -> MetricRecord:
    (found,) = [m for m in record.metrics if m.metric == name and m.test == "value"]
    assert isinstance(found, MetricRecord)
    return found


def test_the_always_first_judge_wins_nothing_against_the_baseline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = ScriptedJudge("always_first", SCORES)
    with judge.running() as url:
        root = project(pytester, monkeypatch, url)
        result, first = run(pytester, "--update-baseline")
        # 6 cases pass; judge_score, judge_pass_rate advisory (not calibrated); the win rate
        # skipped: nothing to compare while its baseline is being recorded
        result.assert_outcomes(passed=6, skipped=3)
        result.stdout.fnmatch_lines(["*--update-baseline: nothing to compare*"])
        calibrate(root, first)

        write_instant_model(root / "fake-model", AFTER)  # every answer changed
        result, second = run(pytester)
    result.assert_outcomes(passed=9)
    win = metric(second, "judge_win_rate")
    assert win.value == 0.5 and win.baseline == 0.5
    assert win.details["position_consistency"] == 0.0
    assert win.details["first_position_rate"] == 1.0
    assert (win.details["pairs"], win.details["ties"]) == (6, 6)
    assert metric(second, "judge_score").value == 5.0
    assert metric(second, "judge_pass_rate").value == 1.0


def test_an_unparseable_judge_fails_the_metrics_listing_its_outputs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = ScriptedJudge("unparseable", SCORES)
    with judge.running() as url:
        root = project(pytester, monkeypatch, url)
        _, first = run(pytester, "--update-baseline")
        calibrate(root, first)
        write_instant_model(root / "fake-model", AFTER)  # pairs to judge for the win rate
        result, second = run(pytester)
    result.assert_outcomes(passed=6, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*tiny::judge_score: 6 of 6 judge output(s) could not be parsed (100.0%, above the "
            "bar 2.0%)*",
            "*rather not commit to a number*",
        ]
    )
    for name in ("judge_pass_rate", "judge_win_rate"):
        assert metric(second, name).outcome == "failed"
        assert "6 of 6 judge output(s) could not be parsed" in metric(second, name).message


def test_a_judge_that_is_down_errors_the_metric_tests_and_keeps_the_answers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"  # nothing listens there
    root = project(pytester, monkeypatch, url)
    result, record = run(pytester)
    assert result.ret != 0
    errored = {t.nodeid.rsplit("[", 1)[-1].rstrip("]"): t for t in record.unjudged}
    for name in ("judge_score", "judge_pass_rate", "judge_win_rate"):
        test = errored[f"tiny::{name}"]  # an ERROR naming the URL, never a pass or a failure
        assert test.outcome == "error" and url in test.message, test
    result.stdout.fnmatch_lines([f"*the judge endpoint {url} (model judge-7b)*"])
    assert "passed" not in {m.outcome for m in record.metrics}

    # the answers were kept: with the judge up, none is generated again
    with ScriptedJudge("fair", SCORES).running() as live:
        write_project(
            root,
            config=(root / "pyproject.toml").read_text(encoding="utf-8"),
            manifest=manifest(live),
            cases=CASES,
        )
        result, _ = run(pytester)
    result.stdout.fnmatch_lines(["*answers: 0 generated, 6 from the cache"])
