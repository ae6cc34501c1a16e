"""The plugin with ``--backend openai``: a failed request is an ERROR and is not cached.

The server is a scripted fake (tests/fake_openai.py): a real server cannot be made to fail one
chosen case and then recover. The same suites against the real ``transformers serve`` are in
tests/models/test_serving.py.
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from fake_openai import FakeServer, Received, Reply
from tiny_project import write_project

MANIFEST = textwrap.dedent(
    """
    name: tiny
    cases: tiny.jsonl
    prompt:
      system: You are a shop assistant.
    check: {name: regex, pattern: "\\\\S"}
    metrics:
      - {name: accuracy, min: 0.5}
    """
)

CASES = [
    {"id": "hello", "input": "Say hello.", "expected": "hello"},
    {"id": "refund", "input": "Refund policy?", "expected": "refund"},
    {"id": "unlucky", "input": "This one breaks the server.", "expected": "x"},
]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    config = textwrap.dedent(
        f"""\
        [tool.releasegate]
        backend = "openai"
        served_model = "shop-assistant"
        max_retries = 0
        cache_dir = "{pytester.path / "cache"}"
        """
    )
    write_project(pytester.path, config=config, manifest=MANIFEST, cases=CASES)
    return pytester


def test_failed_request_is_an_error_naming_the_case_and_is_not_cached(
    project: pytest.Pytester,
) -> None:
    healthy = {"value": False}

    def script(n: int, request: Received) -> Reply:
        if "breaks the server" in json.dumps(request.body) and not healthy["value"]:
            return Reply(status=500, body=b'{"error": "CUDA out of memory"}')
        return Reply(text="Hello! Happy to help.")

    fake = FakeServer(script)
    with fake.running() as url:
        first = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "--base-url", url
        )
        first.assert_outcomes(passed=2, errors=2)
        out = first.stdout.str()
        assert "ERROR at setup of test_case[tiny/unlucky]" in out
        assert "tiny/unlucky (" in out and "tiny.jsonl:3): no answer, not judged" in out
        assert f"{url}/chat/completions: HTTP 500" in out and "CUDA out of memory" in out
        assert "ERROR at setup of test_metric[tiny::accuracy]" in out
        assert "1 case(s) got none (unlucky)" in out
        assert "Traceback" not in out
        assert len(fake.received) == 3

        healthy["value"] = True
        second = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "--base-url", url
        )
        second.assert_outcomes(passed=4)
        # Only the failed case was asked again: the others came from the prediction cache.
        assert len(fake.received) == 4
        assert "breaks the server" in json.dumps(fake.received[-1].body)


def test_base_url_without_the_openai_backend_is_one_clear_error(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "model_tests", "-p", "no:cacheprovider", "--backend", "hf", "--base-url", "http://h:1/v1"
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*base_url is http://h:1/v1 but backend is 'hf'*--backend openai*"]
    )


def test_embedded_endpoint_fixture_reuses_the_given_base_url(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_endpoint="""
        def test_endpoint(embedded_endpoint):
            assert embedded_endpoint.base_url == "http://serving.example:8000/v1"
            assert embedded_endpoint.model == "shop-assistant"
        """
    )
    result = project.runpytest_subprocess(
        "test_endpoint.py",
        "-p",
        "no:cacheprovider",
        "--base-url",
        "http://serving.example:8000/v1/",
    )
    result.assert_outcomes(passed=1)


def test_benchmarks_against_a_dead_endpoint_are_errors_naming_the_url(
    project: pytest.Pytester,
) -> None:
    """The benchmarks cannot run without the server: each is an ERROR (not a failed gate) with
    the one message, not a traceback."""
    with (project.path / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(
            "\n[tool.releasegate.general]\n"
            'tasks = [{name = "anything", metrics = ["exact_match"]}]\n'
        )
    project.path.joinpath("model_tests", "test_general.py").write_text(
        "def test_benchmark(general_benchmark):\n    general_benchmark.assert_passes()\n"
    )
    result = project.runpytest_subprocess(
        "model_tests/test_general.py", "-p", "no:cacheprovider",
        "--base-url", "http://127.0.0.1:9/v1",
    )  # fmt: skip
    result.assert_outcomes(errors=1, skipped=1)  # the no-drop test: no baseline recorded
    result.stdout.fnmatch_lines(["*cannot connect to http://127.0.0.1:9/v1/models*"])
    # The message once in the error report: no chained repeat. The short summary below it
    # repeats the line, whole where pytest does not truncate it (under CI=1, for one).
    report = result.stdout.str().split("short test summary info")[0]
    assert report.count("cannot connect") == 1
    assert "Traceback" not in report and "raise BackendError" not in report


def test_an_api_key_echoed_back_is_written_nowhere(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that repeats the Authorization header in its answers (a fake: no real server
    does, but a model can be made to): the key is in no file the run wrote, nor on the
    terminal; the redaction marker stands in its place."""
    secret = "sk-live-4f9a2c7e1b8d6053aa"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    manifest = MANIFEST.replace('check: {name: regex, pattern: "\\\\S"}', "check: contains")
    (project.path / "fixtures" / "golden" / "tiny.yaml").write_text(manifest, encoding="utf-8")

    def echo(n: int, request: Received) -> Reply:
        return Reply(text=f"Hello! Your key is {request.headers['Authorization']}.")

    fake = FakeServer(echo)
    with fake.running() as url:
        result = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "--base-url", url, "-rA"
        )
    assert {r.headers["Authorization"] for r in fake.received} == {f"Bearer {secret}"}
    result.assert_outcomes(passed=1, failed=3)  # the answers were judged, with the key out
    terminal = result.stdout.str() + result.stderr.str()
    assert "Your key is Bearer ***." in terminal and secret not in terminal
    written = {p.relative_to(project.path).as_posix(): p for p in project.path.rglob("*")}
    kinds = {name.rsplit("/", 1)[-1] for name in written}
    assert {"results.json", "summary.md", "junit.xml"} <= kinds
    assert any(name.startswith("cache/") and p.is_file() for name, p in written.items())
    leaks = [
        name for name, p in written.items() if p.is_file() and secret.encode() in p.read_bytes()
    ]
    assert leaks == []
    results = next(p for name, p in written.items() if name.endswith("/results.json"))
    assert "Your key is Bearer ***." in results.read_text(encoding="utf-8")


