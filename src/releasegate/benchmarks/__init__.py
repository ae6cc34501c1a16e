"""General benchmarks through lm-evaluation-harness: their configuration and gates, running
lm-eval on the loaded model, MMLU offline and private lm-eval tasks.
"""

from __future__ import annotations
