"""BM25 over items' text, so exact model names and numbers win: "iPhone 6 Plus", "500 mg".

Dense vectors blur "iPhone 6" and "iPhone 7"; term matching does not. The index is in memory,
built once per catalog from the texts the store holds (about 2 s and 60 MB for 50k items)."""

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from retrieval.text import fold

K1, B = 1.2, 0.75
# Letters and digits apart, so "64GB" and "64 GB" are the same two terms.
_TERM = re.compile(r"[^\W\d_]+|\d+(?:\.\d+)?")


def terms(text: str) -> list[str]:
    return _TERM.findall(fold(text))


class LexicalIndex:
    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        self.ids = list(ids)
        self.position = {item_id: n for n, item_id in enumerate(self.ids)}
        docs = [Counter(terms(t)) for t in texts]
        lengths = np.array([sum(d.values()) for d in docs], dtype=np.float32)
        norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()) if len(docs) else 1.0, 1.0))
        postings: dict[str, list[tuple[int, int]]] = {}
        for n, doc in enumerate(docs):
            for term, tf in doc.items():
                postings.setdefault(term, []).append((n, tf))
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[str, float] = {}
        for term, pairs in postings.items():
            rows = np.array([p[0] for p in pairs], dtype=np.int32)
            freq = np.array([p[1] for p in pairs], dtype=np.float32)
            idf = math.log(1 + (len(docs) - len(pairs) + 0.5) / (len(pairs) + 0.5))
            weight = idf * freq * (K1 + 1) / (freq + norm[rows])
            self._postings[term] = (rows, weight.astype(np.float32))
            self._idf[term] = idf

    def __len__(self) -> int:
        return len(self.ids)

    def frequencies(self) -> dict[str, int]:
        """Each term -> how many items use it."""
        return {term: len(rows) for term, (rows, _) in self._postings.items()}

    def scores(self, query: str) -> np.ndarray:
        """BM25 of every item for `query`, in the order of `ids`, divided by the most any item
        could score (every query term, repeated often): 1 is a full match, whatever the query."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        known = [t for t in set(terms(query)) if t in self._postings]
        for term in known:
            rows, weights = self._postings[term]
            out[rows] += weights
        ceiling = sum(self._idf[t] for t in known) * (K1 + 1)
        return out / ceiling if ceiling > 0 else out

    def top(self, scores: np.ndarray, k: int) -> list[str]:
        """The ids of the k best items with a score above zero, best first."""
        hits = np.flatnonzero(scores > 0)
        best = hits[np.argsort(-scores[hits], kind="stable")[:k]]
        return [self.ids[n] for n in best]

    def at(self, scores: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        """The scores of `ids` (zero for ids the index does not hold)."""
        rows = [self.position.get(i, -1) for i in ids]
        return np.array([scores[r] if r >= 0 else 0.0 for r in rows], dtype=np.float32)
