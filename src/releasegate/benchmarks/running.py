"""Running the configured benchmarks through lm-eval: :class:`BenchmarkRunner` evaluates what
the cache does not hold, one ``simple_evaluate`` call per group of tasks that share their
settings, with lm-eval's chatter turned down and the progress of its requests shown in its
place (:mod:`.request_progress`)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ..core.atomic import write_text_atomic
from ..core.locks import exclusive_lock
from ..core.memo import read_json, write_json
from ..core.records import TaskResult
from ..exceptions import ConfigError, RecordError
from .general import BenchmarkTask, GeneralConfig, lm_eval_version
from .request_progress import shown_requests
from .results import task_result_from

__all__ = ["BenchmarkRunner"]


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
            found = _cached_result(self._cache_path(task, model_key)) if self.reuse else None
            if found is not None:
                self._results[task.name] = found
                continue
            pending.setdefault(task.run_key, []).append(task)
        if pending:
            model = lm() if callable(lm) and not hasattr(lm, "loglikelihood") else lm
            manager = self.task_manager()
            for group in pending.values():
                for result in self._evaluate(model, manager, group):
                    self._results[result.task] = result
                    path = self._cache_path(self.config.task(result.task), model_key)
                    write_json(path, result.to_json(), what=f"writing {path}", timeout=60)
        return dict(self._results)

    def _evaluate(
        self, model: Any, manager: Any, tasks: Sequence[BenchmarkTask]
    ) -> list[TaskResult]:
        import lm_eval

        first = tasks[0]
        started = time.perf_counter()
        label = ", ".join(task.name for task in tasks)
        with _quiet_lm_eval(), _explain_unsupported(model, tasks), shown_requests(model, label):
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


def _cached_result(path: Path) -> TaskResult | None:
    """A task's result remembered in the cache folder; None when there is none or it is not a
    result this version reads (then the task runs again and its file is replaced)."""
    document = read_json(path)
    if document is None:
        return None
    try:
        return TaskResult.from_json(document)
    except (RecordError, KeyError, TypeError, ValueError):
        return None
