# ruff: noqa: RUF001  (a Chinese question and its full-width punctuation)
"""The search for the smallest breaking change (:mod:`releasegate.robustness.fuzz`): real
perturbations, a real suite and check, and an answering function written here whose rule is
known, so what the search finds can be checked against what it must find.

The answerer is a legitimate stand-in for a model: the property under test is the search (what
it shrinks to, what the budget stops, what it replays), which needs a model whose failures are
known in advance; the search on the real default model is tested through the command line in
``test_fuzz_cli.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from releasegate.exceptions import BackendError, UnknownNameError
from releasegate.golden.cases import GoldenCase
from releasegate.golden.suites import Suite, load_suite
from releasegate.robustness.appending import fuzzed_id
from releasegate.robustness.commands import report_lines
from releasegate.robustness.fuzz import (
    GENTLENESS,
    Answer,
    FuzzError,
    fuzz_case,
    search_order,
)
from releasegate.robustness.noise import ZERO_WIDTH
from tiny_project import contains_suite

SCHEMAS = Path(__file__).resolve().parents[2] / "fixtures" / "schemas"
QUESTION = "How do I return shoes I bought?"
WORDS = set(re.findall(r"[a-z]+", QUESTION.lower()))


class RuleAnswerer:
    """Answers "a refund" (the expected keyword) unless the question holds a zero-width
    character or a mistyped word (a Latin word, case aside, that the original question does not
    have): then "no idea". A stand-in for a model whose failures are known (see the module
    docstring). It keeps the answers it gave, as the prediction cache does: a question asked
    again is answered from there (``cached``)."""

    def __init__(self, *, breaks: Callable[[str], bool] | None = None) -> None:
        self.breaks = breaks or self.default_rule
        self.asked: list[str] = []
        self.store: dict[str, str] = {}

    @staticmethod
    def default_rule(question: str) -> bool:
        words = set(re.findall(r"[a-z]+", question.lower()))
        return any(char in question for char in ZERO_WIDTH) or not words <= WORDS

    def __call__(self, cases: Sequence[GoldenCase]) -> dict[str, Answer]:
        out = {}
        for case in cases:
            question = case.input if isinstance(case.input, str) else case.input[-1]["content"]
            cached = question in self.store
            if not cached:
                self.asked.append(question)
                self.store[question] = "no idea" if self.breaks(question) else "a refund"
            out[case.key] = Answer(self.store[question], cached=cached)
        return out


@pytest.fixture
def suite(tmp_path: Path) -> Suite:
    (tmp_path / "golden").mkdir()
    return contains_suite(
        tmp_path / "golden",
        [
            {"id": "return", "input": QUESTION, "expected": "refund", "tags": ["faq"]},
            {"id": "zh", "input": "怎么退货？", "expected": "退款"},
            {"id": "wrong", "input": "Where is my parcel?", "expected": "tracking"},
        ],
        suite="shop",
    )


def search(
    suite: Suite,
    answerer: RuleAnswerer,
    cache: Path,
    *,
    case: str = "return",
    perturbations: Sequence[str] = ("zero_width", "typo", "whitespace", "case"),
    max_calls: int = 50,
    max_steps: int = 3,
):  # type: ignore[no-untyped-def]
    return fuzz_case(
        suite,
        suite.case(case),
        answerer,
        cache_dir=cache,
        perturbations=perturbations,
        max_calls=max_calls,
        max_steps=max_steps,
    )


def test_the_search_shrinks_to_one_step_of_the_gentlest_perturbation_that_breaks(
    suite: Suite, tmp_path: Path
) -> None:
    answerer = RuleAnswerer()
    result = search(suite, answerer, tmp_path / "cache")
    assert result.found is not None
    # case and whitespace changes never break this answerer; zero_width is the first one that
    # does in the shrinking order, and its first (smallest) edit already breaks it
    assert result.perturbations == search_order(("zero_width", "typo", "whitespace", "case"))
    assert [step.perturbation for step in result.found.steps] == ["zero_width"]
    step = result.found.steps[0]
    assert (step.index, step.start, step.end, step.old) == (0, 1, 1, "")
    assert result.found.text == QUESTION[:1] + step.new + QUESTION[1:]
    assert result.found.answer == "no idea"
    assert "refund" in result.found.reason  # the contains check's own words
    assert result.found.variant.variant_of == "return"
    assert result.found.variant.perturbation == "zero_width"
    assert result.found.variant.expected == "refund"
    assert not result.exhausted and result.calls == len(answerer.asked)


def test_with_typos_alone_it_shrinks_to_one_typo_at_the_smallest_edit(
    suite: Suite, tmp_path: Path
) -> None:
    result = search(suite, RuleAnswerer(), tmp_path / "cache", perturbations=["typo"])
    assert result.found is not None
    assert [(s.perturbation, s.index) for s in result.found.steps] == [("typo", 0)]


def test_a_change_that_breaks_only_in_combination_is_found_with_both_steps(
    suite: Suite, tmp_path: Path
) -> None:
    def typo_and_zero_width(question: str) -> bool:  # a zero-width character AND a typo
        visible = "".join(char for char in question if char not in ZERO_WIDTH)
        mistyped = not set(re.findall(r"[a-z]+", visible.lower())) <= WORDS
        return visible != question and mistyped

    result = search(
        suite,
        RuleAnswerer(breaks=typo_and_zero_width),
        tmp_path / "cache",
        perturbations=["zero_width", "typo"],
        max_calls=200,
    )
    assert result.found is not None
    assert sorted(s.perturbation for s in result.found.steps) == ["typo", "zero_width"]


def test_the_gentleness_order_puts_invisible_changes_before_typos_and_paraphrases() -> None:
    assert search_order(["paraphrase", "typo", "width", "typo"]) == ("width", "typo", "paraphrase")
    assert GENTLENESS.index("zero_width") < GENTLENESS.index("typo")


def test_the_budget_stops_the_search_and_it_says_so(suite: Suite, tmp_path: Path) -> None:
    answerer = RuleAnswerer(breaks=lambda question: False)  # nothing breaks it
    result = search(suite, answerer, tmp_path / "cache", max_calls=5)
    assert result.found is None
    assert result.exhausted and not result.complete
    assert result.calls == 5 == len(answerer.asked)  # the original and four variants
    printed = "\n".join(report_lines(suite, result))
    assert "no breaking change found before the budget of 5 model calls ran out" in printed
    assert "search is incomplete" in printed
    assert "model calls: 5 of 5 (budget spent)" in printed


def test_a_search_that_runs_to_its_end_says_it_is_complete(suite: Suite, tmp_path: Path) -> None:
    answerer = RuleAnswerer(breaks=lambda question: False)
    result = search(suite, answerer, tmp_path / "cache", perturbations=["punctuation"], max_steps=1)
    punctuation_edits = 7  # what the perturbation offers on this question (one '?')
    assert result.found is None and result.complete
    assert 1 <= result.variants <= punctuation_edits
    assert result.calls == result.variants + 1  # and the original
    assert "the search ran to its end" in "\n".join(report_lines(suite, result))


def test_cached_answers_are_free(suite: Suite, tmp_path: Path) -> None:
    answerer = RuleAnswerer(breaks=lambda question: False)
    first = search(suite, answerer, tmp_path / "one", max_calls=6)
    # the same search again (another database, so from scratch): the six answers it got are
    # in the cache and cost nothing, so the same budget takes it six variants further
    second = search(suite, answerer, tmp_path / "two", max_calls=6)
    assert first.calls == 6 and first.exhausted
    assert second.cached == 6 and second.calls == 6
    assert second.variants == first.variants + 6


def test_two_searches_find_the_same_and_the_second_replays_from_the_database(
    suite: Suite, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    answerer = RuleAnswerer()
    first = search(suite, answerer, cache, perturbations=["typo", "case"])
    assert first.found is not None and not first.replayed
    assert any((cache / "fuzz").iterdir())  # the database is kept under the cache folder
    second = search(suite, answerer, cache, perturbations=["typo", "case"])
    assert second.found is not None
    assert second.found.text == first.found.text and second.found.steps == first.found.steps
    assert second.replayed  # the saved failure was the first candidate tried
    assert second.calls == 0  # its answer (and the original's) came from the cache
    # derandomised: a fresh database and a fresh model make the same search
    third = search(suite, RuleAnswerer(), tmp_path / "elsewhere", perturbations=["typo", "case"])
    assert third.found is not None and third.found.steps == first.found.steps
    assert not third.replayed and third.calls == first.calls


def test_an_original_that_fails_is_refused_before_any_search(suite: Suite, tmp_path: Path) -> None:
    answerer = RuleAnswerer()
    with pytest.raises(FuzzError, match=r"already fails .*nothing to break"):
        search(suite, answerer, tmp_path / "cache", case="wrong")
    assert answerer.asked == ["Where is my parcel?"]  # the original only
    assert not (tmp_path / "cache" / "fuzz").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"perturbations": ["tpyo"]}, r"unknown perturbation 'tpyo'.*Did you mean 'typo'"),
        ({"max_calls": 0}, r"--max-calls 0: the search needs at least one model call"),
        ({"max_calls": -3}, r"--max-calls -3"),
        ({"max_steps": 0}, r"--max-steps 0"),
    ],
)
def test_bad_input_is_refused_before_the_model_is_asked(
    suite: Suite, tmp_path: Path, options: dict[str, object], message: str
) -> None:
    answerer = RuleAnswerer()
    with pytest.raises((FuzzError, UnknownNameError), match=message):
        search(suite, answerer, tmp_path / "cache", **options)  # type: ignore[arg-type]
    assert answerer.asked == []


def test_a_question_no_perturbation_can_change_is_refused_saying_why(
    suite: Suite, tmp_path: Path
) -> None:
    with pytest.raises(FuzzError, match=r"'typo' makes no change to it: .*Latin"):
        search(suite, RuleAnswerer(), tmp_path / "cache", case="zh", perturbations=["typo"])


def test_a_variant_is_refused_as_the_case_to_fuzz(suite: Suite, tmp_path: Path) -> None:
    import dataclasses

    variant = dataclasses.replace(suite.case("return"), id="return~typo-1", variant_of="return")
    with pytest.raises(FuzzError, match=r"fuzz the case its author wrote \(--case return\)"):
        fuzz_case(suite, variant, RuleAnswerer(), cache_dir=tmp_path)


def test_an_error_of_the_model_stops_the_search_at_once(suite: Suite, tmp_path: Path) -> None:
    calls: list[str] = []

    def failing(cases: Sequence[GoldenCase]) -> dict[str, Answer]:
        calls.append(cases[0].id)
        if cases[0].variant_of:
            raise BackendError("the endpoint went away")
        return {cases[0].key: Answer("a refund", cached=False)}

    with pytest.raises(BackendError, match="went away"):
        fuzz_case(suite, suite.case("return"), failing, cache_dir=tmp_path)
    assert len(calls) == 2  # the original, then one variant: nothing after the error


def test_a_chat_case_has_its_last_user_message_perturbed(tmp_path: Path) -> None:
    messages = [
        {"role": "system", "content": "You are a shop assistant."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi, how can I help?"},
        {"role": "user", "content": QUESTION},
    ]
    (tmp_path / "golden").mkdir()
    chat = contains_suite(
        tmp_path / "golden",
        [{"id": "chat", "input": messages, "expected": "refund"}],
        suite="chat",
    )
    result = fuzz_case(
        chat,
        chat.case("chat"),
        RuleAnswerer(),
        cache_dir=tmp_path / "cache",
        perturbations=["zero_width"],
    )
    assert result.found is not None
    made = result.found.variant.input
    assert isinstance(made, tuple)
    assert [dict(m) for m in made[:3]] == messages[:3]
    assert made[3]["content"] == result.found.text != QUESTION


def test_the_suites_robustness_list_is_searched_by_default(tmp_path: Path) -> None:
    (tmp_path / "shop.jsonl").write_text(
        '{"id": "return", "input": "How do I return shoes I bought?", "expected": "refund"}\n',
        encoding="utf-8",
    )
    (tmp_path / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\n"
        "robustness: {perturbations: [typo, case], variants: 1}\n",
        encoding="utf-8",
    )
    suite = load_suite(tmp_path / "shop.yaml", schemas_dir=SCHEMAS)
    result = fuzz_case(suite, suite.case("return"), RuleAnswerer(), cache_dir=tmp_path / "cache")
    assert result.perturbations == ("case", "typo")  # the suite's list, smallest change first
    assert result.found is not None and result.found.steps[0].perturbation == "typo"
    # the variants the suite makes (return~typo-1, return~case-1) are not a fuzzed case's id
    assert fuzzed_id(suite, suite.case("return")) == "return~fuzz-1"


def test_an_original_that_cannot_be_judged_is_refused_saying_why(tmp_path: Path) -> None:
    (tmp_path / "shop.jsonl").write_text(
        '{"id": "short", "input": "How do I return shoes?", "expected": "refund",'
        ' "assert": [{"type": "length", "max": 50, "unit": "tokens"}]}\n',
        encoding="utf-8",
    )
    (tmp_path / "shop.yaml").write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\n", encoding="utf-8"
    )
    suite = load_suite(tmp_path / "shop.yaml", schemas_dir=SCHEMAS)
    answerer = RuleAnswerer()  # says no token count: a length in tokens is unscored
    with pytest.raises(FuzzError, match=r"cannot be judged here .*no change can be seen"):
        fuzz_case(suite, suite.case("short"), answerer, cache_dir=tmp_path / "cache")
