"""golden sits below the metric kinds built on it (issue 22): it finds review's and
perplexity's kinds through the registry's entry points, never by importing them."""

from __future__ import annotations

from floors import packages_imported_by


def test_golden_imports_no_metric_kind() -> None:
    # judging.py moves to releasegate.gate in another part of issue 22; until then it is the one
    # module of golden that reads the review memory.
    imported = packages_imported_by("golden", skip=("judging.py",))
    assert "review" not in imported
    assert "perplexity" not in imported


def test_golden_imports_models_only_down_the_floors() -> None:
    imported = packages_imported_by("golden")
    assert imported["models"] == {"releasegate.golden.cases", "releasegate.golden.prompting"}
