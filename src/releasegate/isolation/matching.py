"""Which training texts repeat a golden text: exactly after normalisation, or nearly.

Both sides are normalised with the project's own rule
(:func:`~releasegate.golden.normalize.normalize_text`: width, case, punctuation, white space).
Then:

1. **Exact**: a training text whose normalised form is a golden text's (a hash-set lookup).
2. **Near-duplicate**: Jaccard similarity of the sets of character 3-grams at least the bar.
   Characters, not words, so Chinese (written without spaces) is compared as fairly as English.
   Candidates come from MinHash LSH (datasketch) over the golden texts, banded for recall
   (:func:`lsh_bands`); each candidate's
   similarity is then computed exactly on the two 3-gram sets, so the similarity reported is the
   true one, never an estimate.

A million training rows must take under a minute on two cores, so the training side is handled
in bulk with numpy: each 3-gram is packed losslessly into one 64-bit integer (21 bits per code
point), and a training text goes to MinHash only if enough of its distinct 3-grams occur in some
golden text at all (Jaccard >= t needs at least ``t * |B|`` of the text's own 3-grams in the
golden text, hence in the union of all golden 3-grams). That filter is exact (it never drops a
real near-duplicate), and it leaves MinHash only the few texts that could match.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..golden.normalize import normalize_text

__all__ = ["NGRAM", "Match", "find_matches", "normalize_many", "shingle_sets"]

NGRAM = 3
"""Characters per shingle."""

NUM_PERM = 128
"""MinHash permutations (datasketch's default)."""

_BATCH = 200_000
"""Training texts handled together (bounds memory: about 100 MB a batch)."""

_KEPT = frozenset("%\u2030\u2031")


@cache
def _punctuation_table() -> dict[int, None]:
    """``str.translate`` table deleting what :func:`normalize_text` drops: every Unicode
    punctuation character but percent, per mille and per ten thousand."""
    return {
        code: None
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)).startswith("P") and chr(code) not in _KEPT
    }


def _normalize_fast(text: str) -> str:
    """:func:`normalize_text` with the punctuation loop done by ``str.translate`` (C speed), and
    ASCII text spared NFKC; the same result (tests compare them)."""
    table = _punctuation_table()
    for _ in range(8):
        if text.isascii():
            out = " ".join(text.lower().translate(table).split())
        else:
            out = " ".join(unicodedata.normalize("NFKC", text).casefold().translate(table).split())
        if out == text:
            return out
        text = out
    return normalize_text(text)


def normalize_many(texts: Sequence[str]) -> list[str]:
    """Every text normalised (:func:`normalize_text`'s result, computed faster)."""
    return [_normalize_fast(text) for text in texts]


def _shingle_codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, owner)``: each character 3-gram of each (normalised) text as one integer, with the
    index of its text. A text shorter than three characters is one shingle, padded with NULs."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    pad = "\0" * (NGRAM - 1)
    points = np.frombuffer((pad.join(texts) + pad).encode("utf-32-le"), dtype=np.uint32)
    points = points.astype(np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths + NGRAM - 1)[:-1])).astype(np.int64)
    windows = np.where(lengths >= NGRAM, lengths - NGRAM + 1, np.minimum(lengths, 1))
    total = int(windows.sum())
    first = np.cumsum(windows) - windows
    positions = np.repeat(starts, windows) + (np.arange(total) - np.repeat(first, windows))
    codes = np.zeros(total, dtype=np.uint64)
    for k in range(NGRAM):
        codes |= points[positions + k] << np.uint64(21 * (NGRAM - 1 - k))
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), windows)
    return codes, owner


