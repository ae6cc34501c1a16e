"""One settings finder (releasegate.config.load_project): the pytest plugin, the command line,
the Trainer callback and the perf load test find the same project, from a subfolder of it inside
a larger repository (whose pyproject.toml configures pytest only), and from outside it with the
root named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from releasegate.cli import main
from releasegate.config import load_project
from releasegate.exceptions import ConfigError
from releasegate.integrations.transformers import ReleaseGateCallback
from releasegate.perf.config import perf_project
from tiny_project import write_project

MANIFEST = "name: tiny\ncases: tiny.jsonl\ncheck: contains\n"
CASES = [{"id": "q1", "input": "Where is my order?", "expected": "tracking"}]

PROBE = """\
import json, os
from releasegate.pytest_plugin.stash import SESSION_KEY

def test_where(request):
    session = request.config.stash[SESSION_KEY]
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump({"root": str(session.root), "golden": str(session.settings.golden_dir),
                   "reports": str(session.settings.reports_dir)}, out)
"""


def _project(root: Path) -> Path:
    """A project whose settings move its folders away from the defaults, inside a repository
    whose pyproject.toml configures pytest only (so pytest's rootdir is above the project, and
    the file pytest chose has no [tool.releasegate]); returns a subfolder of its tests."""
    config = '[tool.releasegate]\ngolden_dir = "cases"\nreports_dir = "out"\n'
    write_project(root, config=config, manifest=MANIFEST, cases=CASES)
    (root / "fixtures" / "golden").rename(root / "cases")
    (root.parent / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-ra"\n', encoding="utf-8"
    )
    deep = root / "model_tests" / "deep"
    deep.mkdir(parents=True)
    (deep / "test_probe.py").write_text(PROBE, encoding="utf-8")
    return deep


def _plugin(cwd: Path, *paths: str, out: Path) -> dict[str, str]:
    """The plugin's view, from a real pytest run in *cwd* (a subprocess: its own config)."""
    env = {**os.environ, "PROBE_OUT": str(out)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", "-k", "where"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seen: dict[str, str] = json.loads(out.read_text(encoding="utf-8"))
    return seen


def test_the_four_entry_points_agree_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = (tmp_path / "project").resolve()
    deep = _project(root)
    monkeypatch.chdir(deep)

    plugin = _plugin(deep, "test_probe.py", out=tmp_path / "probe.json")
    assert plugin == {
        "root": str(root),
        "golden": str(root / "cases"),
        "reports": str(root / "out"),
    }

    assert main(["validate"]) == 0
    assert "ok  tiny: 1 cases" in capsys.readouterr().out

    callback = ReleaseGateCallback(history_path=tmp_path / "h.sqlite")
    assert callback.root == root
    assert callback.settings.golden_dir == root / "cases"

    perf = perf_project(None)
    assert perf.root == root
    assert perf.pyproject == root / "pyproject.toml"
    assert perf.settings.reports_dir == root / "out"


def test_the_four_agree_on_a_root_named_from_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = (tmp_path / "project").resolve()
    _project(root)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    # pytest: the test path names the project (its rootdir is settled from the path)
    tests = str(root / "model_tests" / "deep" / "test_probe.py")
    plugin = _plugin(elsewhere, tests, out=tmp_path / "probe.json")
    assert plugin["root"] == str(root)
    assert plugin["golden"] == str(root / "cases")

    assert main(["--root", str(root), "validate"]) == 0
    assert "ok  tiny: 1 cases" in capsys.readouterr().out

    callback = ReleaseGateCallback(root=root, history_path=tmp_path / "h.sqlite")
    assert (callback.root, callback.settings.golden_dir) == (root, root / "cases")

    perf = perf_project(str(root / "pyproject.toml"))
    assert (perf.root, perf.settings.golden_dir) == (root, root / "cases")

    # nothing found: the defaults, relative to where the lookup stopped
    assert main(["validate"]) == 2
    assert "golden" in capsys.readouterr().err


def test_the_precedence_of_the_lookup(tmp_path: Path) -> None:
    root = (tmp_path / "project").resolve()
    deep = _project(root)
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[tool.releasegate]\nmodel = "m"\n', encoding="utf-8")
    # a named file beats a named root, which beats the search from the start paths
    named = load_project([deep], root=root, pyproject=other / "pyproject.toml")
    assert (named.root, named.settings.model) == (other.resolve(), "m")
    assert load_project([deep], root=other).root == other.resolve()
    assert load_project([deep]).root == root
    # the configuration file pytest chose, when it holds the table, beats the search
    chosen = load_project([deep], chosen=other / "pyproject.toml")
    assert chosen.settings.model == "m"
    # a chosen file without the table is passed by; the search stops at the rootdir
    assert load_project([deep], chosen=tmp_path / "pyproject.toml", stop=tmp_path).root == root
    alone = load_project([deep], stop=deep)
    assert (alone.root, alone.pyproject) == (deep, None)
    # a root without a pyproject.toml: the defaults, relative to it
    bare = load_project(root=tmp_path / "bare")
    assert bare.pyproject is None
    assert bare.settings.golden_dir == (tmp_path / "bare" / "fixtures" / "golden").resolve()
    with pytest.raises(ConfigError, match=r"missing\.toml: no such file; give a pyproject"):
        load_project(pyproject=tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match=r"^--perf-config .*missing\.toml: no such file"):
        perf_project(str(tmp_path / "missing.toml"))
