"""The embedded endpoint and the openai backend against the real ``transformers serve``.

One server (the plugin's ``embedded_endpoint`` fixture: ``transformers serve`` on the default
model, on a loopback port) answers the backend tests; the golden-suite test lets the openai
backend start its own, as ``pytest model_tests --backend openai`` does without a ``--base-url``.
Greedy answers through the server are held to be identical to the in-process hf backend's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from releasegate.benchmarks.general import BenchmarkTask, GeneralConfig
from releasegate.benchmarks.running import BenchmarkRunner
from releasegate.config import default_cache_dir
from releasegate.exceptions import ConfigError, ServerStartError
from releasegate.models.backend import EndpointSpec, GenerationSettings, ModelSpec, Prompt
from releasegate.models.loading import load_backend
from releasegate.models.serving import ServingEndpoint, embedded_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SYSTEM = "You are the customer-service assistant of an online homeware shop. Answer briefly."
PROMPTS = [
    Prompt(messages=({"role": "user", "content": "What is the capital of France?"},)),
    Prompt(
        messages=(
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "How long does a refund take?"},
        )
    ),
    Prompt(messages=({"role": "user", "content": "退款多久到账"},)),
    Prompt(text="Question: What colour is the sky on a clear day?\nAnswer:"),
]
SETTINGS = GenerationSettings(max_new_tokens=24)


@pytest.fixture(scope="module")
def hf_answers() -> list[tuple[str, int]]:
    """The in-process hf backend's greedy answers to PROMPTS."""
    spec = ModelSpec(model="smollm2-135m-instruct", device="cpu", dtype="float32")
    backend = load_backend("hf", spec)
    try:
        answers = backend.generate(
            [backend.render(p) for p in PROMPTS], SETTINGS, batch_size=len(PROMPTS)
        )
    finally:
        backend.close()
    return [(a.text, a.output_tokens) for a in answers]


def test_openai_backend_answers_exactly_as_the_hf_backend(
    embedded_endpoint: ServingEndpoint, hf_answers: list[tuple[str, int]]
) -> None:
    spec = ModelSpec(
        model="smollm2-135m-instruct",
        endpoint=EndpointSpec(
            base_url=embedded_endpoint.base_url, served_model=embedded_endpoint.model
        ),
    )
    backend = load_backend("openai", spec)
    try:
        rendered = [backend.render(p) for p in PROMPTS]
        answers = backend.generate(rendered, SETTINGS, batch_size=1)
        described = backend.describe()
    finally:
        backend.close()
    assert [(a.text, a.output_tokens) for a in answers] == hf_answers
    assert all(a.text.strip() for a in answers)
    assert json.loads(rendered[2]) == {"messages": [{"role": "user", "content": "退款多久到账"}]}
    # transformers serve cannot list models without a hub cache: the fingerprint then rests on
    # the URL and the model name.
    assert described["fingerprint_source"] == "endpoint (URL, model name, /models entry)"
    assert described["base_url"] == embedded_endpoint.base_url


def test_golden_verdicts_through_the_endpoint_match_the_hf_backend(tmp_path: Path) -> None:
    """The repository's golden suites (a subset of cases, both suites' kinds of answers), run
    by ``pytest model_tests`` in process and through ``transformers serve`` started by the
    openai backend itself: the same verdict for every case, and the same answer."""
    selection = [
        "--suite", "intents", "--suite", "shop_faq",
        "-k", "test_case and (refund or cancel)", "-m", "not variant",
        "--no-prediction-cache", "-p", "no:cacheprovider", "-q",
    ]  # fmt: skip
    runs: dict[str, dict[str, Any]] = {}
    for backend in ("hf", "openai"):
        reports = tmp_path / backend
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "model_tests", *selection,
             "--backend", backend, "--reports-dir", str(reports)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        results = json.loads((reports / "latest" / "results.json").read_text(encoding="utf-8"))
        runs[backend] = {case["key"]: case for case in results["cases"]}
    hf, served = runs["hf"], runs["openai"]
    assert len(hf) == 16 and hf.keys() == served.keys()
    assert {k: c["outcome"] for k, c in served.items()} == {k: c["outcome"] for k, c in hf.items()}
    assert {k: c["answer"] for k, c in served.items()} == {k: c["answer"] for k, c in hf.items()}
    outcomes = {c["outcome"] for c in hf.values()}
    assert {"passed", "xfailed"} <= outcomes  # a real mix, not a trivially equal run
    assert served["intents/int-refund-zh"]["prompt"].startswith('{"messages": [')


