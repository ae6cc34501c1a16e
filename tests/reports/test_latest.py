"""``reports/latest`` restored as a real folder, and runs re-pointing it at the same time."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

from releasegate.reports.latest import point_latest
from releasegate.reports.writers import RunReport


def _run(reports: Path, run_id: str, root: Path) -> RunReport:
    report = RunReport(run_id=run_id, directory=reports / run_id)
    report.write(settings={}, root=root)
    return report


def test_latest_restored_as_a_copy_of_a_run_is_moved_to_its_run_id(tmp_path: Path) -> None:
    """A CI download dereferences the link: ``latest`` is a folder holding run-1's files and
    run-1's own folder was not uploaded. The next run keeps the copy under run-1's id."""
    reports = tmp_path / "reports"
    _run(reports, "run-1", tmp_path)
    restored = reports / "latest"
    restored.unlink()
    shutil.copytree(reports / "run-1", restored)  # what the artifact holds
    shutil.rmtree(reports / "run-1")
    (restored / "notes.txt").write_text("kept", encoding="utf-8")

    second = _run(reports, "run-2", tmp_path)

    assert restored.is_symlink()
    assert restored.resolve() == (reports / "run-2").resolve()
    assert json.loads((reports / "run-1" / "results.json").read_text())["run_id"] == "run-1"
    assert (reports / "run-1" / "notes.txt").read_text(encoding="utf-8") == "kept"
    assert "copy of run run-1" in second.latest_note
    assert f"moved to {reports / 'run-1'}" in second.latest_note


def test_a_latest_folder_that_is_not_a_spare_copy_is_left_as_it_is(tmp_path: Path) -> None:
    """A folder that is not a run, or a copy of a run whose folder is still there: nothing is
    moved or deleted, the run is still written, and the note says what to do."""
    reports = tmp_path / "reports"
    _run(reports, "run-1", tmp_path)
    (reports / "latest").unlink()
    shutil.copytree(reports / "run-1", reports / "latest")  # run-1 still exists
    before = sorted(p.name for p in (reports / "latest").iterdir())

    second = _run(reports, "run-2", tmp_path)

    latest = reports / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    assert sorted(p.name for p in latest.iterdir()) == before
    assert json.loads((reports / "run-2" / "results.json").read_text())["run_id"] == "run-2"
    assert "left as it is, nothing deleted" in second.latest_note
    assert str(reports / "run-2") in second.latest_note

    shutil.rmtree(latest)
    latest.mkdir()
    (latest / "mine.txt").write_text("user data", encoding="utf-8")
    third = _run(reports, "run-3", tmp_path)
    assert (latest / "mine.txt").read_text(encoding="utf-8") == "user data"
    assert "left as it is" in third.latest_note


def test_runs_re_pointing_latest_at_once_never_fail(tmp_path: Path) -> None:
    """Each pointer change is one rename: a run never sees ``latest`` half replaced (the old
    unlink-then-link raised FileExistsError when another run linked in between)."""
    reports = tmp_path / "reports"
    runs = [reports / f"run-{i}" for i in range(4)]
    for run in runs:
        run.mkdir(parents=True)
    errors: list[BaseException] = []

    def repoint(run: Path) -> None:
        try:
            for _ in range(300):
                assert point_latest(run) == ""
        except BaseException as exc:  # any failure of any thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=repoint, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    latest = reports / "latest"
    assert latest.is_symlink() and latest.resolve() in {run.resolve() for run in runs}
    assert sorted(p.name for p in reports.iterdir()) == ["latest", *(run.name for run in runs)]
