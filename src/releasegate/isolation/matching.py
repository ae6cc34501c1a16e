"""Which training texts repeat a golden text: exactly after normalisation, or nearly.

Both sides are normalised with the project's own rule
(:func:`~releasegate.golden.normalize.normalize_text`: width, case, punctuation, white space).
Then:

1. **Exact**: a training text whose normalised form is a golden text's (a hash-set lookup).
2. **Near-duplicate**: Jaccard similarity of the sets of character 3-grams at least the bar.
   Characters, not words, so Chinese (written without spaces) is compared as fairly as English.
   Candidate pairs come from an exact prefix filter (:class:`_GoldenIndex`), and each candidate's
   similarity is computed exactly on the two 3-gram sets: the similarity reported is the true
   one, and no pair at or above the bar is missed.

Why not MinHash LSH (datasketch), as first planned: it is an estimate (at the bar LSH proposes a
pair with a chance below one, ~93% with datasketch's own banding), and building one MinHash per
training text costs about a millisecond in Python: a million rows (two million texts) would take
over half an hour on two cores. The prefix filter runs in bulk with numpy (each 3-gram packed
losslessly into one 64-bit integer, 21 bits per code point; the sets deduplicated and ranked by
sorting), misses nothing, and a million rows take well under a minute
(``benchmarks/isolation_scale.py``).
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
    golden_norm = normalize_many(golden)
    by_text: dict[str, list[int]] = {}
    for position, text in enumerate(golden_norm):
        by_text.setdefault(text, []).append(position)
    golden_sets = shingle_sets(golden_norm)
    normalized = [normalize_many(train[i : i + _BATCH]) for i in range(0, len(train), _BATCH)]
    index = _GoldenIndex(golden_sets, threshold, _frequencies(golden_sets, normalized))
    matches: list[Match] = []
    for number, batch in enumerate(normalized):
        start = number * _BATCH
        exact_pairs: set[tuple[int, int]] = set()
        for offset, text in enumerate(batch):
            for g in by_text.get(text, ()):
                matches.append(Match(g, start + offset, 1.0, True))
                exact_pairs.add((offset, g))
        pairs = [pair for pair in index.candidates(batch, threshold) if pair not in exact_pairs]
        if not pairs:
            continue
        offsets = sorted({offset for offset, _ in pairs})
        sets = dict(zip(offsets, shingle_sets([batch[o] for o in offsets]), strict=True))
        for offset, g in pairs:
            similarity = jaccard(index.sets[g], sets[offset])
            if similarity >= threshold:
                matches.append(Match(g, start + offset, similarity, False))
    matches.sort(key=lambda m: (m.train, m.golden))
    return matches


def _frequencies(golden: Sequence[frozenset[int]], batches: Sequence[Sequence[str]]) -> np.ndarray:
    """How often each golden 3-gram (in sorted order) occurs in the training texts: the order of
    prefix filtering, rarest first, so prefixes hold the 3-grams that few texts share."""
    union = np.unique(np.fromiter((c for s in golden for c in s), dtype=np.uint64))
    counts = np.zeros(union.size, dtype=np.int64)
    if union.size == 0:
        return counts
    for batch in batches:
        codes, _ = _shingle_codes(batch)
        found = np.minimum(np.searchsorted(union, codes), union.size - 1)
        counts += np.bincount(found[union[found] == codes], minlength=union.size)
    return counts


class _GoldenIndex:
    """The golden texts' 3-grams, ordered rarest first, with the texts holding each.

    Prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007): if ``J(x, y) >= t`` then
    ``|x & y| >= a >= ceil(t |x|), ceil(t |y|)``, and under any one order of all 3-grams the
    first ``|x| - ceil(t |x|) + 1`` of x and the first ``|y| - ceil(t |y|) + 1`` of y share
    one. The order puts 3-grams in no golden text first, then by how often the training and
    golden texts hold them (rarest first), so each golden text is indexed by its rarest 3-grams
    alone and a training text proposes only the golden texts whose prefix shares one of its own
    prefix's; a text whose prefix holds no golden 3-gram proposes none. Exact: no pair at or
    above the bar is left out. The proposed pairs' similarities are then counted in bulk (one
    sorted membership array).
    """

    def __init__(
        self, sets: Sequence[frozenset[int]], threshold: float, frequency: np.ndarray
    ) -> None:
        self.sets = list(sets)
        owner = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
        codes = np.fromiter((c for s in sets for c in s), dtype=np.uint64, count=len(owner))
        self.union, position, df = np.unique(codes, return_inverse=True, return_counts=True)
        order = np.lexsort((self.union, frequency + df))  # rarest first, ties by code
        self.rank = np.empty(len(order), dtype=np.int64)
        self.rank[order] = np.arange(len(order))
        self.by_rank = order
        by_code = np.argsort(position, kind="stable")
        self.sizes = np.array([len(s) for s in sets], dtype=np.int64)
        # Each golden text's prefix: its rarest |y| - ceil(t |y|) + 1 3-grams.
        entry = np.lexsort((self.rank[position], owner))
        first = np.searchsorted(owner[entry], owner[entry], side="left")
        lengths = self.sizes - np.ceil(threshold * self.sizes - 1e-9).astype(np.int64) + 1
        kept = entry[(np.arange(entry.size) - first) < lengths[owner[entry]]]
        by_position = kept[np.argsort(position[kept], kind="stable")]
        self.postings = owner[by_position]
        """Golden texts by the 3-grams of their prefixes (grouped by union position)."""
        counts = np.bincount(position[kept], minlength=len(self.union))
        self.starts = np.concatenate(([0], np.cumsum(counts)))
        membership = (owner[by_code].astype(np.uint64) << np.uint64(32)) | np.repeat(
            np.arange(len(self.union), dtype=np.uint64), df
        )
        self.membership = np.sort(membership)
        """(golden text, union position) of every golden 3-gram, sorted: set membership."""

    def candidates(self, texts: Sequence[str], threshold: float) -> list[tuple[int, int]]:
        """(text index, golden index) pairs that reach *threshold*, in order, as counted here in
        bulk (distinct 3-grams counted through a 45-bit hash: the caller recomputes each pair's
        similarity exactly, and a margin keeps a pair a hash collision would push below)."""
        if not texts or self.union.size == 0:
            return []
        codes, owner = _shingle_codes(texts)
        found = np.searchsorted(self.union, codes)
        inside = self.union[np.minimum(found, self.union.size - 1)] == codes
        distinct = _distinct_counts(codes, owner, len(texts))
        # Distinct golden 3-grams of each text, as (text, rank), sorted: text, then rarest first.
        keys = _unique(
            (owner[inside].astype(np.uint64) << np.uint64(32))
            | self.rank[found[inside]].astype(np.uint64)
        )
        if keys.size == 0:
            return []
        key_text = (keys >> np.uint64(32)).astype(np.int64)
        text_of = key_text
        rank = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
        shared = np.bincount(text_of, minlength=len(texts))
        needed = np.ceil(threshold * distinct - 1e-9).astype(np.int64)
        prefix = distinct - needed + 1 - (distinct - shared)  # golden 3-grams in the prefix
        first = np.searchsorted(text_of, text_of, side="left")
        in_prefix = (np.arange(keys.size) - first) < prefix[text_of]
        in_prefix &= shared[text_of] >= needed[text_of]
        text_of, position = text_of[in_prefix], self.by_rank[rank[in_prefix]]
        counts = self.starts[position + 1] - self.starts[position]
        total = int(counts.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        golden = self.postings[np.repeat(self.starts[position], counts) + offsets]
        texts_rep = np.repeat(text_of, counts)
        size, other = distinct[texts_rep], self.sizes[golden]
        fits = (other >= threshold * size - 1e-9) & (size >= threshold * other - 1e-9)
        pair = _unique(
            (texts_rep[fits].astype(np.uint64) << np.uint64(32)) | golden[fits].astype(np.uint64)
        )
        pair_text = (pair >> np.uint64(32)).astype(np.int64)
        pair_golden = (pair & np.uint64(0xFFFFFFFF)).astype(np.int64)
        # |x & y| of each pair: each of x's golden 3-grams looked up in y's (one sorted array).
        all_first = np.searchsorted(key_text, pair_text, side="left")
        lengths = shared[pair_text]
        which = np.repeat(np.arange(pair.size), lengths)
        at = np.repeat(all_first, lengths) + (
            np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        )
        upos = self.by_rank[(keys[at] & np.uint64(0xFFFFFFFF)).astype(np.int64)]
        probe = (pair_golden[which].astype(np.uint64) << np.uint64(32)) | upos.astype(np.uint64)
        slot = np.minimum(np.searchsorted(self.membership, probe), self.membership.size - 1)
        common = np.bincount(which, weights=self.membership[slot] == probe, minlength=pair.size)
        union = distinct[pair_text] + self.sizes[pair_golden] - common
        similar = common >= (threshold - _MARGIN) * union
        return list(zip(pair_text[similar].tolist(), pair_golden[similar].tolist(), strict=True))


def _distinct_counts(codes: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """Distinct 3-grams of each text: (text, 3-gram mixed to 45 bits) pairs, one sort."""
    mixed = (codes * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(19)
    keys = _unique((owner.astype(np.uint64) << np.uint64(45)) | mixed)
    return np.bincount((keys >> np.uint64(45)).astype(np.int64), minlength=count)


_MARGIN = 0.02
"""Bulk similarities below the bar by less than this are recomputed exactly too."""


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a comparison: faster than ``np.unique`` on uint64)."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
