"""``releasegate isolation`` over many rows shows its progress: a real command on a real
training file of 120,000 rows, off a terminal (one line per step: reading, matching) and on a
pseudo-terminal (a bar whose count rises while the file is read)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pty_run import plain_env, stderr_on_pty
from tiny_project import write_project

ROWS = 120_000
MANIFEST = "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
CASES = [{"id": "a", "input": "What is the return policy for opened headphones?", "expected": "x"}]
CLI = "import sys; from releasegate.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("iso")
    write_project(root / "p", config="[tool.releasegate]\n", manifest=MANIFEST, cases=CASES)
    lines = (
        json.dumps({"prompt": f"customer {i} asks about order {i * 7}", "completion": "ok"})
        for i in range(ROWS)
    )
    (root / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _command(project: Path) -> list[str]:
    data = str(project / "train.jsonl")
    root = str(project / "p")
    return [sys.executable, "-c", CLI, "--root", root, "isolation", "--train-data", data]


def test_off_a_terminal_each_step_prints_one_line(project: Path, tmp_path: Path) -> None:
    env = plain_env(RELEASEGATE_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(_command(project), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert re.fullmatch(rf"reading train\.jsonl: {ROWS} in \d+\.\d s", lines[0])
    # two texts a row (prompt and completion)
    assert re.fullmatch(rf"matching training texts: {2 * ROWS}/{2 * ROWS} in \d+\.\d s", lines[1])
    assert f"{ROWS} training rows" in done.stdout  # the report itself is unchanged, on stdout


def test_on_a_terminal_the_count_rises_while_the_file_is_read(
    project: Path, tmp_path: Path
) -> None:
    env = plain_env(RELEASEGATE_CACHE_DIR=str(tmp_path / "cache"))
    code, err = stderr_on_pty(_command(project), env, timeout=300)
    assert code == 0, err
    assert "\x1b[" in err and "━" in err
    # counts while reading, before the end: the user saw it move
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
    counts = {int(n) for n in re.findall(r"reading train\.jsonl [^\r\n]*? (\d+)/\?", shown)}
    # how far it got between two draws (0.1 s apart) depends on the machine: any count between
    # the first and the last row is the bar moving while the file is read
    assert any(0 < n < ROWS for n in counts), shown
    assert f"reading train.jsonl: {ROWS} in " in err
