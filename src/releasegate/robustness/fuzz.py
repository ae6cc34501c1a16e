"""The search for the smallest breaking change of one golden case (``releasegate fuzz``).

A *candidate* is a short sequence of steps, each a perturbation and which of its edits to make
on the text as the earlier steps left it (:class:`Step`). hypothesis draws candidates and
falsifies the property "the variant's answer passes the case's own check"; when one fails, it
shrinks it. hypothesis shrinks a candidate's choices in shortlex order: fewer steps first, then
earlier choices in each ``sampled_from``, then smaller integers. The search lays those out so
that smaller means a smaller change: the perturbations in the order of :data:`GENTLENESS`
(white space and letter forms before typos, typos before paraphrases), and a perturbation's
edits sorted by how much text they replace (its first edit is its smallest). An edit index is
drawn as an integer taken modulo the number of edits the step has on its text; a step with no
edit to make is dropped.

The search knows nothing of the engine: the caller brings an :data:`Answerer` (the model and the
prediction cache), and the budget counts the answers it had to generate (cached ones are free).
Once the budget is spent every new variant is rejected unasked: generation ends, a shrink
stops where it is, and :class:`FuzzResult` says the search was cut short (never a silent
"nothing found").

Reproducible: the search is derandomised (the same candidates in the same order on every run
and machine), and the failing candidates hypothesis keeps go to a database under
``<cache_dir>/fuzz/`` keyed by the suite, the case, its text and the search's parameters, so a
second run replays the saved smallest failure first; its answer is cached, so it costs nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..exceptions import ReleasegateError, UnknownNameError
from ..gate.judging import score_case
from ..golden.cases import GoldenCase
from ..golden.metrics import ScoredCase
from ..golden.suites import Suite

__all__ = [
    "GENTLENESS",
    "Answer",
    "Answerer",
    "Breaking",
    "FuzzError",
    "FuzzResult",
    "Step",
    "fuzz_case",
    "question_text",
    "variant_input",
]

GENTLENESS = (
    "width",
    "case",
    "whitespace",
    "zero_width",
    "punctuation",
    "script",
    "typo",
    "homophone",
    "paraphrase",
)
"""The perturbations from the smallest change to the largest: the order hypothesis shrinks
towards (a perturbation not named here comes after these, in the order it was given)."""

_INDEX_LIMIT = 2**16 - 1
"""The largest edit index drawn (taken modulo the number of edits the step has)."""


class FuzzError(ReleasegateError):
    """The search cannot start: an unknown perturbation, no budget, an original that fails."""


class EditLike(Protocol):
    """An edit as a perturbation makes it: replace ``text[start:end]`` by :attr:`text`."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...


class Perturbing(Protocol):
    """What the search needs of a perturbation: every single edit it can make on a text."""

    def edits(self, text: str, language: str) -> Sequence[EditLike]: ...


@dataclass(frozen=True)
class Answer:
    """The model's answer to one case, and whether it came from the prediction cache."""

    text: str
    cached: bool
    """Read from the cache (an earlier run's answer): costs no model call."""
    output_tokens: int | None = None


Answerer = Callable[[Sequence[GoldenCase]], Mapping[str, Answer]]
"""The caller's model: answers to cases (all of the case's suite) by case key. A case left out
is an error (the search stops and raises it)."""


@dataclass(frozen=True)
class Step:
    """One edit of one perturbation, made on the text as the steps before it left it."""

    perturbation: str
    index: int
    """Which of the perturbation's edits (sorted smallest first) on that text."""
    start: int
    end: int
    old: str
    """The text replaced (``text[start:end]`` before the edit)."""
    new: str


@dataclass(frozen=True)
class Breaking:
    """The smallest breaking change found: a variant of the case whose answer fails."""

    variant: GoldenCase
    text: str
    """The perturbed question (the text of the last ``user`` message for a chat case)."""
    steps: tuple[Step, ...]
    answer: str
    scored: ScoredCase

    @property
    def reason(self) -> str:
        """Why the answer fails the case's check (the check's own words)."""
        return self.scored.result.reason


@dataclass(frozen=True)
class FuzzResult:
    """What one search did, found or not, and how much of the budget it used."""

    case: GoldenCase
    original_text: str
    original_answer: str
    perturbations: tuple[str, ...]
    """The perturbations searched, in shrinking order (smallest change first)."""
    found: Breaking | None
    calls: int
    """Answers generated by the model (the budget's unit)."""
    cached: int
    """Answers read from the prediction cache (free)."""
    budget: int
    exhausted: bool
    """The budget stopped the search (or the shrinking of what it found): had it been larger,
    a breaking change (or a smaller one) might have been found."""
    variants: int
    """Distinct variant texts answered."""
    replayed: bool
    """The first candidate tried was the failure a previous search saved in the database."""
    database: Path

    @property
    def complete(self) -> bool:
        """Whether the search ran to its end within the budget."""
        return not self.exhausted


