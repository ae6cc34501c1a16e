"""ReleaseGateCallback's checks made when it is created, before any training step (its work
inside a real training loop is tests/history/test_finetune_demo.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.exceptions import UnknownNameError
from releasegate.integrations.transformers import ReleaseGateCallback

REPO = Path(__file__).resolve().parents[2]


def test_an_unknown_suite_fails_when_the_callback_is_made(tmp_path: Path) -> None:
    with pytest.raises(
        UnknownNameError, match=r"unknown suite 'shop_fqa'\. Did you mean 'shop_faq'\?"
    ):
        ReleaseGateCallback(suites=["shop_fqa"], root=REPO, history_path=tmp_path / "h.sqlite")
    assert not (tmp_path / "h.sqlite").exists()  # nothing written


def test_the_release_suites_are_accepted(tmp_path: Path) -> None:
    callback = ReleaseGateCallback(
        suites=["intents", "cs_zh"], root=REPO, history_path=tmp_path / "h.sqlite"
    )
    assert callback.settings.suites == ("intents", "cs_zh")
