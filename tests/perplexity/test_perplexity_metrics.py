"""The perplexity metrics' arithmetic and the reference each kind of expected value scores."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from releasegate.exceptions import ConfigError
from releasegate.golden.metrics import MetricContext, build_metric
from releasegate.perplexity import LogLikelihood, Perplexity, TokenLikelihood, reference_text

CONTEXT = MetricContext(language="zh", base_dir=Path("."))


def test_perplexity_is_the_mean_of_per_case_perplexities() -> None:
    scores = [TokenLikelihood(-2.0, 4), TokenLikelihood(-9.0, 3)]
    value = Perplexity().from_likelihoods(scores)
    assert value.per_item == (math.exp(0.5), math.exp(3.0))
    assert value.value == pytest.approx((math.exp(0.5) + math.exp(3.0)) / 2)
    assert value.details["corpus_perplexity"] == pytest.approx(math.exp(11 / 7))
    assert not Perplexity().higher_is_better and Perplexity().additive


def test_log_likelihood_and_lm_eval_perplexity() -> None:
    value = LogLikelihood().from_likelihoods([TokenLikelihood(-2.0, 4), TokenLikelihood(-4.0, 1)])
    assert value.value == -3.0 and value.per_item == (-2.0, -4.0)
    assert value.details["lm_eval_perplexity"] == pytest.approx(math.exp(3.0))


def test_references_of_each_kind_of_expected_value() -> None:
    assert reference_text("签收后7天内") == "签收后7天内"
    assert reference_text(("30 days", "thirty days")) == "30 days"
    assert reference_text({"street": "7 Deansgate", "city": "Manchester", "name": None}) == (
        '{"city": "Manchester", "name": null, "street": "7 Deansgate"}'
    )


def test_the_registry_builds_them_and_refuses_params() -> None:
    assert build_metric({"name": "perplexity", "max": 50}, CONTEXT, where="m").name == "perplexity"
    assert build_metric("log_likelihood", CONTEXT, where="m").name == "log_likelihood"
    with pytest.raises(ConfigError, match="takes no parameters"):
        build_metric({"name": "perplexity", "stride": 2}, CONTEXT, where="m")


def test_it_is_not_computed_from_answers() -> None:
    with pytest.raises(ConfigError, match="log-likelihoods of the references, not from answers"):
        Perplexity()([])
