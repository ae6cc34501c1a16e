"""Every :func:/:class:/:mod:/:meth:/:attr: reference in releasegate's docstrings names something.

scripts/check_doc_references.py resolves each one by importing it; it runs in its own process
because importing perf/locust_users.py (locust) patches the standard library for gevent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKER = ROOT / "scripts" / "check_doc_references.py"


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, str(CHECKER), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_every_docstring_reference_in_the_package_resolves() -> None:
    result = _check()
    found = set(result.stdout.splitlines())
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert found == set(), "\n".join(sorted(found))


def test_the_checker_names_each_reference_that_resolves_to_nothing(tmp_path: Path) -> None:
    package = tmp_path / "docpkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""The package."""\n', encoding="utf-8")
    (package / "things.py").write_text(
        '"""Uses :func:`os.replace`, :mod:`.gone`, :class:`Thing`.\n\n'
        'And :meth:`Thing.run`, :meth:`Thing.renamed`, :attr:`Thing.size`."""\n\n\n'
        "class Thing:\n"
        '    """Calls :func:`helper` and :func:`~docpkg.things.missing`."""\n\n'
        "    size: int\n\n"
        "    def run(self) -> None:\n"
        "        pass\n\n\n"
        "def helper() -> None:\n"
        "    pass\n",
        encoding="utf-8",
    )
    result = _check(str(package))
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        f"{package / 'things.py'}:1: mod `.gone`",
        f"{package / 'things.py'}:3: meth `Thing.renamed`",
        f"{package / 'things.py'}:7: func `docpkg.things.missing`",
    ]
