"""A golden suite: its manifest, its cases, and the checks and metrics built from them.

Loading a suite validates everything up front (manifest schema, every case row, every check and
metric name and parameter, every case's expected answer against its check), so a run either has
whole suites or stops with one error that names the file, line and field.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..exceptions import GoldenFileError, UnknownNameError
from ..schemas import validate_document
from .assertion_metrics import check_assertion_metrics
from .case_checks import case_checks_of
from .cases import GoldenCase
from .checks import Check, CheckContext, build_check
from .io import load_cases
from .judge_check import refuse_unjudged
from .metric_types import THRESHOLD_KEYS, UNSTORED_SOURCES, Metric, MetricContext, source_of
from .prompting import PromptSpec
from .registry import build_metric, read_manifest_section, section_default
from .safety import check_safety
from .variants import UnchangedVariant, VariantSource, check_variant_ids

if TYPE_CHECKING:
    from ..config import Settings
    from ..judge.config import JudgeSection
    from ..review.rubric import Rubric

__all__ = [
    "MetricSpec",
    "Suite",
    "discover_suites",
    "load_suite",
    "project_root_of",
    "project_suites",
]

_SUITE_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class MetricSpec:
    """One suite metric with its bars."""

    metric: Metric
    """The metric itself (its ``name`` includes its variant, e.g. ``f1_macro``)."""
    min: float | None = None
    """The value must be at least this."""
    max: float | None = None
    """The value must be at most this."""
    max_drop: float | None = None
    """Largest allowed move in the worse direction against the baseline's value."""

    @property
    def name(self) -> str:
        return self.metric.name

    @property
    def in_baseline(self) -> bool:
        """Whether the baseline file keeps its value: a human metric's (scored from reviews) and
        a judge metric's (scored by a judge model) are not kept (their no-drop test scores the
        baseline's answers again: :data:`~.metric_types.UNSTORED_SOURCES`)."""
        return source_of(self.metric) not in UNSTORED_SOURCES

    @property
    def bar(self) -> str:
        """``>= 0.5``, ``<= 2``, ``>= 0.5, <= 0.9`` or ``-`` for display."""
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return ", ".join(parts) or "-"


@dataclass(frozen=True)
class Suite:
    """A loaded, validated golden suite."""

    name: str
    """The suite's name (manifest ``name`` or its file stem)."""
    manifest_path: Path
    """The manifest file."""
    cases_path: Path
    """The case file."""
    cases: tuple[GoldenCase, ...]
    """Every case, in file order."""
    check: Check
    """The suite's default check."""
    metrics: tuple[MetricSpec, ...]
    """Suite metrics in manifest order."""
    prompt: PromptSpec = field(default_factory=PromptSpec)
    """How cases become prompts."""
    language: str = "en"
    """Language of the expected answers (selects tokenisation)."""
    labels: tuple[str, ...] = ()
    """The closed label set of a classification suite."""
    generation: Mapping[str, Any] = field(default_factory=dict)
    """Per-suite overrides of the run's generation settings."""
    description: str = ""
    """Free text from the manifest."""
    case_checks: Mapping[str, Check] = field(default_factory=dict)
    """Per-case check overrides, by case id."""
    review: Rubric | None = None
    """The manifest's ``review:`` rubric (human review), or None; read by the review kind
    (:func:`releasegate.review.metrics.read_review_section`) through the metric registry."""
    assertion_names: tuple[str, ...] = ()
    """Every assertion name its cases carry (suite's and cases' own), in first-seen order."""
    judge: JudgeSection | None = None
    """The manifest's ``judge:`` as written and checked, or None; read by the judge kind
    (:func:`releasegate.judge.kinds.read_section`); :func:`releasegate.judge.runner.judge_for`
    lays it over the project's ``[tool.releasegate.judge]``."""
    variants: tuple[GoldenCase, ...] = ()
    """The robustness variants of its cases (``robustness:``, :mod:`.variants`)."""
    unchanged: tuple[UnchangedVariant, ...] = ()
    """The variants their perturbation could not make (each a skipped test saying why)."""
    robustness: VariantSource | None = None
    """The manifest's ``robustness:`` as read, or None."""

    @cached_property
    def test_cases(self) -> tuple[GoldenCase, ...]:
        """Every case that is a test: each case its author wrote, followed by its variants."""
        if not self.variants:
            return self.cases
        by_origin: dict[str, list[GoldenCase]] = {}
        for variant in self.variants:
            by_origin.setdefault(variant.variant_of, []).append(variant)
        return tuple(made for case in self.cases for made in (case, *by_origin.get(case.id, ())))

    @property
    def rubric(self) -> Rubric:
        """What its answers are reviewed against: its ``review:``, else the default rubric
        (one overall score from 1 to 5), the review kind's default."""
        if self.review is not None:
            return self.review
        rubric: Rubric = section_default("review")
        return rubric

    def check_for(self, case: GoldenCase) -> Check:
        """The check that judges *case*: its own override, else the suite's (a variant's is its
        original's)."""
        return self.case_checks.get(case.variant_of or case.id, self.check)

    @cached_property
    def _by_id(self) -> dict[str, GoldenCase]:
        return {case.id: case for case in self.test_cases}

    def case(self, case_id: str) -> GoldenCase:
        try:
            return self._by_id[case_id]
        except KeyError:
            written = [case.id for case in self.cases]  # a variant's id says its original's
            raise UnknownNameError("case", case_id, written, where=self.name) from None

    def metric(self, name: str) -> MetricSpec:
        for spec in self.metrics:
            if spec.name == name:
                return spec
        raise UnknownNameError("metric", name, (m.name for m in self.metrics), where=self.name)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GoldenFileError(
            f"not UTF-8 text ({exc.reason}); save it as UTF-8", path=path
        ) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = None
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise GoldenFileError(f"not valid YAML: {problem}", path=path, line=line) from exc
    if not isinstance(document, dict):
        raise GoldenFileError("a manifest must be a YAML mapping with at least 'cases'", path=path)
    validate_document("manifest", document, path=path)
    return document


