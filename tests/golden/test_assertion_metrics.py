"""``assertion_pass_rate``: the share of the cases carrying a named assertion whose outcome is
``pass``, on real suites (a manifest and its JSONL cases written to tmp_path, loaded by the suite
loader, answers checked by the one case-scoring function)."""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from releasegate.exceptions import ConfigError, GoldenFileError
from releasegate.gate.judging import score_case
from releasegate.golden.assertion_metrics import AssertionPassRate
from releasegate.golden.metric_types import ScoredCase, is_additive
from releasegate.golden.suites import Suite, load_suite

ROOT = Path(__file__).resolve().parents[2]

NO_COMPETITOR = {"type": "not-contains", "value": "Amazon", "name": "no-competitor"}
AS_JSON = {"type": "json_schema", "value": {"type": "object"}, "name": "as-json"}


def write_suite(
    folder: Path,
    cases: Sequence[Mapping[str, Any]],
    *,
    metrics: str = "  - {name: assertion_pass_rate, assertion: no-competitor, min: 0.9}\n",
    extra: str = "",
) -> Path:
    """``shop.yaml`` (check ``contains``, the given *metrics*) and ``shop.jsonl`` in *folder*."""
    manifest = folder / "shop.yaml"
    manifest.write_text(
        "name: shop\ncases: shop.jsonl\ncheck: contains\n" + extra + "metrics:\n" + metrics,
        encoding="utf-8",
    )
    (folder / "shop.jsonl").write_text(
        "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8"
    )
    return manifest


def load(manifest: Path) -> Suite:
    return load_suite(manifest, schemas_dir=ROOT / "fixtures" / "schemas")


def scored(suite: Suite, answers: Mapping[str, str]) -> list[ScoredCase]:
    return [score_case(suite, case, answers[case.id]) for case in suite.cases]


CASES: list[dict[str, Any]] = [
    {"id": "kept", "input": "q1", "expected": "7 days", "assert": [NO_COMPETITOR]},
    {"id": "broke", "input": "q2", "expected": "7 days", "assert": [NO_COMPETITOR]},
    {"id": "plain", "input": "q3", "expected": "7 days"},
    {"id": "json", "input": "q4", "expected": "7 days", "assert": [NO_COMPETITOR, AS_JSON]},
    {"id": "noj", "input": "q5", "expected": "7 days", "assert": [AS_JSON]},
]


def test_the_value_is_the_share_of_carriers_that_pass_and_unscored_is_not_a_pass(
    tmp_path: Path,
) -> None:
    suite = load(write_suite(tmp_path, CASES, metrics=_both_metrics()))
    answers = {
        "kept": "7 days",
        "broke": "7 days, or ask Amazon",
        "plain": "Amazon",  # carries neither assertion: counts for neither
        "json": '{"refund": "7 days"}',
        "noj": "7 days, no JSON here",  # as-json unscored: no JSON object to validate
    }
    cases = scored(suite, answers)
    competitor, as_json = (spec.metric for spec in suite.metrics)

    value = competitor(cases)
    assert value.item_ids == ("kept", "broke", "json")
    assert value.per_item == (1.0, 0.0, 1.0)
    assert value.value == pytest.approx(2 / 3)
    assert dict(value.details) == {"cases": 3.0, "passed": 2.0, "failed": 1.0, "unscored": 0.0}

    value = as_json(cases)
    assert value.item_ids == ("json", "noj")
    assert value.per_item == (1.0, 0.0)  # the unscored one counts 0, never 1
    assert dict(value.details)["unscored"] == 1.0
    assert value.value == 0.5


def _both_metrics() -> str:
    return (
        "  - {name: assertion_pass_rate, assertion: no-competitor, min: 0.9}\n"
        "  - {name: assertion_pass_rate, assertion: as-json, min: 0.5}\n"
    )


