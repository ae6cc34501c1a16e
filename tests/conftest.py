"""Shared set-up for the project's own tests.

Under ``pytest -n N`` every worker, and every model process a test starts (a pytest session in a
subprocess, a ``transformers serve``), would otherwise take torch's default of one thread per
core. N processes each running all cores' threads on the same cores spin against each other: on
two cores a test of the real model ran nine times slower. Each worker gets its share of the
cores, through ``OMP_NUM_THREADS`` so that the processes it starts inherit it (torch reads it at
start, and releasegate's own thread split honours it).
"""

from __future__ import annotations

import os

from releasegate.core.devices import cpu_count

_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
if _workers > 1 and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OMP_NUM_THREADS"] = str(max(1, cpu_count() // _workers))
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
