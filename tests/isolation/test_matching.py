"""Exact and near-duplicate matching: the fast paths agree with the plain definitions."""

# ruff: noqa: RUF001

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasegate.golden.normalize import normalize_text
from releasegate.isolation.matching import (
    find_matches,
    jaccard,
    normalize_many,
    shingle_sets,
)


@settings(deadline=None)  # the first example builds the punctuation table (all of Unicode)
@given(st.lists(st.text(max_size=40), max_size=20))
def test_fast_normalisation_is_normalize_text(texts: list[str]) -> None:
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


def test_fast_normalisation_on_mixed_width_and_punctuation() -> None:
    texts = ["Hello, World!!", "退款：７天，ＯＫ？", "a\u00a0b   c", "10% off", "«Ｑ»"]
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


def naive_shingles(text: str) -> set[str]:
    if len(text) < 3:
        return {text} if text else set()
    return {text[i : i + 3] for i in range(len(text) - 2)}


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8))
def test_shingle_sets_count_like_string_trigrams(texts: list[str]) -> None:
    for text, codes in zip(texts, shingle_sets(texts), strict=True):
        assert len(codes) == len(naive_shingles(text))


def test_exact_after_normalisation_and_near_duplicates() -> None:
    golden = ["怎么申请退货？", "How long does a refund take?", "收到货以后多久内可以退货？"]
    train = [
        "怎么申请退货?",  # exact after normalisation (full-width question mark)
        "HOW LONG does a refund take",  # exact: case and punctuation
        "请问收到货以后多久内可以退货呢",  # near-duplicate in Chinese
        "运费多少？",  # unrelated
    ]
    matches = find_matches(golden, train, threshold=0.7)
    found = {(m.golden, m.train): m for m in matches}
    assert found[(0, 0)].exact and found[(0, 0)].similarity == 1.0
    assert found[(1, 1)].exact
    near = found[(2, 2)]
    assert not near.exact
    expected = jaccard(*shingle_sets(normalize_many([golden[2], train[2]])))
    assert near.similarity == expected >= 0.7
    assert not any(m.train == 3 for m in matches)


def test_the_bar_decides_near_duplicates() -> None:
    golden = ["the order ships within two business days"]
    train = ["the order ships within three business days"]
    similarity = jaccard(*shingle_sets(normalize_many(golden + train)))
    assert find_matches(golden, train, threshold=similarity - 0.01)
    assert not find_matches(golden, train, threshold=similarity + 0.01)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.9])
def test_every_pair_at_the_bar_is_found_as_brute_force_finds_it(threshold: float) -> None:
    """Against all pairs, on texts from a small alphabet (many partial overlaps, repeats)."""
    rng = random.Random(7)
    golden = ["".join(rng.choice("abcde") for _ in range(rng.randint(1, 14))) for _ in range(40)]
    train = [
        g[: rng.randint(0, len(g))] + "".join(rng.choice("abcdef") for _ in range(3))
        for g in golden
        for _ in range(10)
    ] + ["".join(rng.choice("ab") for _ in range(20)) for _ in range(20)]
    golden_sets = shingle_sets(normalize_many(golden))
    train_sets = shingle_sets(normalize_many(train))
    expected = {
        (g, t)
        for t, ts in enumerate(train_sets)
        for g, gs in enumerate(golden_sets)
        if jaccard(gs, ts) >= threshold
    }
    found = {(m.golden, m.train) for m in find_matches(golden, train, threshold=threshold)}
    assert found == expected


def _edited(rng: random.Random, text: str, alphabet: str, edits: int) -> str:
    """*text* with *edits* characters replaced, inserted or deleted at random places."""
    chars = list(text)
    for _ in range(edits):
        at = rng.randrange(len(chars) + 1)
        kind = rng.choice("rid")
        if kind == "r" and at < len(chars):
            chars[at] = rng.choice(alphabet)
        elif kind == "d" and at < len(chars):
            del chars[at]
        else:
            chars.insert(at, rng.choice(alphabet))
    return "".join(chars)


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.85])
def test_finds_every_pair_datasketch_minhash_lsh_proposes_at_the_bar(threshold: float) -> None:
    """The exact filter against the library the issue names: MinHashLSH (threshold = the bar,
    the same character 3-gram shingles of the normalised texts) proposes pairs; each whose true
    Jaccard similarity is at the bar must be among ``find_matches``'s (which also equal brute
    force here, so the exact method finds at least what LSH would, and what LSH misses)."""
    from datasketch import MinHash, MinHashLSH

    rng = random.Random(11)
    words = ["refund", "order", "ship", "days", "the", "a", "how", "long", "does", "take", "my"]
    hanzi = "退款订单发货多久时间请问可以申请收到商品质量问题"
    golden = [
        " ".join(rng.choices(words, k=rng.randint(4, 10)))
        if i % 2
        else "".join(rng.choices(hanzi, k=rng.randint(6, 20)))
        for i in range(30)
    ]
    train = []
    for _ in range(300):
        source = rng.choice(golden)
        alphabet = hanzi if not source.isascii() else "abcdefghijklmnopqrstuvwxyz "
        train.append(_edited(rng, source, alphabet, rng.choice([0, 1, 1, 2, 3, 6, 12])))
    golden_sets = shingle_sets(normalize_many(golden))
    train_sets = shingle_sets(normalize_many(train))

    def minhash(text: str) -> MinHash:
        sketch = MinHash(num_perm=128, seed=1)
        for shingle in naive_shingles(text):
            sketch.update(shingle.encode("utf-8"))
        return sketch

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    for g, text in enumerate(normalize_many(golden)):
        lsh.insert(g, minhash(text))
    proposed = {
        (g, t) for t, text in enumerate(normalize_many(train)) for g in lsh.query(minhash(text))
    }
    at_bar = {(g, t) for g, t in proposed if jaccard(golden_sets[g], train_sets[t]) >= threshold}
    found = {(m.golden, m.train) for m in find_matches(golden, train, threshold=threshold)}
    brute = {
        (g, t)
        for t, ts in enumerate(train_sets)
        for g, gs in enumerate(golden_sets)
        if jaccard(gs, ts) >= threshold
    }
    assert len(at_bar) >= 50  # the planted near-duplicates give LSH real work
    assert at_bar <= found
    assert found == brute


@pytest.mark.parametrize("size", [0, 1, 50, 5000])
def test_code_table_finds_what_a_binary_search_finds(size: int) -> None:
    """The hash lookup against ``np.searchsorted``, on codes half inside the vocabulary."""
    import numpy as np

    from releasegate.isolation.matching import _CodeTable

    rng = np.random.default_rng(size)
    vocabulary = np.unique(rng.integers(0, 2**62, size, dtype=np.int64).astype(np.uint64))
    others = rng.integers(0, 2**62, 20_000, dtype=np.int64).astype(np.uint64)
    codes = np.concatenate([rng.choice(vocabulary, 20_000), others]) if size else others
    place, inside = _CodeTable(vocabulary).find(codes)
    assert np.array_equal(inside, np.isin(codes, vocabulary))
    assert np.array_equal(place[inside], np.searchsorted(vocabulary, codes[inside]))
