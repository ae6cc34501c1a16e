"""The pytest plugin (the ``pytest11`` entry point): the hooks, the fixtures a test module
uses, the controller-only plugin that gathers records and writes reports and baselines,
and the stash keys.
"""

from __future__ import annotations
