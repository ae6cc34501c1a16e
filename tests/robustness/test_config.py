"""The manifest's ``robustness:`` section through ``load_suite`` on files written in tmp_path:
what it reads, its defaults, and one clear error per bad value naming the manifest and field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from releasegate.exceptions import GoldenFileError
from releasegate.golden import registry
from releasegate.golden.metric_types import MetricContext, MetricValue, ScoredCase
from releasegate.golden.registry import register_metric_kind
from releasegate.golden.suites import Suite, load_suite
from releasegate.robustness.config import RobustnessSection
from tiny_project import write_cases

ROWS = [
    {"id": "refund", "input": "How do I get a refund?", "expected": "refund", "tags": ["robust"]},
    {"id": "tuihuo", "input": "怎么退货？", "expected": "退货"},  # noqa: RUF001
]


def write_suite(folder: Path, rows: Sequence[Mapping[str, Any]] = ROWS, **manifest: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_cases(folder / "shop.jsonl", rows)
    path = folder / "shop.yaml"
    document = {"cases": "shop.jsonl", "check": "contains", **manifest}
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    (folder / "pyproject.toml").touch()
    return path


def load(path: Path) -> Suite:
    return load_suite(path, schemas_dir=path.parent / "schemas")


def refused(tmp_path: Path, **manifest: Any) -> GoldenFileError:
    path = write_suite(tmp_path, **manifest)
    with pytest.raises(GoldenFileError) as caught:
        load(path)
    assert caught.value.path == path
    return caught.value


def test_the_section_is_read_with_its_defaults(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, robustness={"perturbations": ["typo", "script"]}))
    assert isinstance(suite.robustness, RobustnessSection)
    assert suite.robustness == RobustnessSection(perturbations=("typo", "script"))
    assert (suite.robustness.variants, suite.robustness.seed, suite.robustness.tags) == (3, 0, ())
    assert suite.robustness.manifest == tmp_path / "shop.yaml"


def test_every_key_is_read(tmp_path: Path) -> None:
    section = {"perturbations": ["width"], "variants": 20, "seed": 7, "tags": ["robust"]}
    suite = load(write_suite(tmp_path, robustness=section))
    assert suite.robustness == RobustnessSection(
        perturbations=("width",), variants=20, seed=7, tags=("robust",)
    )


def test_a_suite_without_the_section_has_no_variants(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path))
    assert suite.robustness is None and suite.variants == () and suite.unchanged == ()


def test_an_unknown_perturbation_is_refused_with_a_did_you_mean_and_the_list(
    tmp_path: Path,
) -> None:
    error = refused(tmp_path, robustness={"perturbations": ["typo", "width", "homophon"]})
    assert error.field == "robustness.perturbations[2]"
    assert "unknown perturbation 'homophon' (did you mean 'homophone'?)" in error.reason
    assert "known: width, script, typo, homophone, punctuation, whitespace" in error.reason
    assert str(tmp_path / "shop.yaml") in str(error)


@pytest.mark.parametrize("count", [0, 1000, 21, -1, True, 2.5, "3"])
def test_a_variant_count_outside_1_to_20_or_not_a_whole_number_is_refused(
    tmp_path: Path, count: Any
) -> None:
    error = refused(tmp_path, robustness={"perturbations": ["typo"], "variants": count})
    assert error.field == "robustness.variants"
    assert "must be a whole number from 1 to 20" in error.reason
    assert f"(got {count!r})" in error.reason
    assert "each one more model call per case" in error.reason


@pytest.mark.parametrize(
    ("section", "field", "fragment"),
    [
        ({"perturbations": []}, "robustness.perturbations", "the list is empty"),
        ({"variants": 3}, "robustness.perturbations", "name the perturbations to apply"),
        ({"perturbations": "typo"}, "robustness.perturbations", "must be a list"),
        (
            {"perturbations": ["typo", "case", "typo"]},
            "robustness.perturbations[2]",
            "perturbation 'typo' is listed twice",
        ),
        ({"perturbations": [3]}, "robustness.perturbations[0]", "unknown perturbation 3"),
        ({"perturbations": ["typo"], "seed": -1}, "robustness.seed", "0 or above (got -1)"),
        ({"perturbations": ["typo"], "seed": "x"}, "robustness.seed", "0 or above (got 'x')"),
        ({"perturbations": ["typo"], "seed": False}, "robustness.seed", "(got False)"),
        ({"perturbations": ["typo"], "tags": "robust"}, "robustness.tags", "list of tag names"),
        ({"perturbations": ["typo"], "tags": [1]}, "robustness.tags", "list of tag names"),
        ({"perturbations": ["typo"], "tags": []}, "robustness.tags", "an empty list"),
        (
            {"perturbations": ["typo"], "tags": ["nowhere"]},
            "robustness.tags",
            "no case carries any of the tags nowhere, so there is nothing to perturb",
        ),
        (
            {"perturbations": ["typo"], "variant": 2},
            "robustness",
            "unknown key 'variant' (did you mean 'variants'?)",
        ),
    ],
)
def test_each_bad_value_is_one_clear_error_naming_the_field(
    tmp_path: Path, section: dict[str, Any], field: str, fragment: str
) -> None:
    error = refused(tmp_path, robustness=section)
    assert error.field == field
    assert fragment in error.reason


def test_a_section_that_is_not_a_mapping_is_refused_by_the_schema(tmp_path: Path) -> None:
    error = refused(tmp_path, robustness=["typo"])
    assert error.field == "robustness"
    assert "is not of type 'object'" in error.reason


def test_an_empty_section_is_refused_not_read_as_no_section(tmp_path: Path) -> None:
    """``robustness:`` with nothing under it is YAML's null: a suite that asked for variants
    must not silently get none."""
    path = write_suite(tmp_path)
    path.write_text(path.read_text("utf-8") + "robustness:\n", "utf-8")
    with pytest.raises(GoldenFileError) as caught:
        load(path)
    assert caught.value.field == "robustness"
    assert caught.value.reason == (
        "is empty where a mapping (keys indented below) is expected: write it under the key, "
        "or remove the key"
    )


@dataclass(frozen=True)
class VariantShare:
    """A metric that reads variants (``sees_variants``), registered here under a name of its
    own: the load-time rule is about that class attribute and a ``perturbation`` attribute,
    whichever metric carries them (the robustness metrics are built in their own module)."""

    perturbation: str | None = None
    higher_is_better: bool = True
    bounds: tuple[float, float] | None = (0.0, 1.0)
    sees_variants: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return f"variant_share[{self.perturbation}]" if self.perturbation else "variant_share"

    def __call__(self, cases: Sequence[ScoredCase]) -> MetricValue:
        ids = tuple(case.id for case in cases if case.variant_of)
        return MetricValue(len(ids) / len(cases), (1.0,) * len(ids), item_ids=ids)


def _variant_share(params: Mapping[str, Any], context: MetricContext) -> VariantShare:
    return VariantShare(perturbation=params.get("perturbation"))


@pytest.fixture
def variant_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """``variant_share`` registered for one test, and gone after it: other tests (the list of
    every registered name) must not see it. The installed kinds are loaded first, so the
    table put back holds them too."""
    registry.load_metric_kinds()
    monkeypatch.setattr(registry, "_kinds", dict(registry._kinds))
    monkeypatch.setattr(registry, "_origins", dict(registry._origins))
    register_metric_kind("variant_share", _variant_share)


@pytest.mark.usefixtures("variant_share")
def test_a_metric_of_variants_on_a_suite_without_the_section_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, metrics=[{"name": "variant_share", "min": 0.1}])
    assert error.field == "metrics"
    assert "metric 'variant_share' measures the robustness variants" in error.reason
    assert "add a robustness: section" in error.reason and "or remove the metric" in error.reason


@pytest.mark.usefixtures("variant_share")
def test_a_metric_of_a_perturbation_the_section_does_not_list_is_refused(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        robustness={"perturbations": ["typo", "width"]},
        metrics=[{"name": "variant_share", "perturbation": "script", "min": 0.1}],
    )
    assert error.field == "metrics"
    assert "perturbation 'script', which robustness.perturbations does not list" in error.reason
    assert "(typo, width)" in error.reason


@pytest.mark.usefixtures("variant_share")
def test_a_metric_of_a_listed_perturbation_loads(tmp_path: Path) -> None:
    suite = load(
        write_suite(
            tmp_path,
            robustness={"perturbations": ["typo", "width"]},
            metrics=[{"name": "variant_share", "perturbation": "width", "min": 0.1}],
        )
    )
    assert [spec.metric.name for spec in suite.metrics] == ["variant_share[width]"]
