"""How a run through the embedded ``transformers serve`` ends when it is interrupted.

Starts ``pytest model_tests --suite intents -k test_case --backend openai`` (no ``--base-url``:
each pytest process starts its own server), waits until the servers have returned a few
answers, then sends the signal: SIGTERM to the pytest process (``timeout``, a cancelled CI job),
or SIGINT / SIGHUP to its whole process group (Ctrl-C, a closed terminal). Prints the seconds
from the signal until pytest ended and until its last server ended (Linux: reads ``/proc``).

    .venv/bin/python benchmarks/interrupt_embedded_server.py --signal TERM --workers 0
    .venv/bin/python benchmarks/interrupt_embedded_server.py --signal INT --workers 2
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_MARK = b"transformers.cli.transformers import main"


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def servers_under(root: int) -> set[int]:
    """Live ``transformers serve`` processes descended from *root*."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if LAUNCH_MARK not in (entry / "cmdline").read_bytes():
                continue
        except OSError:
            continue
        ancestor = int(entry.name)
        while ancestor > 1:
            ancestor = _parent(ancestor)
            if ancestor == root:
                found.add(int(entry.name))
                break
    return {pid for pid in found if not _gone(pid)}


def answered(server: int) -> int:
    try:
        log = Path(os.readlink(f"/proc/{server}/fd/1")).read_text(errors="replace")
    except OSError:
        return 0
    return log.count('/completions HTTP/1.1" 200')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signal", choices=("TERM", "INT", "HUP"), default="TERM")
    parser.add_argument("--workers", default="0", help="pytest -n")
    parser.add_argument("--answers", type=int, default=2, help="answers to wait for first")
    args = parser.parse_args()
    sent = signal.Signals[f"SIG{args.signal}"]
    reports = tempfile.mkdtemp(prefix="releasegate-interrupt-")
    command = [
        sys.executable, "-m", "pytest", "model_tests", "--suite", "intents", "-k", "test_case",
        "--backend", "openai", "--no-prediction-cache", "-p", "no:cacheprovider",
        "--reports-dir", reports, "-n", args.workers,
    ]  # fmt: skip
    with (Path(reports) / "pytest.out").open("wb") as output:
        run = subprocess.Popen(
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    servers: set[int] = set()
    started = time.monotonic()
    while sum(answered(s) for s in servers) < args.answers:
        if run.poll() is not None:
            sys.exit(f"pytest ended before {args.answers} answers; see {reports}/pytest.out")
        servers |= servers_under(run.pid)
        time.sleep(0.2)
    waited = time.monotonic() - started
    print(f"{len(servers)} server(s), {args.answers} answers after {waited:.0f} s")
    if sent == signal.SIGTERM:
        run.send_signal(sent)
    else:
        os.killpg(run.pid, sent)
    signalled = time.monotonic()
    pytest_ended = servers_ended = None
    while time.monotonic() - signalled < 120 and (pytest_ended is None or servers_ended is None):
        now = time.monotonic() - signalled
        if pytest_ended is None and run.poll() is not None:
            pytest_ended = now
        if servers_ended is None and all(_gone(s) for s in servers):
            servers_ended = now
        time.sleep(0.05)
    alive = [s for s in servers if not _gone(s)]

    def seconds(value: float | None) -> str:
        return "not within 120 s" if value is None else f"after {value:.1f} s"

    print(f"SIG{args.signal}, -n {args.workers}: pytest ended {seconds(pytest_ended)} "
          f"(exit status {run.returncode}); its servers ended {seconds(servers_ended)}; "
          f"still alive: {alive or 'none'}")  # fmt: skip
    for server in alive:  # leave nothing behind
        os.killpg(server, signal.SIGKILL)
    if run.poll() is None:
        os.killpg(run.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
