"""The engine's query-embedding cache: the same vectors as the embedder, each text embedded
once while it stays among the most recent, and a bounded size."""

import numpy as np

from retrieval.embed import CachedEmbedder
from tests.conftest import FakeEmbedder


class Counting(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen += list(texts)
        return super().embed(texts)


def test_vectors_match_the_embedder_and_each_text_is_embedded_once():
    inner = Counting()
    cached = CachedEmbedder(inner, size=10)
    texts = ["red phone", "cheap", "red phone", "samsung"]
    first = cached.embed(texts)
    assert np.array_equal(first, FakeEmbedder().embed(texts))
    again = cached.embed(["samsung", "red phone", "new text"])
    assert np.array_equal(again, FakeEmbedder().embed(["samsung", "red phone", "new text"]))
    assert inner.seen == ["red phone", "cheap", "samsung", "new text"]
    assert cached.embed([]).shape == (0, inner.dimension)


def test_the_cache_keeps_only_the_most_recent_texts():
    inner = Counting()
    cached = CachedEmbedder(inner, size=2)
    cached.embed(["a"])
    cached.embed(["b"])
    cached.embed(["a"])  # a is now the most recent; b is the oldest
    cached.embed(["c"])  # evicts b
    inner.seen.clear()
    cached.embed(["a", "c", "b"])
    assert inner.seen == ["b"]
    assert len(cached._vectors) == 2
