"""Review records: one reviewer's scores of one exact answer, as kept in the review memory."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ReviewRecord", "answer_hash"]


def answer_hash(answer: str) -> str:
    """The identity of an answer: a review belongs to these exact characters, so a changed
    answer is a new answer to review, and an unchanged one is never reviewed twice."""
    return hashlib.sha256(answer.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ReviewRecord:
    """One line of ``fixtures/reviews/<suite>.jsonl``."""

    suite: str
    case_id: str
    answer_hash: str
    """:func:`answer_hash` of the answer the reviewer read."""
    rubric_hash: str
    """:attr:`.rubric.Rubric.hash` of the rubric the reviewer scored with."""
    scores: Mapping[str, float]
    """Score per criterion name (pass/fail as 1/0)."""
    reviewer: str
    comment: str = ""
    reviewed_at: str = ""
    """When it was imported (ISO 8601, UTC)."""
    sheet: str = ""
    """Which workbook and sheet it came from."""
    run_id: str = ""
    """The run whose answer was reviewed."""
    fingerprint: str = ""
    """The model that gave the answer."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Keys a later version may add, kept when the file is rewritten."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """One review per reviewer of one answer under one rubric."""
        return (self.case_id, self.answer_hash, self.rubric_hash, self.reviewer)

    @property
    def overall(self) -> float:
        """Mean over the criteria."""
        return sum(self.scores.values()) / len(self.scores)

    def to_json(self) -> str:
        data = asdict(self)
        extra = data.pop("extra")
        data["scores"] = dict(self.scores)
        return json.dumps({**data, **extra}, ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReviewRecord:
        known = {name for name in cls.__dataclass_fields__ if name != "extra"}
        return cls(
            suite=str(data["suite"]),
            case_id=str(data["case_id"]),
            answer_hash=str(data["answer_hash"]),
            rubric_hash=str(data["rubric_hash"]),
            scores={str(k): float(v) for k, v in data["scores"].items()},
            reviewer=str(data["reviewer"]),
            comment=str(data.get("comment", "")),
            reviewed_at=str(data.get("reviewed_at", "")),
            sheet=str(data.get("sheet", "")),
            run_id=str(data.get("run_id", "")),
            fingerprint=str(data.get("fingerprint", "")),
            extra={k: v for k, v in data.items() if k not in known},
        )
