"""The model description (core.records.ModelDescription): typed in the keys releasegate reads,
every other key kept, one flat object on disk as before; results.json files written before it
existed read back."""

from __future__ import annotations

import json
from pathlib import Path

from releasegate.core.records import ModelDescription, RunRecord, load_run
from tiny_project import write_run

HF = {
    "fingerprint": "sha256:abc",
    "backend": "hf",
    "model": "smollm2-135m-instruct",
    "source": "gguf",
    "path": "/cache/models/smollm2",
    "device": "cpu",
    "dtype": "float32",
    "parameters": 134515008,
    "torch": "2.5.1",
    "transformers": "4.57.0",
}
"""An hf backend's description as results.json held it before the record existed."""

OPENAI = {
    "fingerprint": "endpoint:1f2e",
    "backend": "openai",
    "model": "shop",
    "served_model": "shop-assistant",
    "base_url": "http://127.0.0.1:8000/v1",
    "server": {"models": {"id": "shop-assistant"}},
    "concurrency": 8,
    "run_timeout": None,
}
"""An openai backend's: no device, no dtype, nested and null values of its own."""


def test_each_backends_description_reads_typed_and_writes_back_the_same_object() -> None:
    hf = ModelDescription.from_json(HF)
    assert (hf.fingerprint, hf.backend, hf.model) == ("sha256:abc", "hf", "smollm2-135m-instruct")
    assert (hf.path, hf.device, hf.dtype) == ("/cache/models/smollm2", "cpu", "float32")
    assert hf.details == {
        "source": "gguf",
        "parameters": 134515008,
        "torch": "2.5.1",
        "transformers": "4.57.0",
    }
    assert hf.to_json() == HF
    endpoint = ModelDescription.from_json(OPENAI)
    assert endpoint.device is None and endpoint.path is None
    assert endpoint.details["server"] == {"models": {"id": "shop-assistant"}}
    written = endpoint.to_json()
    assert written == OPENAI  # no "device": null added; its own null kept
    assert "device" not in written


def test_a_backend_of_ones_own_keeps_its_keys() -> None:
    own = {"backend": "my_pkg.backend:Factory", "weights": "s3://bucket/w", "fingerprint": "x1"}
    described = ModelDescription.from_json(own)
    assert described.details == {"weights": "s3://bucket/w"}
    assert described.to_json() == own


def test_a_results_file_written_before_reads_back_typed(tmp_path: Path) -> None:
    results = write_run(tmp_path, "r1", {"q1": "tracking"}) / "results.json"
    document = json.loads(results.read_text(encoding="utf-8"))
    document["models"] = {"gw0": HF, "gw1": OPENAI}
    results.write_text(json.dumps(document), encoding="utf-8")
    run = load_run(results)
    assert run.models["gw0"].fingerprint == "sha256:abc"
    assert run.models["gw1"].backend == "openai"
    assert run.to_json()["models"] == {"gw0": HF, "gw1": OPENAI}
    assert RunRecord.from_json(run.to_json()) == run
