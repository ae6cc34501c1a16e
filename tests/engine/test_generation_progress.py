"""Generation shows its progress: a real pytest run of a tiny project on the real default model,
off a terminal, prints one line per generated chunk on stderr, and nothing for answers that
come from the prediction cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from pty_run import run_model_tests
from releasegate.config import default_cache_dir
from tiny_project import write_project

pytestmark = pytest.mark.slow

MANIFEST = "name: tiny\ncases: tiny.jsonl\ncheck: {name: regex, pattern: '\\S'}\n"
CASES = [
    {"id": "hello", "input": "Say hello to the customer.", "expected": "hello"},
    {"id": "policy", "input": "What is your return policy?", "expected": "returns"},
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    from releasegate.models.default_model import ensure_default_model

    cache = tmp_path / "cache"
    cache.mkdir()
    models = ensure_default_model(default_cache_dir()).parent
    (cache / "models").symlink_to(models, target_is_directory=True)
    config = f'[tool.releasegate]\nmax_new_tokens = 4\nbatch_size = 2\ncache_dir = "{cache}"\n'
    return write_project(tmp_path / "p", config=config, manifest=MANIFEST, cases=CASES)


def test_generation_prints_its_line_off_a_terminal_and_none_from_the_cache(
    project: Path,
) -> None:
    first = run_model_tests(project)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = [line for line in first.stderr.splitlines() if line.startswith("generating tiny")]
    assert len(lines) == 1, first.stderr
    assert lines[0].startswith("generating tiny: 2/2 in ")
    assert "\x1b[" not in first.stderr
    assert "generating" not in first.stdout  # pytest's own output is left alone
    again = run_model_tests(project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "generating tiny" not in again.stderr