def _endpoint_backend(endpoint: ServingEndpoint, api: str = "chat") -> Any:
    spec = ModelSpec(
        model="smollm2-135m-instruct",
        endpoint=EndpointSpec(base_url=endpoint.base_url, served_model=endpoint.model, api=api),
    )
    return load_backend("openai", spec)


def test_a_generation_benchmark_through_the_endpoint_scores_as_in_process(
    embedded_endpoint: ServingEndpoint, tmp_path: Path
) -> None:
    """The private address task (lm-eval ``generate_until``, field F1) through lm-eval's
    ``local-chat-completions`` on ``transformers serve``, and through HFLM on the model loaded
    in process: the same answers and scores, question by question (greedy)."""
    config = GeneralConfig(
        tasks=(BenchmarkTask("shop_address", metrics=("field_f1",), chat_template=True, limit=4),),
        include=(ROOT / "fixtures" / "tasks",),
    )
    served_backend = _endpoint_backend(embedded_endpoint)
    try:
        runner = BenchmarkRunner(config, cache_dir=tmp_path / "served", batch_size=1)
        served = runner.results(served_backend.lm_eval_model(batch_size=1), model_key="served")
    finally:
        served_backend.close()
    hf_backend = load_backend(
        "hf", ModelSpec(model="smollm2-135m-instruct", device="cpu", dtype="float32")
    )
    try:
        runner = BenchmarkRunner(config, cache_dir=tmp_path / "hf", batch_size=1)
        local = runner.results(hf_backend.lm_eval_model(batch_size=1), model_key="hf")
    finally:
        hf_backend.close()
    through_server, in_process = served["shop_address"], local["shop_address"]
    assert len(through_server.items) == 4
    assert all(item.answer.strip() for item in through_server.items.values())
    assert {k: i.answer for k, i in through_server.items.items()} == {
        k: i.answer for k, i in in_process.items.items()
    }
    assert through_server.metrics == in_process.metrics
    assert 0.0 < through_server.metrics["field_f1"] <= 1.0  # the model gets some fields right


def test_a_multiple_choice_benchmark_over_chat_is_one_clear_error(
    embedded_endpoint: ServingEndpoint, tmp_path: Path
) -> None:
    """MMLU needs log-probabilities of the prompt, which a chat route does not return."""
    mmlu = ROOT / "fixtures" / "data" / "mmlu"
    config = GeneralConfig(tasks=(BenchmarkTask("mmlu_marketing", limit=2),), mmlu_dir=mmlu)
    backend = _endpoint_backend(embedded_endpoint)
    try:
        runner = BenchmarkRunner(config, cache_dir=tmp_path, batch_size=1)
        with pytest.raises(ConfigError) as raised:
            runner.results(backend.lm_eval_model(batch_size=1), model_key="served")
    finally:
        backend.close()
    message = str(raised.value)
    assert "general benchmarks mmlu_marketing" in message
    assert "log-probabilities of the prompt" in message and 'api = "completions"' in message


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"


def _listening(base_url: str) -> bool:
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_embedded_server_stops_when_the_block_is_interrupted() -> None:
    with pytest.raises(KeyboardInterrupt), embedded_server(cache_dir=default_cache_dir()) as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
        assert Path(server.model).is_dir()
        assert _listening(server.base_url)
        pid = server.pid
        raise KeyboardInterrupt
    assert _gone(pid)
    assert not _listening(server.base_url)
    assert "transformers serve" in server.log_path.read_text(encoding="utf-8")


def test_a_server_that_cannot_start_is_one_error_with_its_log(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "llama"}')  # and no tokenizer
    with pytest.raises(ServerStartError) as raised, embedded_server(broken, startup_timeout=120):
        pass
    message = str(raised.value)
    assert "exited with status 1 before" in message and "/health" in message
    assert f"Unrecognized processing class in {broken}" in message  # the log's tail says why


def test_a_server_not_healthy_in_time_is_stopped(tmp_path: Path) -> None:
    late = r"did not answer .*/health within 0.5 s"
    running = _my_servers()  # the embedded_endpoint fixture's server may be up in this process
    with (
        pytest.raises(ServerStartError, match=late),
        embedded_server(cache_dir=default_cache_dir(), startup_timeout=0.5),
    ):
        pass
    assert _my_servers() == running


