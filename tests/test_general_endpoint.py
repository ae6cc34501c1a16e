"""General benchmarks through an endpoint: lm-eval's API models against a real
``transformers serve`` on loopback (the embedded server, default model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.backends import EndpointSpec, ModelSpec, load_backend
from releasegate.config import default_cache_dir
from releasegate.exceptions import ConfigError
from releasegate.general import BenchmarkRunner, BenchmarkTask, GeneralConfig

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
MMLU = REPO.parent / "shared" / "data" / "mmlu"


def test_generation_task_runs_over_chat_and_multiple_choice_is_explained(tmp_path: Path) -> None:
    spec = ModelSpec(
        "smollm2-135m-instruct", cache_dir=default_cache_dir(), endpoint=EndpointSpec(api="chat")
    )
    backend = load_backend("openai", spec)
    try:
        config = GeneralConfig(
            tasks=(
                BenchmarkTask("shop_address", metrics=("field_f1",), chat_template=True, limit=2),
            ),
            include=(REPO / "fixtures" / "tasks",),
        )
        runner = BenchmarkRunner(config, cache_dir=tmp_path, batch_size=2, reuse=False)
        lm = backend.lm_eval_model(batch_size=2)  # type: ignore[attr-defined]
        result = runner.results(lm, model_key="endpoint")["shop_address"]
        assert len(result.items) == 2
        assert 0.0 <= result.metrics["field_f1"] <= 1.0
        assert all(item.answer for item in result.items.values())

        mmlu = GeneralConfig(tasks=(BenchmarkTask("mmlu_marketing", limit=2),), mmlu_dir=MMLU)
        mc_runner = BenchmarkRunner(mmlu, cache_dir=tmp_path, batch_size=2, reuse=False)
        with pytest.raises(ConfigError, match="need log-probabilities of the prompt"):
            mc_runner.results(lm, model_key="endpoint")
    finally:
        backend.close()
