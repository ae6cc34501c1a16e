"""Robustness as a kind of metric: what registers with golden's metric registry (entry point
``robustness`` of ``releasegate.metric_kinds``; golden never imports this package).

:func:`register` registers the manifest's ``robustness:`` section (read by :mod:`.config`, kept
as ``Suite.robustness``, which makes the suite's variants) and the robustness metrics
(:mod:`.metrics`).
"""

from __future__ import annotations

from .config import register_section
from .metrics import register_metrics

__all__ = ["register"]


def register() -> None:
    """Register the ``robustness:`` manifest section and the robustness metrics (the entry
    point ``robustness`` of ``releasegate.metric_kinds``)."""
    register_section()
    register_metrics()
