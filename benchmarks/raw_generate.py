"""Plain batched ``model.generate`` on the default model: the floor the whole suite is held to.

The lead divides the wall time of ``pytest model_tests`` by this script's ``generate_seconds`` for
the same prompts and settings, so this script must do nothing but what any user of transformers
would write by hand: load once, left-pad, greedy ``generate`` in batches, decode. It uses no
releasegate code except the default model's conversion helper.

    python benchmarks/raw_generate.py                         # example chat questions
    python benchmarks/raw_generate.py prompts.json --batch-size 16 --max-new-tokens 48

``prompts.json`` is a JSON list of rendered prompt strings (chat template already applied). The
result is one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EXAMPLE_QUESTIONS = [
    "What is the capital of France?",
    "How do I return an item I bought last week?",
    "What is 12 + 7?",
    "Translate 'good morning' into Spanish.",
    "Do you ship to Canada, and how long does it take?",
    "My parcel arrived damaged. What should I do?",
    "Name three primary colours.",
    "Can I change the delivery address after placing an order?",
    "Write one sentence about the sea.",
    "What payment methods do you accept?",
    "How do I reset my password?",
    "Is the blue jacket available in size M?",
    "What is the boiling point of water in Celsius?",
    "Summarise in one sentence: the order was late because of a storm.",
    "Hi",
    "My order #4411 has not arrived after two weeks and the tracking page shows no updates. "
    "Who should I contact?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompts", nargs="?", type=Path, help="JSON list of rendered prompts")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="releasegate cache folder")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from releasegate.config import default_cache_dir
    from releasegate.models.default_model import ensure_default_model

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    folder = ensure_default_model(args.cache_dir or default_cache_dir())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    tokenizer.padding_side = "left"
    load_seconds = time.perf_counter() - started

    if args.prompts:
        prompts = json.loads(args.prompts.read_text(encoding="utf-8"))
    else:
        prompts = [
            tokenizer.apply_chat_template(
                [{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True
            )
            for q in EXAMPLE_QUESTIONS
        ]

    output_tokens = 0
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(prompts), args.batch_size):
            batch = tokenizer(
                prompts[start : start + args.batch_size],
                add_special_tokens=False,
                padding=True,
                return_tensors="pt",
            )
            out = model.generate(
                **batch,
                max_new_tokens=args.max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
            new = out[:, batch["input_ids"].shape[1] :].tolist()
            for tokens in new:  # generated tokens: up to and including the first end of turn
                ends = [i for i, t in enumerate(tokens) if t == tokenizer.eos_token_id]
                output_tokens += ends[0] + 1 if ends else len(tokens)
            tokenizer.batch_decode(new, skip_special_tokens=True)
    generate_seconds = time.perf_counter() - started

    print(
        json.dumps(
            {
                "prompts": len(prompts),
                "batch_size": args.batch_size,
                "max_new_tokens": args.max_new_tokens,
                "threads": torch.get_num_threads(),
                "load_seconds": round(load_seconds, 3),
                "generate_seconds": round(generate_seconds, 3),
                "output_tokens": output_tokens,
                "tokens_per_second": round(output_tokens / generate_seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
