"""The test of ``judge_win_rate``: this run's answers against the baseline's, judged in pairs.

For each case the baseline answered, this run's answer (the candidate) and the baseline's are
shown to the judge in both orders (:class:`~.types.PairJudgment`): a win or a loss only when
both orders agree, a tie otherwise, so a judge that always picks the first answer gives ties,
never wins. A case answered exactly as in the baseline is a tie without a judge call. The value
is the mean over the scored pairs of 1 (win), 0.5 (tie), 0 (loss): 0.5 is "as good as the
baseline".

**The rule (non-inferiority, one-sided, paired).** The candidate may be worse than the baseline
by at most ``margin`` (0.05 unless the metric or the judge says otherwise): the test **fails
when the data show, at the run's alpha, that the win rate is below 0.5 - margin**. It is the
project's one no-drop rule (:func:`releasegate.gate.rule.judge_drop`) applied to the win rate
against 0.5 with ``max_drop = margin``: both

1. the paired test against "as good" is significant: the per-pair differences from 0.5 (+0.5
   a win, -0.5 a loss, 0 a tie) get the sign-flip permutation test
   (:func:`releasegate.core.stats.compare_per_item`); with values of ±0.5 and 0 it is exactly
   the sign test of wins against losses (ties carry no sign), exact up to
   :data:`~releasegate.core.stats.EXACT_FLIPS` decided pairs; and
2. the one-sided (1 - alpha) upper bound of the win rate (the paired bootstrap's) lies below
   0.5 - margin.

Why not "fail when the observed win rate is below 0.5 - margin": on a few dozen pairs the
observed rate falls below 0.45 by chance alone for an equal model (the reason the no-drop rule
asks for the bound, ``docs/baselines-and-gates.md``); a true win rate anywhere in
[0.5 - margin, 0.5] fails at most alpha of the time. Why the sign test: it needs no model of
the judge's verdicts, holds its level at every size, and ties (the judge's indecision, and
its position bias turned into ties) cannot move it. Its price: a suite whose every pair could
be a loss without the bound clearing the margin cannot fail, and the message says so.

Without a baseline the test fails saying to record one; a ``max_drop`` on it (a no-drop test
of a comparison that already is one with the baseline) fails saying to use ``margin``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.display import shorten
from ..core.records import Flip
from ..core.stats import PairedComparison, compare_per_item
from ..gate.comparisons import MetricOutcome, judge_bar
from ..gate.rule import judge_drop
from ..golden.metric_types import MetricValue
from .bars import Unscored, advisory_outcome, judge_at_hand, read_nothing, unscored_bar
from .items import pair_item
from .types import PairItem, PairJudgment

if TYPE_CHECKING:
    from ..gate.verdicts import MetricResult, SelfGateRequest

__all__ = ["NonInferiority", "WinTally", "gate_win_rate", "non_inferiority", "tally_pairs"]

AS_GOOD = 0.5
"""The win rate of a candidate exactly as good as the baseline."""


@dataclass(frozen=True)
class WinTally:
    """What the judge said of a suite's pairs."""

    values: Mapping[str, float]
    """Case id -> 1 (win), 0.5 (tie, identical answers included), 0 (loss); scored pairs only."""
    wins: int
    losses: int
    ties: int
    """Ties the judge gave (in either order, or a verdict that flipped with the order)."""
    identical: int
    """Cases answered exactly as in the baseline: ties without a judge call."""
    compared: int
    """Pairs sent to the judge (both orders each)."""
    consistent: int
    """Scored compared pairs whose verdict survived the swap."""
    first_picks: int
    """Verdicts (one per order) that picked the answer shown first."""
    decided: int
    """Verdicts (one per order) that picked either answer."""
    unscored: tuple[Unscored, ...]

    @property
    def scored(self) -> int:
        return len(self.values)

    @property
    def value(self) -> float:
        """The win rate (ties half); NaN when nothing was scored."""
        return math.fsum(self.values.values()) / len(self.values) if self.values else math.nan

    def details(self) -> dict[str, float]:
        """The value's details: counts, position consistency (the share of scored compared
        pairs whose verdict survives the swap) and first-position pick rate (the share of
        decided verdicts that picked the answer shown first: 0.5 for a judge without position
        bias, 1 for one that always picks the first); a rate of nothing is left out."""
        judged = self.compared - len(self.unscored)
        out = {
            "pairs": float(self.compared),
            "identical": float(self.identical),
            "wins": float(self.wins),
            "losses": float(self.losses),
            "ties": float(self.ties),
            "unscored": float(len(self.unscored)),
        }
        if judged:
            out["position_consistency"] = self.consistent / judged
        if self.decided:
            out["first_position_rate"] = self.first_picks / self.decided
        return out


