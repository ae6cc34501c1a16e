"""The backend contract and the ``hf`` backend on the real default model."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from importlib import metadata
from pathlib import Path

import pytest

from releasegate.config import default_cache_dir
from releasegate.exceptions import (
    BackendError,
    ConfigError,
    GenerationInterrupted,
    ModelLoadError,
    UnknownNameError,
)
from releasegate.models import default_model
from releasegate.models.backend import Backend, GenerationSettings, ModelSpec, Prompt
from releasegate.models.default_model import INSTALL_COMMAND
from releasegate.models.loading import load_backend
from releasegate.models.sources import check_model_source

QUESTIONS = (
    "What is the capital of France?",
    "Hi",
    "How do I return an item I bought last week?",
    "What is 12 + 7?",
    "Translate 'good morning' into Spanish.",
    "My order #4411 has not arrived after two weeks and the tracking page shows no updates since "
    "it left the warehouse. Who should I contact, and what information will they need from me?",
    "Name three primary colours.",
    "Write one sentence about the sea.",
)


def chat(question: str) -> Prompt:
    return Prompt(messages=({"role": "user", "content": question},))


# The contract: plain records, validated where they are made.


def test_greedy_settings_key_ignores_sampling_knobs() -> None:
    greedy = GenerationSettings(max_new_tokens=48)
    assert greedy.as_key() == {"max_new_tokens": 48, "temperature": 0.0}
    assert GenerationSettings(max_new_tokens=48, seed=7, top_p=0.5).as_key() == greedy.as_key()
    sampled = GenerationSettings(temperature=0.7, top_p=0.9, seed=3)
    assert sampled.as_key() == {
        "max_new_tokens": 64,
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 3,
    }
    assert sampled.as_key() != GenerationSettings(temperature=0.7, top_p=0.9, seed=4).as_key()


@pytest.mark.parametrize(
    "kwargs", [{"max_new_tokens": 0}, {"temperature": -0.1}, {"top_p": 0.0}, {"top_p": 1.5}]
)
def test_bad_settings_are_config_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        GenerationSettings(**kwargs)  # type: ignore[arg-type]


def test_prompt_has_exactly_one_of_messages_and_text() -> None:
    assert Prompt(text="hello").text == "hello"
    with pytest.raises(ValueError, match="exactly one"):
        Prompt()
    with pytest.raises(ValueError, match="exactly one"):
        Prompt(messages=({"role": "user", "content": "a"},), text="b")
    with pytest.raises(ValueError, match="at least one"):
        Prompt(messages=())
    with pytest.raises(ValueError, match="'role' and 'content'"):
        Prompt(messages=({"role": "user"},))
    with pytest.raises(FrozenInstanceError):
        Prompt(text="a").text = "b"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"device": "gpu"}, "device 'gpu'"),
        ({"dtype": "int8"}, "dtype 'int8'"),
        ({"model": " "}, "empty"),
    ],
)
def test_bad_model_spec_is_a_config_error(kwargs: dict[str, str], match: str) -> None:
    spec = {"model": "default", **kwargs}
    with pytest.raises(ConfigError, match=match):
        ModelSpec(**spec)  # type: ignore[arg-type]


def test_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown backend 'hff'.*Did you mean 'hf'"):
        load_backend("hff", ModelSpec("default"))


# Where the model comes from: checked before torch is imported.


def test_missing_local_folders_fail_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    for name in ("./model", str(tmp_path / "model"), "~/no-such-model-here", "checkpoints/step-1"):
        with pytest.raises(ModelLoadError, match="does not exist"):
            check_model_source(ModelSpec(name))
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_backend("hf", ModelSpec("./model"))


def test_local_folder_must_hold_a_model(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        check_model_source(ModelSpec(str(tmp_path)))
    with pytest.raises(ModelLoadError, match="is a file"):
        check_model_source(ModelSpec(str(tmp_path / "weights.bin")))


def test_hub_ids_and_the_default_alias_pass(tmp_path: Path) -> None:
    for name in ("HuggingFaceTB/SmolLM2-135M-Instruct", "gpt2", "default", "smollm2-135m-instruct"):
        check_model_source(ModelSpec(name, cache_dir=default_cache_dir()))
    with pytest.raises(ModelLoadError, match="neither an existing folder nor a hub id"):
        check_model_source(ModelSpec("not a model id"))


def test_default_alias_without_its_wheel_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(default_model.metadata, "distribution", missing)
    with pytest.raises(ModelLoadError, match=re.escape(INSTALL_COMMAND)):
        check_model_source(ModelSpec("default"))


def test_uncached_hub_model_offline_is_a_model_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="acme/never-downloaded"):
        load_backend("hf", ModelSpec("acme/never-downloaded", device="cpu", cache_dir=tmp_path))


# The real default model.


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    loaded = load_backend("hf", ModelSpec("smollm2-135m-instruct", device="cpu"))
    yield loaded
    loaded.close()


def test_backend_meets_the_protocol_and_describes_itself(backend: Backend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "hf"
    described = backend.describe()
    assert described["source"] == "default"
    assert described["device"] == "cpu" and described["dtype"] == "float32"
    assert described["fingerprint"] == backend.fingerprint and len(backend.fingerprint) == 64
    assert 130e6 < described["parameters"] < 140e6
    assert {"torch", "transformers", "path", "model"} <= described.keys()
    hf = backend  # the attributes lm-eval is handed
    assert hf.model is not None and hf.tokenizer.padding_side == "left"  # type: ignore[attr-defined]


def test_render_applies_the_chat_template(backend: Backend) -> None:
    rendered = backend.render(chat("Hello there"))
    assert rendered.startswith("<|im_start|>system\n")  # the template's default system prompt
    assert "<|im_start|>user\nHello there<|im_end|>\n" in rendered
    assert rendered.endswith("<|im_start|>assistant\n")
    with_system = backend.render(
        Prompt(
            messages=(
                {"role": "system", "content": "You answer for the shop."},
                {"role": "user", "content": "Hi"},
            )
        )
    )
    assert with_system.startswith("<|im_start|>system\nYou answer for the shop.<|im_end|>")
    assert backend.render(Prompt(text="Question: hi\nAnswer:")) == "Question: hi\nAnswer:"


def test_generate_keeps_input_order_and_stops_at_end_of_turn(backend: Backend) -> None:
    rendered = [backend.render(chat(q)) for q in ("Hi", "What is the capital of France?")]
    settings = GenerationSettings(max_new_tokens=16)
    answers = backend.generate(rendered, settings, batch_size=2)
    assert len(answers) == 2
    assert "Paris" in answers[1].text
    assert "<|im_end|>" not in answers[1].text
    assert 0 < answers[1].output_tokens < 16  # it stopped by itself
    assert answers[0].seconds == answers[1].seconds > 0
    assert backend.generate([], settings, batch_size=4) == []
    reversed_input = backend.generate(rendered[::-1], settings, batch_size=2)
    assert [a.text for a in reversed_input] == [a.text for a in answers[::-1]]


def test_plain_text_prompts_generate_too(backend: Backend) -> None:
    rendered = backend.render(Prompt(text="The capital of France is"))
    (answer,) = backend.generate([rendered], GenerationSettings(max_new_tokens=4), batch_size=1)
    assert answer.output_tokens == 4 and answer.text.strip()


def test_bad_batch_size(backend: Backend) -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        backend.generate(["x"], GenerationSettings(), batch_size=0)


def test_same_folder_gives_same_fingerprint(backend: Backend) -> None:
    folder = backend.describe()["path"]
    again = load_backend("hf", ModelSpec(folder, device="cpu"))
    try:
        assert again.describe()["source"] == "folder"
        assert again.fingerprint == backend.fingerprint
    finally:
        again.close()
    with pytest.raises(BackendError, match="closed"):
        again.generate(["x"], GenerationSettings(), batch_size=1)


@pytest.mark.slow
def test_batch_size_does_not_change_greedy_answers(backend: Backend) -> None:
    rendered = [backend.render(chat(q)) for q in QUESTIONS]
    lengths = {len(backend.tokenizer(r)["input_ids"]) for r in rendered}  # type: ignore[attr-defined]
    assert len(lengths) >= 6  # real padding inside the batch of 8
    settings = GenerationSettings(max_new_tokens=48)
    one_by_one = backend.generate(rendered, settings, batch_size=1)
    batched = backend.generate(rendered, settings, batch_size=8)
    assert [a.text for a in batched] == [a.text for a in one_by_one]
    assert [a.output_tokens for a in batched] == [a.output_tokens for a in one_by_one]
    assert "Paris" in one_by_one[0].text


@pytest.mark.slow
def test_sampling_is_repeatable_with_a_seed(backend: Backend) -> None:
    import torch

    rendered = [backend.render(chat(q)) for q in QUESTIONS[:3]]
    settings = GenerationSettings(max_new_tokens=16, temperature=0.9, top_p=0.95, seed=11)
    state = torch.random.get_rng_state()
    first = [a.text for a in backend.generate(rendered, settings, batch_size=4)]
    assert torch.equal(state, torch.random.get_rng_state())  # the caller's RNG is untouched
    assert [a.text for a in backend.generate(rendered, settings, batch_size=4)] == first
    other_seed = GenerationSettings(max_new_tokens=16, temperature=0.9, top_p=0.95, seed=12)
    assert [a.text for a in backend.generate(rendered, other_seed, batch_size=4)] != first


SHOP_POLICY = (
    "You are the assistant of an online shop. Policy: returns within 30 days of delivery; "
    "refunds in 5-7 business days to the original payment method; free shipping over $50, "
    "otherwise $4.95; standard delivery 3-5 business days; express next day if ordered before "
    "2pm; support 9:00-18:00 Monday to Saturday. Answer in one sentence."
)


@pytest.mark.slow
def test_shared_system_prompt_is_computed_once_with_the_same_answers(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from releasegate.models import hf

    rendered = [
        backend.render(
            Prompt(
                messages=(
                    {"role": "system", "content": SHOP_POLICY},
                    {"role": "user", "content": q},
                )
            )
        )
        for q in QUESTIONS
    ]
    calls: list[int] = []
    original = hf.HFBackend._with_shared_prefix

    def spy(self: hf.HFBackend, token_ids: list[list[int]], shared: int) -> dict[str, object]:
        calls.append(shared)
        return original(self, token_ids, shared)

    monkeypatch.setattr(hf.HFBackend, "_with_shared_prefix", spy)
    settings = GenerationSettings(max_new_tokens=32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batched = backend.generate(rendered, settings, batch_size=8)
    assert calls and calls[0] >= 60  # the system prompt's tokens, computed once for the batch
    # the cache is handed over by the keyword this transformers takes, without a deprecation
    # warning on every batch of a run
    assert not [w for w in caught if "past_key_values" in str(w.message)]
    one_by_one = backend.generate(rendered, settings, batch_size=1)
    assert len(calls) == 1  # a batch of one has nothing to share
    assert [a.text for a in batched] == [a.text for a in one_by_one]


def test_an_interrupt_keeps_the_answers_of_the_sub_batches_done(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or a SIGTERM made one) while the third sub-batch runs: the first two answers
    come with the interrupt, so the prediction service caches them."""
    real = backend._generate_batch  # type: ignore[attr-defined]
    calls: list[int] = []

    def interrupted_on_the_third(*args: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("SIGTERM received: ending the run as Ctrl-C does")
        return real(*args)

    monkeypatch.setattr(backend, "_generate_batch", interrupted_on_the_third)
    rendered = [backend.render(chat(q)) for q in QUESTIONS[:4]]
    with pytest.raises(GenerationInterrupted, match=r"SIGTERM received.*2 answer") as raised:
        backend.generate(rendered, GenerationSettings(max_new_tokens=8), batch_size=1)
    assert isinstance(raised.value, KeyboardInterrupt)
    assert len(raised.value.answered) == 2
    assert all(answer.text.strip() for answer in raised.value.answered.values())


# Lazy loading: a fully cached run needs the rendered prompts and description, not the weights.


@pytest.mark.slow
def test_lazy_backend_renders_and_describes_as_the_loaded_one_until_the_template_changes(
    tmp_path: Path,
) -> None:
    """Rendered prompts and the description are remembered per tokenizer files and weights: a
    second process gets the same text and description without loading the weights, and an
    edited chat template is rendered anew by the loaded model, never served stale."""
    from releasegate.models.default_model import ensure_default_model
    from releasegate.models.loading import lazy_backend

    source = ensure_default_model(default_cache_dir())
    folder = tmp_path / "model"
    folder.mkdir()
    for path in source.iterdir():
        if path.name == "model.safetensors":
            (folder / path.name).symlink_to(path)
        else:
            (folder / path.name).write_bytes(path.read_bytes())
    spec = ModelSpec(model=str(folder), device="cpu", dtype="auto", cache_dir=tmp_path / "cache")
    prompts = [chat(q) for q in QUESTIONS[:3]] + [Prompt(text="plain text")]

    def lazy() -> Backend:
        return lazy_backend("hf", spec, worker_id=None, load=lambda: load_backend("hf", spec))

    first = lazy()
    rendered = [first.render(p) for p in prompts]
    described = first.describe()
    assert first.weights_loaded  # type: ignore[attr-defined]
    real = first.real()  # type: ignore[attr-defined]
    assert rendered == [real.render(p) for p in prompts] and described == real.describe()
    first.close()

    second = lazy()
    assert [second.render(p) for p in prompts] == rendered
    assert second.describe() == described and second.fingerprint == real.fingerprint
    assert not second.weights_loaded  # type: ignore[attr-defined]
    second.close()

    template = folder / "chat_template.jinja"
    template.write_text("EDITED " + template.read_text(encoding="utf-8"), encoding="utf-8")
    third = lazy()
    again = third.render(prompts[0])
    assert third.weights_loaded and again.startswith("EDITED ")  # type: ignore[attr-defined]
    assert again == "EDITED " + rendered[0]
    third.close()
