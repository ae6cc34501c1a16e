"""A small review project: one suite answered by a scripted OpenAI-compatible server (a fake:
its answers are chosen by the test, so which reviews apply is known), cached per project."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator

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
    review:
      scale: 1-5
      pass_mark: 4
      pending: PENDING
      criteria:
        - {name: correctness, label: "Correct?", description: "Does it state the policy right?"}
        - tone
      contact: support-lead@example.com
    metrics:
      - {name: accuracy, min: 0.5}
      - {name: human_score, min: 3.5, max_drop: 0.5}
      - {name: human_pass_rate, min: 0.5}
    """
)

CASES = [
    {"id": "hello", "input": "Say hello.", "expected": "hello"},
    {
        "id": "refund",
        "input": [
            {"role": "user", "content": "I want my money back."},
            {"role": "assistant", "content": "What did you buy?"},
            {"role": "user", "content": "A lamp."},
        ],
        "expected": "refund",
    },
    {"id": "rude", "input": "Where is my parcel?", "expected": "tracking"},
]

ANSWERS = {
    "Say hello.": "Hello! Happy to help.",
    "A lamp.": "You can return the lamp within 30 days for a refund.",
    "Where is my parcel?": "=Figure it out yourself.",
}


def answer_for(request: Received, answers: dict[str, str]) -> Reply:
    text = json.dumps(request.body, ensure_ascii=False)
    for question, answer in answers.items():
        if question in text:
            return Reply(text=answer)
    return Reply(text="I don't know.")


@pytest.fixture
def answers() -> dict[str, str]:
    return dict(ANSWERS)


@pytest.fixture
def server(answers: dict[str, str]) -> Iterator[tuple[str, FakeServer]]:
    """The scripted server's URL, and the server (what it was asked)."""
    fake = FakeServer(lambda n, request: answer_for(request, answers))
    with fake.running() as url:
        yield url, fake


def generations(fake: FakeServer) -> int:
    """Requests for an answer the server has had (not model listings)."""
    return sum(1 for r in fake.received if r.path.endswith("completions"))


def make_project(pytester: pytest.Pytester, *, pending: str = "fail") -> pytest.Pytester:
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            f"""
            [project]
            name = "shop-assistant"

            [tool.releasegate]
            backend = "openai"
            served_model = "shop-assistant"
            fingerprint = "fake-shop-v1"
            max_retries = 0
            cache_dir = "{pytester.path / "cache"}"
            """
        ),
    )
    golden = pytester.mkdir("fixtures").joinpath("golden")
    golden.mkdir()
    (golden / "tiny.yaml").write_text(MANIFEST.replace("PENDING", pending), encoding="utf-8")
    (golden / "tiny.jsonl").write_text(
        "".join(json.dumps(case) + "\n" for case in CASES), encoding="utf-8"
    )
    pytester.mkdir("model_tests").joinpath("test_golden.py").write_text(GOLDEN_TEST)
    return pytester


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    return make_project(pytester)