def test_the_metric_is_named_by_its_assertion_and_is_a_mean_of_ones_and_zeros(
    tmp_path: Path,
) -> None:
    suite = load(write_suite(tmp_path, CASES, metrics=_both_metrics()))
    assert [spec.name for spec in suite.metrics] == [
        "assertion_pass_rate[no-competitor]",
        "assertion_pass_rate[as-json]",
    ]
    assert suite.metrics[0].min == 0.9
    metric = suite.metrics[0].metric
    assert isinstance(metric, AssertionPassRate)
    assert is_additive(metric) and metric.higher_is_better and metric.bounds == (0.0, 1.0)


def test_an_unnamed_assertion_is_counted_by_its_reported_name(tmp_path: Path) -> None:
    unnamed = {"type": "not-contains", "value": "cash on delivery"}
    cases = [{"id": "a", "input": "q", "expected": "7 days", "assert": [unnamed]}]
    suite = load(write_suite(tmp_path, cases, metrics="  - {name: accuracy}\n"))
    (name,) = suite.assertion_names
    write_suite(
        tmp_path,
        cases,
        metrics=f"  - {{name: assertion_pass_rate, assertion: {json.dumps(name)}}}\n",
    )
    suite = load(tmp_path / "shop.yaml")
    value = suite.metrics[0].metric(scored(suite, {"a": "7 days, cash on delivery"}))
    assert (value.value, value.item_ids) == (0.0, ("a",))


def test_a_suite_assertion_is_carried_by_every_case(tmp_path: Path) -> None:
    extra = textwrap.dedent(
        """
        assert:
          - {type: not-contains, value: Amazon, name: no-competitor}
        """
    )
    cases = [{"id": f"c{i}", "input": f"q{i}", "expected": "7 days"} for i in range(4)]
    suite = load(write_suite(tmp_path, cases, extra=extra))
    answers = {"c0": "7 days", "c1": "7 days", "c2": "7 days at Amazon", "c3": "7 days"}
    value = suite.metrics[0].metric(scored(suite, answers))
    assert value.item_ids == ("c0", "c1", "c2", "c3")
    assert value.value == 0.75


def test_a_run_that_judged_no_carrier_has_no_value(tmp_path: Path) -> None:
    suite = load(write_suite(tmp_path, CASES))
    plain = [score_case(suite, suite.case("plain"), "7 days")]
    value = suite.metrics[0].metric(plain)
    assert math.isnan(value.value)
    assert (value.per_item, value.item_ids) == ((), ())
    assert dict(value.details)["cases"] == 0.0


def test_a_name_no_case_carries_is_refused_at_load_with_a_close_match(tmp_path: Path) -> None:
    manifest = write_suite(
        tmp_path,
        CASES,
        metrics="  - {name: accuracy}\n  - {name: assertion_pass_rate, assertion: no-competiter}\n",
    )
    with pytest.raises(GoldenFileError) as caught:
        load(manifest)
    error = caught.value
    assert error.path == manifest
    assert error.field == "metrics[1].assertion"
    message = str(error)
    assert "'no-competiter'" in message
    assert "Did you mean 'no-competitor'?" in message
    assert "no-competitor, as-json" in message


def test_a_suite_without_assertions_is_refused_saying_so(tmp_path: Path) -> None:
    cases = [{"id": "a", "input": "q", "expected": "7 days"}]
    with pytest.raises(GoldenFileError, match="Its cases carry no assertion") as caught:
        load(write_suite(tmp_path, cases))
    assert caught.value.field == "metrics[0].assertion"


@pytest.mark.parametrize(
    ("metric", "complaint"),
    [
        ("{name: assertion_pass_rate}", "parameter 'assertion' is required"),
        ("{name: assertion_pass_rate, assertion: ''}", "must be a non-empty string"),
        ("{name: assertion_pass_rate, asertion: x}", "Did you mean 'assertion'?"),
    ],
)
def test_a_bad_parameter_is_refused_naming_the_metric(
    tmp_path: Path, metric: str, complaint: str
) -> None:
    manifest = write_suite(tmp_path, CASES, metrics=f"  - {metric}\n")
    with pytest.raises(ConfigError, match=complaint) as caught:
        load(manifest)
    assert f"{manifest}: metrics[0]" in str(caught.value)
    assert "assertion_pass_rate" in str(caught.value)