def free_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unanswered_known_failures_are_errors_not_xfails_and_lf_reruns_them(
    project: pytest.Pytester,
) -> None:
    """A case that failed on the baseline is a known failure only when it got a wrong answer:
    with nothing listening it got none, so it is an ERROR showing why, and the gate is red."""
    baselines = project.path / "fixtures" / "baselines"
    baselines.mkdir()
    (baselines / "tiny.json").write_text(
        json.dumps(
            {
                "suite": "tiny",
                "cases": {c["id"]: {"outcome": "failed", "answer": "no"} for c in CASES},
                "metrics": {"accuracy": {"value": 0.0}},
            }
        ),
        encoding="utf-8",
    )
    url = f"http://127.0.0.1:{free_port()}/v1"
    first = project.runpytest_subprocess("model_tests", "-k", "test_case", "--base-url", url)
    first.assert_outcomes(errors=3)
    assert first.ret != 0
    out = first.stdout.str()
    assert " xfailed" not in out and "XFAIL" not in out
    assert "ERROR at setup of test_case[tiny/unlucky]" in out
    assert f"cannot connect to {url}" in out
    again = project.runpytest_subprocess(
        "model_tests", "-k", "test_case", "--lf", "--base-url", url
    )
    again.assert_outcomes(errors=3)
    assert "rerun previous 3 failures" in again.stdout.str()


def test_a_wrong_answer_to_a_known_failure_is_still_an_xfail(project: pytest.Pytester) -> None:
    """The other side of the rule above: the answered, wrong known failure stays XFAIL (and an
    answered, right one XPASSes), so the mark narrows to wrong answers without losing them."""
    baselines = project.path / "fixtures" / "baselines"
    baselines.mkdir()
    (baselines / "tiny.json").write_text(
        json.dumps(
            {
                "suite": "tiny",
                "cases": {c["id"]: {"outcome": "failed", "answer": "no"} for c in CASES},
                "metrics": {},
            }
        ),
        encoding="utf-8",
    )
    # The regex check of the manifest passes any non-empty answer: an empty one is wrong.
    fake = FakeServer(lambda n, request: Reply(text="" if n == 0 else "Hello!"))
    with fake.running() as url:
        result = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "-k", "test_case", "--base-url", url,
            "--batch-size", "1", "--chunk-size", "1",
        )  # fmt: skip
    result.assert_outcomes(xfailed=1, xpassed=2)
    assert result.ret == 0


