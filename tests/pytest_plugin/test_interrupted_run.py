"""A run that stopped before its end says so: ``interrupted`` in results.json, at the top of
summary.md and of the page; and the XFAIL lines of an ``--update-baseline`` run whose baselines
were not written do not claim the known failures were recorded.

On the fake model of ``test_plugin_fake`` (``benchmarks/instant_backend.py``), for speed: what is
tested is the end of the session, not the answers.
"""

from __future__ import annotations

import json
import textwrap

import pytest
import test_plugin_fake
from test_plugin_fake import answers, run, use_answers

project = test_plugin_fake.project

STOP_AFTER_TWO_CASES = textwrap.dedent(
    """
    finished = []

    def pytest_runtest_logreport(report):
        if report.when == "call" and "test_case[" in report.nodeid:
            finished.append(report.nodeid)
            if len(finished) == 2:
                raise KeyboardInterrupt
    """
)


def _xfail_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("XFAIL ")]


def test_a_ctrl_c_run_says_it_was_interrupted_everywhere(project: pytest.Pytester) -> None:
    use_answers(project, answers(refund="in a month"))  # a known failure for the new baseline
    project.makeconftest(STOP_AFTER_TWO_CASES)

    result, record = run(project, "--update-baseline")

    out = result.stdout.str()
    assert record.interrupted == "the session was interrupted"
    folder = project.path / "reports" / "latest"
    document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert document["interrupted"] == "the session was interrupted"
    summary = (folder / "summary.md").read_text(encoding="utf-8").splitlines()
    assert summary[2].startswith("**Interrupted: the session was interrupted.**")
    page = (folder / "report.html").read_text(encoding="utf-8")
    top = page[: page.index('<dl class="meta">')]
    assert 'id="interrupted"' in top and "Interrupted: the session was interrupted." in top
    assert "BLOCKED" in top
    # The baselines were refused: the known failure's XFAIL line must not say it was recorded.
    assert "baselines not updated, no file written: the session was interrupted" in out
    xfails = _xfail_lines(out)
    assert len(xfails) == 1 and "shop/refund" in xfails[0], out
    assert "not recorded: the baselines were not updated" in xfails[0]
    assert "in the new baseline" not in out


def test_a_run_stopped_by_x_says_so_and_records_no_known_failure(
    project: pytest.Pytester,
) -> None:
    use_answers(project, answers(refund="in a month", safety="no"))  # safety is critical

    result, record = run(project, "--update-baseline", "-x")

    assert record.interrupted is not None
    assert record.interrupted.startswith("the session stopped early (stopping after 1 failures")
    summary = (project.path / "reports" / "latest" / "summary.md").read_text(encoding="utf-8")
    assert "**Interrupted: the session stopped early" in summary
    xfails = _xfail_lines(result.stdout.str())
    assert len(xfails) == 1 and "not recorded" in xfails[0]
    assert not (project.path / "fixtures" / "baselines" / "shop.json").exists()


def test_a_complete_update_records_its_known_failures_and_is_not_interrupted(
    project: pytest.Pytester,
) -> None:
    use_answers(project, answers(refund="in a month"))

    result, record = run(project, "--update-baseline")

    assert record.interrupted is None
    document = json.loads(
        (project.path / "reports" / "latest" / "results.json").read_text(encoding="utf-8")
    )
    assert document["interrupted"] is None
    summary = (project.path / "reports" / "latest" / "summary.md").read_text(encoding="utf-8")
    assert "Interrupted" not in summary
    xfails = _xfail_lines(result.stdout.str())
    assert len(xfails) == 1 and "recorded as a known failure in the new baseline" in xfails[0]
    baseline = json.loads((project.path / "fixtures" / "baselines" / "shop.json").read_text())
    assert baseline["cases"]["refund"]["outcome"] == "failed"
