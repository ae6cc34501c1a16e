"""The judge against a scripted judge server on loopback: verdicts, both orders of a pair, the
verdict cache (a re-run makes no calls; the order shown is part of the key), and an endpoint
that is down, slow or answers junk: one JudgeError naming the URL, what came back kept."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from pathlib import Path

import pytest
from judge_project import judged_suite, project_settings
from scripted_judge import ScriptedJudge, answers_in

from fake_openai import Reply
from releasegate.config import load_settings, read_table
from releasegate.exceptions import GenerationInterrupted, JudgeError
from releasegate.judge.runner import Judge, judge_for
from releasegate.judge.types import PairItem, PointwiseItem
from releasegate.models.backend import EndpointSpec, GenerationSettings, ModelSpec, Prompt
from releasegate.models.loading import load_backend

GOOD, WEAK, BAD = "Refunds take 5 days.", "Refunds take a while.", "We never refund."
TABLE = {GOOD: 5, WEAK: 3, BAD: 1}
REVIEW = "review:\n  scale: 1-4\n  criteria:\n    - {name: accuracy, description: Right}\n"


def make_judge(root: Path, url: str, *, extra: str = "", **judge: object) -> Judge:
    lines = "\n".join(f"{key}: {value}" for key, value in judge.items())
    suite = judged_suite(
        root / "golden",
        f"backend: openai\nbase_url: {url}\nmodel: judge-7b\nmax_retries: 0\n{lines}",
        extra=extra,
    )
    made = judge_for(suite, project_settings(root), root=root)
    assert made is not None
    return made


def items(*answers: str) -> list[PointwiseItem]:
    return [
        PointwiseItem(f"c{i}", "How long do refunds take?", "Within 5 days.", answer)
        for i, answer in enumerate(answers)
    ]


def pair(candidate: str, baseline: str) -> PairItem:
    return PairItem("refund", "How long do refunds take?", "Within 5 days.", candidate, baseline)


def test_scores_come_from_the_judge_and_a_rerun_reads_them_all_from_the_cache(
    tmp_path: Path,
) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        first = judge.score(items(GOOD, WEAK, BAD))
        assert [j.scores for j in first] == [{"overall": 5}, {"overall": 3}, {"overall": 1}]
        assert [j.passed(judge.rubric) for j in first] == [True, False, False]
        assert [j.cached for j in first] == [False] * 3
        assert (judge.calls, judge.cache_hits) == (3, 0)
        judge.close()

        again = make_judge(tmp_path, url)  # another process's judge: only the cache is shared
        second = again.score(items(GOOD, WEAK, BAD))
        assert (again.calls, again.cache_hits) == (0, 3)
        assert [j.scores for j in second] == [j.scores for j in first]
        assert [j.reason for j in second] == ["scripted 5", "scripted 3", "scripted 1"]
        assert all(j.cached for j in second)
        assert len(scripted.prompts()) == 3  # no request for the re-run
        # a changed answer is the only one judged again
        again.score(items(GOOD, "Refunds take 6 days."))
        assert (again.calls, len(scripted.prompts())) == (1, 4)
        again.close()


def test_the_prompt_shows_question_expected_answer_and_rubric(tmp_path: Path) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        judge = make_judge(
            tmp_path,
            url,
            extra=REVIEW,
        )
        assert [c.name for c in judge.rubric.criteria] == ["accuracy"]  # the suite's review:
        judge.score(items(GOOD))
        judge.close()
    (prompt,) = scripted.prompts()
    for text in (
        "How long do refunds take?",
        "Within 5 days.",
        GOOD,
        "- accuracy: Right",
        "1 (worst) to 4",
    ):
        assert text in prompt


def test_a_pair_is_asked_in_both_orders_in_one_batch_and_a_fair_judge_is_consistent(
    tmp_path: Path,
) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    level_answer = WEAK + " (same score)"
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        better, worse, level = judge.compare(
            [pair(GOOD, WEAK), pair(BAD, WEAK), pair(WEAK, level_answer)]
        )
        judge.close()
    assert sorted(answers_in(prompt) for prompt in scripted.prompts()) == sorted(
        [
            (GOOD, WEAK),
            (WEAK, GOOD),
            (BAD, WEAK),
            (WEAK, BAD),
            (WEAK, level_answer),
            (level_answer, WEAK),
        ]
    )
    assert (better.candidate_first.winner, better.baseline_first.winner) == ("A", "B")
    assert (better.outcome, better.value, better.consistent) == ("win", 1.0, True)
    assert (worse.outcome, worse.value, worse.consistent) == ("loss", 0.0, True)
    assert (level.outcome, level.consistent) == ("tie", True)
    assert judge.calls == 6


def test_an_always_first_judge_is_turned_into_ties_by_the_swap(tmp_path: Path) -> None:
    scripted = ScriptedJudge("always_first", TABLE)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        judgments = judge.compare([pair(GOOD, WEAK), pair(BAD, GOOD), pair(WEAK, BAD)])
        judge.close()
    assert [j.outcome for j in judgments] == ["tie"] * 3
    assert [j.value for j in judgments] == [0.5] * 3
    assert [j.consistent for j in judgments] == [False] * 3
    assert [j.first_picks for j in judgments] == [(2, 2)] * 3


def test_the_order_shown_is_part_of_the_cache_key(tmp_path: Path) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        (first,) = judge.compare([pair(GOOD, WEAK)])
        # two prompts, two entries: were the order not in the key, the second order would read
        # the first's verdict (A) and the win would become a tie
        assert (judge.calls, first.outcome) == (2, "win")
        (swapped,) = judge.compare([pair(WEAK, GOOD)])  # the same two prompts, other roles
        judge.close()
    assert (judge.calls, judge.cache_hits) == (2, 2)
    assert swapped.outcome == "loss"
    assert swapped.candidate_first.raw == first.baseline_first.raw
    assert swapped.candidate_first.cached and swapped.baseline_first.cached


def test_unparseable_output_is_unscored_not_an_error(tmp_path: Path) -> None:
    scripted = ScriptedJudge("unparseable", TABLE)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        (judgment,) = judge.score(items(GOOD))
        (pair_judgment,) = judge.compare([pair(GOOD, WEAK)])
        judge.close()
    assert judgment.unscored and judgment.passed(judge.rubric) is None
    assert "no verdict" in judgment.reason and "rather not commit" in judgment.raw
    assert pair_judgment.outcome == "unscored" and pair_judgment.value is None


def test_the_identity_follows_the_template_settings_and_rubric(tmp_path: Path) -> None:
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        base = make_judge(tmp_path / "a", url).identity
        hot = make_judge(tmp_path / "b", url, temperature=0.7).identity
        other_rubric = make_judge(tmp_path / "c", url, extra="review: {scale: 1-3}\n").identity
    assert base.backend == "openai" and base.model == "judge-7b"
    assert base.settings == {"temperature": 0.0, "max_new_tokens": 256}
    assert base.differences(hot) == ["the generation settings"]
    assert base.differences(other_rubric) == ["the rubric"]
    assert len({base.key, hot.key, other_rubric.key}) == 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_endpoint_that_is_down_is_one_judge_error_naming_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    judge = make_judge(tmp_path, url)
    with pytest.raises(JudgeError) as caught:
        judge.score(items(GOOD))
    message = str(caught.value)
    assert url in message and "is the judge server up" in message
    # said once: the error of the judge's backend is not wrapped again by the prompt's render
    assert message.count("is the judge server up") == 1, message
    assert message.startswith(f"the judge endpoint {url} (model judge-7b) cannot be used: ")


def test_a_slow_endpoint_is_a_judge_error_saying_to_raise_the_timeout(tmp_path: Path) -> None:
    scripted = ScriptedJudge("slow", TABLE, delay=3.0)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url, request_timeout=0.5)
        with pytest.raises(JudgeError) as caught:
            judge.score(items(GOOD))
        judge.close()
    message = str(caught.value)
    assert url in message and "request_timeout (now 0.5 s)" in message
    assert "--request-timeout" not in message  # the model under test's option, not the judge's
    assert "none came back" in message


def test_an_endpoint_answering_junk_is_a_judge_error_naming_the_url(tmp_path: Path) -> None:
    scripted = ScriptedJudge("junk", TABLE)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        with pytest.raises(JudgeError) as caught:
            judge.score(items(GOOD, WEAK))
        judge.close()
    assert url in str(caught.value)


def test_a_partial_failure_keeps_the_verdicts_that_came_back(tmp_path: Path) -> None:
    scripted = ScriptedJudge("fair", TABLE, fail_on=frozenset({BAD}))
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        with pytest.raises(JudgeError) as caught:
            judge.score(items(GOOD, WEAK, BAD))
        judge.close()
        message = str(caught.value)
        assert "1 of 3 requests" in message and url in message
        assert "the 2 verdicts that came back are cached" in message
        scripted.fail_on = frozenset()  # the server recovers
        judge = make_judge(tmp_path, url)
        judgments = judge.score(items(GOOD, WEAK, BAD))
        judge.close()
    assert (judge.calls, judge.cache_hits) == (1, 2)  # only the failed one is asked again
    assert [j.scores for j in judgments] == [{"overall": 5}, {"overall": 3}, {"overall": 1}]


def test_no_judge_declared_is_none(tmp_path: Path) -> None:
    suite = judged_suite(tmp_path, "")
    assert judge_for(suite, project_settings(tmp_path), root=tmp_path) is None
    from_project = judge_for(
        suite, project_settings(tmp_path, {"model": "smollm2-135m-instruct"}), root=tmp_path
    )
    assert from_project is not None and from_project.spec.backend == "hf"


def test_the_sessions_backend_is_reused_when_it_is_the_judges_model(tmp_path: Path) -> None:
    """The model under test behind the same endpoint and name is the judge's model: its backend
    is used, not a second one, and closing the judge leaves it open for the session."""
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        session = load_backend(
            "openai",
            ModelSpec(
                "judge-7b", cache_dir=tmp_path / "cache", endpoint=EndpointSpec(base_url=url)
            ),
        )
        suite = judged_suite(
            tmp_path / "golden", f"backend: openai\nbase_url: {url}\nmodel: judge-7b"
        )
        judge = judge_for(suite, project_settings(tmp_path), root=tmp_path, backend=session)
        assert judge is not None
        assert judge.backend() is session
        assert judge.identity.fingerprint == session.fingerprint
        judge.score(items(GOOD))
        judge.close()
        # still open: the session goes on generating with it
        rendered = session.render(
            Prompt(messages=({"role": "user", "content": "[Answer]\nx\n[End of answer]"},))
        )
        assert session.generate([rendered], GenerationSettings(), batch_size=1)
        other = judged_suite(
            tmp_path / "other", f"backend: openai\nbase_url: {url}\nmodel: judge-13b"
        )
        not_it = judge_for(other, project_settings(tmp_path), root=tmp_path, backend=session)
        assert not_it is not None and not_it.backend() is not session
        not_it.close()
        session.close()


def test_an_hf_judge_whose_model_cannot_be_found_is_one_judge_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    suite = judged_suite(tmp_path / "golden", f"model: {missing}")
    judge = judge_for(suite, project_settings(tmp_path), root=tmp_path)
    assert judge is not None
    with pytest.raises(JudgeError) as caught:
        judge.score(items(GOOD))
    assert str(missing) in str(caught.value) and "the judge model" in str(caught.value)


def test_an_interrupt_keeps_the_verdicts_that_came_back(tmp_path: Path) -> None:
    """Ctrl-C while one verdict is still on its way: the interrupt goes on up (the run ends as
    Ctrl-C ends it), and the verdicts already back are cached for the next run."""
    scripted = ScriptedJudge("fair", TABLE, slow_on=frozenset({BAD}), delay=30.0)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        timer = threading.Timer(2.0, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(GenerationInterrupted) as caught:
                judge.score(items(GOOD, WEAK, BAD))
        finally:
            timer.cancel()
        judge.close()
        assert len(caught.value.answered) == 2
        scripted.slow_on = frozenset()
        again = make_judge(tmp_path, url)
        judgments = again.score(items(GOOD, WEAK, BAD))
        again.close()
    assert (again.calls, again.cache_hits) == (1, 2)
    assert [j.scores for j in judgments] == [{"overall": 5}, {"overall": 3}, {"overall": 1}]


def test_the_noisy_script_scores_the_human_score_plus_its_known_noise(tmp_path: Path) -> None:
    """What the calibration tests rely on: each verdict is the table's score plus
    ``noise_for(answer)``, clipped to the scale, read back through the real parser."""
    answers = [f"answer {n}" for n in range(16)]
    human = {answer: 1 + n % 5 for n, answer in enumerate(answers)}
    scripted = ScriptedJudge("noisy", human, seed=7)
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        judgments = judge.score(items(*answers))
        judge.close()
    noise = [scripted.noise_for(answer) for answer in answers]
    assert set(noise) <= {-1, 0, 1} and any(noise)
    expected = [min(5, max(1, human[a] + n)) for a, n in zip(answers, noise, strict=True)]
    assert [j.scores for j in judgments] == [{"overall": s} for s in expected]
    assert [ScriptedJudge("noisy", human, seed=8).noise_for(a) for a in answers] != noise


def test_a_chinese_suite_is_judged_with_the_chinese_templates(tmp_path: Path) -> None:
    scripted = ScriptedJudge("fair", {"五天内退款。": 5, "不退款。": 1})
    with scripted.running() as url:
        judge = make_judge(tmp_path, url, extra="language: zh\n")
        judgments = judge.score(items("五天内退款。", "不退款。"))
        (pair_judgment,) = judge.compare([pair("五天内退款。", "不退款。")])
        judge.close()
    assert [j.scores for j in judgments] == [{"overall": 5}, {"overall": 1}]
    assert pair_judgment.outcome == "win"
    assert all("【回答" in prompt and "量表" in prompt for prompt in scripted.prompts())


def test_a_position_biased_judge_is_consistent_only_where_the_gap_beats_its_bias(
    tmp_path: Path,
) -> None:
    """It picks the first answer unless the second is better by 2 or more: clear pairs survive
    the swap, a close pair becomes a tie (inconsistent, both picks for the first position)."""
    scripted = ScriptedJudge("position_biased", TABLE, bias=2)
    close = WEAK + " Usually."  # not in the table: the default score, 3, like WEAK
    with scripted.running() as url:
        judge = make_judge(tmp_path, url)
        clear_win, clear_loss, near = judge.compare(
            [pair(GOOD, WEAK), pair(WEAK, GOOD), pair(WEAK, close)]
        )
        judge.close()
    assert (clear_win.outcome, clear_win.consistent) == ("win", True)
    assert (clear_loss.outcome, clear_loss.consistent) == ("loss", True)
    assert (near.outcome, near.consistent, near.first_picks) == ("tie", False, (2, 2))


def test_the_projects_judge_table_in_pyproject_judges_every_suite(tmp_path: Path) -> None:
    """``[tool.releasegate.judge]`` read from a real pyproject.toml: a suite without judge:
    gets the project's judge, and one with judge: lays its keys over it."""
    scripted = ScriptedJudge("fair", TABLE)
    with scripted.running() as url:
        pyproject = tmp_path / "pyproject.toml"
        pyproject.write_text(
            '[project]\nname = "demo"\n\n[tool.releasegate]\ncache_dir = "cache"\n\n'
            f'[tool.releasegate.judge]\nbackend = "openai"\nbase_url = "{url}"\n'
            'model = "judge-7b"\nmax_new_tokens = 32\n',
            encoding="utf-8",
        )
        settings = load_settings(read_table(pyproject), {}, root=tmp_path)
        plain = judge_for(judged_suite(tmp_path / "a", ""), settings, root=tmp_path)
        own = judge_for(judged_suite(tmp_path / "b", "max_new_tokens: 64"), settings, root=tmp_path)
        assert plain is not None and own is not None
        assert (plain.spec.base_url, plain.spec.max_new_tokens) == (url, 32)
        assert (own.spec.base_url, own.spec.max_new_tokens) == (url, 64)
        assert [j.scores for j in plain.score(items(GOOD))] == [{"overall": 5}]
        assert plain.cache_path == tmp_path / "cache" / "judge" / "verdicts.sqlite"
        plain.close()
        own.close()


