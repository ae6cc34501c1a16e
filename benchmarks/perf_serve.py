"""A load run against transformers serve with the default model, and the same load by evalscope.

Starts the embedded endpoint (``transformers serve`` on SmolLM2-135M-Instruct, CPU), then:

1. releasegate: ``locust --headless`` on perf/locustfile.py, closed loop, ``--users`` users for
   ``--seconds`` (``--warmup`` of it not counted), the shop_faq golden prompts, answers checked;
   prints the summary as the run prints it;
2. with ``--evalscope PATH`` (the ``evalscope`` script of a separate virtual environment; its
   pins must not meet releasegate's): ``evalscope perf`` against the same server, same
   concurrency, same wall-clock budget, same request bodies (the golden prompts, written as a
   ``line_by_line`` dataset of complete bodies), then both tools' figures side by side.

    python benchmarks/perf_serve.py [--seconds 60] [--users 2] [--warmup 10] \
        [--evalscope /tmp/evalscope-venv/bin/evalscope]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from perf_common import headless

from releasegate.config import load_settings, read_table
from releasegate.models.serving import embedded_server
from releasegate.perf.config import load_perf_config
from releasegate.perf.prompts import golden_prompts

ROOT = Path(__file__).resolve().parents[1]


def evalscope_dataset(path: Path, max_tokens: int | None) -> int:
    settings = load_settings(read_table(ROOT / "pyproject.toml"), {}, root=ROOT)
    config = load_perf_config({"suites": ["shop_faq"], "check_answers": False})
    prompts = golden_prompts(settings, config)
    with path.open("w", encoding="utf-8") as out:
        for prompt in prompts:
            body = {
                "messages": [dict(m) for m in prompt.messages],
                "max_tokens": max_tokens or prompt.max_tokens,
                "temperature": 0.0,
            }
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    return len(prompts)


def run_evalscope(
    evalscope: str,
    url: str,
    model: str,
    dataset: Path,
    out: Path,
    args: argparse.Namespace,
    warmup_requests: int,
) -> dict[str, Any]:
    command = [
        evalscope,
        "perf",
        "--url",
        f"{url}/chat/completions",
        "--api",
        "openai",
        "--model",
        model,
        "--parallel",
        str(args.users),
        "--number",
        "100000",
        "--duration",
        str(args.seconds - args.warmup),
        "--warmup-num",
        str(warmup_requests),
        "--dataset",
        "line_by_line",
        "--dataset-path",
        str(dataset),
        "--stream",
        "--outputs-dir",
        str(out),
        "--no-timestamp",
        "--temperature",
        "0",
    ]
    print("$ " + " ".join(command), flush=True)
    started = time.time()
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 600)
    print(done.stdout[-6000:])
    if done.returncode != 0:
        print(done.stderr[-4000:])
    print(f"evalscope finished in {time.time() - started:.0f} s (exit {done.returncode})")
    found: dict[str, Any] = {}
    for name in ("benchmark_summary.json", "benchmark_percentile.json"):
        for path in out.rglob(name):
            found[name] = json.loads(path.read_text(encoding="utf-8"))
    return found


def side_by_side(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    lat = ours["latencies"]
    summary = theirs.get("benchmark_summary.json", {})
    percentiles = theirs.get("benchmark_percentile.json", [])
    print("\n== side by side (ms unless stated) ==")
    print(json.dumps(summary, indent=1)[:3000])
    print(json.dumps(percentiles, indent=1)[:6000])
    print(
        f"releasegate: requests {ours['requests']}, failures {ours['failures']}, "
        f"requests/s {ours['requests_per_s']:.3f}, output tokens/s "
        f"{ours['output_tokens_per_s']:.2f}, mean output tokens {ours['mean_output_tokens']:.1f}, "
        f"mean input tokens {ours['mean_input_tokens']:.1f}"
    )
    for metric in ("ttft", "tpot", "itl", "e2e"):
        stats = lat[metric]
        print(
            f"releasegate {metric}: mean {stats['mean']:.1f} p50 {stats['p50']:.1f} "
            f"p90 {stats['p90']:.1f} p99 {stats['p99']:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--evalscope", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, embedded_server() as server:
        folder = Path(tmp)
        print(f"endpoint {server.base_url}, model {server.model}", flush=True)
        result = headless(
            folder / "releasegate",
            server.base_url,
            users=args.users,
            seconds=args.seconds,
            model=server.model,
            perf=f'warmup = {args.warmup}\nsuites = ["shop_faq"]\ncheck_answers = true',
        )
        start = result.output.find("# releasegate perf")
        print(result.output[start : result.output.find("report:", start)])
        ours = result.summary
        if args.evalscope:
            dataset = folder / "golden_bodies.jsonl"
            evalscope_dataset(dataset, None)
            theirs = run_evalscope(
                args.evalscope,
                server.base_url,
                server.model,
                dataset,
                folder / "evalscope",
                args,
                max(1, ours["warmup_requests"]),
            )
            side_by_side(ours, theirs)


if __name__ == "__main__":
    main()
