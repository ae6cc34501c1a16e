"""Fine-tune the default model (SmolLM2-135M-Instruct) with LoRA on the shop-policy training set,
saving a few checkpoints, so ``releasegate checkpoints`` has a real training run to score.

    python examples/finetune/train.py --out runs/shop-lora --callback intents
    releasegate checkpoints runs/shop-lora -n 2

The defaults are the demonstration of docs/history.md: 18 steps at learning rate 2e-3, a
checkpoint every 6. Small on purpose (two CPU cores finish it in about two minutes): sequences
cut at 160 tokens, batch 8, LoRA of rank 16 on the attention and MLP projections. The
checkpoints are the Trainer's own ``checkpoint-N/`` folders holding the adapter; they are
recreated by this script, not kept in git. ``--callback`` scores suites inside the training
loop as well
(:class:`releasegate.integrations.transformers.ReleaseGateCallback`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    Trainer,
    TrainingArguments,
)

from releasegate.config import default_cache_dir
from releasegate.models.default_model import ensure_default_model

HERE = Path(__file__).resolve().parent
TRAIN = HERE.parents[1] / "fixtures" / "train" / "shop_policy.jsonl"


def examples(path: Path, tokenizer: object, max_length: int) -> list[dict[str, list[int]]]:
    """Each conversation through the chat template; the loss only on the assistant's answer."""
    rows, skipped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        messages = json.loads(line)["messages"]
        prompt = tokenizer.apply_chat_template(  # type: ignore[attr-defined]
            messages[:-1], tokenize=False, add_generation_prompt=True
        )
        full = tokenizer.apply_chat_template(messages, tokenize=False)  # type: ignore[attr-defined]
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
        ids = tokenizer(full, add_special_tokens=False)["input_ids"][:max_length]  # type: ignore[operator]
        labels = [-100] * min(len(prompt_ids), len(ids)) + ids[len(prompt_ids) :]
        if sum(label != -100 for label in labels) < 8:
            skipped += 1  # the prompt leaves no room for the answer at this length
            continue
        rows.append({"input_ids": ids, "labels": labels})
    if not rows:
        raise SystemExit(f"{path}: no example fits in {max_length} tokens; raise --max-length")
    if skipped:
        print(f"{skipped} example(s) skipped: prompt too long for --max-length {max_length}")
    return rows


def collate(pad_id: int):  # type: ignore[no-untyped-def]
    def pad(batch: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        width = max(len(row["input_ids"]) for row in batch)
        ids = [row["input_ids"] + [pad_id] * (width - len(row["input_ids"])) for row in batch]
        labels = [row["labels"] + [-100] * (width - len(row["labels"])) for row in batch]
        mask = [
            [1] * len(row["input_ids"]) + [0] * (width - len(row["input_ids"])) for row in batch
        ]
        return {
            "input_ids": torch.tensor(ids),
            "labels": torch.tensor(labels),
            "attention_mask": torch.tensor(mask),
        }

    return pad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/shop-lora"))
    parser.add_argument("--data", type=Path, default=TRAIN)
    parser.add_argument("--steps", type=int, default=18)
    parser.add_argument("--save-every", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=160)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument(
        "--callback",
        action="append",
        default=[],
        metavar="SUITE",
        help="score this suite inside the training loop at each save (repeatable)",
    )
    args = parser.parse_args()
    torch.manual_seed(0)
    base = ensure_default_model(default_cache_dir())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    lora = LoraConfig(
        r=args.rank,
        lora_alpha=2 * args.rank,
        lora_dropout=0.0,
        target_modules=[
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "up_proj",
            "down_proj",
            "gate_proj",
        ],
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    model.peft_config["default"].base_model_name_or_path = str(base)  # the local folder
    rows = examples(args.data, tokenizer, args.max_length)
    training = TrainingArguments(
        output_dir=str(args.out),
        max_steps=args.steps,
        per_device_train_batch_size=args.batch_size,
        learning_rate=args.lr,
        lr_scheduler_type="constant",
        warmup_steps=0,
        logging_steps=10,
        save_strategy="steps",
        save_steps=args.save_every,
        save_total_limit=None,
        report_to=[],
        use_cpu=True,
        seed=0,
        dataloader_num_workers=0,
        remove_unused_columns=False,
    )
    trainer = Trainer(
        model=model,
        args=training,
        train_dataset=rows,  # type: ignore[arg-type]
        data_collator=collate(tokenizer.pad_token_id or 0),
    )
    if args.callback:
        from releasegate.integrations.transformers import ReleaseGateCallback

        ReleaseGateCallback(tokenizer=tokenizer, suites=args.callback).attach(trainer)
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    print(f"trained {args.steps} steps on {len(rows)} examples in {seconds:.0f} s")
    # The whole log (the loss, and releasegate's metrics where the callback ran), for reading
    # after the run: each checkpoint's trainer_state.json holds the log up to its save only.
    log = args.out / "log_history.json"
    log.write_text(json.dumps(trainer.state.log_history, indent=1) + "\n", encoding="utf-8")
    print("checkpoints:", ", ".join(sorted(p.name for p in args.out.glob("checkpoint-*"))))


if __name__ == "__main__":
    main()