def shingle_sets(texts: Sequence[str]) -> list[frozenset[int]]:
    """The set of 3-gram codes of each (normalised) text."""
    codes, owner = _shingle_codes(texts)
    sets: list[set[int]] = [set() for _ in texts]
    for code, index in zip(codes.tolist(), owner.tolist(), strict=True):
        sets[index].add(code)
    return [frozenset(s) for s in sets]


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def _hash32(code: int) -> int:
    """A 3-gram code mixed into 32 bits for datasketch (whose permutations work on 32 bits)."""
    return ((code * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 32


def _minhash(shingles: frozenset[int]) -> object:
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=_hash32)
    minhash.update_batch(sorted(shingles))
    return minhash


MIN_RECALL = 0.999
"""Chance that LSH proposes a pair exactly at the bar (higher above it): candidates are checked
exactly, so a false candidate costs a set intersection, a missed one a leak unseen."""


def lsh_bands(threshold: float) -> tuple[int, int]:
    """``(bands, rows)`` for datasketch's LSH: the most rows per band (fewest false candidates)
    whose chance of proposing a pair of similarity *threshold* is at least :data:`MIN_RECALL`
    (datasketch's own choice balances misses and false candidates, and misses ~7% at the bar)."""
    best = (NUM_PERM, 1)
    for rows in range(1, NUM_PERM + 1):
        bands = NUM_PERM // rows
        if 1 - (1 - threshold**rows) ** bands >= MIN_RECALL:
            best = (bands, rows)
    return best


@dataclass(frozen=True)
class Match:
    """A training text that repeats a golden text."""

    golden: int
    """Index of the golden text (in the sequence given)."""
    train: int
    """Index of the training text (in the sequence given)."""
    similarity: float
    """1.0 for an exact match; else the 3-gram Jaccard similarity."""
    exact: bool


def find_matches(golden: Sequence[str], train: Sequence[str], *, threshold: float) -> list[Match]:
    """Every (golden text, training text) pair that is equal after normalisation or whose 3-gram
    Jaccard similarity is at least *threshold*, in training order."""
    from datasketch import MinHashLSH

    golden_norm = normalize_many(golden)
    by_text: dict[str, list[int]] = {}
    for index, text in enumerate(golden_norm):
        by_text.setdefault(text, []).append(index)
    golden_sets = shingle_sets(golden_norm)
    union = np.unique(np.fromiter((c for s in golden_sets for c in s), dtype=np.uint64))
    lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_bands(threshold))
    for index, shingles in enumerate(golden_sets):
        if shingles:
            lsh.insert(index, _minhash(shingles))
    matches: list[Match] = []
    for start in range(0, len(train), _BATCH):
        batch = normalize_many(train[start : start + _BATCH])
        for offset, text in enumerate(batch):
            for index in by_text.get(text, ()):
                matches.append(Match(index, start + offset, 1.0, True))
        for offset in _could_match(batch, union, threshold):
            shingles = shingle_sets([batch[offset]])[0]
            exact = set(by_text.get(batch[offset], ()))
            for index in sorted(lsh.query(_minhash(shingles))):
                if index in exact:
                    continue
                similarity = jaccard(golden_sets[index], shingles)
                if similarity >= threshold:
                    matches.append(Match(index, start + offset, similarity, False))
    matches.sort(key=lambda m: (m.train, m.golden))
    return matches


def _could_match(texts: Sequence[str], union: np.ndarray, threshold: float) -> list[int]:
    """Indices of the texts with at least ``threshold`` of their distinct 3-grams among the golden
    3-grams (*union*, sorted): only those can be near-duplicates of a golden text."""
    if not texts or union.size == 0:
        return []
    codes, owner = _shingle_codes(texts)
    found = np.searchsorted(union, codes)
    inside = union[np.minimum(found, union.size - 1)] == codes
    if not inside.any():
        return []
    # Distinct (text, 3-gram) pairs: the 3-gram mixed to 44 bits beside the text's index (one
    # batch holds fewer than 2**19 texts) and the golden flag, then one sort.
    mixed = (codes * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)
    keys = (owner.astype(np.uint64) << np.uint64(45)) | (inside.astype(np.uint64) << np.uint64(44))
    keys |= mixed & np.uint64((1 << 44) - 1)
    keys = np.unique(keys)
    text_of = (keys >> np.uint64(45)).astype(np.int64)
    golden_flag = ((keys >> np.uint64(44)) & np.uint64(1)).astype(np.float64)
    distinct = np.bincount(text_of, minlength=len(texts))
    shared = np.bincount(text_of, weights=golden_flag, minlength=len(texts))
    keep = (shared > 0) & (shared >= threshold * distinct - 1e-9)
    return np.nonzero(keep)[0].tolist()
