"""The judge as a kind of metric: what registers with golden's metric registry (entry point
``judge`` of ``releasegate.metric_kinds``; golden never imports this package).

:func:`register` registers the manifest's ``judge:`` section (kept as ``Suite.judge``) and the
judge metrics (``judge_score``, ``judge_pass_rate``, ``judge_win_rate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..golden.metric_types import Metric
from ..golden.registry import ManifestSection, register_manifest_section
from .config import JudgeSection, read_judge_section
from .metrics import register_metrics

__all__ = ["read_section", "register"]


def read_section(document: Any, metrics: Sequence[Metric], path: Path) -> JudgeSection | None:
    """The suite loader's hook for the manifest's ``judge:``: its keys checked and read
    (templates relative to the manifest), or None without one."""
    return read_judge_section(document, where=str(path), base_dir=path.parent, manifest=path)


def register() -> None:
    """Register the ``judge:`` manifest section and the judge metrics (the entry point
    ``judge`` of ``releasegate.metric_kinds``)."""
    register_manifest_section(ManifestSection("judge", read_section))
    register_metrics()
