"""The judge as a kind of metric: what registers with golden's metric registry (entry point
``judge`` of ``releasegate.metric_kinds``; golden never imports this package)."""

from __future__ import annotations

from .metrics import register_metrics

__all__ = ["register"]


def register() -> None:
    """Register the judge metrics (``judge_score``, ``judge_pass_rate``, ``judge_win_rate``;
    the entry point ``judge`` of ``releasegate.metric_kinds``)."""
    register_metrics()
