"""General benchmarks through lm-evaluation-harness: configuration, running, results.

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
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ..core.atomic import write_text_atomic
from ..core.locks import exclusive_lock
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


# --------------------------------------------------------------------------------------------
# Results


def _stable(value: Any) -> Any:
    """*value* as plain JSON data with functions named, not addressed (for hashing)."""
    if isinstance(value, Mapping):
        return {str(k): _stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_stable(v) for v in value]
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def config_hash(config: Mapping[str, Any]) -> str:
    """Digest of an lm-eval task config, without machine-specific data paths."""
    cleaned = dict(config)
    kwargs = dict(cleaned.get("dataset_kwargs") or {})
    if "data_files" in kwargs:
        files = kwargs["data_files"]
        if isinstance(files, Mapping):
            kwargs["data_files"] = sorted(files)
        else:
            kwargs["data_files"] = "(files)"
    cleaned["dataset_kwargs"] = kwargs
    metadata = dict(cleaned.get("metadata") or {})
    metadata.pop("config_source", None)
    metadata.pop("pretrained", None)
    cleaned["metadata"] = metadata
    text = json.dumps(_stable(cleaned), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """A per-item metric value as JSON data (numpy scalars and tuples made plain)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _answer_and_target(sample: Mapping[str, Any]) -> tuple[str, str]:
    """What the model chose or wrote, and what was expected, as text."""
    responses = sample.get("filtered_resps")
    arguments = sample.get("arguments") or []
    target = sample.get("target")
    if (
        isinstance(responses, list)
        and responses
        and all(isinstance(r, tuple | list) and len(r) == 2 for r in responses)
        and len(arguments) == len(responses)
    ):
        # Multiple choice: one (log-likelihood, is-greedy) pair per choice.
        scores = [float(r[0]) for r in responses]
        best = max(range(len(scores)), key=scores.__getitem__)
        choices = [
            str(arg[1]).strip() if len(arg) > 1 else str(i) for i, arg in enumerate(arguments)
        ]
        if isinstance(target, int) and 0 <= target < len(choices):
            return choices[best], choices[target]
        return choices[best], str(target)
    generated: Any = responses[0] if isinstance(responses, list) and responses else responses
    return str(generated if generated is not None else ""), str(target)


def task_result_from(
    name: str,
    output: Mapping[str, Any],
    *,
    limit: float | None,
    seconds: float,
    metrics: Sequence[str],
) -> TaskResult:
    """The :class:`TaskResult` of task or group *name* in an lm-eval results dict."""
    results = output["results"]
    if name not in results:
        raise ConfigError(
            f"lm-eval returned no results for '{name}' (it returned {', '.join(results)}); "
            "is it a task or group name that lm-eval knows?"
        )
    subtasks = _leaf_tasks(name, output.get("group_subtasks", {}))
    configs = output.get("configs", {})
    missing_config = [task for task in subtasks if task not in configs]
    if missing_config:
        raise ConfigError(f"lm-eval returned no configuration for {', '.join(missing_config)}")
    if len(subtasks) == 1 and subtasks[0] == name:
        digest = config_hash(configs[name])
    else:
        joined = ",".join(f"{task}={config_hash(configs[task])}" for task in sorted(subtasks))
        digest = hashlib.sha256(joined.encode()).hexdigest()[:16]
    items: dict[str, ItemResult] = {}
    samples = output.get("samples", {})
    for task in subtasks:
        for sample in samples.get(task, []):
            key = str(sample["doc_id"]) if task == name else f"{task}/{sample['doc_id']}"
            answer, target = _answer_and_target(sample)
            scores = {m: _plain(sample[m]) for m in sample.get("metrics", []) if m in sample}
            items[key] = ItemResult(str(sample.get("doc_hash", "")), target, answer, scores)
    values: dict[str, float] = {}
    stderr: dict[str, float | None] = {}
    entry = results[name]
    for metric in metrics:
        found = _metric_key(entry, metric)
        if found is None:
            available = sorted(k.split(",")[0] for k in entry if "," in k and "_stderr" not in k)
            raise ConfigError(
                f"lm-eval's results for '{name}' have no metric '{metric}' "
                f"(it has {', '.join(available) or 'none'}); fix the task's 'metrics'"
            )
        values[metric] = float(entry[found])
        err = entry.get(found.replace(",", "_stderr,", 1))
        stderr[metric] = float(err) if isinstance(err, int | float) else None
    higher = output.get("higher_is_better", {}).get(name, {})
    first_config = configs[subtasks[0]]
    aggregation = {}
    for spec in first_config.get("metric_list") or []:
        agg = spec.get("aggregation")
        if agg is not None:
            aggregation[_function_name(spec["metric"])] = _function_name(agg)
    return TaskResult(
        task=name,
        lm_eval_version=lm_eval_version(),
        config_hash=digest,
        num_fewshot=first_config.get("num_fewshot"),
        limit=limit,
        metrics=values,
        stderr=stderr,
        items=items,
        aggregation=aggregation,
        higher_is_better={m: bool(higher.get(m, True)) for m in metrics},
        seconds=round(seconds, 3),
    )