def question_text(case: GoldenCase) -> str:
    """The text a perturbation changes: a str input, or the last ``user`` message's content."""
    if isinstance(case.input, str):
        return case.input
    for message in reversed(case.input):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    raise FuzzError(
        f"case '{case.id}' ({case.source}) has no user message to perturb: give it one, or "
        "fuzz another case"
    )


def variant_input(case: GoldenCase, text: str) -> str | tuple[Mapping[str, str], ...]:
    """*case*'s input with its question (:func:`question_text`) replaced by *text*; the other
    messages of a chat case as they are."""
    if isinstance(case.input, str):
        return text
    messages = list(case.input)
    for position in range(len(messages) - 1, -1, -1):
        if messages[position].get("role") == "user":
            messages[position] = {**messages[position], "content": text}
            break
    return tuple(messages)


def search_order(names: Sequence[str]) -> tuple[str, ...]:
    """*names* once each, smallest change first (:data:`GENTLENESS`): the order hypothesis
    shrinks a step's perturbation towards."""
    rank = {name: position for position, name in enumerate(GENTLENESS)}
    unique = list(dict.fromkeys(names))
    return tuple(sorted(unique, key=lambda name: rank.get(name, len(GENTLENESS))))


def _size(edit: EditLike) -> int:
    """How much an edit changes: the longer of what it removes and what it writes."""
    return max(edit.end - edit.start, len(edit.text))


def database_key(suite: Suite, case: GoldenCase, names: Sequence[str], max_steps: int) -> bytes:
    """The search's key in the database: the suite, the case, its question and the search's
    parameters (not the budget: a larger one replays and goes on from what a smaller found)."""
    described = {
        "suite": suite.name,
        "case": case.id,
        "question": question_text(case),
        "language": suite.language,
        "perturbations": list(names),
        "max_steps": max_steps,
    }
    return hashlib.sha256(
        json.dumps(described, ensure_ascii=False, sort_keys=True).encode()
    ).digest()


class _Search:
    """The property hypothesis falsifies, with what it costs: the answers (by variant text,
    each asked once), the model calls against the budget, and the first error met."""

    def __init__(
        self,
        suite: Suite,
        case: GoldenCase,
        answerer: Answerer,
        perturbing: Mapping[str, Perturbing],
        *,
        budget: int,
    ) -> None:
        self.suite = suite
        self.case = case
        self.answerer = answerer
        self.perturbing = perturbing
        self.budget = budget
        self.question = question_text(case)
        self.calls = 0
        self.cached = 0
        self.exhausted = False
        self.error: Exception | None = None
        self.outcomes: list[bool] = []
        """Whether each candidate evaluated broke the case, in order."""
        self._edits: dict[tuple[str, str], tuple[EditLike, ...]] = {}
        self._answers: dict[str, Answer] = {}

    def edits(self, text: str, name: str) -> tuple[EditLike, ...]:
        """Every edit *name* can make on *text*, smallest first (ties in the perturbation's
        own order)."""
        key = (name, text)
        if key not in self._edits:
            found = self.perturbing[name].edits(text, self.suite.language)
            self._edits[key] = tuple(sorted(found, key=_size))
        return self._edits[key]

    def apply(self, drawn: Sequence[tuple[str, int]]) -> tuple[str, tuple[Step, ...]]:
        """The text the drawn steps make, and the steps that changed something."""
        text = self.question
        steps: list[Step] = []
        for name, drawn_index in drawn:
            edits = self.edits(text, name)
            if not edits:
                continue  # nothing this perturbation can do here: the step is dropped
            index = drawn_index % len(edits)
            edit = edits[index]
            old = text[edit.start : edit.end]
            steps.append(Step(name, index, edit.start, edit.end, old, edit.text))
            text = text[: edit.start] + edit.text + text[edit.end :]
        return text, tuple(steps)

    def variant(self, text: str, steps: Sequence[Step]) -> GoldenCase:
        """The case with its question replaced: judged by the original's check
        (:meth:`Suite.check_for` of ``variant_of``); its id names the text, so one text is one
        cached answer whatever steps made it."""
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        return dataclasses.replace(
            self.case,
            id=f"{self.case.id}~fuzz-{digest}",
            test_id="",
            input=variant_input(self.case, text),
            tags=(*self.case.tags, "variant"),
            variant_of=self.case.id,
            perturbation="+".join(dict.fromkeys(step.perturbation for step in steps)),
        )

    def answer(self, case: GoldenCase) -> Answer:
        """The model's answer to *case*, counted as a call or a cached answer."""
        got = self.answerer([case]).get(case.key)
        if got is None:
            raise FuzzError(f"{case.key}: the model gave no answer; the search stops")
        if got.cached:
            self.cached += 1
        else:
            self.calls += 1
        return got

    def score(self, case: GoldenCase, answer: Answer) -> ScoredCase:
        return score_case(self.suite, case, answer.text, output_tokens=answer.output_tokens)

    def breaks(self, drawn: Sequence[tuple[str, int]]) -> bool:
        """The property's negation: whether the drawn steps make a variant whose answer fails
        (an unscored answer is no pass). A variant not yet answered once the budget is spent,
        and every candidate after an error, is rejected: hypothesis counts it as no example."""
        from hypothesis import reject

        if self.error is not None:
            reject()
        text, steps = self.apply(drawn)
        if text == self.question:
            self.outcomes.append(False)
            return False
        if text not in self._answers:
            if self.calls >= self.budget:
                self.exhausted = True
                reject()
            try:
                self._answers[text] = self.answer(self.variant(text, steps))
            except Exception as exc:  # raised again once hypothesis has returned
                self.error = exc
                reject()
        variant = self.variant(text, steps)
        broke = not self.score(variant, self._answers[text]).result.passed
        self.outcomes.append(broke)
        return broke

    @property
    def variants(self) -> int:
        return len(self._answers)

    def breaking(self, drawn: Sequence[tuple[str, int]]) -> Breaking:
        text, steps = self.apply(drawn)
        variant = self.variant(text, steps)
        answer = self._answers[text]
        return Breaking(variant, text, steps, answer.text, self.score(variant, answer))


