"""The metric registry: every metric kind by its manifest name, and the manifest sections a kind
reads.

golden's own metrics (:mod:`.classification`, :mod:`.text_metrics`) are in the table from the
start. A kind of another package registers itself with :func:`register_metric_kind` (and, if it
reads a section of the suite manifest, :func:`register_manifest_section`); the registry finds it
through the Python entry points of the group ``releasegate.metric_kinds`` (as pytest finds its
plugins through ``pytest11``), never by importing it, so golden sits below the packages that
build on it. releasegate declares its own there (``review``: ``human_score``, ``human_pass_rate``
and the ``review:`` rubric; ``perplexity``: ``perplexity``, ``log_likelihood``); a third party
adds a kind the same way::

    [project.entry-points."releasegate.metric_kinds"]
    my_kind = "my_package.metrics:register"   # a function of no arguments that registers

The entry points are loaded the first time a name is asked for that the table does not hold
(once per process); an unknown name then still gets one error listing every known name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError, UnknownNameError
from .assertion_metrics import METRIC_NAME, AssertionPassRate
from .checks import ParamError, params_of, read_params, split_spec
from .classification import Accuracy, Classification, ExactMatch, FieldScore, MeanScore
from .metric_types import THRESHOLD_KEYS, Metric, MetricContext
from .safety_metrics import SAFETY_METRICS
from .text_metrics import CorpusBleu, CorpusChrf, EvaluateMetric, Rouge
from .textsim import ROUGE_TYPES

__all__ = [
    "ENTRY_POINT_GROUP",
    "METRICS",
    "ManifestSection",
    "MetricFactory",
    "build_metric",
    "load_metric_kinds",
    "manifest_section",
    "read_manifest_section",
    "register_manifest_section",
    "register_metric_kind",
    "section_default",
]

ENTRY_POINT_GROUP = "releasegate.metric_kinds"
"""The entry-point group whose entries register metric kinds (each names a function of no
arguments)."""

MetricFactory = Callable[[Mapping[str, Any], MetricContext], Metric]
"""Builds a metric from its manifest params (the bars removed) and the suite's context; raises
:class:`~releasegate.exceptions.ConfigError` for a bad param."""


@dataclass(frozen=True)
class ManifestSection:
    """A top-level section of the suite manifest that a metric kind reads (review's
    ``review:``), so the suite loader need not know the kind."""

    key: str
    read: Callable[[Any, Sequence[Metric], Path], Any]
    """``(the section as written, or None when the manifest has none; the suite's metrics; the
    manifest's path)`` -> what the suite keeps of it (None: nothing). It also checks the
    metrics against the section (a human metric's criterion must be the rubric's) and raises a
    :class:`~releasegate.exceptions.ReleasegateError` naming the manifest and field."""
    default: Any = None
    """What a suite without the section stands for (review: one overall score from 1 to 5)."""


# --------------------------------------------------------------------------------------------
# golden's own metrics.


def _simple(name: str, make: Callable[[MetricContext], Metric]) -> MetricFactory:
    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        metric = make(context)
        read_params("metric", name, params, params_of(type(metric)))
        return metric

    return factory


def _classification(score: str) -> MetricFactory:
    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        values = read_params("metric", score, params, params_of(Classification))
        average, label = values["average"], values["label"]
        if average is not None and label is not None:
            raise ParamError(f"metric '{score}': give either 'average' or 'label', not both")
        if label is not None and context.labels and label not in context.labels:
            raise ParamError(
                f"metric '{score}': label '{label}' is not one of the suite's labels "
                f"({', '.join(context.labels)})"
            )
        average = None if label is not None else (average or "macro")
        return Classification(
            name=f"{score}[{label}]" if label is not None else f"{score}_{average}",
            score=score,
            average=average,
            label=label,
            labels=context.labels,
        )

    return factory


def _field(score: str) -> MetricFactory:
    def factory(params: Mapping[str, Any], context: MetricContext) -> Metric:
        values = read_params("metric", f"field_{score}", params, params_of(FieldScore))
        return FieldScore(name=f"field_{score}", score=score, **values)

    return factory


def _evaluate(params: Mapping[str, Any], context: MetricContext) -> Metric:
    values = read_params("metric", "evaluate", params, params_of(EvaluateMetric))
    return EvaluateMetric(**values, base_dir=context.base_dir)


def _assertion_pass_rate(params: Mapping[str, Any], context: MetricContext) -> Metric:
    """``assertion_pass_rate`` of the assertion named by ``assertion`` (not ``name``: that is
    the metric's own); whether a case carries it is checked once the cases are read
    (:func:`~.assertion_metrics.check_assertion_metrics`)."""
    values = read_params("metric", METRIC_NAME, params, params_of(AssertionPassRate))
    return AssertionPassRate(assertion=values["assertion"].strip())


def _safety(name: str) -> MetricFactory:
    """A safety metric (:mod:`.safety_metrics`): whether a case carries what it reads is
    checked once the cases are read (:func:`~.safety.check_safety`)."""
    return _simple(name, lambda context: SAFETY_METRICS[name])


def _rouge(name: str) -> MetricFactory:
    return _simple(name, lambda context: Rouge(name=name, language=context.language))


_BUILT_IN: dict[str, MetricFactory] = {
    "accuracy": _simple("accuracy", lambda context: Accuracy()),
    "pass_rate": _simple("pass_rate", lambda context: Accuracy(name="pass_rate")),
    "exact_match": _simple("exact_match", lambda context: ExactMatch()),
    "precision": _classification("precision"),
    "recall": _classification("recall"),
    "f1": _classification("f1"),
    "bleu": _simple("bleu", lambda context: CorpusBleu(language=context.language)),
    "chrf": _simple("chrf", lambda context: CorpusChrf()),
    **{name: _rouge(name) for name in ROUGE_TYPES},
    "field_f1": _field("f1"),
    "field_precision": _field("precision"),
    "field_recall": _field("recall"),
    "mean_score": _simple("mean_score", lambda context: MeanScore()),
    "evaluate": _evaluate,
    METRIC_NAME: _assertion_pass_rate,
    **{name: _safety(name) for name in SAFETY_METRICS},
}


# --------------------------------------------------------------------------------------------
# The tables and the entry points.

_kinds: dict[str, MetricFactory] = dict(_BUILT_IN)
_origins: dict[str, str] = dict.fromkeys(_BUILT_IN, "releasegate.golden")
_sections: dict[str, ManifestSection] = {}
_loaded = False


def register_metric_kind(name: str, factory: MetricFactory) -> None:
    """Make *name* a metric a manifest may name, built by *factory*. Registering the same
    factory again does nothing; another factory under a taken name is refused (two packages
    would otherwise decide by import order which one a manifest gets)."""
    known = _kinds.get(name)
    if known is factory:
        return
    origin = getattr(factory, "__module__", "?")
    if known is not None:
        raise ConfigError(
            f"metric kind '{name}' is registered twice: by {_origins[name]} and by {origin}; "
            "uninstall one of them or register the kind under another name"
        )
    _kinds[name] = factory
    _origins[name] = origin


def register_manifest_section(section: ManifestSection) -> None:
    """Have the suite loader hand *section*'s key of every manifest to its reader (see
    :class:`ManifestSection`); like a metric kind, once per key."""
    known = _sections.get(section.key)
    if known is not None and known != section:
        raise ConfigError(
            f"manifest section '{section.key}' is registered twice: by "
            f"{getattr(known.read, '__module__', '?')} and by "
            f"{getattr(section.read, '__module__', '?')}"
        )
    _sections[section.key] = section


def _entry_points() -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def load_metric_kinds() -> None:
    """Load every entry point of :data:`ENTRY_POINT_GROUP` (once per process): each registers
    its kinds. One that cannot be loaded stops with an error naming it."""
    global _loaded
    if _loaded:
        return
    for entry in _entry_points():
        try:
            register = entry.load()
            register()
        except ConfigError:
            raise
        except Exception as err:  # an installed package's import can fail in any way
            raise ConfigError(
                f"metric kinds '{entry.name}' ({entry.value}, entry point group "
                f"{ENTRY_POINT_GROUP}) cannot be loaded: {type(err).__name__}: {err}; "
                "reinstall or uninstall the package that declares it"
            ) from err
    _loaded = True


def _no_entry_points_hint() -> str:
    if _entry_points():
        return ""
    return (
        f" (No package declares metric kinds in the entry point group {ENTRY_POINT_GROUP}, "
        "not even releasegate: its package metadata is missing or old; reinstall it with "
        "'pip install -e .' or 'pip install releasegate'.)"
    )


class _KindTable(Mapping[str, MetricFactory]):
    """The registry as a read-only mapping: a name it lacks, or a look at all of it, loads the
    entry points first."""

    def __getitem__(self, name: str) -> MetricFactory:
        if name not in _kinds:
            load_metric_kinds()
        return _kinds[name]

    def __iter__(self) -> Iterator[str]:
        load_metric_kinds()
        return iter(dict(_kinds))

    def __len__(self) -> int:
        load_metric_kinds()
        return len(_kinds)

    def __contains__(self, name: object) -> bool:
        if name not in _kinds:
            load_metric_kinds()
        return name in _kinds


METRICS: Mapping[str, MetricFactory] = _KindTable()
"""Every metric by name: a factory taking the metric's params and the suite's context (golden's
own, and each registered kind's)."""


def build_metric(spec: Mapping[str, Any] | str, context: MetricContext, *, where: str) -> Metric:
    """Build the metric *spec* names; its ``min``/``max``/``max_drop`` are left to the gate."""
    name, params = split_spec(spec, "metric", where=where)
    if name not in METRICS:
        error = UnknownNameError("metric", name, METRICS, where=where)
        error.args = (f"{error}{_no_entry_points_hint()}",)
        raise error
    factory = METRICS[name]
    params = {key: value for key, value in params.items() if key not in THRESHOLD_KEYS}
    try:
        return factory(params, context)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None


def manifest_section(key: str) -> ManifestSection | None:
    """The registered reader of the manifest section *key* (entry points loaded first if none
    is registered yet), or None."""
    if key not in _sections:
        load_metric_kinds()
    return _sections.get(key)


def read_manifest_section(
    key: str, document: Mapping[str, Any], metrics: Sequence[Metric], path: Path
) -> Any:
    """What a suite keeps of its manifest's section *key*, read by the kind that registered it;
    None when no kind reads it and the manifest has none. A manifest that has the section while
    no installed kind reads it is refused (its author meant something by it)."""
    section = _sections.get(key)
    if section is None and key in document:
        section = manifest_section(key)
    if section is None:
        if key in document:
            raise ConfigError(
                f"{path}: section '{key}' is read by a metric kind that is not installed (no "
                f"entry point of {ENTRY_POINT_GROUP} registers it); reinstall releasegate "
                "('pip install -e .') or remove the section"
            )
        return None
    return section.read(document.get(key), metrics, path)


def section_default(key: str) -> Any:
    """What a suite without the section *key* stands for (:attr:`ManifestSection.default`)."""
    section = manifest_section(key)
    if section is None:
        raise ConfigError(
            f"no installed metric kind reads the manifest section '{key}' (no entry point of "
            f"{ENTRY_POINT_GROUP} registers it); reinstall releasegate ('pip install -e .')"
        )
    return section.default
