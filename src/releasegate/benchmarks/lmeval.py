"""Helpers for private lm-eval tasks: local data and the project's own metrics.

A private task is an lm-eval task YAML in a folder named by ``[tool.releasegate.general]
include`` (``fixtures/tasks/`` here). Next to it, a ``utils.py`` re-exports what it needs from
this module, and the YAML names it with ``!function`` (lm-eval resolves ``!function utils.x``
against the YAML's own folder), so nothing is copied into lm-eval and nothing depends on the
working directory::

    # fixtures/tasks/utils.py
    from releasegate.benchmarks.lmeval import local_dataset, field_f1, field_f1_aggregate
    address_data = local_dataset(__file__, test="../golden/address.jsonl")

    # fixtures/tasks/shop_address.yaml
    custom_dataset: !function utils.address_data
    test_split: test
    metric_list:
      - metric: !function utils.field_f1
        aggregation: !function utils.field_f1_aggregate
        higher_is_better: true

Any split layout works: name the splits you have (a ``test`` split alone is enough). The
metrics are the ones golden suites use: corpus BLEU with Chinese tokenisation (sacrebleu
``tokenize="zh"``), ROUGE with a tokenizer that keeps CJK characters, and field-level F1 of
JSON answers. Per-item functions return what the aggregation needs, so a corpus metric is a
corpus metric, as with lm-eval's own ``bleu``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..golden.checks import CheckResult, extract_json_object
from ..golden.metrics import FieldScore, ScoredCase
from ..golden.textsim import corpus_bleu, corpus_chrf, rouge_scores

__all__ = [
    "aggregation_function",
    "bleu_zh",
    "bleu_zh_aggregate",
    "chrf",
    "chrf_aggregate",
    "field_f1",
    "field_f1_aggregate",
    "local_dataset",
    "rouge_l_cjk",
]

_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def local_dataset(anchor: str | Path, **splits: str | Sequence[str]) -> Callable[..., Any]:
    """A ``custom_dataset`` function loading local files, paths relative to *anchor*'s folder
    (pass ``__file__``). Each keyword is a split: ``test="data/test.jsonl"``.

    Rows of a golden case file keep their fields; a JSON ``expected`` object also appears as
    ``expected_json`` (its JSON text), handy for ``doc_to_target``.
    """
    base = Path(anchor).resolve().parent
    if not splits:
        raise ValueError("local_dataset needs at least one split, e.g. test='data.jsonl'")
    files: dict[str, list[str]] = {}
    for split, given in splits.items():
        names = [given] if isinstance(given, str) else list(given)
        paths = [(base / name).resolve() for name in names]
        for path in paths:
            if not path.is_file():
                raise FileNotFoundError(
                    f"split '{split}' of a private task names {path}, which does not exist "
                    f"(paths are relative to {base})"
                )
        files[split] = [str(path) for path in paths]
    suffixes = {Path(p).suffix.lower() for paths in files.values() for p in paths}
    builders = {_BUILDERS.get(suffix) for suffix in suffixes}
    if None in builders or len(builders) != 1:
        raise ValueError(
            f"local_dataset reads .jsonl, .json, .csv or .parquet files of one kind; got "
            f"{', '.join(sorted(suffixes))}"
        )
    (builder,) = builders

    def load(**_: Any) -> Any:
        import datasets

        loaded = datasets.load_dataset(builder, data_files=files)
        if "expected" in next(iter(loaded.values())).column_names:
            loaded = loaded.map(
                lambda row: {"expected_json": json.dumps(row["expected"], ensure_ascii=False)}
            )
        return loaded

    return load


# -- metrics: per-item functions are called by lm-eval as f(references=[...], predictions=[...])


def _first(values: Sequence[Any]) -> Any:
    return values[0] if values else ""


def bleu_zh(references: Sequence[str], predictions: Sequence[str]) -> tuple[str, str]:
    """Per item: (reference, prediction), combined by :func:`bleu_zh_aggregate`."""
    return str(_first(references)), str(_first(predictions))


def bleu_zh_aggregate(items: Sequence[Sequence[str]]) -> float:
    """Corpus BLEU (0-100) with sacrebleu's Chinese tokenisation."""
    predictions = [str(item[1]) for item in items]
    references = [(str(item[0]),) for item in items]
    return corpus_bleu(predictions, references, language="zh")


def chrf(references: Sequence[str], predictions: Sequence[str]) -> tuple[str, str]:
    """Per item: (reference, prediction), combined by :func:`chrf_aggregate`."""
    return str(_first(references)), str(_first(predictions))


def chrf_aggregate(items: Sequence[Sequence[str]]) -> float:
    """Corpus chrF (0-100)."""
    return corpus_chrf([str(i[1]) for i in items], [(str(i[0]),) for i in items])


def rouge_l_cjk(references: Sequence[str], predictions: Sequence[str]) -> float:
    """Per item ROUGE-L F-measure, CJK characters kept as tokens (aggregate with ``mean``)."""
    return rouge_scores(str(_first(predictions)), (str(_first(references)),), language="zh")[
        "rougeL"
    ]


def field_f1(references: Sequence[str], predictions: Sequence[str]) -> tuple[str, str]:
    """Per item: (expected JSON text, answer), combined by :func:`field_f1_aggregate`."""
    return str(_first(references)), str(_first(predictions))


def field_f1_aggregate(items: Sequence[Sequence[str]]) -> float:
    """Micro F1 over the expected JSON object's fields (a null expected field means "not
    said"), as the golden suites' ``field_f1`` metric computes it."""
    cases = []
    for i, item in enumerate(items):
        expected = _as_object(item[0])
        answer = str(item[1])
        parsed = extract_json_object(answer)
        cases.append(
            ScoredCase(str(i), answer, expected, CheckResult(parsed is not None, "", None, parsed))
        )
    return FieldScore("field_f1", "f1")(cases).value


def _as_object(text: Any) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    try:
        value = json.loads(str(text))
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, Mapping) else {}


def aggregation_function(name: str) -> Callable[[list[Any]], float]:
    """lm-eval's aggregation *name* (``mean``, ``bleu``...) or ``module.function``: the lookup
    the gate's benchmark comparison (:func:`releasegate.gate.benchmarks.gate_benchmark`) is
    handed to resample a corpus metric."""
    from lm_eval.api.registry import AGGREGATION_REGISTRY

    if name in AGGREGATION_REGISTRY:
        function: Callable[[list[Any]], float] = AGGREGATION_REGISTRY[name]
        return function
    module_name, _, attribute = name.rpartition(".")
    if not module_name:
        # A `!function utils.x` aggregation is reported by its name alone: releasegate's own
        # metrics (re-exported by a task's utils.py) are found here.
        module_name, attribute = __name__, name
    import importlib

    try:
        found: Callable[[list[Any]], float] = getattr(
            importlib.import_module(module_name), attribute
        )
        return found
    except (ImportError, AttributeError):
        pass
    raise ValueError(
        f"cannot find lm-eval aggregation '{name}' to resample; register it or give it as "
        "`aggregation: !function module.name`"
    )
