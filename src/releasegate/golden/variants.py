"""A suite's robustness variants as the suite loader sees them: the protocol of what makes them
(:class:`VariantSource`, the manifest's ``robustness:`` as read by
:mod:`releasegate.robustness`, which registers the section) and a variant that could not be made
(:class:`UnchangedVariant`).

A variant is a :class:`~.cases.GoldenCase` of its own (``faq-refund~typo-1``: the original's id,
``~``, the perturbation and the variant's number), with its original's expected answer, tags and
check (:attr:`~.cases.GoldenCase.variant_of`), so it is a test, a cached answer and a baseline
entry like any case. golden never imports the package that makes them: the section's reader
hands the loader an object with :meth:`VariantSource.expand`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..exceptions import GoldenFileError
from .cases import GoldenCase

__all__ = ["UnchangedVariant", "VariantSource", "check_variant_ids"]


@dataclass(frozen=True)
class UnchangedVariant:
    """A variant its perturbation could not make: the question has nothing it acts on (a
    keyboard typo in a question without Latin letters), or every way it can change it is
    already another variant. Reported as a skipped test that says so, never counted as a pass."""

    suite: str
    id: str
    """``<original id>~<perturbation>-<n>``, as the variant would have been called."""
    test_id: str
    variant_of: str
    perturbation: str
    reason: str
    """Why nothing was made, in a sentence a user reads as the skip reason."""

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"

    @property
    def test_key(self) -> str:
        return f"{self.suite}/{self.test_id}"


@runtime_checkable
class VariantSource(Protocol):
    """What the manifest's ``robustness:`` section becomes: the perturbations a suite asks for."""

    def expand(
        self, cases: Sequence[GoldenCase], *, language: str
    ) -> tuple[tuple[GoldenCase, ...], tuple[UnchangedVariant, ...]]:
        """Every variant of *cases* (each original's in turn, in the section's order), and the
        variants that could not be made; the same on every run, process and machine."""
        ...


def check_variant_ids(
    cases: Sequence[GoldenCase],
    variants: Sequence[GoldenCase],
    unchanged: Sequence[UnchangedVariant],
    *,
    manifest: Path,
) -> None:
    """Refuse a suite where a variant's id (or test id) is also a case's own: a case file that
    already holds ``faq-refund~typo-1`` would share its baseline entry and cached answer."""
    ids = {case.id for case in cases}
    test_ids = {case.test_id for case in cases}
    made_all: list[GoldenCase | UnchangedVariant] = [*variants, *unchanged]
    for made in made_all:
        if made.id in ids or made.test_id in test_ids:
            raise GoldenFileError(
                f"the robustness variant '{made.id}' of case '{made.variant_of}' has the id of "
                "a case in the case file; rename that case (a '~' in a case id is where "
                "variants name their perturbation)",
                path=manifest,
                field="robustness",
            )
