"""A small review project: one suite answered by a scripted OpenAI-compatible server (a fake:
its answers are chosen by the test, so which reviews apply is known), cached per project."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_openai import FakeServer, Received, Reply
from releasegate.cli import main
from tiny_project import write_project
from tiny_project import write_run as write_any_run

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
    config = textwrap.dedent(
        f"""\
        [project]
        name = "shop-assistant"

        [tool.releasegate]
        backend = "openai"
        served_model = "shop-assistant"
        fingerprint = "fake-shop-v1"
        max_retries = 0
        cache_dir = "{pytester.path / "cache"}"
        """
    )
    write_project(
        pytester.path, config=config, manifest=MANIFEST.replace("PENDING", pending), cases=CASES
    )
    return pytester


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    return make_project(pytester)


def static_project(
    root: Path, *, project_name: str = "shop-assistant", manifest: str = MANIFEST
) -> Path:
    """The same project without a server: its runs are written by :func:`write_run` (the
    import side only reads a run's results.json, never the model)."""
    config = (
        f'[project]\nname = "{project_name}"\n\n[tool.releasegate]\n'
        f'cache_dir = "{root / "cache"}"\n'
    )
    return write_project(
        root, config=config, manifest=manifest.replace("PENDING", "fail"), cases=CASES
    )


def write_run(
    root: Path,
    run_id: str,
    answers: dict[str, str],
    *,
    fingerprint: str = "fake-shop-v1",
    suite: str = "tiny",
) -> Path:
    """A run of this project's cases answered with *answers* (:func:`tiny_project.write_run`)."""
    return write_any_run(root, run_id, answers, cases=CASES, fingerprint=fingerprint, suite=suite)


FIRST_ANSWERS = {
    "hello": "Hello! Happy to help.",
    "refund": "You can return the lamp within 30 days for a refund.",
    "rude": "Figure it out yourself.",
}


def cli(root: Path, *args: str) -> int:
    """``releasegate --root ROOT review ARGS``: its exit status."""
    return main(["--root", str(root), "review", *args])


def store_file(root: Path) -> Path:
    """The review file of the project's one suite."""
    return root / "fixtures" / "reviews" / "tiny.jsonl"


@pytest.fixture
def exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A static project whose run-1 answers (:data:`FIRST_ANSWERS`, three) are exported to
    review.xlsx."""
    root = static_project(tmp_path / "shop")
    write_run(root, "run-1", FIRST_ANSWERS)
    assert cli(root, "export", "--out", str(root / "review.xlsx")) == 0
    capsys.readouterr()
    return root
