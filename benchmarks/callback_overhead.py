"""The training-loop callback's cost per evaluation against a plain run of the same suites.

Plain: ``pytest model_tests/test_golden.py --suite S --no-prediction-cache`` in a fresh process
(what a pipeline without the callback runs on a saved checkpoint: start, load, generate, judge,
report), with a run id of its own: answers of an earlier run are never reused.
Callback: ``ReleaseGateCallback.evaluate`` on the model already in memory (eval mode, batched
generation, judging, the history write, back to train mode). Both generate every answer.

    .venv/bin/python benchmarks/callback_overhead.py [--suite intents] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="intents")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    tag = f"{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
    with tempfile.TemporaryDirectory() as folder:
        plain = []
        for n in range(args.repeat):
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable, "-m", "pytest", "model_tests/test_golden.py", "-q",
                    "-p", "no:cacheprovider", f"--suite={args.suite}", "--no-prediction-cache",
                    "--reports-dir", folder, "--run-id", f"bench-{tag}-plain{n}",
                    "--history-path", str(Path(folder) / "h.sqlite"),
                ],
                cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
            )  # fmt: skip
            plain.append(time.perf_counter() - started)
            if done.returncode not in (0, 1) or " passed" not in done.stdout:
                raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from releasegate.config import default_cache_dir
        from releasegate.integrations.transformers import ReleaseGateCallback
        from releasegate.models.default_model import ensure_default_model

        path = ensure_default_model(default_cache_dir())
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        model.train()
        callback = ReleaseGateCallback(
            tokenizer=tokenizer,
            suites=[args.suite],
            root=ROOT,
            history_path=Path(folder) / "c.sqlite",
        )
        inside = []
        for n in range(args.repeat):
            evaluation = callback.evaluate(model, tokenizer, step=n, name="bench")
            inside.append(evaluation.seconds)
            assert model.training
    print(f"suite {args.suite}, {args.repeat} runs each:")
    print("  plain pytest run (fresh process): " + ", ".join(f"{s:.1f} s" for s in plain))
    print("  callback, model in memory:        " + ", ".join(f"{s:.1f} s" for s in inside))
    print(f"  callback minus plain (best of each): {min(inside) - min(plain):+.1f} s")


if __name__ == "__main__":
    main()
