"""The robustness metrics (placeholder: filled in by the metrics work)."""

from __future__ import annotations

__all__ = ["register_metrics"]


def register_metrics() -> None:
    """Register the robustness metrics with golden's registry."""
