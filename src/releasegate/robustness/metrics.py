"""The robustness metrics a manifest may name: ``robust_accuracy``, ``consistency`` and
``perturbation_accuracy`` (param ``perturbation``; named ``perturbation_accuracy[typo]``).

Each is an ordinary suite metric (a value test with ``min``/``max``, a paired no-drop test with
``max_drop``, a trend in the history), with two differences from accuracy:

- it sees the variants (``sees_variants = True``): the gate hands it the scored originals *and*
  their robustness variants, every other metric the originals alone (a variant counted by
  accuracy would weigh a case as many times as it has variants);
- its items are not the suite's cases: ``robust_accuracy`` and ``consistency`` have one item per
  original that has at least one variant among the scored cases (an original without one would
  only echo accuracy), ``perturbation_accuracy`` one per variant of its perturbation. Their
  :attr:`~releasegate.golden.metric_types.MetricValue.item_ids` name them, so the gate, the
  baseline and the history pair by those ids, as they do an ``assertion_pass_rate``'s carriers.

A case passes when its check passed (``ScoredCase.result.passed``); an unscored result is not a
pass. A metric that read nothing (no variant in the run) returns NaN with ``item_ids=()``, and
the gate fails it: a robustness metric that compared nothing has not shown robustness.

Which perturbations a suite makes, and whether a robustness metric may be named at all (a suite
needs a ``robustness:`` section), is the section reader's to check (:mod:`.config`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from ..golden.checks import ParamError, as_str, param, params_of, read_params
from ..golden.metric_types import MetricContext, MetricValue, ScoredCase
from ..golden.registry import register_metric_kind

__all__ = [
    "CONSISTENCY",
    "PERTURBATION_ACCURACY",
    "ROBUST_ACCURACY",
    "Consistency",
    "PerturbationAccuracy",
    "RobustAccuracy",
    "VariantGroup",
    "passes",
    "register_metrics",
    "variant_groups",
]

ROBUST_ACCURACY = "robust_accuracy"
CONSISTENCY = "consistency"
PERTURBATION_ACCURACY = "perturbation_accuracy"

ANSWER_SEPARATOR = "\n\u2016 "
"""Between the answers of an item's members in :meth:`RobustAccuracy.item_answers`: a line of its
own starting with a double bar, so that a flip's answers read ``7 days. ‖ I do not know.`` on
one line of a report."""

MISSING = "\x00(not answered)"
"""A member's answer in :meth:`RobustAccuracy.item_answers` where the answers lack it."""


def passes(case: ScoredCase) -> bool:
    """Whether *case* passed its check: an unscored result is not a pass."""
    return case.result.passed and not case.result.unscored


@dataclass(frozen=True)
class VariantGroup:
    """An original case with its variants among the scored cases (at least one)."""

    original: ScoredCase
    variants: tuple[ScoredCase, ...]

    @property
    def members(self) -> tuple[ScoredCase, ...]:
        """The original, then its variants in the order scored."""
        return (self.original, *self.variants)

    @property
    def all_pass(self) -> bool:
        """The worst case: the original and every variant pass."""
        return all(passes(member) for member in self.members)

    @property
    def consistent(self) -> bool:
        """The original and every variant have the same verdict (all pass, or all fail)."""
        return len({passes(member) for member in self.members}) == 1

    @property
    def flipped(self) -> bool:
        """The original passes while a variant fails (what a perturbation broke)."""
        return passes(self.original) and not all(passes(v) for v in self.variants)

    @property
    def unscored(self) -> int:
        """How many of its members could not be judged."""
        return sum(1 for member in self.members if member.result.unscored)


def variant_groups(cases: Sequence[ScoredCase]) -> tuple[tuple[VariantGroup, ...], int]:
    """The originals among *cases* that have at least one variant among them, in the order of
    the originals, each with its variants (grouped by ``variant_of``); and how many variants
    had no original among *cases* (a run filtered to variants alone: such a variant cannot say
    whether its perturbation changed the verdict, so it is no item)."""
    originals = [case for case in cases if not case.variant_of]
    known = {case.case_id for case in originals}
    by_origin: dict[str, list[ScoredCase]] = {}
    orphans = 0
    for case in cases:
        if not case.variant_of:
            continue
        if case.variant_of in known:
            by_origin.setdefault(case.variant_of, []).append(case)
        else:
            orphans += 1
    groups = tuple(
        VariantGroup(case, tuple(by_origin[case.case_id]))
        for case in originals
        if case.case_id in by_origin
    )
    return groups, orphans


def _value(per_item: Sequence[float]) -> float:
    return math.fsum(per_item) / len(per_item) if per_item else math.nan


