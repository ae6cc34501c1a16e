"""Models: the batch-in / batch-out backend protocol and its two backends (``hf`` in
process, ``openai`` for any OpenAI-compatible server), the default model, model
fingerprints, the embedded serving endpoint and deliberately damaged copies.
"""

from __future__ import annotations