def tally_pairs(case_ids: Sequence[str], judgments: Sequence[PairJudgment | None]) -> WinTally:
    """The tally of *judgments* (None: the answers were identical, a tie without a call)."""
    values: dict[str, float] = {}
    counts = {"win": 0, "loss": 0, "tie": 0}
    identical = compared = consistent = first = decided = 0
    unscored: list[Unscored] = []
    for case_id, judgment in zip(case_ids, judgments, strict=True):
        if judgment is None:
            identical += 1
            values[case_id] = AS_GOOD
            continue
        compared += 1
        if judgment.unscored:
            for verdict in (judgment.candidate_first, judgment.baseline_first):
                if verdict.winner is None:
                    unscored.append(Unscored(case_id, verdict.raw, verdict.reason))
                    break
            continue
        value = judgment.value
        assert value is not None
        values[case_id] = value
        counts[judgment.outcome] += 1
        consistent += bool(judgment.consistent)
        picked_first, picked = judgment.first_picks
        first += picked_first
        decided += picked
    return WinTally(
        values,
        counts["win"],
        counts["loss"],
        counts["tie"],
        identical,
        compared,
        consistent,
        first,
        decided,
        tuple(unscored),
    )


@dataclass(frozen=True)
class NonInferiority:
    """The verdict of the module's rule on one suite's pairs."""

    comparison: PairedComparison
    """The win rate against 0.5 (as good): the sign test's p-value, the bootstrap interval."""
    failed: bool
    """Shown worse than the baseline by more than the margin at level alpha."""
    reason: str
    """Why it failed, in words ("" when it did not)."""
    blind: str
    """Non-empty when the suite is too small for the test ever to fail: what to do."""


def non_inferiority(
    values: Sequence[float], *, margin: float, alpha: float, samples: int, seed: int = 0
) -> NonInferiority:
    """The module's rule on the per-pair *values* (1, 0.5, 0): is the candidate shown worse
    than the baseline by more than *margin* at level *alpha*?"""
    wins = sum(1 for v in values if v > AS_GOOD)
    losses = sum(1 for v in values if v < AS_GOOD)
    comparison = compare_per_item(
        [AS_GOOD] * len(values),
        list(values),
        higher_is_better=True,
        samples=samples,
        seed=seed,
        confidence=1 - 2 * alpha,
        worse=losses,
        better=wins,
        where="judge_win_rate",
    )
    verdict = judge_drop(comparison, max_drop=margin, alpha=alpha, higher_is_better=True)
    reason = ""
    if verdict.failed:
        reason = (
            f"the win rate is significantly below {AS_GOOD - margin:g} (0.5 - margin "
            f"{margin:g}): sign test p={comparison.p_value:.2g} < alpha {alpha:g}, and at "
            f"{1 - alpha:.0%} it is at most {AS_GOOD - verdict.least:.4g}"
        )
    return NonInferiority(comparison, verdict.failed, reason, verdict.blind)


def _message(label: str, tally: WinTally, margin: float, test: NonInferiority) -> str:
    head = (
        f"{label} = {tally.value:.4g} against the baseline's answers (0.5: as good; margin "
        f"{margin:g}): {tally.wins} win(s), {tally.losses} loss(es), {tally.ties} tie(s), "
        f"{tally.identical} identical, of {tally.scored} pair(s)"
    )
    lines = [head + (f": {test.reason}" if test.failed else "")]
    details = tally.details()
    if "position_consistency" in details:
        rate = details.get("first_position_rate")
        lines.append(
            f"  position consistency {details['position_consistency']:.0%} of the "
            f"{tally.compared - len(tally.unscored)} judged pair(s); first-position pick rate "
            + ("-" if rate is None else f"{rate:.0%}")
        )
    if test.blind:
        lines.append(f"  {test.blind}")
    return "\n".join(lines)


