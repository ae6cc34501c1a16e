"""A probe, not a fix: a pytest plugin that freezes the garbage collector's view of every object
alive once the suites are loaded (``gc.freeze()`` after each ``pytest_generate_tests``), so later
collections do not walk the suites' cases and assertions again.

``benchmarks/overhead.py --plugin gc_freeze_probe`` measures what that would save (issue 23: a
suite with ten assertions per case holds about 185,000 more objects than one with one check).
"""

from __future__ import annotations

import gc
from collections.abc import Generator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> Generator[None, None, None]:
    yield
    gc.freeze()
