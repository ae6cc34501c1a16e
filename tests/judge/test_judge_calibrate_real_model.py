"""``releasegate judge calibrate`` on the real path: the default model (hf backend) judging the
answers of itself (``allow_self_judge``), on five reviewed answers. A 135M model is no judge and
five answers are too few: whatever it scores, the calibration must not let it gate. Either its
outputs are scored (then the figures are written and the judge is advisory for too few
answers) or none is (then there is nothing to calibrate on: an error saying so, no file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_judge_calibrate_command import ANSWERS, CASES, HUMAN, MANIFEST, review

from releasegate.cli import main
from releasegate.config import default_cache_dir
from releasegate.judge.kinds import register
from tiny_project import write_project, write_run

pytestmark = pytest.mark.slow

SELF_JUDGE = """\
judge:
  model: smollm2-135m-instruct
  allow_self_judge: true
  max_new_tokens: 24
  batch_size: 5
"""


def test_the_default_model_judging_itself_never_gates_on_five_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register()
    root = tmp_path / "shop"
    cache = tmp_path / "cache"
    cache.mkdir()
    # the converted default model, shared (converting it again takes minutes)
    (cache / "models").symlink_to(default_cache_dir() / "models", target_is_directory=True)
    config = (
        f'[project]\nname = "shop"\n\n[tool.releasegate]\ncache_dir = "{cache}"\n'
        'device = "cpu"\ndtype = "float32"\n'
    )
    manifest = MANIFEST[: MANIFEST.index("judge:")] + SELF_JUDGE
    five = CASES[:5]
    write_project(root, config=config, manifest=manifest, cases=five)
    write_run(root, "run-1", {c["id"]: ANSWERS[c["id"]] for c in five}, cases=five)
    reviews = [review(c["id"], "ann", HUMAN[c["id"]]) for c in five]
    folder = root / "fixtures" / "reviews"
    folder.mkdir(parents=True)
    (folder / "tiny.jsonl").write_text("".join(r.to_json() + "\n" for r in reviews), "utf-8")

    capsys.readouterr()
    code = main(["--root", str(root), "judge", "calibrate", "--suite", "tiny"])
    said = capsys.readouterr()
    written = root / "fixtures" / "judges" / "tiny.json"
    if code == 0:
        assert "judge: 5 calls, 0 cached" in said.out
        assert "advisory: 5 reviewed answers, fewer than 50" in said.out
        assert written.is_file()
    else:
        assert code == 2
        assert "5 answer(s) the judge's output left unscored); the judge stays advisory" in said.err
        assert "The judge gave no usable score" in said.err
        assert not written.exists()
    assert "calibrated:" not in said.out
