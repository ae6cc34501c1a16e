"""Which training texts repeat a golden text: exactly after normalisation, or nearly.

Both sides are normalised with the project's own rule
(:func:`~releasegate.golden.normalize.normalize_text`: width, case, punctuation, white space).
Then:

1. **Exact**: a training text whose normalised form is a golden text's (a hash-set lookup).
2. **Near-duplicate**: Jaccard similarity of the sets of character 3-grams at least the bar.
   Characters, not words, so Chinese (written without spaces) is compared as fairly as English.
   Candidate pairs come from an exact prefix filter with a count (:class:`_GoldenIndex`): two
   sparse 0/1 matrix products (scipy), one over the texts' prefixes, one for the survivors'
   overlaps; each reported similarity is computed exactly on the two 3-gram sets. No pair at or
   above the bar is missed (a test checks every pair by brute force, another that every pair
   datasketch's MinHash LSH proposes at the bar is found).

Why not MinHash LSH (datasketch), as first planned: it is an estimate, and a costly one in
Python. Building one MinHash (128 permutations, ``update_batch``) costs 0.12 ms of CPU a text:
two million texts take ~240 s before any query, four times the budget of the whole check. And
at the bar LSH proposes a pair with a chance below one: of pairs whose similarity lies in
[0.7, 0.8), datasketch's LSH at threshold 0.7 proposes 58% (68% at 0.5, 82% at 0.85;
``benchmarks/isolation_scale.py --lsh``).

Here each 3-gram is packed losslessly into one 64-bit integer (21 bits per code point) and
whole batches go through numpy and scipy: a million rows (two million texts) against 1,000
cases take 8 s of CPU to shingle and match, 4.4 s to normalise, on top of 7 s to read the file
(``benchmarks/isolation_scale.py``; figures in ``docs/isolation-and-perplexity.md``). The
filter leaves few pairs to verify: at 100,000 rows, of the ~3 million pairs sharing a rare
3-gram in their prefixes (what a one-shared-3-gram filter passes on this English text), some
2,500 share eight and go on to the overlap product.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from ..core.progress import progress
from ..golden.normalize import normalize_text

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["NGRAM", "Match", "find_matches", "normalize_many", "shingle_sets"]

NGRAM = 3
"""Characters per shingle."""

_BATCH = 50_000
"""Training texts handled together: bounds the matching's memory (a batch of the benchmark's texts
peaks at ~200 MB by tracemalloc, whatever the number of rows)."""

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


@cache
def _ascii_punctuation() -> bytes:
    """The ASCII characters :func:`_punctuation_table` deletes, for ``bytes.translate``."""
    table = _punctuation_table()
    return bytes(code for code in range(128) if code in table)


def _normalize_fast(text: str) -> str:
    """:func:`normalize_text` with the punctuation loop done by ``translate`` (C speed), and
    ASCII text spared NFKC; the same result (tests compare them). On ASCII the rule is
    idempotent (lower case, no punctuation, single spaces), so one pass is the fixed point: ASCII
    text goes through ``bytes.translate`` once, as does any text whose first pass ends ASCII."""
    if text.isascii():
        kept = text.lower().encode("ascii").translate(None, _ascii_punctuation())
        return " ".join(kept.decode("ascii").split())
    table = _punctuation_table()
    for _ in range(8):
        out = " ".join(unicodedata.normalize("NFKC", text).casefold().translate(table).split())
        if out == text or out.isascii():
            return out
        # A second pass would change nothing when NFKC and case folding leave *out* as it is
        # (it has no punctuation and single spaces already): say so without the pass.
        if unicodedata.is_normalized("NFKC", out) and out.casefold() == out:
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
    index = _GoldenIndex(shingle_sets(golden_norm), threshold)
    matches: list[Match] = []
    with progress("matching training texts", total=len(train)) as step:
        for start in range(0, len(train), _BATCH):
            batch = normalize_many(train[start : start + _BATCH])
            exact_pairs: set[tuple[int, int]] = set()
            for offset, text in enumerate(batch):
                for g in by_text.get(text, ()):
                    matches.append(Match(g, start + offset, 1.0, True))
                    exact_pairs.add((offset, g))
            for offset, g, common in index.overlaps(batch):
                if (offset, g) in exact_pairs:
                    continue
                union = _distinct(batch[offset]) + int(index.sizes[g]) - common
                similarity = common / union if union else 1.0
                if similarity >= threshold:
                    matches.append(Match(g, start + offset, similarity, False))
            step.advance(len(batch))
    matches.sort(key=lambda m: (m.train, m.golden))
    return matches


def _distinct(text: str) -> int:
    """Distinct 3-grams of one (normalised) text, exactly (as :func:`shingle_sets` counts)."""
    if len(text) < NGRAM:
        return 1 if text else 0
    return len(set(zip(text, text[1:], text[2:], strict=False)))


def _prefix(sizes: np.ndarray, threshold: float) -> np.ndarray:
    """``|x| - ceil(t |x|) + 1``: the prefix length of a set of each size."""
    return sizes - np.ceil(threshold * sizes - _EPS).astype(np.int64) + 1


_EPS = 1e-9

_SHARED = 8
"""Prefix elements a candidate pair must share (fewer where the bar asks for a smaller overlap)."""


def _csr(
    rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], *, ordered: bool = False
) -> sp.csr_matrix:
    """A 0/1 matrix with ones at (rows, cols), duplicates counted once, columns sorted per row.
    The entries are put in order by one sort of packed (row, column) keys (scipy's own per-row
    sort is several times slower), none when the caller says they are *ordered* and distinct.
    (scipy is imported here, not with the module: the test session imports this module and a
    suite without training data never needs it.)"""
    import scipy.sparse as sp

    if not ordered:
        keys = np.sort((rows.astype(np.uint64) << np.uint64(32)) | cols.astype(np.uint64))
        first = np.empty(keys.size, dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        keys = keys[first]
        rows = (keys >> np.uint64(32)).astype(np.int64)
        cols = keys & np.uint64(0xFFFFFFFF)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=shape[0]))))
    matrix = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.int32), cols.astype(np.int32), indptr), shape=shape
    )
    matrix.has_sorted_indices = True
    return matrix


def _row_positions(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """(row, place within the row) of every stored entry."""
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    return rows, np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], lengths)


class _GoldenIndex:
    """The golden texts' 3-grams as a sparse 0/1 matrix, columns ranked rarest first.

    Prefix filtering with a count (Chaudhuri et al. 2006; Bayardo et al. 2007; Xiao et al.
    2008): order all 3-grams once, 3-grams in no golden text first, then the golden vocabulary
    rarest first. If ``|x & y| = o >= a`` then the j-th shared 3-gram sits within the first
    ``|x| - a + j`` of x and the first ``|y| - a + j`` of y. ``J(x, y) >= t`` gives
    ``o >= ceil(t |x|)`` and ``o >= ceil(t |y|)``, so the prefixes of lengths
    ``|x| - ceil(t |x|) + k`` and ``|y| - ceil(t |y|) + k`` share at least ``min(k, o)``
    3-grams. Both prefixes are matrices (a training text's golden 3-grams are the tail of its
    order: its prefix within them is ``s - ceil(t |x|) + k`` of its ``s``), and one sparse
    product counts what every training text's prefix shares with every golden text's: only pairs
    sharing ``min(k, ceil(t max(|x|, |y|)))`` go on. A random English pair shares a common 3-gram
    or two (" th"), rarely eight. The survivors' overlaps come from a second product on their
    rows alone; the size filter (``t |x| <= |y| <= |x| / t``) drops more. Exact throughout: a
    bound on ``|x|`` from below (a 45-bit hash can merge 3-grams, never split them) only lengthens
    prefixes and widens the size window; the caller computes the reported similarity exactly.
    """

    def __init__(self, sets: Sequence[frozenset[int]], threshold: float) -> None:
        self.threshold = threshold
        self.sizes = np.array([len(s) for s in sets], dtype=np.int64)
        codes = np.fromiter((c for s in sets for c in s), dtype=np.uint64, count=self.sizes.sum())
        self.vocabulary, self._column = np.unique(codes, return_inverse=True)
        self._table = _CodeTable(self.vocabulary)
        self._row = np.repeat(np.arange(len(sets)), self.sizes)
        self._rank: np.ndarray | None = None
        nothing = np.zeros(0, dtype=np.int64)
        self._transposed = _csr(nothing, nothing, (max(self.vocabulary.size, 1), len(sets)))
        self._prefix_transposed = self._transposed

    def _rank_columns(self, found: np.ndarray) -> np.ndarray:
        """The order, fixed once from the first batch: fewest texts (training and golden) first,
        ties by code. Any one order keeps the filter exact; a rare-first one keeps it tight."""
        if self._rank is None:
            width = self.vocabulary.size
            frequency = np.bincount(found, minlength=width) + np.bincount(
                self._column, minlength=width
            )
            order = np.lexsort((np.arange(width), frequency))
            self._rank = np.empty(width, dtype=np.int64)
            self._rank[order] = np.arange(width)
            shape = (len(self.sizes), width)
            golden = _csr(self._row, self._rank[self._column], shape)
            self._transposed = golden.T.tocsr()
            rows, place = _row_positions(golden)
            kept = place < (_prefix(self.sizes, self.threshold) + _SHARED - 1)[rows]
            self._prefix_transposed = _csr(golden.indices[kept], rows[kept], shape[::-1])
        ranked: np.ndarray = self._rank[found]
        return ranked

    def overlaps(self, texts: Sequence[str]) -> list[tuple[int, int, int]]:
        """``(text index, golden index, |x & y|)`` for every pair that may reach the bar (a
        superset of those that do; none that does is left out)."""
        if not texts or self.vocabulary.size == 0:
            return []
        t = self.threshold
        codes, owner = _shingle_codes(texts)
        lower = _distinct_counts(codes, owner, len(texts))  # <= |x|
        windows = np.bincount(owner, minlength=len(texts))  # >= |x|
        found, inside = self._table.find(codes)
        train = _csr(
            owner[inside],
            self._rank_columns(found[inside]),
            (len(texts), self.vocabulary.size),
        )
        rows, place = _row_positions(train)
        shared = np.diff(train.indptr)
        needed = np.ceil(t * lower - _EPS).astype(np.int64)
        kept = place < (shared - needed + _SHARED)[rows]
        prefixes = _csr(rows[kept], train.indices[kept], train.shape, ordered=True)
        counts = (prefixes @ self._prefix_transposed).tocoo()
        x, g = counts.row.astype(np.int64), counts.col.astype(np.int64)
        least = np.ceil(t * np.maximum(lower[x], self.sizes[g]) - _EPS).astype(np.int64)
        fits = counts.data >= np.minimum(_SHARED, np.maximum(least, 1))
        fits &= (self.sizes[g] >= t * lower[x] - _EPS) & (windows[x] >= t * self.sizes[g] - _EPS)
        x, g = x[fits], g[fits]
        if x.size == 0:
            return []
        candidates, row_of = np.unique(x, return_inverse=True)
        overlap = (train[candidates] @ self._transposed).tocsr()
        overlap.sort_indices()
        # Look each pair's count up in the product (row-major keys, sorted).
        product_rows, _ = _row_positions(overlap)
        keys = product_rows.astype(np.int64) * len(self.sizes) + overlap.indices
        wanted = row_of.astype(np.int64) * len(self.sizes) + g
        common = overlap.data[np.searchsorted(keys, wanted)].astype(np.int64)
        # |x & y| >= t |x | y| with |x| from below: a bound; the caller checks exactly.
        maybe = common >= t * (lower[x] + self.sizes[g] - common) - _EPS
        return list(zip(x[maybe].tolist(), g[maybe].tolist(), common[maybe].tolist(), strict=True))


class _CodeTable:
    """Where each 3-gram code sits in a sorted vocabulary: a hash table sixteen times the
    vocabulary's size (linear probing) answers most codes with one gather, about twice as fast
    as a binary search; a code whose home slot holds another code is searched for."""

    _EMPTY = np.uint64(2**64 - 1)  # codes are 63 bits at most
    _MIX = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, vocabulary: np.ndarray) -> None:
        self.vocabulary = vocabulary
        bits = max(4, int(np.ceil(np.log2(16 * max(vocabulary.size, 1)))))
        self._shift = np.uint64(64 - bits)
        mask = (1 << bits) - 1
        keys = [int(self._EMPTY)] * (mask + 1)
        places = [0] * (mask + 1)
        homes = ((vocabulary * self._MIX) >> self._shift).tolist()
        for place, (code, slot) in enumerate(zip(vocabulary.tolist(), homes, strict=True)):
            while keys[slot] != int(self._EMPTY):
                slot = (slot + 1) & mask
            keys[slot], places[slot] = code, place
        self._keys = np.array(keys, dtype=np.uint64)
        self._places = np.array(places, dtype=np.int64)

    def find(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(place, inside)``: each code's index in the vocabulary, and whether it is there."""
        slot = ((codes * self._MIX) >> self._shift).astype(np.intp)
        held = self._keys[slot]
        inside = held == codes
        place = self._places[slot]
        # An empty home slot means absent (no deletions); another code there: search.
        unsure = np.flatnonzero(~inside & (held != self._EMPTY))
        if unsure.size:
            size = self.vocabulary.size
            at = np.minimum(np.searchsorted(self.vocabulary, codes[unsure]), size - 1)
            inside[unsure] = self.vocabulary[at] == codes[unsure]
            place[unsure] = at
        return place, inside


def _distinct_counts(codes: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """Distinct 3-grams of each text from below: (text, 3-gram mixed to 45 bits) pairs, one sort
    (a collision merges two 3-grams, never splits one)."""
    mixed = (codes * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(19)
    ordered = np.sort((owner.astype(np.uint64) << np.uint64(45)) | mixed)
    first = np.empty(ordered.size, dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    distinct: np.ndarray = np.bincount(
        (ordered[first] >> np.uint64(45)).astype(np.int64), minlength=count
    )
    return distinct
