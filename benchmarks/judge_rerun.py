"""A judge's overhead per case on a cached re-run, measured on whole pytest runs: the same suite
without a judge and with one, every answer and every verdict cached (no judge call).

Two throw-away projects with one suite of ``--cases`` cases on the instant backend
(``benchmarks/instant_backend.py``: answers from a table, no model), checked by ``contains``;
the second also declares a judge (the scripted judge server on loopback,
tests/judge/scripted_judge.py), so each case's answer is judged and its verdict recorded
(results.json, summary.md, report.html, junit.xml) and the suite has a ``judge_pass_rate``
metric (the other a plain ``accuracy``). Each project is run once to fill its prediction and
verdict caches, then the two are timed in turn, ``--repeat`` times (a load that comes and goes
on a shared machine falls on both). Per case = wall time of the run / cases; the figures are
the medians, and the ratio judge / no judge is of the medians. CPU time (user + system of the
run's processes) is printed beside, with its own ratio: it moves least with the machine's load.

    python benchmarks/judge_rerun.py [--cases 500] [--repeat 3] [--small 0]

With ``--small N`` it measures a second, smaller suite of N cases too, and splits each cost into
a fixed part per run and a marginal part per case (the line through the two sizes' median wall
times): a judge adds some work once per session (its backend made, its ``/models`` probed for
the fingerprint its verdict cache's key needs: one ``http.client`` request, neither the
``openai`` SDK nor ``httpx2`` imported) and some per case (the prompt rendered and hashed, the
chunk's verdicts read in one query and parsed, the verdict in every report); the per-case ratio
is the marginal parts'. Both split figures are noisy (a line through two points); the
whole-run ratio at ``--cases`` is the one a user sees.

Issue 24's target: within 10 % of the same run without a judge (a ratio at most 1.10; the
whole-run ratio is the one it is read on).
:func:`rerun_overhead` (and :func:`split_costs`) return the figures for ``benchmarks/judge.py``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for helpers in (ROOT / "tests", ROOT / "tests" / "judge"):  # the scripted judge, project files
    if str(helpers) not in sys.path:
        sys.path.insert(0, str(helpers))

from scripted_judge import ScriptedJudge  # noqa: E402

from tiny_project import instant_config, write_instant_model, write_project  # noqa: E402

__all__ = ["rerun_overhead", "split_costs"]


def _project(folder: Path, cases: int, judge_url: str | None) -> Path:
    rows = [{"id": f"c{i:05}", "input": f"refund {i}?", "expected": "7 days"} for i in range(cases)]
    answers = {f"refund {i}?": f"Refunds take 7 days ({i})." for i in range(cases)}
    if judge_url is None:
        manifest = (
            "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
            "metrics:\n  - {name: accuracy, min: 0.5}\n"
        )
    else:
        manifest = (
            "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
            "metrics:\n  - {name: judge_pass_rate, min: 0.5}\n"
            f"judge:\n  backend: openai\n  base_url: {judge_url}\n  model: judge-7b\n"
            "  max_retries: 0\n"
        )
    config = instant_config("./fake-model", folder / "cache") + "batch_size = 64\n"
    write_project(folder, config=config, manifest=manifest, cases=rows)
    write_instant_model(folder / "fake-model", answers)
    return folder


def _run(folder: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the run's processes, its judge line)."""
    env = dict(os.environ)
    paths = [str(ROOT / "src"), str(ROOT / "benchmarks"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "model_tests", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"pytest in {folder} exited {done.returncode}:\n{done.stdout[-3000:]}")
    judge = [line for line in done.stdout.splitlines() if line.startswith("judge: ")]
    return wall, cpu, judge[0] if judge else ""


def rerun_overhead(cases: int = 500, repeat: int = 3) -> dict[str, Any]:
    """Per-case wall and CPU seconds of a cached re-run without and with a judge (medians over
    *repeat* runs each), their ratios, and the judged runs' judge line (``judge: 0 calls, N
    cached``: nothing was judged again)."""
    scripted = ScriptedJudge(default=4)
    with (
        tempfile.TemporaryDirectory(prefix="releasegate-judge-rerun-") as tmp,
        scripted.running() as url,
    ):
        plain = _project(Path(tmp) / "plain", cases, None)
        judged = _project(Path(tmp) / "judged", cases, url)
        _run(plain), _run(judged)  # fill the prediction and verdict caches
        calls_before = len(scripted.prompts())
        times: dict[str, list[tuple[float, float]]] = {"plain": [], "judged": []}
        line = ""
        for _ in range(repeat):
            wall, cpu, _ = _run(plain)
            times["plain"].append((wall, cpu))
            wall, cpu, line = _run(judged)
            times["judged"].append((wall, cpu))
        assert len(scripted.prompts()) == calls_before, "a cached re-run called the judge"
    out: dict[str, Any] = {"cases": cases, "repeat": repeat, "judge_line": line}
    for name, runs in times.items():
        out[f"{name}_wall_ms_per_case"] = statistics.median(w for w, _ in runs) / cases * 1000
        out[f"{name}_cpu_ms_per_case"] = statistics.median(c for _, c in runs) / cases * 1000
        out[f"{name}_runs"] = runs
    out["wall_ratio"] = out["judged_wall_ms_per_case"] / out["plain_wall_ms_per_case"]
    out["cpu_ratio"] = out["judged_cpu_ms_per_case"] / out["plain_cpu_ms_per_case"]
    return out


def split_costs(small: dict[str, Any], large: dict[str, Any]) -> dict[str, float]:
    """Fixed seconds per run and marginal ms per case, without and with a judge, from two
    :func:`rerun_overhead` figures of different sizes (median wall times)."""
    out: dict[str, float] = {}
    for name in ("plain", "judged"):
        n1, n2 = small["cases"], large["cases"]
        t1 = small[f"{name}_wall_ms_per_case"] * n1 / 1000
        t2 = large[f"{name}_wall_ms_per_case"] * n2 / 1000
        per_case = (t2 - t1) / (n2 - n1)
        out[f"{name}_marginal_ms_per_case"] = per_case * 1000
        out[f"{name}_fixed_s"] = t2 - per_case * n2
    out["marginal_ratio"] = out["judged_marginal_ms_per_case"] / out["plain_marginal_ms_per_case"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small", type=int, default=0, help="a second, smaller suite's cases")
    args = parser.parse_args()
    small = rerun_overhead(args.small, args.repeat) if args.small else None
    figures = rerun_overhead(args.cases, args.repeat)
    if small is not None:
        split = split_costs(small, figures)
        print(
            f"{args.small} and {args.cases} cases: per run fixed "
            f"{split['plain_fixed_s']:.2f} s without a judge, {split['judged_fixed_s']:.2f} s "
            f"with; per case {split['plain_marginal_ms_per_case']:.3f} ms without, "
            f"{split['judged_marginal_ms_per_case']:.3f} ms with: "
            f"ratio {split['marginal_ratio']:.3f}"
        )
    print(f"{args.cases} cases, {args.repeat} cached re-runs each, in turn")
    for name in ("plain", "judged"):
        runs = ", ".join(f"{w:.2f} s / {c:.2f} s cpu" for w, c in figures[f"{name}_runs"])
        print(
            f"  {'no judge' if name == 'plain' else 'judge':8} "
            f"{figures[f'{name}_wall_ms_per_case']:.3f} ms/case wall, "
            f"{figures[f'{name}_cpu_ms_per_case']:.3f} ms/case cpu  ({runs})"
        )
    print(f"  judge / no judge: wall {figures['wall_ratio']:.3f}, cpu {figures['cpu_ratio']:.3f}")
    print(f"  judged runs said: {figures['judge_line']}")
    print(f"  cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
