"""The real path end to end in a pytest run: the default model answers the cases and judges its
own answers (``check: judge``), refused until the suite says ``allow_self_judge: true``, then
judged through the session's own backend (the weights loaded once), every report saying so.

A 135M model is no judge: its verdicts may be unscored. What is asserted is the path (prompts
made from the model's answers, generated, parsed, recorded, cached) and the self-judge rule on
a real fingerprint, never a particular score.
"""

from __future__ import annotations

import json

import pytest

from releasegate.config import default_cache_dir
from releasegate.core.records import load_run
from tiny_project import write_project

pytestmark = pytest.mark.slow

MODELS = default_cache_dir() / "models"
"""The converted default model, shared (converting it again takes minutes); read at import,
before pytester points HOME at its own folder."""

CASES = [
    {"id": "refund", "input": "How long do refunds take?", "expected": "Within 5 days."},
    {"id": "ship", "input": "Do you ship abroad?", "expected": "Yes, to 30 countries."},
]


def manifest(extra: str = "") -> str:
    return (
        "name: tiny\ncases: tiny.jsonl\ncheck: judge\n"
        "metrics:\n  - {name: judge_score, min: 1}\n"
        "judge:\n  model: smollm2-135m-instruct\n  max_new_tokens: 24\n  batch_size: 2\n" + extra
    )


def test_the_default_model_judging_itself_is_refused_then_allowed_and_said(
    pytester: pytest.Pytester,
) -> None:
    root = pytester.path
    cache = root / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(MODELS, target_is_directory=True)
    config = (
        '[tool.releasegate]\nmodel = "smollm2-135m-instruct"\ndevice = "cpu"\n'
        f'dtype = "float32"\nmax_new_tokens = 8\ncache_dir = "{cache}"\n'
    )
    write_project(root, config=config, manifest=manifest(), cases=CASES)

    refused = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider")
    refused.assert_outcomes(errors=3)  # the two cases and judge_score
    refused.stdout.fnmatch_lines(
        [
            "*tiny.yaml: the judge is the model under test; use another model, or set "
            "allow_self_judge: true (every report will say so)*"
        ]
    )

    write_project(root, config=config, manifest=manifest("  allow_self_judge: true\n"), cases=CASES)
    allowed = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider", "-rs")
    outcomes = allowed.parseoutcomes()
    assert outcomes.get("skipped") == 3 and "error" not in outcomes  # advisory: not calibrated
    allowed.stdout.fnmatch_lines(
        ["*judge: 2 calls, 2 cached", "*self-judge: the judge (smollm2-135m-instruct*"]
    )
    run = load_run(root / "reports" / "latest")
    assert run.judge is not None and run.judge["tiny"].self_judge
    assert run.judge["tiny"].identity["backend"] == "hf"
    for case in run.cases:
        judged = case.judge
        assert judged is not None and not judged.cached
        assert judged.unscored == (judged.scores is None) == (judged.passed is None)
    summary = (run_folder := root / "reports" / "latest") / "summary.md"
    assert "self-judge: the judge (smollm2-135m-instruct" in summary.read_text(encoding="utf-8")
    assert json.loads((run_folder / "results.json").read_text())["judge"]["tiny"]["self_judge"]

    again = pytester.runpytest_subprocess("model_tests", "-p", "no:cacheprovider")
    again.stdout.fnmatch_lines(["*judge: 0 calls, 4 cached", "*model weights: not loaded*"])
