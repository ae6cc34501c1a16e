"""``releasegate checkpoints`` shows its progress as it happens: a real sweep of a tiny project
over the real default model (step 0) and a real damaged copy of it (checkpoint-1), each scored
by its own pytest process. Off a terminal, each checkpoint prints its line when it is done,
well before the sweep ends, and each run's own progress (its generation) reaches the user from
the child process instead of waiting in a captured pipe."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from pty_run import plain_env
from releasegate.config import default_cache_dir
from tiny_project import write_project

pytestmark = pytest.mark.slow

MANIFEST = (
    "name: tiny\ncases: tiny.jsonl\ncheck: {name: regex, pattern: '\\S'}\n"
    "metrics:\n  - {name: accuracy}\n"
)
CASES = [{"id": "hello", "input": "Say hello to the customer.", "expected": "hello"}]
CLI = "import sys; from releasegate.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    from releasegate.models.damage import damage_model
    from releasegate.models.default_model import ensure_default_model

    model = ensure_default_model(default_cache_dir())
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(model.parent, target_is_directory=True)
    config = f'[tool.releasegate]\nmax_new_tokens = 4\nbatch_size = 1\ncache_dir = "{cache}"\n'
    root = write_project(tmp_path / "p", config=config, manifest=MANIFEST, cases=CASES)
    damage_model(model, root / "runs" / "r" / "checkpoint-1", std=0.05, layers=[0], seed=1)
    return root


def _timed_lines(stream: IO[str], into: list[tuple[float, str]]) -> None:
    for line in stream:
        into.append((time.monotonic(), line.rstrip("\n")))


def test_each_checkpoint_prints_its_line_when_done_and_its_run_shows_progress(
    project: Path,
) -> None:
    command = [sys.executable, "-c", CLI, "--root", str(project), "checkpoints", "runs/r"]
    proc = subprocess.Popen(
        command,
        cwd=project,
        env=plain_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    err: list[tuple[float, str]] = []
    out: list[tuple[float, str]] = []
    readers = [
        threading.Thread(target=_timed_lines, args=(proc.stderr, err)),
        threading.Thread(target=_timed_lines, args=(proc.stdout, out)),
    ]
    for reader in readers:
        reader.start()
    code = proc.wait(timeout=900)
    for reader in readers:
        reader.join()
    said = "\n".join(line for _, line in out) + "\n" + "\n".join(line for _, line in err)
    assert code == 0, said

    def when(prefix: str, lines: list[tuple[float, str]]) -> float:
        found = [t for t, line in lines if line.startswith(prefix)]
        assert len(found) == 1, f"{prefix!r} once in:\n{said}"
        return found[0]

    base_done = when("step 0 (base model): 1/1 in ", err)
    tuned_done = when("step 1 (checkpoint-1): 1/1 in ", err)
    # the child runs' own progress reached the user: one generation line per scored run
    generated = [t for t, line in err if line.startswith("generating tiny: 1/1 in ")]
    assert len(generated) == 2, said
    assert generated[0] < base_done < generated[1] < tuned_done
    # as it happened: step 0's line came while checkpoint-1 was still being scored
    assert tuned_done - base_done > 2.0, said
    assert when("step 1 (checkpoint-1): scoring as run ", out) < tuned_done
    assert "\x1b[" not in said
