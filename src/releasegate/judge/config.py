"""A judge's configuration: :class:`JudgeSpec`, read from the suite manifest's ``judge:`` over
the project's ``[tool.releasegate.judge]``.

Both places take the same keys (the manifest schema's ``judge`` property, checked the same way
for both, so an unknown or out-of-range key is one error naming the file and the field). Each
is read into a :class:`JudgeSection` (the keys as written, template paths made absolute against
the file that named them, the rubric parsed); :func:`judge_spec` lays the manifest's section
over the project's and fills in the defaults: the endpoint keys the judge does not set come
from the project's own endpoint settings, so a judge on the same server needs nothing more.
Whether the merged whole makes sense (a ``model``, a ``base_url`` for ``openai``) is checked
once merged, since either place may give either half.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal

from ..config import Settings
from ..exceptions import ConfigError, GoldenFileError
from ..review.rubric import Rubric, parse_rubric
from ..schemas import first_violation, load_schema
from .prompts import read_template

__all__ = ["PROJECT_TABLE", "JudgeSection", "JudgeSpec", "judge_spec", "read_judge_section"]

PROJECT_TABLE = "[tool.releasegate.judge]"
"""Where the project's judge is configured, as error messages name it."""

_PATH_KEYS = ("template", "pairwise_template")
_FROM_SETTINGS = ("api_key_env", "concurrency", "request_timeout", "max_retries", "batch_size")
"""Keys a judge leaves to the project's own settings unless it sets them."""


@dataclass(frozen=True)
class JudgeSpec:
    """Everything about a judge a user can set, defaults filled in."""

    model: str
    """A folder, a hub id or the default model's alias (``hf``); the served name (``openai``)."""
    backend: Literal["hf", "openai"] = "hf"
    base_url: str | None = None
    """``openai``: the OpenAI-compatible endpoint."""
    served_model: str | None = None
    """``openai``: the model name sent in requests (default: :attr:`model`)."""
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.0
    seed: int = 0
    max_new_tokens: int = 256
    template: Path | None = None
    """The pointwise template file; None: the shipped one for the suite's language."""
    pairwise_template: Path | None = None
    """The pairwise template file; None: the shipped one for the suite's language."""
    rubric: Rubric | None = None
    """None: the suite's ``review:`` rubric (the reviewers and the judge score the same thing)."""
    allow_self_judge: bool = False
    max_unscored: float = 0.02
    """Share of unscored verdicts above which a judge metric fails."""
    margin: float = 0.05
    """``judge_win_rate``'s non-inferiority margin."""
    min_reviews: int = 50
    """Human-reviewed answers a calibration needs before the judge gates."""
    min_kappa: float = 0.6
    max_below_reviewers: float = 0.1
    concurrency: int = 8
    request_timeout: float = 120.0
    max_retries: int = 4
    batch_size: int = 16
    sources: tuple[str, ...] = field(default=(), compare=False)
    """Where the keys were read (the manifest, the project table), for error messages."""

    @property
    def where(self) -> str:
        """The places this judge was configured, for error messages."""
        return " over ".join(self.sources) or "judge"

    def settings_key(self) -> dict[str, Any]:
        """The generation settings that can change a verdict (part of the judge's identity);
        greedy decoding ignores the seed, so it is left out then."""
        key: dict[str, Any] = {
            "temperature": float(self.temperature),
            "max_new_tokens": self.max_new_tokens,
        }
        if self.temperature > 0:
            key["seed"] = self.seed
        return key


@dataclass(frozen=True)
class JudgeSection:
    """One place's ``judge`` keys as written, checked: template paths absolute, rubric parsed."""

    where: str
    """The manifest's path, or :data:`PROJECT_TABLE`."""
    values: Mapping[str, Any]


@cache
def _section_validator() -> Any:
    """A validator of ``{"judge": ...}`` alone: the manifest schema without its required keys,
    so the project table is held to exactly the manifest's ``judge`` rules."""
    import jsonschema

    schema = {**load_schema("manifest"), "required": []}
    return jsonschema.validators.validator_for(schema)(schema)


def read_judge_section(
    document: Any, *, where: str, base_dir: Path, manifest: Path | None = None
) -> JudgeSection | None:
    """*document* (a manifest's ``judge:`` or the project's table) checked and read; None when
    it is absent or empty. Relative template paths are resolved against *base_dir*. A
    *manifest* section is already schema-checked with its manifest; errors then are
    :class:`GoldenFileError` naming it and the field, else :class:`ConfigError` naming *where*."""

    def fail(message: str, key: str) -> None:
        if manifest is not None:
            raise GoldenFileError(message, path=manifest, field=f"judge.{key}")
        raise ConfigError(f"{where}: {key}: {message}")

    if document is None or document == {}:
        return None
    found = first_violation(_section_validator(), {"judge": document})
    if found is not None:
        key, message = found
        fail(message, key.removeprefix("judge").lstrip(".") or "(the table)")
    values = dict(document)
    for key in _PATH_KEYS:
        if key in values:
            path = Path(values[key]).expanduser()
            values[key] = path if path.is_absolute() else (base_dir / path).resolve()
            if not values[key].is_file():
                fail(
                    f"template file {values[key]} does not exist; give a path relative to "
                    f"{base_dir}, or leave '{key}' out for the shipped template",
                    key,
                )
            # checked now, so a template the judge cannot fill stops the run before anything
            read_template(values[key], "pointwise" if key == "template" else "pairwise")
    if "rubric" in values:
        try:
            values["rubric"] = parse_rubric(values["rubric"], where=f"{where}: judge.rubric")
        except ConfigError as err:
            if manifest is None:
                raise
            message = str(err).removeprefix(f"{where}: judge.rubric: ")
            raise GoldenFileError(message, path=manifest, field="judge.rubric") from None
    return JudgeSection(where=where, values=values)


def judge_spec(
    project: JudgeSection | None, manifest: JudgeSection | None, settings: Settings
) -> JudgeSpec | None:
    """The manifest's keys over the project's over the defaults; None when neither declares a
    judge. Raises :class:`ConfigError` naming both places when the whole is incomplete."""
    sections = [s for s in (manifest, project) if s is not None]
    if not sections:
        return None
    merged: dict[str, Any] = {key: getattr(settings, key) for key in _FROM_SETTINGS}
    for section in reversed(sections):  # the project's first, the manifest's over it
        merged.update(section.values)
    where = " over ".join(s.where for s in sections)
    if "model" not in merged:
        raise ConfigError(
            f"{where}: judge: 'model' is required: a model folder, a hub id or "
            "'smollm2-135m-instruct' (backend hf), or the served model's name (backend openai)"
        )
    backend = merged.get("backend", "hf")
    if backend == "openai" and "base_url" not in merged:
        raise ConfigError(
            f"{where}: judge: backend 'openai' needs 'base_url' (the OpenAI-compatible "
            "endpoint, e.g. http://127.0.0.1:8000/v1); or use backend 'hf' for a model run "
            "in process"
        )
    if backend == "hf":
        stray = [key for key in ("base_url", "served_model") if key in merged]
        if stray:
            raise ConfigError(
                f"{where}: judge: {', '.join(stray)} is for backend 'openai'; set "
                "backend: openai to use an endpoint, or remove it"
            )
    known = {f.name for f in fields(JudgeSpec)}
    assert set(merged) <= known, set(merged) - known  # the schema allows only these keys
    return JudgeSpec(**merged, sources=tuple(s.where for s in sections))
