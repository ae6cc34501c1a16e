"""A model that fails to load ends the run with its report, each test an ERROR in one line.

The model folders are real: a tiny randomly initialised Llama saved with transformers (with the
default model's tokenizer), then broken as a user's checkpoint breaks: its safetensors file cut
short (a copy interrupted), or its config asking for the checkpoint's own code (``auto_map``).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from releasegate.config import default_cache_dir
from tiny_project import write_project

pytestmark = pytest.mark.slow

CASES = [
    {"id": "a", "input": "Say hello.", "expected": "hello"},
    {"id": "b", "input": "Say bye.", "expected": "bye"},
]
MANIFEST = textwrap.dedent(
    """
    name: tiny
    cases: tiny.jsonl
    check: exact
    generation:
      max_new_tokens: 4
    metrics:
      - {name: accuracy}
    """
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete tiny Llama folder (a few MB: the default model's vocabulary, 16 wide)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from releasegate.models.default_model import ensure_default_model

    default = ensure_default_model(default_cache_dir())
    folder = tmp_path_factory.mktemp("models") / "tiny-llama"
    config = LlamaConfig(
        vocab_size=49152,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=128,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        shutil.copy(default / name, folder / name)
    return folder


def _truncated(model: Path, target: Path) -> Path:
    shutil.copytree(model, target)
    weights = target / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    return target


def _needs_custom_code(model: Path, target: Path) -> Path:
    shutil.copytree(model, target)
    config = json.loads((target / "config.json").read_text())
    config["model_type"] = "shopllama"
    config["architectures"] = ["ShopLlamaForCausalLM"]
    config["auto_map"] = {
        "AutoConfig": "configuration_shop.ShopConfig",
        "AutoModelForCausalLM": "modeling_shop.ShopLlamaForCausalLM",
    }
    (target / "config.json").write_text(json.dumps(config))
    (target / "configuration_shop.py").write_text(
        "from transformers import LlamaConfig\n\n"
        "class ShopConfig(LlamaConfig):\n    model_type = 'shopllama'\n"
    )
    (target / "modeling_shop.py").write_text(
        "raise SystemExit('the model folder code ran')\n"  # releasegate must never run it
    )
    return target


def _project(pytester: pytest.Pytester, model: Path) -> pytest.Pytester:
    config = (
        f'[tool.releasegate]\nmodel = "{model}"\nbatch_size = 2\n'
        f'cache_dir = "{pytester.path / "cache"}"\n'
    )
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES)
    return pytester


@pytest.mark.parametrize(
    ("breakage", "workers", "says"),
    [
        ("truncated", "0", "model.safetensors is damaged or incomplete"),
        ("truncated", "2", "model.safetensors is damaged or incomplete"),
        ("custom_code", "0", "config.json needs the checkpoint's own Python code"),
    ],
)
def test_a_model_that_fails_to_load_ends_the_run_with_its_report(
    pytester: pytest.Pytester, tiny_model: Path, breakage: str, workers: str, says: str
) -> None:
    broken = pytester.path / "checkpoint"
    if breakage == "truncated":
        _truncated(tiny_model, broken)
    else:
        _needs_custom_code(tiny_model, broken)
    project = _project(pytester, broken)

    result = project.runpytest_subprocess(
        "model_tests",
        "-p",
        "no:cacheprovider",
        "--show-capture=no",  # the error alone (transformers also logs warnings to stderr)
        "-n",
        workers,
        "--run-id",
        "broken",
    )

    out = result.stdout.str()
    assert "Traceback" not in out + result.stderr.str()
    assert "the model folder code ran" not in out + result.stderr.str()
    result.assert_outcomes(errors=3)
    # Each test's error is one line naming the folder, what is wrong and what to do.
    errors = out.split("= ERRORS =")[1].split("= releasegate =")[0]
    blocks = errors.split("ERROR at setup of")[1:]
    assert len(blocks) == 3
    for block in blocks:
        lines = [
            line
            for line in block.splitlines()[1:]
            if line.strip() and not line.startswith(("_", "=", "[gw", "- generated xml"))
        ]
        assert len(lines) == 1, block
        assert f"cannot load model '{broken}'" in lines[0]
        assert says in lines[0]
    assert "every answer and benchmark result was cached" not in out
    assert f"model weights: failed to load: cannot load model '{broken}'" in out
    # The report is written, and reports/latest points at it.
    latest = project.path / "reports" / "latest"
    assert latest.resolve() == (project.path / "reports" / "broken").resolve()
    run = json.loads((latest / "results.json").read_text())
    assert run["totals"] == {"error": 3}
    assert all(says in test["message"] for test in run["unjudged"])
    assert (latest / "report.html").is_file()
