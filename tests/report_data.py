"""Data the HTML page's tests share: a perf run's folder, and the ``review`` and ``history``
blocks of ``results.json`` in the layout their producers write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from releasegate.perf.config import Objective
from releasegate.perf.objectives import judge_objectives
from releasegate.perf.report import write_report
from releasegate.perf.samples import RequestSample
from releasegate.perf.summary import summarize

REVIEW: dict[str, Any] = {
    "shop": {
        "reviewed": 40,
        "pending": 3,
        "reviewers": ["ana", "<b>bo</b>"],
        "criteria": {"relevance": 4.25, "fluency": None},
        "overall": 4.1,
        "pass_rate": 0.9,
        "export_command": "releasegate review export --suite shop",
    }
}

HISTORY: dict[str, Any] = {
    "metrics": [
        {
            "run_id": f"r{step}",
            "step": step,
            "time": f"2026-01-0{i + 1}T00:00:00",
            "model": "ckpt",
            "suite": "shop",
            "metric": "accuracy",
            "value": value,
        }
        for i, (step, value) in enumerate([(20000, 0.7), (10000, 0.6), (30000, 0.5)])
    ]
    + [
        {
            "run_id": "r1",
            "step": None,
            "time": "2026-01-01T00:00:00",
            "model": "m",
            "suite": "shop",
            "metric": "rougeL",
            "value": 0.3,
        }
    ]
}


def write_perf_run(reports: Path, name: str) -> Path:
    """A perf run's folder as ``pytest perf`` leaves it, written by the perf reporter itself
    from measured-looking samples (no load run: its figures are not what is tested here)."""
    samples = [
        RequestSample(
            prompt_id=f"intents/{i}",
            start_s=1.0 + i * 0.5,
            ok=True,
            status=200,
            ttft_ms=80.0 + i,
            e2e_ms=400.0 + 3 * i,
            tpot_ms=(320.0 + 2 * i) / 10,
            itl_ms=((320.0 + 2 * i) / 10,) * 10,
            input_tokens=20,
            output_tokens=11,
            token_source="usage",
            content_chunks=11,
        )
        for i in range(20)
    ]
    objectives = [Objective("ttft_p95_ms", 2000.0), Objective("e2e_p99_ms", 100.0)]
    summary = summarize(samples, warmup_s=0.5, load="1 user (closed loop)", objectives=objectives)
    results = judge_objectives(summary, objectives)
    report = write_report(
        reports / name, samples, summary, results, context={}, settings={"users": 1}
    )
    return report.directory


JUDGE: dict[str, Any] = {
    "shop": {
        "identity": {
            "backend": "openai",
            "model": "<i>judge</i>-7b",
            "fingerprint": "f" * 64,
            "template_hash": "t1",
            "settings": {"temperature": 0.0, "seed": 0},
            "rubric_hash": "r1",
        },
        "self_judge": True,
        "gating": False,
        "status": "advisory: kappa 0.31 on 58 answers, below 0.6",
        "calls": 3,
        "cache_hits": 5,
        "notes": ["the judge is the model under test (allow_self_judge: true)"],
    }
}
"""results.json's ``judge`` block: one suite's judge, advisory, judging itself."""

JUDGED: dict[str, Any] = {
    "scores": {"correctness": 2.0, "tone": 4.0},
    "overall": 3.0,
    "passed": False,
    "reason": "says 14 days <script>window.pwned=3</script>",
    "unscored": False,
    "cached": True,
}
"""A case record's ``judge``: the judge put the answer below the pass mark."""