@pytest.mark.parametrize(("dtype", "flag"), [("auto", "--dtype float32"), (None, None)])
def test_the_dtype_setting_reaches_the_server_command(dtype: str | None, flag: str | None) -> None:
    """The plugin's ``embedded_endpoint``, ``pytest perf`` and the openai backend all start the
    server through ``embedded_server(..., dtype=settings.dtype)``: ``auto`` is float32, as the
    hf backend loads on CPU (perf once started it without ``--dtype``, so its server differed)."""
    with (
        pytest.raises(ServerStartError) as raised,
        embedded_server(cache_dir=default_cache_dir(), startup_timeout=0.5, dtype=dtype),
    ):
        pass
    log = Path(str(raised.value).split("Its log (", 1)[1].split(")", 1)[0])
    command = log.read_text(encoding="utf-8").splitlines()[0]
    assert command.startswith("$ transformers serve ")
    if flag is None:
        assert "--dtype" not in command
    else:
        assert command.endswith(flag)


def _my_servers() -> set[int]:
    """Live ``transformers serve`` processes started by this process."""
    found = subprocess.run(
        ["pgrep", "-f", "transformers.cli.transformers import main; main()"],
        capture_output=True, text=True,
    )  # fmt: skip
    return {
        int(pid)
        for pid in found.stdout.split()
        if _parent(int(pid)) == os.getpid() and not _gone(int(pid))
    }


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _servers_under(pid: int) -> set[int]:
    """Live ``transformers serve`` processes descended from *pid* (an xdist worker's too)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"transformers.cli.transformers import main" not in command or _gone(int(entry.name)):
            continue
        ancestor = int(entry.name)
        while ancestor > 1:
            ancestor = _parent(ancestor)
            if ancestor == pid:
                found.add(int(entry.name))
                break
    return found


def _answered(server: int) -> int:
    """Completions the server has returned so far, from its log (its stdout)."""
    try:
        log = Path(os.readlink(f"/proc/{server}/fd/1")).read_text(errors="replace")
    except OSError:
        return 0
    return log.count('/completions HTTP/1.1" 200')


def _port_of(server: int) -> int:
    command = Path(f"/proc/{server}/cmdline").read_bytes().split(b"\0")
    return int(command[command.index(b"--port") + 1])


@dataclass(frozen=True)
class _Interrupted:
    """How an interrupted ``pytest model_tests --backend openai`` run ended."""

    seconds: float
    """From the interrupt to the end of the pytest process (reported, not judged: on a shared
    machine it says how busy the machine was)."""
    answered_before: int
    """Completions the servers had returned when the interrupt was sent."""
    servers: frozenset[int]
    """The embedded servers it had started."""
    alive: frozenset[int]
    """Those of them still alive a second after it ended."""
    listening: frozenset[int]
    """Their ports still accepting connections then."""
    cached: int
    """Answers of this run in the prediction cache."""
    output: str


def _interrupted_run(
    tmp_path: Path, interrupt: Callable[[subprocess.Popen[bytes]], None], *options: str
) -> _Interrupted:
    """``pytest model_tests --backend openai`` (starting its own servers), interrupted by
    *interrupt* once its servers have returned four answers of the first chunk (16 cases)."""
    run_id = f"interrupted-{os.getpid()}-{time.monotonic_ns()}"
    log = tmp_path / "pytest.out"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "model_tests", "--suite", "intents", "-k", "test_case",
             "--backend", "openai", "--no-prediction-cache", "--run-id", run_id,
             "--reports-dir", str(tmp_path / "reports"), "-p", "no:cacheprovider", *options],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    servers: set[int] = set()
    try:
        deadline = time.monotonic() + 400
        while sum(_answered(s) for s in servers) < 4:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no answers within 400 s"
            servers |= _servers_under(process.pid)
            time.sleep(0.2)
        ports = {_port_of(s) for s in servers}
        answered_before = sum(_answered(s) for s in servers)
        interrupt(process)
        interrupted = time.monotonic()
        # Generous: what is judged is that it ends and how much work it did after the
        # interrupt, not how fast a shared machine let it end.
        process.wait(timeout=300)
        seconds = time.monotonic() - interrupted
        time.sleep(1.0)
        return _Interrupted(
            seconds=seconds,
            answered_before=answered_before,
            servers=frozenset(servers),
            alive=frozenset(s for s in servers if not _gone(s)),
            listening=frozenset(p for p in ports if _listening(f"http://127.0.0.1:{p}/v1")),
            cached=_cached_for(run_id),
            output=log.read_text(errors="replace"),
        )
    finally:  # whatever the outcome, nothing of this test outlives it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for server in servers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server, signal.SIGKILL)


def _cached_for(run_id: str) -> int:
    db = sqlite3.connect(default_cache_dir() / "predictions.sqlite")
    try:
        (count,) = db.execute(
            "SELECT count(*) FROM predictions WHERE run_id = ?", (run_id,)
        ).fetchone()
    finally:
        db.close()
    return int(count)


def test_sigterm_ends_the_run_in_order_and_stops_its_server(tmp_path: Path) -> None:
    """``timeout 600 pytest ...`` or a CI job cancelled: the run ends as Ctrl-C ends it, its
    server goes with it, and the answers of the interrupted chunk are kept."""
    ended = _interrupted_run(tmp_path, lambda p: p.send_signal(signal.SIGTERM), "-n", "0")
    assert len(ended.servers) == 1
    assert ended.alive == frozenset() and ended.listening == frozenset(), ended.output[-3000:]
    assert "SIGTERM received" in ended.output  # ended as interrupted, not killed silently
    _kept_what_came_back(ended)
    _stopped_generating(ended)


def _kept_what_came_back(ended: _Interrupted) -> None:
    """The interrupted chunk's answers that came back before the signal are in the cache. A
    server logs an answer as it sends it: on a busy machine the signal can land before the run
    has read the last one, so one per server may be missing (counted, not timed)."""
    assert ended.cached >= ended.answered_before - len(ended.servers) >= 2, (
        ended.cached,
        ended.answered_before,
        ended.output[-3000:],
    )


def _stopped_generating(ended: _Interrupted) -> None:
    """The run stopped asking for answers at the interrupt: beyond what had come back, at
    most the requests then in flight (``concurrency``, 8, per server) were answered, not the
    rest of the suite's 51 cases. Sized by work, not by seconds: a run that went on generating
    after the interrupt fails this however fast or slow the machine is."""
    in_flight = 8 * len(ended.servers)
    assert ended.cached <= ended.answered_before + in_flight < 51, (
        ended.cached,
        ended.answered_before,
        f"{ended.seconds:.1f} s",
        ended.output[-3000:],
    )


def test_ctrl_c_with_workers_leaves_no_server(tmp_path: Path) -> None:
    """Ctrl-C in a terminal signals the whole foreground group: controller and xdist workers."""
    ended = _interrupted_run(tmp_path, lambda p: os.killpg(p.pid, signal.SIGINT), "-n", "2")
    assert ended.alive == frozenset() and ended.listening == frozenset(), ended.output[-3000:]
    _kept_what_came_back(ended)
    _stopped_generating(ended)


def test_a_killed_owner_takes_its_server_along(tmp_path: Path) -> None:
    """SIGKILL (an OOM kill, a torn-down worker) runs no handler, no ``finally``: the server's
    watchdog sees its starter gone and ends it."""
    owner = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(
            """
            import sys, time
            from releasegate.config import default_cache_dir
            from releasegate.models.serving import embedded_server
            with embedded_server(cache_dir=default_cache_dir()) as server:
                print(server.pid, server.base_url, flush=True)
                time.sleep(600)
            """
        )],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert owner.stdout is not None
    pid, base_url = owner.stdout.readline().split()
    try:
        assert _listening(base_url)
        owner.kill()
        owner.wait()
        killed = time.monotonic()
        # The main thread of a killed process can show as a zombie while its other threads
        # (torch's, the server's) still hold the shared file table, the listening socket with it.
        # The watchdog sees the pipe close at once; the deadline is generous because a shared
        # machine may not schedule the server for seconds (its speed is not what is tested).
        while (_listening(base_url) or not _gone(int(pid))) and time.monotonic() - killed < 60:
            time.sleep(0.05)
        assert _gone(int(pid)) and not _listening(base_url)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(pid), signal.SIGKILL)
