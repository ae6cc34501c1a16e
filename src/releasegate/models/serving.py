"""The embedded serving endpoint: ``transformers serve`` on a loopback port, for as long as needed.

Without a ``--base-url``, the golden suites under ``--backend openai`` and the perf tests judge a
real OpenAI-compatible server all the same: this module starts ``transformers serve`` on the
model folder (the default model unless told otherwise), on CPU, on a free port of 127.0.0.1,
waits until ``GET /health`` answers, and stops it afterwards.

Stopping is the point of the design: no server outlives the process that started it, however
that process ends. The server runs in its own process group, which is sent SIGTERM and, after a
short grace, SIGKILL, when the ``with`` block ends for whatever reason (a failing test, Ctrl-C,
a SIGTERM that :mod:`releasegate.engine.interrupts` turned into one); an ``atexit`` hook stops any
that a crashed caller left running. Neither runs when the starter is killed outright (SIGKILL, an
xdist worker torn down, SIGTERM without the handler): for that the server carries a watchdog
thread that kills its own process group the moment its starter is gone, seen as the end of a
pipe only the starter holds open, or, should a fork have inherited that pipe, as a new parent
pid. A server that dies while starting, or never becomes healthy, is one error with the last
lines of its log.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..config import default_cache_dir
from ..exceptions import ServerStartError
from .default_model import ensure_default_model, is_default_model

__all__ = ["EmbeddedServer", "ServingEndpoint", "embedded_server", "free_port"]

STOP_GRACE_SECONDS = 2.0
"""How long a server may take to exit after SIGTERM before it is killed. It has nothing to save,
and while a generation is under way uvicorn waits for it to finish: a long grace only delays the
end of an interrupted run."""

WATCH_INTERVAL_SECONDS = 0.5
"""How often the server's watchdog checks its parent pid (the pipe's end is seen at once)."""

LOG_TAIL_LINES = 30
"""Lines of the server's log quoted in a start-up error."""

_LAUNCH = f"""\
import os, select, signal, sys, threading
def watch(fd, starter):
    while True:
        ready = select.select([fd], [], [], {WATCH_INTERVAL_SECONDS})[0]
        if ready or os.getppid() != starter:
            os.killpg(os.getpgrp(), signal.SIGKILL)
fd, starter = int(sys.argv.pop(1)), int(sys.argv.pop(1))
threading.Thread(target=watch, args=(fd, starter), daemon=True).start()
from transformers.cli.transformers import main; main()
"""
"""The ``transformers`` console script, run by this interpreter (works without the venv's
``bin/`` on PATH, always uses the transformers this process imports), behind the watchdog: its
first two arguments are the read end of the starter's pipe and the starter's pid."""


@dataclass(frozen=True)
class _Started:
    """A server this process started and has not stopped yet."""

    process: subprocess.Popen[bytes]
    lifeline: int
    """The write end of the watchdog's pipe: open while this process lives."""


_running: dict[int, _Started] = {}
"""Servers started by this process and not yet stopped, by pid (for the atexit hook)."""


@dataclass(frozen=True)
class ServingEndpoint:
    """An OpenAI-compatible endpoint and the model name to send to it."""

    base_url: str
    """``http://host:port/v1``: routes are ``{base_url}/chat/completions`` etc."""
    model: str
    """The ``model`` field of requests."""