class _GroupedMetric:
    """What ``robust_accuracy`` and ``consistency`` share: an item per original with variants."""

    sees_variants: ClassVar[bool] = True
    """The gate hands it the scored variants beside the originals."""

    def _score(self, group: VariantGroup) -> bool:
        raise NotImplementedError

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        groups, orphans = variant_groups(cases)
        per_item = tuple(1.0 if self._score(group) else 0.0 for group in groups)
        details = MappingProxyType(
            {
                "cases": float(len(groups)),
                "variants": float(sum(len(group.variants) for group in groups)),
                "passed": math.fsum(per_item),
                "flipped": float(sum(1 for group in groups if group.flipped)),
                "unscored": float(sum(group.unscored for group in groups)),
                "variants_without_original": float(orphans),
            }
        )
        ids = tuple(group.original.case_id for group in groups)
        return MetricValue(_value(per_item), per_item, details, item_ids=ids)

    def item_answers(
        self, cases: Sequence[ScoredCase], answers: Mapping[str, str]
    ) -> dict[str, str]:
        """The answer that stands for each item in a paired comparison: the answers of the
        original and of its variants (as grouped among *cases*), read from *answers* (this
        run's, or the baseline's, by case id) and joined. An item is unchanged only when none
        of its members' answers changed; a member *answers* lacks (a variant the baseline
        never ran) stands as :data:`MISSING`, which no answer equals, so that item is compared
        by its value."""
        groups, _ = variant_groups(cases)
        return {
            group.original.case_id: ANSWER_SEPARATOR.join(
                answers.get(member.case_id, MISSING) for member in group.members
            )
            for group in groups
        }


@dataclass(frozen=True)
class RobustAccuracy(_GroupedMetric):
    """Share of the originals with variants whose original and every variant pass (the worst
    case). ``details``: ``cases`` (items), ``variants``, ``passed``, ``flipped`` (originals that
    pass while a variant fails), ``unscored`` (members that could not be judged: each a
    failure), ``variants_without_original``."""

    name: str = ROBUST_ACCURACY
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    """The value is the mean of ``per_item`` (1/0: the no-drop test is the exact McNemar)."""

    def _score(self, group: VariantGroup) -> bool:
        return group.all_pass


@dataclass(frozen=True)
class Consistency(_GroupedMetric):
    """Share of the originals with variants whose original and variants all have the same
    verdict (all pass or all fail): a model that fails a question however it is asked is
    consistent, if not right. ``details`` as :class:`RobustAccuracy`'s (``passed``: the
    consistent ones)."""

    name: str = CONSISTENCY
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True

    def _score(self, group: VariantGroup) -> bool:
        return group.consistent


@dataclass(frozen=True, kw_only=True)
class PerturbationAccuracy:
    """Share of the variants made by one perturbation that pass; an item per variant.
    ``details``: ``cases`` (originals they were made from), ``variants`` (items), ``passed``,
    ``flipped`` (variants that fail while their original, scored in the run, passes),
    ``unscored``."""

    perturbation: str = param(as_str, required=True)
    """The perturbation's name, one the suite's ``robustness:`` lists (checked there)."""
    name: str = ""
    """``perturbation_accuracy[<perturbation>]``."""
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    additive: bool = True
    sees_variants: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"{PERTURBATION_ACCURACY}[{self.perturbation}]")

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        originals = {case.case_id: case for case in cases if not case.variant_of}
        mine = [
            case for case in cases if case.variant_of and case.perturbation == self.perturbation
        ]
        per_item = tuple(1.0 if passes(case) else 0.0 for case in mine)
        flipped = sum(
            1
            for case in mine
            if not passes(case)
            and case.variant_of in originals
            and passes(originals[case.variant_of])
        )
        details = MappingProxyType(
            {
                "cases": float(len({case.variant_of for case in mine})),
                "variants": float(len(mine)),
                "passed": math.fsum(per_item),
                "flipped": float(flipped),
                "unscored": float(sum(1 for case in mine if case.result.unscored)),
            }
        )
        ids = tuple(case.case_id for case in mine)
        return MetricValue(_value(per_item), per_item, details, item_ids=ids)


def _robust_accuracy(params: Mapping[str, Any], context: MetricContext) -> RobustAccuracy:
    read_params("metric", ROBUST_ACCURACY, params, ())
    return RobustAccuracy()


def _consistency(params: Mapping[str, Any], context: MetricContext) -> Consistency:
    read_params("metric", CONSISTENCY, params, ())
    return Consistency()


def _perturbation_accuracy(
    params: Mapping[str, Any], context: MetricContext
) -> PerturbationAccuracy:
    values = read_params("metric", PERTURBATION_ACCURACY, params, params_of(PerturbationAccuracy))
    perturbation = values["perturbation"].strip()
    if not perturbation:
        raise ParamError(
            f"metric '{PERTURBATION_ACCURACY}': parameter 'perturbation' is blank; name one of "
            "the perturbations the suite's robustness: section lists, e.g. perturbation: typo"
        )
    return PerturbationAccuracy(perturbation=perturbation)


def register_metrics() -> None:
    """Register the robustness metrics with golden's registry."""
    register_metric_kind(ROBUST_ACCURACY, _robust_accuracy)
    register_metric_kind(CONSISTENCY, _consistency)
    register_metric_kind(PERTURBATION_ACCURACY, _perturbation_accuracy)
