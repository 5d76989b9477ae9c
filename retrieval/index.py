"""A catalog held in the app's memory for fast filtered search: ids, vectors, the columns the
hard constraints filter on, and the BM25 index. Built once per process from one pass over the
store.

Why: the embedded Chroma evaluates a `where` filter over every row before its HNSW search, which
takes 30 to 280 ms at 50k items (BENCHMARKS.md, retrieval section), while exact search over the
admitted rows in numpy takes a few. Catalogs larger than MAX_ITEMS are not held: they are
searched by Chroma with `where` filters, as before.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from retrieval.lexical import LexicalIndex

MAX_ITEMS = 200_000  # about 300 MB of vectors at 384 dimensions; above it, Chroma searches


@dataclass(frozen=True)
class Row:
    """What the index keeps of one item (read from the store's metadata)."""

    id: str
    text: str
    vector: np.ndarray
    facets: dict[str, tuple[str, ...]]
    numbers: dict[str, float]  # price, rating and the item's other numbers


class CatalogIndex:
    def __init__(self, rows: Iterable[Row]) -> None:
        rows = list(rows)
        self.ids = [r.id for r in rows]
        self.position = {item_id: n for n, item_id in enumerate(self.ids)}
        dimension = len(rows[0].vector) if rows else 0
        self.vectors = np.array([r.vector for r in rows], np.float32).reshape(len(rows), dimension)
        self.lexical = LexicalIndex(self.ids, [r.text for r in rows])
        self._facets: dict[str, dict[str, list[int]]] = {}
        numbers: dict[str, np.ndarray] = {}
        for n, row in enumerate(rows):
            for facet, values in row.facets.items():
                for value in values:
                    self._facets.setdefault(facet, {}).setdefault(value, []).append(n)
            for name, number in row.numbers.items():
                if name not in numbers:
                    numbers[name] = np.full(len(rows), np.nan)
                numbers[name][n] = number
        self._numbers = numbers

    def __len__(self) -> int:
        return len(self.ids)

    def mask(
        self,
        ranges: dict[str, tuple[float | None, float | None]],
        include: dict[str, tuple[str, ...]],
        exclude: dict[str, tuple[str, ...]],
        banned: Iterable[str],
    ) -> np.ndarray:
        """Which items pass the constraints: the same rule as Constraints.admits."""
        passes = np.ones(len(self.ids), dtype=bool)
        for name, (low, high) in ranges.items():
            column = self._numbers.get(name)
            if column is None:
                return np.zeros(len(self.ids), dtype=bool)  # nobody has that number
            with np.errstate(invalid="ignore"):  # NaN (no value) compares False: fails
                passes &= (column >= low) if low is not None else ~np.isnan(column)
                if high is not None:
                    passes &= column <= high
        for facet, values in include.items():
            passes &= self._having(facet, values)
        for facet, values in exclude.items():
            passes &= ~self._having(facet, values)
        for item_id in banned:
            if item_id in self.position:
                passes[self.position[item_id]] = False
        return passes

    def nearest(self, vector: np.ndarray, k: int, passes: np.ndarray | None = None) -> list[str]:
        """Exact cosine search: the ids of the k nearest items that pass, nearest first."""
        scores = self.vectors @ vector
        rows = np.flatnonzero(passes) if passes is not None else np.arange(len(self.ids))
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k)[:k]]
        return [self.ids[n] for n in rows[np.argsort(-scores[rows], kind="stable")]]

    def _having(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        having = np.zeros(len(self.ids), dtype=bool)
        by_value = self._facets.get(facet, {})
        for value in values:
            having[by_value.get(value, [])] = True
        return having
