"""A catalog held in the app's memory for fast filtered search and reranking: ids, vectors, the
columns the hard constraints filter on, the BM25 index, the items' records and the reranker's
per-field keys. Built once per process from one pass over the store.

Why: the embedded Chroma evaluates a `where` filter over every row before its HNSW search, which
takes 30 to 280 ms at 50k items (BENCHMARKS.md, retrieval section), while exact search over the
admitted rows in numpy takes a few; and reading the reranked items and their field keys back from
Chroma took another 40 ms per turn at 50k items. Catalogs larger than MAX_ITEMS are not held:
they are searched and read by Chroma, as before.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.lexical import LexicalIndex
from retrieval.records import FIELD_NAMES, Item
from retrieval.variants import Products

# At 384 dimensions, per item: 1.5 kB for the vector, 2.3 kB for the field keys (float16), and the
# record; about 250 MB at 50k items (BENCHMARKS.md). Above MAX_ITEMS, Chroma searches.
MAX_ITEMS = 100_000


@dataclass(frozen=True)
class Row:
    """What the index keeps of one item (read from the store's metadata)."""

    id: str
    text: str
    vector: np.ndarray
    facets: dict[str, tuple[str, ...]]
    numbers: dict[str, float]  # price, rating and the item's other numbers
    record: str  # the item as JSON (Item.to_json)


@dataclass(frozen=True)
class FieldRow:
    """One per-field key of an item: the reranker's key and the snippet it was computed from."""

    item: str
    field: str
    vector: np.ndarray
    text: str


class Source(Protocol):
    """Where an index is read from (retrieval.store.ItemStore)."""

    def rows(self, name: str) -> Iterable[Row]: ...

    def field_rows(self, name: str) -> Iterable[FieldRow]: ...


class CatalogIndex:
    @classmethod
    def read(cls, source: Source, catalog: str) -> "CatalogIndex":
        return cls(source.rows(catalog), source.field_rows(catalog))

    def __init__(self, rows: Iterable[Row], fields: Iterable[FieldRow] = ()) -> None:
        rows = list(rows)
        self.ids = [r.id for r in rows]
        self._records = [r.record for r in rows]
        self.position = {item_id: n for n, item_id in enumerate(self.ids)}
        self.products = Products(Item.from_json(record) for record in self._records)
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
        column = {name: n for n, name in enumerate(FIELD_NAMES)}
        self._keys = np.zeros((len(rows), len(FIELD_NAMES), dimension), np.float16)
        self._snippets: dict[tuple[int, int], str] = {}  # (row, field column) -> text
        for f in fields:
            if f.item in self.position and f.field in column:
                at = (self.position[f.item], column[f.field])
                self._keys[at] = f.vector
                self._snippets[at] = f.text

    def __len__(self) -> int:
        return len(self.ids)

    def held_mb(self) -> float:
        """What the index holds in arrays and text, in MB (Python object overheads aside)."""
        arrays = self.vectors.nbytes + self._keys.nbytes
        arrays += sum(column.nbytes for column in self._numbers.values())
        text = sum(len(r) for r in self._records) + sum(len(t) for t in self._snippets.values())
        return (arrays + text) / 1e6

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

    def items(self, ids: Sequence[str]) -> tuple[list[Item], np.ndarray]:
        """Items and their vectors, in the order of `ids` (unknown ids dropped), as
        ItemStore.vectors reads them."""
        rows = [self.position[i] for i in dict.fromkeys(ids) if i in self.position]
        return [Item.from_json(self._records[n]) for n in rows], self.vectors[rows]

    def vectors_of(self, ids: Sequence[str]) -> np.ndarray:
        """The items' vectors, in the order of `ids` (all held)."""
        return self.vectors[[self.position[i] for i in ids]]

    def fields(
        self, ids: Sequence[str], names: Sequence[str]
    ) -> dict[tuple[str, str], tuple[np.ndarray, str]]:
        """(item id, field) -> (key, snippet) for the fields the items have, as
        ItemStore.fields reads them (keys held as float16: cosines agree to about 1e-3)."""
        out = {}
        for item_id in ids:
            row = self.position.get(item_id)
            for name in names:
                col = FIELD_NAMES.index(name)
                if row is not None and (row, col) in self._snippets:
                    vector = self._keys[row, col].astype(np.float32)
                    out[(item_id, name)] = (vector, self._snippets[(row, col)])
        return out

    def rows_of(self, facet: str) -> dict[str, list[int]]:
        """Each value of a facet -> the rows (positions in `vectors`) of the items having it."""
        return {value: list(rows) for value, rows in self._facets.get(facet, {}).items()}

    def _having(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        having = np.zeros(len(self.ids), dtype=bool)
        by_value = self._facets.get(facet, {})
        for value in values:
            having[by_value.get(value, [])] = True
        return having
