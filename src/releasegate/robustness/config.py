"""The manifest's ``robustness:`` section: which perturbations make variants of a suite's cases,
how many each, from which seed, of which cases.

::

    robustness:
      perturbations: [typo, width, script]
      variants: 3        # per perturbation per case (1 to 20; default 3)
      seed: 0            # default 0
      tags: [robust]     # only cases with one of these tags (default: every case)

The manifest schema declares the keys (an unknown one is refused there, with a did-you-mean);
their values are checked here, so each bad value is one error that names the manifest, the
field (``robustness.perturbations[2]``) and what to write instead. The metrics that read
variants (``sees_variants``) are checked against the section too: without it they would read
nothing, and ``perturbation_accuracy`` must name a perturbation the suite applies.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import GoldenFileError
from ..golden.cases import GoldenCase
from ..golden.metric_types import Metric
from ..golden.registry import ManifestSection, register_manifest_section
from ..golden.variants import UnchangedVariant
from .perturbations import PERTURBATIONS

__all__ = [
    "DEFAULT_VARIANTS",
    "MAX_VARIANTS",
    "RobustnessSection",
    "read_robustness",
    "register_section",
]

DEFAULT_VARIANTS = 3
MAX_VARIANTS = 20
"""Variants per perturbation per case at most: each is one more model call per case, so a
typo of 1000 would make a suite of 100 cases a run of 100,000 answers."""

SECTION = "robustness"


@dataclass(frozen=True)
class RobustnessSection:
    """The ``robustness:`` section as read: what :meth:`expand` makes the variants from (it is
    the suite's :class:`~releasegate.golden.variants.VariantSource`)."""

    perturbations: tuple[str, ...]
    """The perturbations to apply, in the manifest's order (each a key of
    :data:`~.perturbations.PERTURBATIONS`)."""
    variants: int = DEFAULT_VARIANTS
    """Variants per perturbation per case."""
    seed: int = 0
    """Part of every variant's seed: change it for other variants of the same cases."""
    tags: tuple[str, ...] = ()
    """Only cases carrying one of these tags get variants; () for every case."""
    manifest: Path = field(default=Path(), compare=False)
    """The manifest that declared it, for errors found once the cases are known."""

    def expand(
        self, cases: Sequence[GoldenCase], *, language: str
    ) -> tuple[tuple[GoldenCase, ...], tuple[UnchangedVariant, ...]]:
        """The variants of *cases* (:func:`.variants.expand`)."""
        from .variants import expand  # variants builds on this module's record

        return expand(self, cases, language=language)


def _fail(message: str, manifest: Path, key: str = "") -> GoldenFileError:
    return GoldenFileError(message, path=manifest, field=f"{SECTION}.{key}" if key else SECTION)


def _known() -> str:
    return ", ".join(PERTURBATIONS)


def _perturbations(value: Any, manifest: Path) -> tuple[str, ...]:
    example = "e.g. perturbations: [typo, width, script]"
    if value is None:
        raise _fail(
            f"name the perturbations to apply ({example}); known: {_known()}",
            manifest,
            "perturbations",
        )
    if not isinstance(value, list):
        raise _fail(
            f"must be a list of perturbation names ({example}), not {value!r}; known: {_known()}",
            manifest,
            "perturbations",
        )
    if not value:
        raise _fail(
            f"the list is empty, so no variant would be made; name at least one perturbation "
            f"({example}) or remove the robustness: section; known: {_known()}",
            manifest,
            "perturbations",
        )
    names: list[str] = []
    for index, name in enumerate(value):
        key = f"perturbations[{index}]"
        if not isinstance(name, str) or name not in PERTURBATIONS:
            close = difflib.get_close_matches(str(name), list(PERTURBATIONS), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _fail(f"unknown perturbation {name!r}{hint}; known: {_known()}", manifest, key)
        if name in names:
            raise _fail(
                f"perturbation '{name}' is listed twice; list each once (variants: sets how "
                "many variants each makes)",
                manifest,
                key,
            )
        names.append(name)
    return tuple(names)


def _variants(value: Any, manifest: Path) -> int:
    if value is None:
        return DEFAULT_VARIANTS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VARIANTS:
        raise _fail(
            f"must be a whole number from 1 to {MAX_VARIANTS} (got {value!r}): the variants "
            "each perturbation makes of each case, each one more model call per case (default "
            f"{DEFAULT_VARIANTS})",
            manifest,
            "variants",
        )
    return value


def _seed(value: Any, manifest: Path) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(
            f"must be a whole number 0 or above (got {value!r}); every variant is derived from "
            "it, so keep it fixed to compare runs (default 0)",
            manifest,
            "seed",
        )
    return value


def _tags(value: Any, manifest: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise _fail(
            f"must be a list of tag names, like tags: [robust] (got {value!r}); only cases "
            "with one of them get variants",
            manifest,
            "tags",
        )
    if not value:
        raise _fail(
            "an empty list selects no case, so nothing would be perturbed; remove tags: to "
            "perturb every case, or name the tags of the cases to perturb",
            manifest,
            "tags",
        )
    return tuple(t.strip() for t in value)


def _check_metrics(
    section: RobustnessSection | None, metrics: Sequence[Metric], manifest: Path
) -> None:
    """Refuse a robustness metric that would read nothing: one on a suite without the section,
    or ``perturbation_accuracy`` of a perturbation the section does not apply."""
    for metric in metrics:
        if not getattr(type(metric), "sees_variants", False):
            continue
        if section is None:
            raise GoldenFileError(
                f"metric '{metric.name}' measures the robustness variants, and this suite "
                "makes none; add a robustness: section (e.g. robustness: {perturbations: "
                "[typo, width]}) or remove the metric",
                path=manifest,
                field="metrics",
            )
        perturbation = getattr(metric, "perturbation", None)
        if perturbation is not None and perturbation not in section.perturbations:
            raise GoldenFileError(
                f"metric '{metric.name}' reads the variants of perturbation '{perturbation}', "
                f"which robustness.perturbations does not list "
                f"({', '.join(section.perturbations)}); add it there or change the metric",
                path=manifest,
                field="metrics",
            )


def read_robustness(
    document: Any, metrics: Sequence[Metric], manifest: Path
) -> RobustnessSection | None:
    """The ``robustness:`` section of *manifest* (*document*, already held to the schema's
    keys), or None when it has none; raises :class:`GoldenFileError` naming the manifest and
    the field for a bad value, or for a metric of *metrics* that needs the section."""
    if document is None:
        _check_metrics(None, metrics, manifest)
        return None
    if not isinstance(document, Mapping):  # the schema refuses it first; kept for direct calls
        raise _fail(f"must be a mapping with perturbations: (got {document!r})", manifest)
    section = RobustnessSection(
        perturbations=_perturbations(document.get("perturbations"), manifest),
        variants=_variants(document.get("variants"), manifest),
        seed=_seed(document.get("seed"), manifest),
        tags=_tags(document.get("tags"), manifest),
        manifest=manifest,
    )
    _check_metrics(section, metrics, manifest)
    return section


def register_section() -> None:
    """Register the ``robustness:`` manifest section with golden's registry."""
    register_manifest_section(ManifestSection(SECTION, read_robustness))