def pytest_counts(result: pytest.RunResult) -> dict[str, int]:
    """The outcome counts of pytest's last line, in the report's words (``error``, ...)."""
    return {
        {"errors": "error", "warnings": "warning"}.get(k, k): v
        for k, v in result.parseoutcomes().items()
        if k not in ("warnings", "deselected")
    }


def test_a_run_where_every_test_errored_writes_its_report_and_moves_latest(
    project: pytest.Pytester,
) -> None:
    """``reports/latest`` is the run that just finished, even when nothing got an answer; its
    counts are pytest's, errors included, and it says why."""
    fake = FakeServer(lambda n, request: Reply(text="Hello! Happy to help."))
    with fake.running() as url:
        good = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "--base-url", url, "--run-id", "good"
        )
    good.assert_outcomes(passed=4)
    reports = project.path / "reports"
    assert (reports / "latest" / "results.json").is_file()

    dead = f"http://127.0.0.1:{free_port()}/v1"
    bad = project.runpytest_subprocess(
        "model_tests", "-p", "no:cacheprovider", "--no-prediction-cache", "--base-url", dead,
        "--run-id", "dead",
    )  # fmt: skip
    bad.assert_outcomes(errors=4)
    assert "tiny: 3 errors" in bad.stdout.str()  # the terminal's releasegate section
    latest = reports / "latest"
    assert latest.resolve() == (reports / "dead").resolve()
    document = json.loads((latest / "results.json").read_text(encoding="utf-8"))
    assert document["run_id"] == "dead"
    assert document["totals"] == pytest_counts(bad) == {"error": 4}
    assert document["summary"] == {"tiny": {"error": 3}}
    assert {(u["key"], u["outcome"], u["when"]) for u in document["unjudged"]} == {
        ("tiny/hello", "error", "setup"),
        ("tiny/refund", "error", "setup"),
        ("tiny/unlucky", "error", "setup"),
        ("tiny::accuracy", "error", "setup"),
    }
    assert all(f"cannot connect to {dead}" in u["message"] for u in document["unjudged"])
    summary = (latest / "summary.md").read_text(encoding="utf-8")
    assert "tests: 4 errors" in summary
    assert "| tiny | 0 | 0 | 0 | 0 | 0 | 3 |" in summary
    assert "## Errors (no verdict)" in summary and f"cannot connect to {dead}" in summary
    assert (latest / "junit.xml").is_file()


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_report_counts_setup_errors_beside_known_failures_as_pytest_does(
    project: pytest.Pytester, workers: str
) -> None:
    """One case's request fails, the others are wrong answers to known failures: the report
    counts the XFAILs and the ERRORs (the case's and the suite metric's) exactly as pytest,
    also when the errors happen on pytest-xdist workers."""
    baselines = project.path / "fixtures" / "baselines"
    baselines.mkdir()
    (baselines / "tiny.json").write_text(
        json.dumps(
            {
                "suite": "tiny",
                "cases": {c["id"]: {"outcome": "failed", "answer": "no"} for c in CASES},
                "metrics": {},
            }
        ),
        encoding="utf-8",
    )

    def script(n: int, request: Received) -> Reply:
        if "breaks the server" in json.dumps(request.body):
            return Reply(status=500, body=b'{"error": "overloaded"}')
        return Reply(text="")  # wrong: the check wants a non-empty answer

    with FakeServer(script).running() as url:
        result = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "--base-url", url, "-n", workers
        )
    result.assert_outcomes(xfailed=2, errors=2)
    document = json.loads(
        (project.path / "reports" / "latest" / "results.json").read_text(encoding="utf-8")
    )
    assert document["totals"] == pytest_counts(result) == {"xfailed": 2, "error": 2}
    assert document["summary"] == {"tiny": {"xfailed": 2, "error": 1}}
    summary = (project.path / "reports" / "latest" / "summary.md").read_text(encoding="utf-8")
    assert "tests: 2 xfailed, 2 errors" in summary


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_a_reports_folder_that_cannot_be_written_is_one_usage_error_before_anything_runs(
    project: pytest.Pytester, where: str
) -> None:
    """Not a traceback from the JUnit writer after every answer was fetched: the run stops at
    once with one message naming the folder and what to do."""
    blocker = project.path / "not-a-folder"
    blocker.write_text("a file where the reports should go\n", encoding="utf-8")
    folder = blocker if where == "a file" else blocker / "reports"
    fake = FakeServer(lambda n, request: Reply(text="Hello!"))
    with fake.running() as url:
        result = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "--base-url", url, "--reports-dir", str(folder)
        )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert f"reports folder {folder} cannot be written" in err
    assert f"{blocker} is a file" in err and "--reports-dir" in err
    assert "Traceback" not in err + result.stdout.str()
    assert fake.received == []  # nothing ran


