"""lm-eval's requests show their progress in place of lm-eval's own output: a real pytest run of
a tiny project scoring three MMLU questions on the real default model, off a terminal, prints
one line for the step of its requests (3 questions of 4 choices: 12 requests), and none when the
results come from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from pty_run import run_model_tests
from releasegate.config import default_cache_dir
from releasegate.scaffold import TEST_GENERAL
from tiny_project import write_project

pytestmark = pytest.mark.slow

MMLU = Path(__file__).resolve().parents[2] / "fixtures" / "data" / "mmlu"
MANIFEST = "name: tiny\ncases: tiny.jsonl\ncheck: {name: regex, pattern: '\\S'}\n"
CASES = [{"id": "hello", "input": "Say hello to the customer.", "expected": "hello"}]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    from releasegate.models.default_model import ensure_default_model

    cache = tmp_path / "cache"
    cache.mkdir()
    models = ensure_default_model(default_cache_dir()).parent
    (cache / "models").symlink_to(models, target_is_directory=True)
    config = (
        f'[tool.releasegate]\nmax_new_tokens = 4\nbatch_size = 4\ncache_dir = "{cache}"\n'
        f'[tool.releasegate.general]\nmmlu_dir = "{MMLU}"\nnum_fewshot = 0\nlimit = 3\n'
        'tasks = ["mmlu_marketing"]\n'
    )
    root = write_project(tmp_path / "p", config=config, manifest=MANIFEST, cases=CASES)
    (root / "model_tests" / "test_general.py").write_text(TEST_GENERAL, encoding="utf-8")
    return root


def test_benchmark_requests_print_their_line_and_none_from_the_cache(project: Path) -> None:
    first = run_model_tests(project)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = [line for line in first.stderr.splitlines() if line.startswith("mmlu_marketing")]
    assert len(lines) == 1, first.stderr
    assert lines[0].startswith("mmlu_marketing: scoring choices: 12/12 in "), lines
    assert "\x1b[" not in first.stderr
    again = run_model_tests(project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "mmlu_marketing" not in again.stderr
