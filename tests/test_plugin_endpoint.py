"""The plugin with ``--backend openai``: a failed request is an ERROR and is not cached.

The server is a scripted fake (tests/fake_openai.py): a real server cannot be made to fail one
chosen case and then recover. The same suites against the real ``transformers serve`` are in
tests/test_serving.py.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from fake_openai import FakeServer, Received, Reply

GOLDEN_TEST = textwrap.dedent(
    """
    def test_case(golden_case):
        golden_case.assert_passes()

    def test_metric(suite_metric):
        suite_metric.assert_meets_bar()
    """
)

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
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            f"""
            [tool.releasegate]
            backend = "openai"
            served_model = "shop-assistant"
            max_retries = 0
            cache_dir = "{pytester.path / "cache"}"
            """
        ),
    )
    golden = pytester.mkdir("fixtures").joinpath("golden")
    golden.mkdir()
    (golden / "tiny.yaml").write_text(MANIFEST, encoding="utf-8")
    (golden / "tiny.jsonl").write_text(
        "".join(json.dumps(case) + "\n" for case in CASES), encoding="utf-8"
    )
    pytester.mkdir("model_tests").joinpath("test_golden.py").write_text(GOLDEN_TEST)
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