_DEF = re.compile(r"^\s*def\s+(\w+)")


def _function_name(value: Any) -> str:
    """A metric or aggregation as lm-eval reports it: a name, or (for ``!function``) the
    function's source, of which the name is kept."""
    if callable(value):
        return str(getattr(value, "__name__", repr(value)))
    text = str(value)
    found = _DEF.match(text)
    return found.group(1) if found else text


def _metric_key(entry: Mapping[str, Any], metric: str) -> str | None:
    if f"{metric},none" in entry:
        return f"{metric},none"
    for key in entry:
        if key.startswith(f"{metric},") and "_stderr" not in key:
            return str(key)
    return None


def _leaf_tasks(name: str, group_subtasks: Mapping[str, Sequence[str]]) -> list[str]:
    """The tasks under *name* (itself if it is a task), groups expanded recursively."""
    if not group_subtasks.get(name):
        return [name]
    leaves: list[str] = []
    for member in group_subtasks[name]:
        leaves.extend(_leaf_tasks(member, group_subtasks))
    return leaves


# --------------------------------------------------------------------------------------------
# Running


@contextmanager
def _quiet_lm_eval() -> Iterator[None]:
    """lm-eval logs one line per task it overrides and per dataset it builds: keep the run's
    output readable (errors still show)."""
    loggers = [logging.getLogger(name) for name in ("lm_eval", "lm-eval")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class BenchmarkRunner:
    """Runs the configured tasks on a model through lm-eval, once, and keeps the results."""

    def __init__(
        self,
        config: GeneralConfig,
        *,
        cache_dir: Path,
        batch_size: int,
        reuse: bool = True,
    ) -> None:
        self.config = config
        self.cache_dir = cache_dir
        self.batch_size = config.batch_size or batch_size
        self.reuse = reuse
        self._results: dict[str, TaskResult] = {}

    @cached_property
    def include_paths(self) -> list[Path]:
        """Folders given to lm-eval's TaskManager, later ones taking precedence."""
        paths: list[Path] = []
        if self.config.mmlu_dir is not None:
            from .mmlu import prepare_mmlu

            paths.append(prepare_mmlu(self.config.mmlu_dir, self.cache_dir))
        paths.extend(self.config.include)
        if self.config.groups:
            paths.append(self._write_groups())
        return paths

    def _write_groups(self) -> Path:
        documents = {
            name: {
                "group": name,
                "task": list(members),
                "aggregate_metric_list": [
                    {"metric": "acc", "aggregation": "mean", "weight_by_size": True}
                ],
                "metadata": {"version": 1.0},
            }
            for name, members in sorted(self.config.groups.items())
        }
        text = json.dumps(documents, sort_keys=True)
        folder = self.cache_dir / "groups" / hashlib.sha256(text.encode()).hexdigest()[:16]
        # xdist workers write the same files at the same moment: one at a time, so each file
        # is written once.
        with exclusive_lock(folder, what=f"writing lm-eval groups into {folder}", timeout=60):
            folder.mkdir(parents=True, exist_ok=True)
            for name, document in documents.items():
                path = folder / f"{name}.yaml"
                if not path.is_file():
                    write_text_atomic(path, yaml.safe_dump(document, sort_keys=True))
        return folder

    def task_manager(self) -> Any:
        from lm_eval.tasks import TaskManager

        with _quiet_lm_eval():
            return TaskManager(include_path=[str(p) for p in self.include_paths] or None)

    def _sources_digest(self) -> str:
        """Changes when any task file (private YAML, its Python helpers, data) changes."""
        h = hashlib.sha256()
        for folder in self.include_paths:
            h.update(str(folder).encode())
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix in {".yaml", ".yml", ".py", ".json", ".jsonl"}:
                    h.update(path.name.encode())
                    h.update(path.read_bytes())
        return h.hexdigest()[:16]

    def _cache_path(self, task: BenchmarkTask, model_key: str) -> Path:
        key = json.dumps(
            {
                "model": model_key,
                "task": task.name,
                "run": list(task.run_key),
                "metrics": list(task.metrics),
                "lm_eval": lm_eval_version(),
                "sources": self._sources_digest(),
            },
            sort_keys=True,
        )
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self.cache_dir / "general" / f"{task.name}-{digest}.json"

    def results(self, lm: Any, *, model_key: str) -> dict[str, TaskResult]:
        """Every configured task's result, evaluating what is not cached.

        *lm* is an lm-eval model object (or a zero-argument callable returning one, so a run
        whose results are all cached never builds it); *model_key* identifies the model's
        weights and how it is served (it keys the cache)."""
        pending: dict[tuple[Any, ...], list[BenchmarkTask]] = {}
        for task in self.config.tasks:
            if task.name in self._results:
                continue
            cached = self._cache_path(task, model_key)
            if self.reuse and cached.is_file():
                try:
                    self._results[task.name] = TaskResult.from_json(
                        json.loads(cached.read_text(encoding="utf-8"))
                    )
                    continue
                except (json.JSONDecodeError, KeyError, TypeError):
                    cached.unlink(missing_ok=True)
            pending.setdefault(task.run_key, []).append(task)
        if pending:
            model = lm() if callable(lm) and not hasattr(lm, "loglikelihood") else lm
            manager = self.task_manager()
            for group in pending.values():
                for result in self._evaluate(model, manager, group):
                    self._results[result.task] = result
                    path = self._cache_path(self.config.task(result.task), model_key)
                    with exclusive_lock(path.parent, what=f"writing {path}", timeout=60):
                        write_text_atomic(path, json.dumps(result.to_json()))
        return dict(self._results)

    def _evaluate(
        self, model: Any, manager: Any, tasks: Sequence[BenchmarkTask]
    ) -> list[TaskResult]:
        import lm_eval

        first = tasks[0]
        started = time.perf_counter()
        with _quiet_lm_eval(), _explain_unsupported(model, tasks):
            output = lm_eval.simple_evaluate(
                model=model,
                tasks=[task.name for task in tasks],
                task_manager=manager,
                num_fewshot=first.num_fewshot,
                limit=first.limit,
                apply_chat_template=first.chat_template,
                gen_kwargs=dict(first.gen_kwargs) or None,
                log_samples=True,
                batch_size=self.batch_size,
                random_seed=0,
                numpy_random_seed=1234,
                torch_random_seed=1234,
                fewshot_random_seed=1234,
            )
        if output is None:
            raise ConfigError("lm-eval returned no results (was it run on a non-main rank?)")
        seconds = time.perf_counter() - started
        return [
            task_result_from(
                task.name,
                output,
                limit=task.limit,
                seconds=seconds / len(tasks),
                metrics=task.metrics,
            )
            for task in tasks
        ]


@contextmanager
def _explain_unsupported(model: Any, tasks: Sequence[BenchmarkTask]) -> Iterator[None]:
    """An endpoint model that cannot score a task (no prompt log-probabilities on a chat route)
    is one clear error naming the tasks and what to do, not lm-eval's traceback."""
    try:
        yield
    except NotImplementedError as exc:
        names = ", ".join(task.name for task in tasks)
        raise ConfigError(
            f"general benchmarks {names}: {type(model).__name__} cannot run them ({exc}). "
            "Multiple-choice tasks such as MMLU need log-probabilities of the prompt: through an "
            'endpoint use `api = "completions"` on a server that returns them (vLLM), or run '
            "them with the hf backend; generation tasks work over chat completions."
        ) from exc


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