def test_a_read_only_reports_folder_is_one_usage_error(project: pytest.Pytester) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip(
            "root writes through a read-only mode, so chmod cannot make the folder unwritable "
            "here; the path-under-a-file variants above test the same check"
        )
    reports = project.path / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    try:
        result = project.runpytest_subprocess("model_tests", "-p", "no:cacheprovider")
    finally:
        reports.chmod(0o755)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"reports folder {reports} cannot be written" in result.stderr.str()


CRAFTED_ANSWER = (
    "Sure! a|b\nnext <script>alert('x')</script><img src=x onerror=alert(1)> \x00nul "
    "\x1b[2J\x1b[31mred \x07bell"
)


def test_an_answer_with_markup_and_control_bytes_is_shown_as_text_everywhere(
    project: pytest.Pytester,
) -> None:
    """The fake answers every case with HTML, NUL, ESC, BEL, a pipe and a newline (a real model
    cannot be made to emit these bytes on demand). The terminal shows the bytes as escapes,
    summary.md shows the markup as text in intact table rows (the expected answer filled in),
    junit.xml stays valid XML, and results.json keeps the answer exactly as it came."""
    import xml.etree.ElementTree as ElementTree

    (project.path / "fixtures" / "golden" / "tiny.yaml").write_text(
        MANIFEST.replace('{name: regex, pattern: "\\\\S"}', "exact").replace(
            "{name: accuracy, min: 0.5}", "{name: accuracy, max_drop: 0.1}"
        ),
        encoding="utf-8",
    )
    baselines = project.path / "fixtures" / "baselines"
    baselines.mkdir()
    ids = [c["id"] for c in CASES]
    (baselines / "tiny.json").write_text(
        json.dumps(
            {
                "suite": "tiny",
                "cases": {i: {"outcome": "passed", "answer": "<b>fine</b>"} for i in ids},
                "metrics": {"accuracy": {"value": 1.0, "per_item": {i: 1.0 for i in ids}}},
            }
        ),
        encoding="utf-8",
    )
    with FakeServer(lambda n, request: Reply(text=CRAFTED_ANSWER)).running() as url:
        result = project.runpytest_subprocess(
            "model_tests", "-p", "no:cacheprovider", "--base-url", url, "--run-id", "crafted"
        )
    # three regressions; the accuracy's no-drop test passes: three cases cannot show a drop at
    # alpha 0.05 (every one worse is p = 1/8), and its message says so
    result.assert_outcomes(failed=3, passed=2)
    terminal = "\n".join(result.outlines + result.errlines)
    assert not any(byte in terminal for byte in "\x00\x1b\x07")
    assert "\\x1b[2J\\x1b[31mred \\x07bell" in terminal and "\\x00nul" in terminal

    folder = project.path / "reports" / "crafted"
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert not any(byte in summary for byte in "\x00\x1b\x07")
    assert "<script" not in summary and "<img" not in summary and "<b>" not in summary
    assert "&lt;script&gt;" in summary and "&lt;img src=x onerror=alert(1)&gt;" in summary
    flips = summary.split("## Flips: tiny::accuracy")[1].split("\n\n")[2].splitlines()
    assert flips[0] == "| item | direction | expected | baseline answer | answer now |"
    rows = flips[2:]
    assert len(rows) == 3  # the answer's newline split no row
    for row, case in zip(rows, CASES, strict=True):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert cells[:3] == [case["id"], "worse", case["expected"]]  # the expected answer shown
        assert cells[3] == "&lt;b&gt;fine&lt;/b&gt;"
        assert cells[4].startswith("Sure! a\\|b next &lt;script&gt;alert('x')&lt;/script&gt;")
    assert "## Failing cases" in summary

    ElementTree.parse(folder / "junit.xml")  # valid XML
    document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert {case["answer"] for case in document["cases"]} == {CRAFTED_ANSWER}
    (drop,) = [m for m in document["metrics"] if m["test"] == "no_drop"]
    assert drop["outcome"] == "passed" and "too few cases (3)" in drop["message"]