def gate_win_rate(margin: float | None, request: SelfGateRequest) -> MetricResult:
    """The test of ``judge_win_rate`` (module doc); raises
    :class:`~releasegate.exceptions.JudgeError` when the judge cannot be reached."""
    from ..gate.verdicts import MetricResult  # gate.verdicts imports nothing of the judge

    suite, spec = request.suite, request.spec
    label = f"{suite.name}::{spec.name}"
    judge = judge_at_hand(request)
    margin = judge.margin if margin is None else margin
    empty = MetricValue(0.0, (), {}, ())
    if request.test == "no_drop":
        outcome = MetricOutcome(
            False,
            f"{label}: the win rate is already a comparison with the baseline; remove its "
            f"max_drop from the manifest and set how much worse it may be with margin: "
            f"(now {margin:g})",
        )
        outcome = advisory_outcome(outcome, judge.status, judge.notes)
        return MetricResult(suite.name, spec, request.test, empty, outcome, None)
    if request.baseline is None:
        outcome = MetricOutcome(
            False,
            f"{label}: no baseline to compare this run's answers with; record one: pytest "
            f"model_tests --suite {suite.name} --update-baseline",
        )
        outcome = advisory_outcome(outcome, judge.status, judge.notes)
        return MetricResult(suite.name, spec, request.test, empty, outcome, None)
    baseline_answers = {k: v.answer for k, v in request.baseline.cases.items()}
    paired = [item for item in request.scored if item.case_id in baseline_answers]
    items = [
        pair_item(suite.case(item.case_id), item.answer, baseline_answers[item.case_id])
        for item in paired
    ]
    differing = [item for item in items if item.candidate != item.baseline]
    verdicts = iter(judge.runner.compare(differing))
    judgments = [next(verdicts) if item.candidate != item.baseline else None for item in items]
    tally = tally_pairs([item.case_id for item in items], judgments)
    details = {**tally.details(), "not_in_baseline": float(len(request.scored) - len(items))}
    ids = tuple(tally.values)
    value = MetricValue(
        tally.value if tally.values else 0.0, tuple(tally.values.values()), details, ids
    )
    refused = unscored_bar(label, tally.unscored, tally.compared, judge.max_unscored)
    if refused is None and not tally.values:
        refused = read_nothing(label, len(request.scored), "cases' pairs with the baseline")
    if refused is not None:
        outcome = advisory_outcome(refused, judge.status, judge.notes)
        return MetricResult(suite.name, spec, request.test, value, outcome, AS_GOOD)
    test = non_inferiority(
        list(tally.values.values()), margin=margin, alpha=request.alpha, samples=request.samples
    )
    answers = {item.case_id: item.candidate for item in items}
    lines = [_message(label, tally, margin, test)]
    passed = not test.failed
    if spec.min is not None or spec.max is not None:
        bar = judge_bar(suite.name, spec, value, list(ids), answers)
        passed = passed and bar.passed
        if not bar.passed:
            lines.append(bar.message)
    flips = _flips(items, tally)
    if test.failed:
        lost = [flip for flip in flips if flip.direction == "worse"]
        lines.append(f"  lost to the baseline ({len(lost)}):")
        for flip in lost[:10]:
            before, now = shorten(flip.before_answer, 60), shorten(flip.now_answer, 60)
            lines.append(f"    {flip.item:<28} {before!r} -> {now!r}")
    outcome = advisory_outcome(MetricOutcome(passed, "\n".join(lines)), judge.status, judge.notes)
    return MetricResult(
        suite.name, spec, request.test, value, outcome, AS_GOOD, test.comparison, flips
    )


def _flips(items: Sequence[PairItem], tally: WinTally) -> tuple[Flip, ...]:
    """The pairs the judge decided, as flips from "as good" (0.5): losses (worse) first."""
    flips = [
        Flip(
            item.case_id,
            "worse" if tally.values[item.case_id] < AS_GOOD else "better",
            AS_GOOD,
            tally.values[item.case_id],
            item.baseline,
            item.candidate,
            item.expected,
        )
        for item in items
        if tally.values.get(item.case_id, AS_GOOD) != AS_GOOD
    ]
    return tuple(sorted(flips, key=lambda flip: flip.direction != "worse"))
