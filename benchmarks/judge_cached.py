"""What a judge costs on a re-run whose verdicts are all cached: the judge's own part.

The default model judges the first ``--cases`` answers of a demo suite (the expected answers
stand in for the model's) once, with ``allow_self_judge`` and a small ``max_new_tokens``, to fill
an empty verdict cache (the converted default model is linked in, so no conversion is timed).
Then it times, ``--runs`` times, a fresh judge (as a new pytest session makes one: ``judge_for``,
the lazy backend's memos, the cache opened) scoring the same answers, all from the cache: no
call, no weights loaded. It prints the time per case.

    python benchmarks/judge_cached.py [--suite shop_faq] [--cases 20] [--runs 5]

Issue 24: the judge's overhead per case on a cached re-run must stay within 10 % of the same
run without a judge; the whole-run comparison is the lead's benchmarks/judge.py, which may call
:func:`cached_score_seconds` for the judge's share.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from releasegate.config.loading import load_settings
from releasegate.gate.judging import show_expected
from releasegate.golden.suites import Suite, discover_suites
from releasegate.judge.items import pointwise_item
from releasegate.judge.runner import judge_for
from releasegate.judge.types import PointwiseItem

ROOT = Path(__file__).resolve().parents[1]


def items_of(suite: Suite, cases: int) -> list[PointwiseItem]:
    """The first *cases* cases as judge items, each answered with its expected answer."""
    return [pointwise_item(case, show_expected(case.expected)) for case in suite.cases[:cases]]


def cached_score_seconds(
    suite: Suite, root: Path, cache: Path, items: list[PointwiseItem], *, max_new_tokens: int = 16
) -> tuple[float, int, int]:
    """``(seconds, calls, cache hits)`` of a fresh judge scoring *items* with the default model
    as judge, verdicts in *cache*."""
    table = {
        "model": "smollm2-135m-instruct",
        "allow_self_judge": True,
        "max_new_tokens": max_new_tokens,
    }
    settings = load_settings(
        {"cache_dir": str(cache), "device": "cpu", "dtype": "float32", "judge": table},
        {},
        root=root,
    )
    started = time.perf_counter()
    judge = judge_for(suite, settings, root=root)
    assert judge is not None
    judge.score(items)
    seconds = time.perf_counter() - started
    calls, hits = judge.calls, judge.cache_hits
    judge.close()
    return seconds, calls, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="shop_faq")
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    suites = discover_suites(
        ROOT / "fixtures" / "golden", schemas_dir=ROOT / "fixtures" / "schemas"
    )
    suite = next(s for s in suites if s.name == args.suite)
    items = items_of(suite, args.cases)
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp), Path(tmp) / "cache"
        cache.mkdir()
        home = Path(os.environ.get("RELEASEGATE_CACHE_DIR", Path.home() / ".cache/releasegate"))
        if (home / "models").is_dir():
            (cache / "models").symlink_to((home / "models").resolve())
        fill, calls, _ = cached_score_seconds(suite, root, cache, items)
        print(f"fill: {fill:.1f} s for {calls} judge calls ({len(items)} cases)")
        times = []
        for _ in range(args.runs):
            seconds, calls, hits = cached_score_seconds(suite, root, cache, items)
            assert calls == 0 and hits == len(items), (calls, hits)
            times.append(seconds)
        per_case = statistics.median(times) / len(items) * 1000
        print(
            f"cached re-run: median {statistics.median(times) * 1000:.1f} ms for {len(items)} "
            f"cases ({per_case:.2f} ms per case; runs: "
            f"{', '.join(f'{t * 1000:.1f}' for t in times)} ms), 0 calls, no weights loaded"
        )


if __name__ == "__main__":
    main()
