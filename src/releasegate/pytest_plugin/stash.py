"""Keys of what releasegate keeps in pytest's stashes."""

from __future__ import annotations

from typing import Any

import pytest

from ..core.progress import Terminal
from ..core.records import BenchmarkRecord, CaseRecord, MetricRecord
from ..engine.session import ReleaseSession
from ..reports.writers import RunReport

__all__ = ["IDENTITY_KEY", "RECORD_KEY", "REPORT_KEY", "SESSION_KEY", "TERMINAL_KEY"]

SESSION_KEY = pytest.StashKey[ReleaseSession]()
"""``config.stash``: this process's session."""
REPORT_KEY = pytest.StashKey[RunReport]()
"""``config.stash``, controller only: the records gathered for the reports."""
RECORD_KEY = pytest.StashKey[CaseRecord | MetricRecord | BenchmarkRecord]()
"""``item.stash``: the record of a releasegate test, attached (as JSON) to its report."""
TERMINAL_KEY = pytest.StashKey[Terminal]()
"""``config.stash``: where progress went before this run, put back when it ends."""
IDENTITY_KEY = pytest.StashKey[dict[str, Any] | None]()
"""``item.stash``: which releasegate test the item is (its identity's JSON; None for any other
test), worked out once per item rather than on each phase's report."""