def _perturbations() -> Mapping[str, Perturbing]:
    from .perturbations import PERTURBATIONS

    return PERTURBATIONS


def _suite_perturbations(suite: Suite) -> tuple[str, ...]:
    """The perturbations the suite's ``robustness:`` lists, or () without one."""
    listed = getattr(suite.robustness, "perturbations", None) or ()
    return tuple(getattr(item, "name", item) for item in listed)


def fuzz_case(
    suite: Suite,
    case: GoldenCase,
    answerer: Answerer,
    *,
    cache_dir: Path,
    perturbations: Sequence[str] = (),
    max_calls: int = 50,
    max_steps: int = 3,
    max_examples: int = 1000,
    available: Mapping[str, Perturbing] | None = None,
) -> FuzzResult:
    """Search for the smallest change of *case*'s question, made of at most *max_steps* edits of
    *perturbations* (default: the suite's ``robustness:`` list, else every one), whose answer
    fails the case's check, asking *answerer* for at most *max_calls* answers not in the cache.

    Raises :class:`FuzzError` before asking the model anything for an unknown perturbation, a
    budget or step count below 1, a variant given for a case, or a question none of the
    perturbations can change; and after one answer when the original itself fails (there is
    nothing to break). An error of *answerer* stops the search and is raised as it is.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, find, settings
    from hypothesis import strategies as st
    from hypothesis.database import DirectoryBasedExampleDatabase
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    perturbing = _perturbations() if available is None else available
    names = search_order(perturbations or _suite_perturbations(suite) or tuple(perturbing))
    for name in names:
        if name not in perturbing:
            raise UnknownNameError("perturbation", name, perturbing, where="releasegate fuzz")
    if max_calls < 1:
        raise FuzzError(
            f"--max-calls {max_calls}: the search needs at least one model call; give a "
            "positive number (answers already in the prediction cache are free)"
        )
    if max_steps < 1:
        raise FuzzError(
            f"--max-steps {max_steps}: a variant needs at least one step; give 1 or more"
        )
    if case.variant_of:
        raise FuzzError(
            f"case '{case.id}' is a robustness variant of '{case.variant_of}': fuzz the case "
            f"its author wrote (--case {case.variant_of})"
        )
    search = _Search(suite, case, answerer, perturbing, budget=max_calls)
    if not any(search.edits(search.question, name) for name in names):
        raise FuzzError(
            f"case '{case.id}' ({case.source}): none of the perturbations "
            f"{', '.join(names)} can change its question; name others with --perturbation"
        )
    original = search.answer(case)
    scored = search.score(case, original)
    if not scored.result.passed:
        raise FuzzError(
            f"case '{case.id}' ({case.source}) already fails on this model "
            f"({scored.result.reason}): there is nothing to break; fix the case or the model "
            "first, or fuzz a case that passes"
        )

    folder = cache_dir / "fuzz"
    database = DirectoryBasedExampleDatabase(folder)
    key = database_key(suite, case, names, max_steps)
    saved = any(True for _ in database.fetch(key))
    # derandomize=True implies no database when both are given at once; the search wants both
    # (the same candidates every run, and the saved failure replayed first), so the database
    # is set on settings derived from the derandomised ones. Health checks are off: a model
    # call is slow (too_slow), and a spent budget rejects every new variant (filter_too_much).
    derandomised = settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=max_examples,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    steps = st.lists(
        st.tuples(st.sampled_from(names), st.integers(min_value=0, max_value=_INDEX_LIMIT)),
        min_size=1,
        max_size=max_steps,
    )
    found: Breaking | None = None
    try:
        drawn = find(
            steps,
            search.breaks,
            settings=settings(derandomised, database=database),
            database_key=key,
        )
    except (NoSuchExample, Unsatisfiable):
        pass
    else:
        found = search.breaking(drawn)
    if search.error is not None:
        raise search.error
    return FuzzResult(
        case=case,
        original_text=search.question,
        original_answer=original.text,
        perturbations=names,
        found=found,
        calls=search.calls,
        cached=search.cached,
        budget=max_calls,
        exhausted=search.exhausted,
        variants=search.variants,
        replayed=saved and search.outcomes[:1] == [True],
        database=folder,
    )
