"""The one progress display (releasegate.core.progress), as a user meets it: a real process
writing to a pipe (CI), to a pseudo-terminal (an interactive shell), as an xdist worker, and
inside a real pytest run that captures output."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pty_run import plain_env, stderr_on_pty
from releasegate.core.progress import MODE_ENV, progress, progress_mode, set_terminal
from releasegate.exceptions import ConfigError

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]

STEPS = """
import time
from releasegate.core.progress import progress
for name in ("generating intents", "generating facts"):
    with progress(name, total=40) as step:
        for _ in range(40):
            time.sleep(0.005)
            step.advance()
"""


@pytest.fixture
def plain_stderr() -> Iterator[None]:
    """Progress to this process's stderr (capsys), not past capture as releasegate's pytest
    plugin sends it in this very run."""
    previous = set_terminal(None)
    yield
    set_terminal(previous)


def _env(**extra: str) -> dict[str, str]:
    return plain_env(**extra)


def _on_pipe(script: str, **extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], env=_env(**extra), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def _on_pty(script: str, **extra: str) -> str:
    """What *script* writes to stderr when stderr is a terminal (a real pseudo-terminal)."""
    code, err = stderr_on_pty([sys.executable, "-c", script], _env(**extra))
    assert code == 0, err
    return err


def test_not_a_terminal_prints_one_line_per_finished_step_and_no_bar() -> None:
    out = _on_pipe(STEPS)
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith("generating intents: 40/40 in ")
    assert lines[1].startswith("generating facts: 40/40 in ")
    assert lines[0].endswith(" s")
    assert "\x1b" not in out and "\r" not in out


def test_ci_prints_lines_even_on_a_terminal() -> None:
    out = _on_pty(STEPS, CI="true")
    assert "\x1b[" not in out
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "generating intents",
        "generating facts",
    ]


def test_a_terminal_draws_a_live_bar_with_counts_rate_and_time_left() -> None:
    out = _on_pty(STEPS)
    assert "\x1b[" in out and "\r" in out  # a bar redrawn in place
    assert "━" in out  # the bar itself
    assert "/40" in out  # counts while it runs
    assert "/s" in out  # the rate
    # the bar is cleared at the end and the step's line takes its place
    assert "generating intents: 40/40 in " in out
    assert "generating facts: 40/40 in " in out


def test_forced_bar_on_a_terminal_and_forced_lines_on_a_terminal() -> None:
    assert "━" in _on_pty(STEPS, **{MODE_ENV: "bar"})
    lines = _on_pty(STEPS, **{MODE_ENV: "lines"})
    assert "\x1b[" not in lines and len(lines.splitlines()) == 2


def test_an_xdist_worker_draws_no_bar_even_when_asked() -> None:
    out = _on_pty(STEPS, PYTEST_XDIST_WORKER="gw0", **{MODE_ENV: "bar"})
    assert "\x1b[" not in out and "━" not in out
    assert len(out.splitlines()) == 2


def test_off_prints_nothing() -> None:
    assert _on_pipe(STEPS, **{MODE_ENV: "off"}) == ""


def test_a_wrong_mode_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODE_ENV, "verbose")
    with pytest.raises(ConfigError, match=r"RELEASEGATE_PROGRESS='verbose'.*off, lines or bar"):
        progress_mode()


@pytest.mark.usefixtures("plain_stderr")
def test_a_step_that_fails_says_where_it_stopped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(MODE_ENV, "lines")
    with pytest.raises(RuntimeError), progress("reading train.jsonl", total=10) as step:
        step.advance(3)
        raise RuntimeError("disk gone")
    err = capsys.readouterr().err
    assert err.startswith("reading train.jsonl: stopped at 3/10 after ")


@pytest.mark.usefixtures("plain_stderr")
def test_a_step_of_unknown_size_counts_what_it_did(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(MODE_ENV, "lines")
    with progress("matching", total=None) as step:
        step.advance(7)
    assert capsys.readouterr().err.startswith("matching: 7 in ")


TEST_FILE = """
import time
from releasegate.core.progress import progress

def test_generates():
    print("a captured print")
    with progress("generating intents", total=3) as step:
        for _ in range(3):
            time.sleep(0.01)
            step.advance()

def test_other():
    pass
"""


def test_inside_pytest_the_line_reaches_the_terminal_past_capture(tmp_path: Path) -> None:
    (tmp_path / "test_gen.py").write_text(TEST_FILE, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [*PYTEST, "test_gen.py", f"--junitxml={junit}", "-n", "0"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # on the real stderr, a whole line of its own; the captured print stays captured
    assert any(line.startswith("generating intents: 3/3 in ") for line in done.stderr.splitlines())
    assert "a captured print" not in done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert "generating intents" not in junit.read_text(encoding="utf-8")


@pytest.mark.usefixtures("plain_stderr")
def test_steps_from_threads_all_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Answers may come back on several threads; every advance counts and the bar's one
    display survives them."""
    monkeypatch.setenv(MODE_ENV, "bar")
    with progress("generating", total=400) as step:
        threads = [
            threading.Thread(target=lambda: [step.advance() for _ in range(100)]) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert step.done == 400
    assert "generating: 400/400 in " in capsys.readouterr().err


def test_real_xdist_workers_draw_no_bar_on_a_terminal_even_when_asked(tmp_path: Path) -> None:
    (tmp_path / "test_gen.py").write_text(TEST_FILE, encoding="utf-8")
    code, err = stderr_on_pty(
        [*PYTEST, "test_gen.py", "-n", "2", "-q"],
        _env(**{MODE_ENV: "bar"}),
        cwd=tmp_path,
        timeout=120,
    )
    assert code == 0, err
    assert "━" not in err and "\x1b[2K" not in err
    assert err.count("generating intents: 3/3 in ") == 1, err


def test_a_worker_s_line_starts_a_line_of_its_own_among_the_dots(tmp_path: Path) -> None:
    """An xdist worker shares the controller's terminal but not its reporter: its line must not
    land after a row of test dots (``..generating intents: ...``)."""
    many = TEST_FILE + "".join(f"\ndef test_dot_{n}():\n    pass\n" for n in range(40))
    (tmp_path / "test_gen.py").write_text(many, encoding="utf-8")
    done = subprocess.run(
        [*PYTEST, "test_gen.py", "-n", "2", "-q", "-p", "no:randomly"],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
    lines = [line for line in done.stdout.splitlines() if "generating intents" in line]
    assert len(lines) == 1 and lines[0].startswith("generating intents: 3/3 in "), done.stdout
