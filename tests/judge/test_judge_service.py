"""The session's judges (``releasegate.engine.judges.JudgeService``) on a real judge: the
scripted judge server on loopback, the real :class:`~releasegate.judge.runner.Judge` and
verdict cache, suites written to tmp_path. A chunk's answers are judged in one go and each
verdict reused; the self-judge rule on real fingerprints (the model under test an ``openai``
backend on the same server and model as the judge); the summary a report gets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from judge_project import judged_suite, project_settings
from scripted_judge import ScriptedJudge

from releasegate.config import EndpointSpec
from releasegate.core.records import ModelDescription, Prediction
from releasegate.engine.judges import JudgeService
from releasegate.exceptions import ConfigError
from releasegate.judge.types import PointwiseItem
from releasegate.models.backend import Backend, ModelSpec
from releasegate.models.loading import load_backend
from tiny_project import INSTANT_BACKEND, write_instant_model

CASES = [{"id": f"c{i}", "input": f"refund {i}?", "expected": "7 days"} for i in range(3)]
ANSWERS = {"c0": "It takes 7 days.", "c1": "Never.", "c2": "Ask the shop."}
SCORES = {"It takes 7 days.": 5, "Never.": 1, "Ask the shop.": 3}


def _judge(url: str, extra: str = "") -> str:
    return f"backend: openai\nbase_url: {url}\nmodel: judge-7b\nmax_retries: 0\n{extra}"


def _endpoint_model(url: str, root: Path) -> Backend:
    """The model under test served by the same server under the judge's model name: the same
    fingerprint as the judge."""
    spec = ModelSpec("judge-7b", cache_dir=root / "cache", endpoint=EndpointSpec(base_url=url))
    return load_backend("openai", spec)


def _instant_model(root: Path, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """Another model under test (the instant backend: answers from a table, no weights)."""
    monkeypatch.syspath_prepend(str(INSTANT_BACKEND))
    folder = write_instant_model(root / "instant", {})
    return load_backend("instant_backend:InstantBackend", ModelSpec(str(folder)))


def _held(answers: dict[str, str], suite_name: str = "shop") -> Callable[[str], Prediction | None]:
    predictions = {
        f"{suite_name}/{case_id}": Prediction("p", answer, 1, 0.0, False)
        for case_id, answer in answers.items()
    }
    return predictions.get


def test_a_chunk_is_judged_in_one_go_and_each_verdict_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted = ScriptedJudge(scores=SCORES)
    with scripted.running() as url:
        suite = judged_suite(tmp_path / "golden", _judge(url), cases=CASES)
        other = _instant_model(tmp_path, monkeypatch)
        service = JudgeService(
            project_settings(tmp_path), tmp_path, lambda: other, lambda suite: None
        )
        chunk = list(suite.cases)
        c0, c1, c2 = chunk
        first = service.case_judgment(suite, (c0, ANSWERS["c0"]), chunk, _held(ANSWERS))
        judge = service.runner_for(suite)
        assert (judge.calls, len(scripted.prompts())) == (3, 3)  # the whole chunk at once
        assert first.record.scores == {"overall": 5.0} and first.record.passed is True
        assert first.record.advisory.startswith("advisory: not calibrated")
        # the case test's short cut (no chunk gathered) holds the verdict judged with the chunk
        assert service.judged(c1, ANSWERS["c1"]) is not None
        assert service.judged(c2, "Seven days.") is None  # another answer: not judged yet
        second = service.case_judgment(suite, (c1, ANSWERS["c1"]), chunk, _held(ANSWERS))
        assert second.record.passed is False and judge.calls == 3  # judged with the chunk
        assert service.judged(c1, ANSWERS["c1"]) == second
        changed = service.case_judgment(suite, (c2, "Seven days."), [c2], _held({}))
        assert changed.record.overall == 3.0 and judge.calls == 4  # a new answer: a new call
        # the suite's judge metrics ask again about the same answers: answered in this process
        items = [PointwiseItem(c.id, c.input, "7 days", ANSWERS[c.id]) for c in (c0, c1, c2)]
        assert [j.overall for j in judge.score(items)] == [5.0, 1.0, 3.0]
        assert (judge.calls, judge.judge.cache_hits, judge.cache_hits) == (4, 0, 3)
        summary = service.summaries()["shop"]
        assert (summary.calls, summary.cache_hits, summary.self_judge) == (4, 3, False)
        assert summary.identity["model"] == "judge-7b" and not summary.gating
        service.close()

        # another process (an xdist worker, a re-run): every verdict from the verdict cache
        again = JudgeService(project_settings(tmp_path), tmp_path, lambda: other, lambda s: None)
        back = again.case_judgment(suite, (c0, ANSWERS["c0"]), chunk, _held(ANSWERS))
        assert back.record.cached and back.record.scores == first.record.scores
        assert (again.runner_for(suite).calls, again.runner_for(suite).cache_hits) == (0, 3)
        again.close()


def test_a_judge_that_is_the_model_under_test_is_refused_unless_allowed(tmp_path: Path) -> None:
    scripted = ScriptedJudge(scores=SCORES)
    with scripted.running() as url:
        model = _endpoint_model(url, tmp_path)
        settings = project_settings(tmp_path)
        suite = judged_suite(tmp_path / "a", _judge(url), cases=CASES)
        service = JudgeService(settings, tmp_path, lambda: model, lambda suite: None)
        with pytest.raises(ConfigError) as refused:
            service.case_judgment(suite, (suite.cases[0], "x"), [], _held({}))
        assert "the judge is the model under test; use another model, or set " in str(refused.value)
        assert str(refused.value).startswith(str(suite.manifest_path))
        assert scripted.prompts() == []  # refused before anything was judged

        allowed = judged_suite(tmp_path / "b", _judge(url, "allow_self_judge: true"), cases=CASES)
        service = JudgeService(settings, tmp_path, lambda: model, lambda suite: None)
        judged = service.case_judgment(allowed, (allowed.cases[0], ANSWERS["c0"]), [], _held({}))
        assert judged.record.overall == 5.0
        (note,) = service.notes_for(allowed)
        assert note.startswith("self-judge: the judge (judge-7b, fingerprint ")
        assert "is the model under test, allowed by allow_self_judge: true" in note
        assert service.summaries()["shop"].self_judge
        assert service.runner_for(allowed).backend() is model  # the session's, not a second


def test_the_baselines_model_counts_as_the_judge_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted = ScriptedJudge(scores=SCORES)
    with scripted.running() as url:
        judge_model = _endpoint_model(url, tmp_path)
        fingerprint = judge_model.fingerprint
        other = _instant_model(tmp_path, monkeypatch)
        suite = judged_suite(tmp_path / "golden", _judge(url), cases=CASES)
        service = JudgeService(
            project_settings(tmp_path),
            tmp_path,
            lambda: other,
            lambda name: ModelDescription(fingerprint=fingerprint) if name == "shop" else None,
        )
        with pytest.raises(ConfigError, match="the judge is the baseline's model; use another"):
            service.status_for(suite)
