"""General benchmarks through lm-evaluation-harness: their configuration.

``[tool.releasegate.general]`` (or a manifest it names, e.g. ``fixtures/general.yaml``) lists
lm-eval tasks with ``num_fewshot``, ``limit`` and ``max_drop``. Each task metric becomes a test
(``general/<task>::acc``) and so does each comparison with the baseline
(``general/<task>::acc::no_drop``).

The model the suite already loaded is handed to lm-eval (``HFLM(pretrained=model,
tokenizer=tokenizer)``), never loaded twice. Tasks that share ``num_fewshot``, ``limit`` and the
chat-template setting run in one ``simple_evaluate`` call, exactly what one plain ``lm_eval``
command with those flags would run; :func:`lm_eval_command` prints that command.

Task folders: ``mmlu_dir`` (MMLU's CSV layout, converted by :mod:`.mmlu`), ``include`` (private
task YAML such as ``fixtures/tasks``), and ``groups`` (written as lm-eval group YAML into the
cache). Results are kept in the cache, keyed by the model's fingerprint and everything that can
change a score, so a re-run does not re-evaluate.

The configuration is here; lm-eval's output read into a :class:`TaskResult` is in
:mod:`.results`, the running (the runner, its cache, the progress of lm-eval's requests) in
:mod:`.running`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..core.records import ItemResult, TaskResult
from ..exceptions import ConfigError, GoldenFileError
from ..schemas import first_error

__all__ = [
    "BenchmarkTask",
    "GeneralConfig",
    "ItemResult",
    "TaskResult",
    "lm_eval_version",
    "load_general",
]


def lm_eval_version() -> str:
    from importlib.metadata import version

    return version("lm_eval")


# --------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class BenchmarkTask:
    """One configured lm-eval task or group."""

    name: str
    metrics: tuple[str, ...] = ("acc",)
    num_fewshot: int | None = None
    limit: float | None = None
    max_drop: float | None = None
    min: Mapping[str, float] = field(default_factory=dict)
    chat_template: bool = False
    gen_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def run_key(self) -> tuple[Any, ...]:
        """Tasks with equal keys run in one lm-eval call (lm-eval's flags are per call)."""
        return (
            self.num_fewshot,
            self.limit,
            self.chat_template,
            json.dumps(dict(self.gen_kwargs), sort_keys=True),
        )

    def test_id(self, metric: str, *, no_drop: bool = False) -> str:
        return f"general/{self.name}::{metric}" + ("::no_drop" if no_drop else "")


@dataclass(frozen=True)
class GeneralConfig:
    """``[tool.releasegate.general]``, validated, paths absolute."""

    tasks: tuple[BenchmarkTask, ...]
    mmlu_dir: Path | None = None
    include: tuple[Path, ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    batch_size: int | None = None
    alpha: float | None = None
    source: str = "[tool.releasegate.general]"

    def task(self, name: str) -> BenchmarkTask:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)


def load_general(table: Mapping[str, Any], *, root: Path) -> GeneralConfig | None:
    """The general-benchmark configuration, or None when none is configured.

    *table* is ``[tool.releasegate.general]``; its ``manifest`` key names a YAML file with the
    same keys (paths in it relative to that file), which the table's other keys override.
    """
    if not table:
        return None
    source = "[tool.releasegate.general]"
    _validate(table, source)
    merged: dict[str, Any] = {}
    base_of: dict[str, Path] = {}
    if "manifest" in table:
        path = (root / str(table["manifest"])).resolve()
        if not path.is_file():
            raise ConfigError(
                f"{source}: 'manifest': {path} does not exist; give a YAML file with the "
                "general benchmarks (tasks, mmlu_dir, ...) relative to the project root"
            )
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise GoldenFileError(f"not valid YAML: {exc}", path=path) from exc
        if not isinstance(document, dict):
            raise GoldenFileError("must be a mapping of general-benchmark keys", path=path)
        found = first_error("general", document)
        if found is not None:
            raise GoldenFileError(found[1], path=path, field=found[0])
        if "manifest" in document:
            raise GoldenFileError("a manifest cannot name another manifest", path=path)
        merged.update(document)
        base_of.update(dict.fromkeys(document, path.parent))
        source = str(path)
    for key, value in table.items():
        if key != "manifest":
            merged[key] = value
            base_of[key] = root
    tasks = []
    for entry in merged.get("tasks", []):
        spec: dict[str, Any] = {"name": entry} if isinstance(entry, str) else dict(entry)
        tasks.append(
            BenchmarkTask(
                name=spec["name"],
                metrics=tuple(spec.get("metrics", ("acc",))),
                num_fewshot=spec.get("num_fewshot", merged.get("num_fewshot")),
                limit=spec.get("limit", merged.get("limit")),
                max_drop=spec.get("max_drop", merged.get("max_drop")),
                min=dict(spec.get("min", {})),
                chat_template=bool(spec.get("chat_template", False)),
                gen_kwargs=dict(spec.get("gen_kwargs", {})),
            )
        )
    names = [task.name for task in tasks]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{source}: 'tasks': {', '.join(duplicates)} listed twice")
    for task in tasks:
        unknown_bars = sorted(set(task.min) - set(task.metrics))
        if unknown_bars:
            raise ConfigError(
                f"{source}: task '{task.name}': 'min' names {', '.join(unknown_bars)}, which is "
                f"not among its metrics ({', '.join(task.metrics)})"
            )
    mmlu_dir = None
    if "mmlu_dir" in merged:
        mmlu_dir = (base_of["mmlu_dir"] / str(merged["mmlu_dir"])).resolve()
    include = tuple(
        (base_of["include"] / str(path)).resolve() for path in merged.get("include", [])
    )
    for folder in include:
        if not folder.is_dir():
            raise ConfigError(
                f"{source}: 'include': {folder} is not a folder of lm-eval task YAML files"
            )
    return GeneralConfig(
        tasks=tuple(tasks),
        mmlu_dir=mmlu_dir,
        include=include,
        groups={name: tuple(members) for name, members in merged.get("groups", {}).items()},
        batch_size=merged.get("batch_size"),
        alpha=merged.get("alpha"),
        source=source,
    )


def _validate(table: Mapping[str, Any], source: str) -> None:
    found = first_error("general", dict(table))
    if found is not None:
        raise ConfigError(f"{source}: '{found[0]}': {found[1]}")


def lm_eval_command(
    config: GeneralConfig, include_paths: Sequence[Path], model_args: str, batch_size: int
) -> list[str]:
    """Plain ``lm_eval`` commands that run the same tasks with the same settings."""
    commands = []
    groups: dict[tuple[Any, ...], list[BenchmarkTask]] = {}
    for task in config.tasks:
        groups.setdefault(task.run_key, []).append(task)
    for tasks in groups.values():
        first = tasks[0]
        parts = [
            "lm_eval --model hf",
            f"--model_args {model_args}",
            f"--tasks {','.join(task.name for task in tasks)}",
            f"--batch_size {batch_size}",
        ]
        if include_paths:
            parts.append("--include_path " + ",".join(str(p) for p in include_paths))
        if first.num_fewshot is not None:
            parts.append(f"--num_fewshot {first.num_fewshot}")
        if first.limit is not None:
            parts.append(f"--limit {first.limit:g}")
        if first.chat_template:
            parts.append("--apply_chat_template")
        if first.gen_kwargs:
            kwargs = ",".join(f"{k}={v}" for k, v in first.gen_kwargs.items())
            parts.append(f"--gen_kwargs {kwargs}")
        parts.append("--log_samples --output_path reports/lm_eval")
        commands.append(" ".join(parts))
    return commands
