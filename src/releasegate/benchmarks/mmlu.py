"""MMLU from its original CSV layout, as lm-eval tasks that run offline.

lm-eval's own ``mmlu_<subject>`` tasks read ``cais/mmlu`` from the Hugging Face hub. Where the hub
is out of reach, a folder in the original distribution's layout (``dev/``, ``val/``, ``test/``,
one ``<subject>_<split>.csv`` each, no header: question, A, B, C, D, answer letter) is converted
once into JSONL files with the hub's fields (``question``, ``subject``, ``choices``, integer
``answer``) and one task YAML per subject.

Each YAML is lm-eval's own task config for that subject (read from the installed lm-eval, so the
prompt, description, few-shot split and metric are exactly lm-eval's) with only the data source
replaced: ``dataset_path: json`` and absolute ``data_files``. The tasks keep lm-eval's names
(``mmlu_marketing``) and tags, and the folder is given to lm-eval as an ``include_path``, which
takes precedence over its built-in tasks: the built-in groups (``mmlu``, ``mmlu_other``, ...)
then run on the local data too. Online, without ``mmlu_dir``, the built-in tasks run unchanged.

The converted folder lives in the cache, named by a digest of the source files and the lm-eval
version; it is built in a temporary folder and renamed into place, so a half-written conversion
is never used, and under the cache folder's file lock, so xdist workers starting together on a
fresh cache convert it once.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..core.locks import exclusive_lock
from ..exceptions import ConfigError, GoldenFileError

__all__ = ["CONVERTER_VERSION", "MmluSource", "prepare_mmlu"]

CONVERTER_VERSION = 1
"""Part of the cache folder's name: bump it when the converted output changes."""

SPLITS = {"test": "test", "dev": "dev", "val": "validation"}
"""Folder of the original layout -> split name in the converted data (the hub's names)."""

LETTERS = ("A", "B", "C", "D")


class MmluSource:
    """A folder in MMLU's original layout, checked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not root.is_dir():
            raise ConfigError(
                f"mmlu_dir '{root}' is not a folder; give the folder that holds MMLU's dev/, "
                "val/ and test/ CSV folders (the original distribution's data/)"
            )
        test_dir = root / "test"
        if not test_dir.is_dir() or not any(test_dir.glob("*_test.csv")):
            raise ConfigError(
                f"mmlu_dir '{root}' has no test/<subject>_test.csv files; it must be in MMLU's "
                "original CSV layout (dev/, val/, test/)"
            )
        self.subjects = sorted(p.name[: -len("_test.csv")] for p in test_dir.glob("*_test.csv"))

    def files(self, subject: str) -> dict[str, Path]:
        """Split name -> CSV file of *subject*, for the splits present."""
        found = {}
        for folder, split in SPLITS.items():
            path = self.root / folder / f"{subject}_{folder}.csv"
            if path.is_file():
                found[split] = path
        return found

    def digest(self) -> str:
        """Changes when any source file changes (name, size, modification time)."""
        h = hashlib.sha256()
        h.update(f"v{CONVERTER_VERSION} lm-eval {_lm_eval_version()}\n".encode())
        for folder in SPLITS:
            for path in sorted((self.root / folder).glob("*.csv")):
                stat = path.stat()
                h.update(f"{folder}/{path.name} {stat.st_size} {stat.st_mtime_ns}\n".encode())
        return h.hexdigest()[:16]


def _lm_eval_version() -> str:
    from importlib.metadata import version

    return version("lm_eval")


def read_csv(path: Path, subject: str) -> list[dict[str, Any]]:
    """Rows of one MMLU CSV file as hub-style records; a bad row names the file and row."""
    records = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row:
                continue
            if len(row) != 6:
                raise GoldenFileError(
                    f"has {len(row)} columns; MMLU rows are question, A, B, C, D, answer",
                    path=path,
                    line=number,
                )
            answer = row[5].strip()
            if answer not in LETTERS:
                raise GoldenFileError(
                    f"answer '{answer}' is not one of A, B, C, D",
                    path=path,
                    line=number,
                    field="answer",
                )
            records.append(
                {
                    "question": row[0],
                    "subject": subject,
                    "choices": row[1:5],
                    "answer": LETTERS.index(answer),
                }
            )
    return records


def _lm_eval_task_config(subject: str) -> dict[str, Any]:
    """lm-eval's own config of ``mmlu_<subject>`` (template merged in), or the same fields
    rebuilt where this lm-eval has no such file."""
    import lm_eval

    folder = Path(lm_eval.__file__).parent / "tasks" / "mmlu" / "default"
    template_path = folder / "_default_template_yaml"
    subject_path = folder / f"mmlu_{subject}.yaml"
    if template_path.is_file() and subject_path.is_file():
        template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
        config = yaml.safe_load(subject_path.read_text(encoding="utf-8"))
        config.pop("include", None)
        return {**template, **config}
    name = subject.replace("_", " ")
    return {
        "task": f"mmlu_{subject}",
        "task_alias": subject,
        "dataset_name": subject,
        "description": (
            f"The following are multiple choice questions (with answers) about {name}.\n\n"
        ),
        "test_split": "test",
        "fewshot_split": "dev",
        "fewshot_config": {"sampler": "first_n"},
        "output_type": "multiple_choice",
        "doc_to_text": "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\n"
        "C. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:",
        "doc_to_choice": ["A", "B", "C", "D"],
        "doc_to_target": "answer",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": 1.0},
    }


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def prepare_mmlu(source_dir: Path, cache_dir: Path) -> Path:
    """The include folder of lm-eval tasks for the MMLU copy in *source_dir* (converted once).

    Every subject found is converted, so lm-eval's groups over all subjects work too; a run
    pays only for the subjects it names.
    """
    source = MmluSource(source_dir.resolve())
    target = cache_dir / "mmlu" / source.digest()
    if (target / "DONE").is_file():
        return target
    with exclusive_lock(target, what=f"the conversion of MMLU from {source.root} into {target}"):
        if (target / "DONE").is_file():  # another process converted it while this one waited
            return target
        _remove_leftovers(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            _convert(source, staging, target)
            os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return target


def _remove_leftovers(target: Path) -> None:
    """Under the lock: remove what a killed conversion left (its staging folder, or a target
    without ``DONE``), so the rename into place cannot meet it."""
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if target.exists():
        shutil.rmtree(target)


def _convert(source: MmluSource, staging: Path, target: Path) -> None:
    """Write every subject's JSONL and task YAML into *staging*, naming files under *target*
    (where *staging* is renamed to when complete); ``DONE`` last."""
    data_dir = staging / "data"
    data_dir.mkdir()
    for subject in source.subjects:
        files = {}
        for split, csv_path in source.files(subject).items():
            jsonl = data_dir / f"{subject}_{split}.jsonl"
            _write_jsonl(jsonl, read_csv(csv_path, subject))
            files[split] = str(target / "data" / jsonl.name)
        config = _lm_eval_task_config(subject)
        config.pop("dataset_name", None)
        config["dataset_path"] = "json"
        config["dataset_kwargs"] = {"data_files": files}
        if "dev" not in files:
            config.pop("fewshot_split", None)
        (staging / f"mmlu_{subject}.yaml").write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8"
        )
    (staging / "SOURCE").write_text(f"{source.root}\n", encoding="utf-8")
    (staging / "DONE").write_text("", encoding="utf-8")
