"""The engine that runs a suite: the session that coordinates a run, predictions and their
on-disk cache, the scheduling of chunks to pytest-xdist workers, and device choice.
"""

from __future__ import annotations
