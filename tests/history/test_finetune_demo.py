"""The training-loop story end to end on the real default model, kept tiny: a LoRA fine-tune of
two steps saving two checkpoints, scored inside the loop by ReleaseGateCallback, then
``releasegate checkpoints`` over the same run (the base model as step 0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from releasegate.cli import main
from releasegate.history import HistoryStore
from tiny_project import write_project

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

MANIFEST = textwrap.dedent(
    """
    name: tiny
    cases: tiny.jsonl
    generation:
      max_new_tokens: 6
    check: contains
    review:
      pending: skip  # no review yet: the human metric is skipped, in the loop as in pytest
      criteria:
        - {name: correctness}
    metrics:
      - {name: accuracy, max_drop: 0.5}
      - {name: human_score, min: 4}
    """
)

CASES = [
    {"id": "refund", "input": "Can I return a shelf I bought?", "expected": "return"},
    {"id": "hours", "input": "When is customer support open?", "expected": "ZQXJ-never"},
]


def test_fine_tune_scored_in_the_loop_then_every_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = "[tool.releasegate]\nmax_new_tokens = 6\nbatch_size = 2\n"
    write_project(tmp_path, config=config, manifest=MANIFEST, cases=CASES)
    data = tmp_path / "train.jsonl"
    rows = [line for line in (REPO / "fixtures/train/shop_policy.jsonl").read_text().splitlines()]
    data.write_text("\n".join(rows[:8]) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    trained = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples/finetune/train.py"),
            "--out", "runs/tiny", "--data", str(data), "--steps", "2", "--save-every", "1",
            "--batch-size", "1", "--max-length", "112", "--rank", "4", "--callback", "tiny",
        ],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    run = tmp_path / "runs" / "tiny"
    assert sorted(p.name for p in run.glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]
    assert (run / "checkpoint-2" / "adapter_model.safetensors").is_file()
    store = HistoryStore(tmp_path / "reports" / "history.sqlite")
    in_loop = store.series()
    assert [(p.step, p.suite, p.metric) for p in in_loop] == [
        (1, "tiny", "accuracy"),
        (2, "tiny", "accuracy"),
    ]
    assert len(store.cases(in_loop[0].run_id)) == 2
    log = json.loads((run / "log_history.json").read_text())
    logged = [e for e in log if "releasegate/tiny/accuracy" in e]
    assert [e["step"] for e in logged] == [1, 2]  # in the trainer's log, for its reporters

    code = main(["--root", str(tmp_path), "checkpoints", str(run), "--suite", "tiny"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "step 0 (base model): scoring" in out and "step 2 (checkpoint-2): scoring" in out
    swept = [p for p in store.series() if p.run_id not in {q.run_id for q in in_loop}]
    assert sorted(p.step for p in swept) == [0, 1, 2]
    png = tmp_path / "reports" / "checkpoints-tiny" / "trend.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "| tiny | accuracy |" in (png.parent / "trend.md").read_text()
    # resumable: a second sweep finds every checkpoint already scored
    main(["--root", str(tmp_path), "checkpoints", str(run), "--suite", "tiny"])
    again = capsys.readouterr().out
    assert again.count("already in the history") == 3
