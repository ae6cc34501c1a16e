"""lm-eval's output read into releasegate's :class:`~releasegate.core.records.TaskResult`:
per-question answers and scores, the metrics asked for, and a digest of each task's
configuration (without machine-specific data paths) that says whether two results are alike."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.records import ItemResult, TaskResult
from ..exceptions import ConfigError
from .general import lm_eval_version

__all__ = ["config_hash", "task_result_from"]


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
