"""What a run leaves behind: ``reports/<run-id>/`` (results.json, summary.md, junit.xml)
and the terminal summary; written by the controller only. A finished run is read back as typed
records with :func:`load_run`.
"""

from __future__ import annotations

from ..core.records import RunRecord, load_run

__all__ = ["RunRecord", "load_run"]
