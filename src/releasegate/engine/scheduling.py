"""Which cases are generated together, and keeping each chunk on one pytest-xdist worker.

Case tests of a suite are cut, in collection order, into chunks of ``chunk_size``; a chunk is
generated in one batched call, so it must run on one worker. Workers and the controller compute
the same chunks from the same node ids (xdist guarantees identical collections), and
:class:`ChunkScheduling` hands each chunk to one worker as a unit, like ``--dist loadgroup``
but without changing node ids (so ``--lf`` and copied node ids keep working). Metric tests of a
suite form one more unit, collected after the cases, so they mostly find the answers ready.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TypeVar

from xdist.scheduler import LoadScopeScheduling

__all__ = ["BENCHMARK_GROUP", "ChunkScheduling", "chunk_groups", "chunks_of", "metric_group"]

_Case = TypeVar("_Case")

_CASE_ID = re.compile(r"\[(?P<key>(?P<suite>[A-Za-z0-9_-]+)/[^\[\]]+)\]$")
_METRIC_ID = re.compile(r"\[(?P<suite>[A-Za-z0-9_-]+)::(?P<metric>.+?)(::no_drop)?\]$")
_BENCHMARK_ID = re.compile(r"\[(?P<key>general/[^\[\]]+?::[^\[\]:]+)(::no_drop)?\]$")

BENCHMARK_GROUP = "general::benchmarks"
"""Every general-benchmark test runs on one worker: lm-eval evaluates all tasks in one go
there, while the other workers answer golden cases."""


def metric_group(suite: str) -> str:
    return f"{suite}::metrics"


def chunk_groups(
    nodeids: Sequence[str], chunk_size: int, golden: Collection[str] | None = None
) -> dict[str, str]:
    """The scheduling group of every golden node id (case chunks and metric groups); other
    node ids are absent. *golden* holds the run's case test keys (``suite/test id``, as in the
    node ids) and metric keys (``suite::metric``); a test of the project's own whose id merely
    looks like one is left alone. None accepts every id of the golden shape."""
    groups: dict[str, str] = {}
    seen: defaultdict[str, int] = defaultdict(int)
    for nodeid in nodeids:
        benchmark = _BENCHMARK_ID.search(nodeid)
        if benchmark is not None and (golden is None or benchmark["key"] in golden):
            groups[nodeid] = BENCHMARK_GROUP
            continue
        case = _CASE_ID.search(nodeid)
        if case is not None and (golden is None or case["key"] in golden):
            suite = case["suite"]
            groups[nodeid] = f"{suite}#{seen[suite] // chunk_size}"
            seen[suite] += 1
            continue
        metric = _METRIC_ID.search(nodeid)
        if metric is not None and (
            golden is None or f"{metric['suite']}::{metric['metric']}" in golden
        ):
            groups[nodeid] = metric_group(metric["suite"])
    return groups


class ChunkScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """Load scheduling in which each golden chunk (and each suite's metric tests) is one unit."""

    def __init__(
        self, config: object, log: object = None, *, chunk_size: int, golden: Collection[str]
    ) -> None:
        super().__init__(config, log)
        self._chunk_size = chunk_size
        self._golden = golden
        self._groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._groups is None:
            self._groups = chunk_groups(self.collection or [], self._chunk_size, self._golden)
        return self._groups.get(nodeid, nodeid)


def chunks_of(
    suite: str,
    cases: Sequence[_Case],
    chunk_of: Mapping[str, str],
    size: int,
    key: Callable[[_Case], str],
) -> list[tuple[str, list[_Case]]]:
    """*cases* of *suite* grouped as they are generated: by the chunk this run's tests put each
    in (*chunk_of*, by case *key*), the rest (cases no selected test holds) in chunks of
    *size* of their own, ``<suite>#rest<n>``."""
    chunks: dict[str, list[_Case]] = {}
    rest: list[_Case] = []
    for case in cases:
        chunk = chunk_of.get(key(case))
        if chunk is None:
            rest.append(case)
        else:
            chunks.setdefault(chunk, []).append(case)
    for start in range(0, len(rest), size):
        chunks[f"{suite}#rest{start // size}"] = rest[start : start + size]
    return list(chunks.items())
