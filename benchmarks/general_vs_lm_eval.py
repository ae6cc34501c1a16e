"""The benchmark part of the suite against a plain ``lm_eval`` command on the same tasks.

1. Time: ``pytest model_tests/test_general.py`` (benchmarks re-evaluated, not from the cache)
   against the ``lm_eval`` command ``releasegate benchmarks`` prints, each run as a fresh process
   (start-up, model load and evaluation included), alternating, ``--repeats`` times; the ratio
   of medians must be at most 1.05. The accuracies of both must be equal digit for digit.
2. Memory: a process that evaluates with the suite's loaded model handed to lm-eval, against
   one that lets lm-eval load a second copy beside it. Printed: the bytes of distinct tensor
   storage behind both models' weights (the figure that doubles with a second copy), the
   process's anonymous and file-backed resident memory (/proc/self/smaps_rollup: weights read
   through a memory map are file-backed), and its peak resident memory.

    .venv/bin/python benchmarks/general_vs_lm_eval.py [--repeats 3] [--memory-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}

MEMORY_PROBE = """
import json, resource, sys
from pathlib import Path
import torch
from releasegate.models.backend import ModelSpec
from releasegate.models.loading import load_backend
from releasegate.benchmarks.mmlu import prepare_mmlu
from releasegate.config import default_cache_dir
import lm_eval
from lm_eval.tasks import TaskManager

def rollup():
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":")
        fields[name] = int(value.split()[0]) / 1024
    return fields

def weights_mib(*models):
    # Distinct tensor storages behind the models' parameters and buffers: what holds weights.
    seen = {}
    for model in models:
        for tensor in [*model.parameters(), *model.buffers()]:
            storage = tensor.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values()) / 2**20

from releasegate.models.backend import GenerationSettings, Prompt
backend = load_backend("hf", ModelSpec("smollm2-135m-instruct", device="cpu", dtype="float32"))
# The suite answers golden cases with its model, so all of its weights are in memory (a memory
# map reads them in as they are used); then lm-eval evaluates.
hello = backend.render(Prompt(messages=({"role": "user", "content": "Where is my order?"},)))
backend.generate([hello], GenerationSettings(max_new_tokens=4), batch_size=1)
if sys.argv[1] == "shared":
    lm = backend.lm_eval_model(batch_size=16)
else:
    from lm_eval.models.huggingface import HFLM
    lm = HFLM(pretrained=str(backend.path), dtype="float32", batch_size=16, device="cpu")
tm = TaskManager(include_path=str(prepare_mmlu(Path(sys.argv[2]), default_cache_dir())))
out = lm_eval.simple_evaluate(model=lm, tasks=["mmlu_marketing"], task_manager=tm, limit=20)
memory = rollup()
print(json.dumps({
    "weights_mib": round(weights_mib(backend.model, lm.model), 1),
    "anonymous_mib": round(memory["Anonymous"], 1),
    "file_backed_mib": round(memory["Rss"] - memory["Anonymous"], 1),
    "rss_mib": round(memory["Rss"], 1),
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "acc": out["results"]["mmlu_marketing"]["acc,none"],
}))
"""


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-only", action="store_true", help="skip the timing part")
    args = parser.parse_args()
    if not args.memory_only:
        time_against_lm_eval(args.repeats)
    mmlu = str(ROOT / "fixtures" / "data" / "mmlu")
    for mode in ("shared", "second-copy"):
        _, output = timed([sys.executable, "-c", MEMORY_PROBE, mode, mmlu])
        print(f"memory, model {mode}: {output.strip().splitlines()[-1]}")


def time_against_lm_eval(repeats: int) -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "releasegate.cli", "benchmarks"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (command,) = [
        line.strip() for line in listing.splitlines() if line.strip().startswith("lm_eval ")
    ]
    out_dir = Path(tempfile.mkdtemp(prefix="lm_eval-"))
    plain = command.replace("lm_eval ", f"{sys.executable} -m lm_eval run ", 1).split()
    plain = [p if p != "reports/lm_eval" else str(out_dir) for p in plain]
    ours = [
        sys.executable,
        "-m",
        "pytest",
        "model_tests/test_general.py",
        "-p",
        "no:cacheprovider",
        "-k",
        "not no_drop",
        "--no-prediction-cache",
        "--run-id",
        "bench-general",
    ]
    times: dict[str, list[float]] = {"releasegate": [], "lm_eval": []}
    for _ in range(repeats):
        times["releasegate"].append(timed(ours)[0])
        times["lm_eval"].append(timed(plain)[0])
    ratio = statistics.median(times["releasegate"]) / statistics.median(times["lm_eval"])
    print(f"plain command: {' '.join(plain)}")
    for name, values in times.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"{name:12} wall s: {shown} (median {statistics.median(values):.1f})")
    print(f"ratio releasegate / lm_eval (medians): {ratio:.3f}")
    ours_results = json.loads((ROOT / "reports" / "bench-general" / "results.json").read_text())
    (results_file,) = sorted(out_dir.rglob("results_*.json"))[-1:]
    theirs = json.loads(results_file.read_text())["results"]
    for metric in ours_results["metrics"]:
        task = metric["suite"].removeprefix("general/")
        same = repr(metric["value"]) == repr(theirs[task]["acc,none"])
        print(
            f"{task}: releasegate {metric['value']!r} ± {metric['stderr']:.4f}, "
            f"lm_eval {theirs[task]['acc,none']!r}: {'identical' if same else 'DIFFERENT'}"
        )


if __name__ == "__main__":
    main()
