"""Perplexity on the real default model against an independent computation.

The independent one is what anyone would write with transformers alone: the prompt and the
reference tokenised together, prompt positions labelled -100, ``exp(model(ids, labels).loss)``.
Both must agree to the fourth digit, batched or not.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from releasegate.config import default_cache_dir
from releasegate.golden.prompting import build_prompt
from releasegate.golden.suites import discover_suites
from releasegate.models.backend import ModelSpec
from releasegate.perplexity import LikelihoodBackend, reference_text

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def backend():  # type: ignore[no-untyped-def]
    from releasegate.models.hf import HFBackend

    loaded = HFBackend(
        ModelSpec(
            model="smollm2-135m-instruct",
            device="cpu",
            dtype="float32",
            cache_dir=default_cache_dir(),
        )
    )
    yield loaded
    loaded.close()


def test_matches_the_loss_of_a_plain_forward_pass(backend) -> None:  # type: ignore[no-untyped-def]
    import torch

    assert isinstance(backend, LikelihoodBackend)
    suites = discover_suites(
        ROOT / "fixtures" / "golden", schemas_dir=ROOT / "fixtures" / "schemas"
    )
    cs_zh = next(s for s in suites if s.name == "cs_zh")
    requests = [
        (backend.render(build_prompt(case, cs_zh.prompt)), reference_text(case.expected))
        for case in cs_zh.cases[:6]
    ]
    batched = backend.log_likelihoods(requests, batch_size=4)
    single = backend.log_likelihoods(requests, batch_size=1)
    for (prompt, reference), got, alone in zip(requests, batched, single, strict=True):
        tokenizer = backend.tokenizer
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        ids = tokenizer(prompt + reference, add_special_tokens=False)["input_ids"]
        assert ids[: len(prompt_ids)] == prompt_ids  # the same tokens as the metric's
        labels = [-100] * len(prompt_ids) + ids[len(prompt_ids) :]
        with torch.inference_mode():
            loss = backend.model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels])).loss
        assert got.tokens == len(ids) - len(prompt_ids)
        assert got.perplexity == pytest.approx(math.exp(float(loss)), rel=1e-4)
        assert alone.perplexity == pytest.approx(got.perplexity, rel=1e-4)
