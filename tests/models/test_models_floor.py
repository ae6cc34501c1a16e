"""models sits below golden and perplexity (issue 22): it imports only the floors under it."""

from __future__ import annotations

from floors import packages_imported_by

BELOW_MODELS = {"config", "schemas", "core", "exceptions"}


def test_models_imports_only_the_floors_below_it() -> None:
    above = {
        package: modules
        for package, modules in packages_imported_by("models").items()
        if package not in BELOW_MODELS
    }
    assert above == {}
