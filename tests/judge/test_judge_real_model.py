"""The real path end to end: the default model judges two answers with the shipped template,
through the hf backend, as a judge of itself (``allow_self_judge``). A 135M model is no judge:
its verdicts may well be unscored. What is asserted is that the path works (prompts rendered by
the model's chat template, generated, parsed, cached) and that an unscored verdict is reported
as unscored, never as a pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from judge_project import judged_suite, project_settings

from releasegate.config import default_cache_dir
from releasegate.judge.runner import judge_for
from releasegate.judge.types import PairItem, PointwiseItem
from releasegate.models.lazy import LazyBackend

pytestmark = pytest.mark.slow


def test_the_default_model_judges_two_answers_end_to_end(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    # the converted default model, shared (converting it again takes minutes); the verdict
    # cache and every memo are this test's own
    (cache / "models").symlink_to(default_cache_dir() / "models", target_is_directory=True)
    suite = judged_suite(
        tmp_path / "golden",
        "model: smollm2-135m-instruct\nallow_self_judge: true\nmax_new_tokens: 24\nbatch_size: 2",
    )
    settings = project_settings(tmp_path, cache_dir=str(cache), device="cpu", dtype="float32")
    judge = judge_for(suite, settings, root=tmp_path)
    assert judge is not None and judge.spec.allow_self_judge
    question, expected = "How long do refunds take?", "Within 5 days."
    answers = ["Refunds take 5 days.", "We never refund anything."]
    items = [PointwiseItem(f"c{i}", question, expected, a) for i, a in enumerate(answers)]
    judgments = judge.score(items)
    (pair,) = judge.compare([PairItem("c0", question, expected, *answers)])
    assert (judge.calls, judge.cache_hits) == (4, 0)
    for judgment in judgments:
        assert judgment.raw.strip()  # the model wrote something
        if judgment.unscored:
            assert judgment.passed(judge.rubric) is None
            assert judgment.as_check_result(judge.rubric).unscored
        else:
            assert judgment.scores is not None and set(judgment.scores) == {"overall"}
            assert all(1 <= score <= 5 for score in judgment.scores.values())
    assert pair.outcome in ("win", "loss", "tie", "unscored")
    assert (pair.value is None) == (pair.outcome == "unscored")
    fingerprint = judge.identity.fingerprint
    judge.close()

    again = judge_for(suite, settings, root=tmp_path)
    assert again is not None
    assert [j.raw for j in again.score(items)] == [j.raw for j in judgments]
    assert (again.calls, again.cache_hits) == (0, 2)
    assert again.identity.fingerprint == fingerprint
    lazy = again.backend()
    assert isinstance(lazy, LazyBackend) and not lazy.weights_loaded  # no weights for a re-run
    again.close()
