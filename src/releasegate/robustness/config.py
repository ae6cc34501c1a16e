"""The manifest's ``robustness:`` section (placeholder: filled in by the perturbation work)."""

from __future__ import annotations

__all__ = ["register_section"]


def register_section() -> None:
    """Register the ``robustness:`` manifest section with golden's registry."""
