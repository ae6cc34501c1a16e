"""``reports/latest``: the pointer to the newest run.

It is a symlink to the run's folder (a text file naming it where links are not allowed), and it
is replaced atomically: a temporary link is made beside it and renamed over it with
:func:`os.replace`, so two runs ending at once never see it missing and never fail on a link the
other just made (unlink-then-link did).

Artifact tools (a CI upload and download) dereference links, so ``latest`` may come back as a
real folder holding a copy of a run. releasegate never deletes it: a copy whose
``results.json`` names a run not in the reports folder is moved there under its own run id (so
nothing is lost and it stays a run ``releasegate report`` can read) and ``latest`` then points
at the new run; any other folder is left as it is, and the run says so once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from pathlib import Path

__all__ = ["point_latest"]

_RUN_ID = re.compile(r"[\w.-]+")


def point_latest(directory: Path) -> str:
    """Point ``latest`` beside *directory* at it; return what the run should tell its user
    about ``latest`` (empty when nothing is worth saying)."""
    latest = directory.parent / "latest"
    note = ""
    if latest.is_dir() and not latest.is_symlink():
        copied = _copied_run(latest)
        if copied is None:
            return (
                f"{latest} is a folder, not a link to a run (restored by an artifact tool?); "
                "left as it is, nothing deleted: this run is in "
                f"{directory}; move or delete that folder so runs can point 'latest' at the "
                "newest one"
            )
        target = latest.parent / copied
        with contextlib.suppress(FileNotFoundError):  # another run ending at once moved it
            os.rename(latest, target)
        note = (
            f"{latest} was a folder holding a copy of run {copied} (an artifact tool restores a "
            f"link as a folder); moved to {target}, and 'latest' now points at this run"
        )
    _replace_with_link(latest, directory.name)
    return note


def _copied_run(folder: Path) -> str | None:
    """The run id of the run copied into *folder*, if it is one and no folder of that run
    exists beside it (moving it there loses nothing)."""
    try:
        document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    run_id = document.get("run_id") if isinstance(document, dict) else None
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id) or run_id == "latest":
        return None
    target = folder.parent / run_id
    return None if target.exists() or target.is_symlink() else run_id


def _replace_with_link(latest: Path, name: str) -> None:
    """*latest* -> *name*, replaced in one rename (a text file naming the run where links are
    not allowed)."""
    tmp = latest.with_name(f".latest.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.symlink_to(name, target_is_directory=True)
    except OSError:
        tmp.write_text(name + "\n", encoding="utf-8")
    try:
        os.replace(tmp, latest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