def project_root_of(folder: Path) -> Path:
    """The project *folder* belongs to: the nearest folder at or above it holding a
    ``pyproject.toml`` (where ``[tool.releasegate]`` is read), else *folder* itself."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return folder


def load_suite(
    manifest_path: Path,
    *,
    schemas_dir: Path,
    within: Sequence[Path] = (),
    allow_outside_cases: bool = False,
) -> Suite:
    """Read and validate one suite; raises :class:`GoldenFileError` (or another
    :class:`~releasegate.exceptions.ReleasegateError`) that names the file, line and field at fault.

    The case file must lie within one of the folders *within* (default: the project,
    :func:`project_root_of` the manifest's folder), symbolic links followed, unless
    *allow_outside_cases*: a manifest (perhaps from a pull request) must not make the run read,
    and its errors quote, any file of the machine."""
    document = _read_manifest(manifest_path)
    name: str = document.get("name", manifest_path.stem)
    if not _SUITE_NAME.fullmatch(name):
        raise GoldenFileError(
            f"suite name '{name}' (from the file name) may hold only letters, digits, '_' and '-'; "
            "rename the file or set 'name' in the manifest",
            path=manifest_path,
            field="name",
        )
    base_dir = manifest_path.parent
    cases_path = _cases_path(
        document["cases"], manifest_path, within=within, allow_outside_cases=allow_outside_cases
    )
    language: str = document.get("language", "en")
    labels = tuple(document.get("labels", ()))
    check_context = CheckContext(
        language=language, base_dir=base_dir, schemas_dir=schemas_dir, labels=labels
    )
    where = f"{manifest_path}"
    check = build_check(document.get("check", "normalized"), check_context, where=f"{where}: check")
    metric_context = MetricContext(language=language, base_dir=base_dir, labels=labels)
    metrics = tuple(
        _metric_spec(spec, metric_context, where=f"{where}: metrics[{index}]")
        for index, spec in enumerate(document.get("metrics", ()))
    )
    _reject_duplicate_metrics(metrics, manifest_path)
    cases = tuple(
        load_cases(
            cases_path,
            suite=name,
            encoding=document.get("encoding", "auto"),
            sheet=document.get("sheet"),
        )
    )
    case_checks, assertion_names = case_checks_of(
        cases, check, document, check_context, manifest_path=manifest_path, cases_path=cases_path
    )
    check_assertion_metrics([spec.metric for spec in metrics], assertion_names, manifest_path)
    prompt_doc = document.get("prompt", {})
    prompt = PromptSpec(
        chat=prompt_doc.get("chat", True),
        system=prompt_doc.get("system"),
        template=prompt_doc.get("template"),
    )
    check_safety(
        document, cases, case_checks, [s.metric for s in metrics], manifest_path, cases_path, prompt
    )
    # The review kind reads its section and checks the human metrics' criteria against it.
    review = read_manifest_section(
        "review", document, [spec.metric for spec in metrics], manifest_path
    )
    judge = read_manifest_section(
        "judge", document, [spec.metric for spec in metrics], manifest_path
    )
    robustness = read_manifest_section(
        "robustness", document, [spec.metric for spec in metrics], manifest_path
    )
    variants: tuple[GoldenCase, ...] = ()
    unchanged: tuple[UnchangedVariant, ...] = ()
    if robustness is not None:
        variants, unchanged = robustness.expand(cases, language=language)
        check_variant_ids(cases, variants, unchanged, manifest=manifest_path)
    return Suite(
        name=name,
        manifest_path=manifest_path,
        cases_path=cases_path,
        cases=cases,
        check=check,
        metrics=metrics,
        prompt=prompt,
        language=language,
        labels=labels,
        generation=dict(document.get("generation", {})),
        description=document.get("description", ""),
        case_checks=case_checks,
        review=review,
        assertion_names=assertion_names,
        judge=judge,
        variants=variants,
        unchanged=unchanged,
        robustness=robustness,
    )


def _cases_path(
    named: str, manifest_path: Path, *, within: Sequence[Path], allow_outside_cases: bool
) -> Path:
    """The case file the manifest names (*named*), resolved, once it is known to lie within one
    of the folders *within* (default: the project) unless *allow_outside_cases*, and to exist."""
    cases_path = (manifest_path.parent / named).resolve()
    allowed = [folder.resolve() for folder in within] or [project_root_of(manifest_path.parent)]
    if not allow_outside_cases and not any(cases_path.is_relative_to(f) for f in allowed):
        where = " or the golden folder ".join(map(str, dict.fromkeys(allowed)))
        raise GoldenFileError(
            f"case file '{named}' is outside the project {where} (it is "
            f"{cases_path}): case files are read from the project only. Move the file into the "
            "project, or allow it with allow_outside_cases = true in [tool.releasegate] (or "
            "--allow-outside-cases)",
            path=manifest_path,
            field="cases",
        )
    if not cases_path.is_file():
        raise GoldenFileError(
            f"case file '{named}' not found (looked for {cases_path})",
            path=manifest_path,
            field="cases",
        )
    return cases_path


def _metric_spec(spec: Mapping[str, Any], context: MetricContext, *, where: str) -> MetricSpec:
    metric = build_metric(spec, context, where=where)
    bars = {key: spec[key] for key in THRESHOLD_KEYS if key in spec}
    return MetricSpec(metric=metric, **bars)


def _reject_duplicate_metrics(metrics: Sequence[MetricSpec], path: Path) -> None:
    seen: set[str] = set()
    for spec in metrics:
        if spec.name in seen:
            raise GoldenFileError(
                f"metric '{spec.name}' is listed twice; give each metric once with all its bars",
                path=path,
                field="metrics",
            )
        seen.add(spec.name)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while suites load: loading builds tens of thousands of
    objects that all live on (cases, checks, assertions), and each pass the collector would
    start meanwhile walks every one of them again for nothing. Loading makes no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def project_suites(
    settings: Settings, *, only: Iterable[str] = (), root: Path | None = None
) -> list[Suite]:
    """:func:`discover_suites` as the project's *settings* say: their golden and schema folders
    and ``allow_outside_cases``. Every command that reads the suites comes through here, so a
    setting that bears on reading them is applied in one place, not at each caller."""
    suites = discover_suites(
        settings.golden_dir,
        schemas_dir=settings.schemas_dir,
        only=only,
        root=root,
        allow_outside_cases=settings.allow_outside_cases,
    )
    refuse_unjudged(suites, project_judge=bool(settings.judge))  # check: judge needs a judge
    return suites


def discover_suites(
    golden_dir: Path,
    *,
    schemas_dir: Path,
    only: Iterable[str] = (),
    root: Path | None = None,
    allow_outside_cases: bool = False,
) -> list[Suite]:
    """Every suite in *golden_dir* (``*.yaml`` / ``*.yml``), sorted by name, or only those named;
    case files outside both the project (*root*, default: :func:`project_root_of` *golden_dir*)
    and *golden_dir* (a folder the settings name, trusted as the project is) refused unless
    *allow_outside_cases* (see :func:`load_suite`)."""
    if not golden_dir.is_dir():
        raise GoldenFileError(
            "golden folder not found: create it or set golden_dir in [tool.releasegate]",
            path=golden_dir,
        )
    manifests = sorted([*golden_dir.glob("*.yaml"), *golden_dir.glob("*.yml")])
    within = (root or project_root_of(golden_dir), golden_dir)
    with _collector_paused():
        suites = [
            load_suite(
                path,
                schemas_dir=schemas_dir,
                within=within,
                allow_outside_cases=allow_outside_cases,
            )
            for path in manifests
        ]
    by_name: dict[str, Suite] = {}
    for suite in suites:
        if suite.name in by_name:
            raise GoldenFileError(
                f"suite name '{suite.name}' is also used by {by_name[suite.name].manifest_path}",
                path=suite.manifest_path,
                field="name",
            )
        by_name[suite.name] = suite
    wanted = list(only)
    for name in wanted:
        if name not in by_name:
            raise UnknownNameError("suite", name, by_name, where=str(golden_dir))
    if wanted:
        return [by_name[name] for name in sorted(set(wanted))]
    return sorted(suites, key=lambda suite: suite.name)
