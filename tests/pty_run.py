"""Run a command as a user at an interactive terminal would see it: its stderr on a real
pseudo-terminal (``os.openpty``), read back whole; and the environment of a plain shell, without
what the running pytest, xdist or CI set (progress decides by them)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["SRC", "plain_env", "run_model_tests", "stderr_on_pty"]

SRC = str(Path(__file__).resolve().parents[1] / "src")


def plain_env(**extra: str) -> dict[str, str]:
    """This environment without ``PYTEST_*``, ``RELEASEGATE_*`` and ``CI``; this checkout's
    ``src`` first on the path; then *extra*."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "RELEASEGATE_")) and k != "CI"
    }
    env["PYTHONPATH"] = SRC
    env.update(extra)
    return env


def stderr_on_pty(
    command: Sequence[str], env: dict[str, str], *, cwd: Path | None = None, timeout: float = 120
) -> tuple[int, str]:
    """*command*'s exit status and what it wrote to stderr, a pseudo-terminal."""
    main, child = os.openpty()
    proc = subprocess.Popen(
        list(command),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=child,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


def run_model_tests(project: Path, *, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``pytest model_tests`` in *project*, in one process, as a plain shell runs it (not a
    terminal: progress prints its lines), output captured."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "model_tests", "-p", "no:cacheprovider", "-n", "0"],
        cwd=project,
        env=plain_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
