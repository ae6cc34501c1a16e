"""What should ``pytest -n auto`` mean on a CPU machine: one worker with every core, or one worker
per core each with a single thread and its own copy of the model?

Times the same work both ways: 32 golden-like chat prompts, 48 new tokens, greedy, batches of 16,
on the default model in fp32:

- ``1x<cores>``: one process, torch using every core, generating both batches;
- ``<cores>x1``: one process per core, one torch thread each, each generating its share.

Both layouts form the same batches, so they do the same arithmetic and must give the same
answers (checked). Each run starts fresh processes (spawn), like pytest-xdist workers; reported
are generation seconds (after every process has loaded the model, from the first start to the
last finish) and total seconds (process start, imports and model load included, which is what
a pytest run pays). Runs alternate between the layouts so that load from other work on the
machine spreads over both; the load average is printed beside each run.

    python benchmarks/workers_on_cpu.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from raw_generate import EXAMPLE_QUESTIONS  # the sibling script's questions

SYSTEM = "You are the customer-service assistant of an online shop. Answer briefly."


def golden_like_messages() -> list[list[dict[str, str]]]:
    """32 conversations: each example question alone and with the shop's system prompt."""
    plain = [[{"role": "user", "content": q}] for q in EXAMPLE_QUESTIONS]
    shop = [[{"role": "system", "content": SYSTEM}, *m] for m in plain]
    return plain + shop


def worker(
    index: int,
    conversations: list[list[dict[str, str]]],
    threads: int,
    batch_size: int,
    max_new_tokens: int,
    barrier: Any,
    results: Any,
) -> None:
    import torch

    torch.set_num_threads(threads)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from releasegate.config import default_cache_dir
    from releasegate.models.default_model import ensure_default_model

    folder = ensure_default_model(default_cache_dir())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    prompts = [
        tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True)
        for m in conversations
    ]
    barrier.wait()
    started = time.monotonic()
    texts: list[str] = []
    with torch.inference_mode():
        for start in range(0, len(prompts), batch_size):
            batch = tokenizer(
                prompts[start : start + batch_size],
                add_special_tokens=False,
                padding=True,
                return_tensors="pt",
            )
            out = model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
            texts += tokenizer.batch_decode(
                out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True
            )
    results.put((index, started, time.monotonic(), texts))


def run_layout(processes: int, threads: int, args: argparse.Namespace) -> dict[str, Any]:
    conversations = golden_like_messages()
    share = len(conversations) // processes
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    procs = [
        ctx.Process(
            target=worker,
            args=(
                i,
                conversations[i * share : (i + 1) * share],
                threads,
                args.batch_size,
                args.max_new_tokens,
                barrier,
                results,
            ),
        )
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    finished = sorted(results.get() for _ in procs)  # by worker index
    for proc in procs:
        proc.join()
    total = time.monotonic() - started
    return {
        "layout": f"{processes}x{threads}",
        "generate_seconds": round(max(f[2] for f in finished) - min(f[1] for f in finished), 2),
        "total_seconds": round(total, 2),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "texts": [text for f in finished for text in f[3]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument(
        "--layouts", help="processes x threads to compare, e.g. '1x2,2x1' (default: both extremes)"
    )
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    layouts = [(1, cores), (cores, 1)]
    if args.layouts:
        layouts = [tuple(int(n) for n in item.split("x")) for item in args.layouts.split(",")]
    runs: list[dict[str, Any]] = []
    for _ in range(args.repeats):
        for processes, threads in layouts:
            run = run_layout(processes, threads, args)
            print(json.dumps({k: v for k, v in run.items() if k != "texts"}), flush=True)
            runs.append(run)
    answers = {run["layout"]: run["texts"] for run in runs}
    same = len({json.dumps(run["texts"]) for run in runs}) == 1
    summary = {
        layout: {
            key: statistics.median(r[key] for r in runs if r["layout"] == layout)
            for key in ("generate_seconds", "total_seconds")
        }
        for layout in answers
    }
    print(json.dumps({"cores": cores, "median": summary, "same_answers": same}))


if __name__ == "__main__":
    main()