def test_a_changed_served_model_misses_the_cache_though_the_url_and_name_are_the_same(
    tmp_path: Path,
) -> None:
    """A cached re-run still probes ``/models`` for the fingerprint (issue 24's speed work
    sends that probe without the SDK): other weights served under the same URL and name, which
    the server's entry tells, are judged again, never answered from the old verdicts."""
    scripted = ScriptedJudge("fair", TABLE)
    entry = {"id": "judge-7b", "root": "/models/judge-7b-v1", "owned_by": "vllm"}
    with scripted.running() as url:
        assert scripted.server is not None
        scripted.server.models = Reply(body=json.dumps({"data": [entry]}).encode())
        first = make_judge(tmp_path, url)
        first.score(items(GOOD, BAD))
        v1 = first.identity.fingerprint
        first.close()
        same = make_judge(tmp_path, url)
        same.score(items(GOOD, BAD))
        assert (same.identity.fingerprint, same.calls, same.cache_hits) == (v1, 0, 2)
        same.close()

        entry["root"] = "/models/judge-7b-v2"  # redeployed: same URL, same served name
        scripted.server.models = Reply(body=json.dumps({"data": [entry]}).encode())
        changed = make_judge(tmp_path, url)
        verdicts = changed.score(items(GOOD, BAD))
        assert changed.identity.fingerprint != v1
        assert (changed.calls, changed.cache_hits) == (2, 0)
        assert not any(j.cached for j in verdicts) and len(scripted.prompts()) == 4
        changed.close()