@dataclass(frozen=True)
class EmbeddedServer(ServingEndpoint):
    """A ``transformers serve`` process started by :func:`embedded_server`."""

    pid: int
    """The server's process id (also its process group id)."""
    log_path: Path
    """Its stdout and stderr; kept after it stops."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _model_argument(model: str | Path | None, cache_dir: Path | None) -> str:
    """What ``transformers serve`` is told to load: a folder (absolute) or a hub id."""
    if model is None or (isinstance(model, str) and is_default_model(model)):
        return str(ensure_default_model(cache_dir or default_cache_dir()))
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if isinstance(model, Path) or str(model).startswith((".", "/", "~")):
        raise ServerStartError(f"cannot serve model folder '{model}': it does not exist")
    return str(model)


@contextmanager
def embedded_server(
    model: str | Path | None = None,
    *,
    cache_dir: Path | None = None,
    port: int | None = None,
    startup_timeout: float = 120.0,
    dtype: str | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[EmbeddedServer]:
    """Run ``transformers serve <model> --device cpu`` on 127.0.0.1 for the ``with`` block.

    *model* is a model folder, a hub id (served from the local hub cache when offline), or None
    (or the default model's alias) for the default model, converted into *cache_dir* if needed.
    *port* None picks a free one. *dtype* is the ``dtype`` setting: given, the server loads the
    weights as the hf backend would (``auto`` is float32, the hf backend's choice on CPU), so
    answers served and answers generated in process agree; None leaves ``transformers serve`` its
    own default. *extra_args* go to ``transformers serve`` as they are (e.g.
    ``["--continuous-batching"]``). Raises
    :class:`~releasegate.exceptions.ServerStartError` with the log's last lines if the server
    exits or is not healthy within *startup_timeout* seconds.
    """
    served = _model_argument(model, cache_dir)
    port = free_port() if port is None else port
    log_dir = Path(tempfile.mkdtemp(prefix="releasegate-serve-"))
    log_path = log_dir / "transformers-serve.log"
    watched, lifeline = os.pipe()  # both ends close on exec: only *watched* is passed on
    command = [
        sys.executable,
        "-c",
        _LAUNCH,
        str(watched),
        str(os.getpid()),
        "serve",
        served,
        "--device",
        "cpu",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *(() if dtype is None else ("--dtype", "float32" if dtype == "auto" else dtype)),
        *extra_args,
    ]
    with log_path.open("wb") as log:
        log.write(("$ transformers " + " ".join(command[5:]) + "\n").encode())
        log.flush()
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(watched,),
                start_new_session=True,  # its own process group: stopped as a whole
            )
        except BaseException:
            os.close(lifeline)
            raise
        finally:
            os.close(watched)
    started = _Started(process, lifeline)
    _running[process.pid] = started
    try:
        _wait_until_healthy(process, f"http://127.0.0.1:{port}", log_path, startup_timeout)
        yield EmbeddedServer(
            base_url=f"http://127.0.0.1:{port}/v1", model=served, pid=process.pid, log_path=log_path
        )
    finally:
        _stop(started)


def _wait_until_healthy(
    process: subprocess.Popen[bytes], root: str, log_path: Path, timeout: float
) -> None:
    import httpx2  # here: every pytest run imports this module, few start a server

    deadline = time.monotonic() + timeout
    while True:
        status = process.poll()
        if status is not None:
            raise ServerStartError(
                f"transformers serve exited with status {status} before {root}/health answered; "
                f"its log ({log_path}) ends with:\n{_tail(log_path)}"
            )
        try:
            if httpx2.get(f"{root}/health", timeout=2, trust_env=False).status_code == 200:
                return  # (trust_env: a proxy from the environment has no business on loopback)
        except httpx2.HTTPError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"transformers serve did not answer {root}/health within {timeout:g} s; raise "
                f"startup_timeout if the model is large. Its log ({log_path}) ends with:\n"
                f"{_tail(log_path)}"
            )
        time.sleep(0.25)


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(log unreadable: {exc})"
    return "\n".join("    " + line for line in text.splitlines()[-lines:]) or "    (empty)"


def _stop(started: _Started, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the server's process group, SIGKILL after *grace* seconds; reaps it."""
    process = started.process
    if _running.pop(process.pid, None) is None:
        return  # stopped already (a second Ctrl-C while the first stop ran, then atexit)
    try:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
    finally:
        # Anything the server forked and left in its group goes too; and should this stop be
        # cut short (a second Ctrl-C), the closed lifeline makes the watchdog finish the job.
        _signal_group(process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(started.lifeline)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pgid, sig)


@atexit.register
def _stop_leftovers() -> None:
    """Servers whose ``with`` block never ended (the interpreter is exiting): stop them now."""
    for started in list(_running.values()):
        _stop(started, grace=1.0)
