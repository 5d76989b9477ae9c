"""Candidates for a need: Chroma dense search under the hard constraints, fused with neighbours
of liked items and with interaction priors (popularity, co-occurrence).

Each source proposes ids; every proposed item is then scored on the same signals, so an item
found by one source is not favoured over the same item found by another.
"""

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from retrieval.interactions import Priors
from retrieval.records import Item
from retrieval.store import ItemStore, facet_key

POOL = 200  # items proposed by dense search, and by the neighbours of liked items


@dataclass(frozen=True)
class Weights:
    """Set by hand from exploratory runs on the ReDial dev split (cross-fitted priors); the
    resulting recall is in BENCHMARKS.md, conversation section."""

    dense: float = 2.0
    popularity: float = 1.0
    co: float = 1.0
    liked: float = 2.0
    disliked: float = 1.0


@dataclass(frozen=True)
class Constraints:
    """The hard part of a need. Ranges are keyed "price", "rating" or a number's name."""

    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    include: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    banned: frozenset[str] = frozenset()  # item ids never to return (disliked, already shown)

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        for name, (low, high) in self.ranges.items():
            key = name if name in ("price", "rating") else f"n_{name}"
            if low is not None:
                clauses.append({key: {"$gte": low}})
            if high is not None:
                clauses.append({key: {"$lte": high}})
        for facet, values in self.include.items():
            anyof = [{facet_key(facet): {"$contains": v}} for v in values]
            clauses += anyof if len(anyof) == 1 else [{"$or": anyof}]
        for facet, values in self.exclude.items():
            clauses += [{facet_key(facet): {"$not_contains": v}} for v in values]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, item: Item) -> bool:
        if item.id in self.banned:
            return False
        for name, (low, high) in self.ranges.items():
            value = {"price": item.price, "rating": item.rating}.get(name, item.numbers.get(name))
            if value is None or (low is not None and value < low):
                return False
            if high is not None and value > high:
                return False
        for facet, values in self.include.items():
            if not set(values) & set(item.facets.get(facet, ())):
                return False
        return all(
            not set(values) & set(item.facets.get(facet, ()))
            for facet, values in self.exclude.items()
        )

    def parts(self) -> list[str]:
        """Names of the constraints that can be relaxed one at a time."""
        return [f"range:{n}" for n in self.ranges] + [f"include:{f}" for f in self.include]

    def without(self, part: str) -> "Constraints":
        kind, name = part.split(":", 1)
        if kind == "range":
            return replace(self, ranges={k: v for k, v in self.ranges.items() if k != name})
        return replace(self, include={k: v for k, v in self.include.items() if k != name})


@dataclass
class Scored:
    item: Item
    score: float
    parts: dict[str, float]  # each signal's contribution, for the "why" panel


def retrieve(
    store: ItemStore,
    catalog: str,
    query: np.ndarray | None,
    constraints: Constraints,
    priors: Priors,
    liked: dict[str, float],
    disliked: list[str],
    weights: Weights | None = None,
    pool: int = POOL,
) -> list[Scored]:
    """Scored candidates that pass the constraints, best first. `liked` weighs each item the
    person's taste is drawn from (recent and explicit likes count more)."""
    weights = weights or Weights()
    where = constraints.where()
    known, known_vectors = store.vectors(catalog, [*liked, *disliked])  # one round trip
    is_liked = np.array([i.id in liked for i in known], dtype=bool)
    taste = _taste(known_vectors[is_liked], np.array([liked[i.id] for i in known if i.id in liked]))
    disliked_vectors = known_vectors[~is_liked]
    proposed: list[str] = []
    if query is not None:
        proposed += store.ids(catalog, pool, query, where)
    if taste is not None:
        proposed += store.ids(catalog, pool, taste / max(np.linalg.norm(taste), 1e-9), where)
    co = _co_scores(priors, liked)
    proposed += sorted(co, key=co.__getitem__, reverse=True)[:pool]
    proposed += priors.top[:pool]
    items, vectors = store.vectors(catalog, list(dict.fromkeys(proposed)))
    keep = [n for n, item in enumerate(items) if constraints.admits(item)]
    if not keep:
        return []
    items, vectors = [items[n] for n in keep], vectors[keep]
    signals = {
        "dense": vectors @ query if query is not None else np.zeros(len(items)),
        "popularity": np.array([priors.popularity.get(i.id, 0.0) for i in items]),
        "co": np.array([co.get(i.id, 0.0) for i in items]),
        "liked": vectors @ taste if taste is not None else np.zeros(len(items)),
        "disliked": (vectors @ disliked_vectors.T).max(1)
        if len(disliked_vectors)
        else np.zeros(len(items)),
    }
    parts = {name: getattr(weights, name) * values for name, values in signals.items()}
    parts["disliked"] = -parts["disliked"]
    total = sum(parts.values())
    order = np.argsort(-total, kind="stable")
    return [
        Scored(items[n], float(total[n]), {k: float(v[n]) for k, v in parts.items()}) for n in order
    ]


def _taste(vectors: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """The weighted mean of the liked items' vectors."""
    if not len(vectors):
        return None
    return (vectors * w[:, None]).sum(0) / w.sum()


def _co_scores(priors: Priors, liked: dict[str, float]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for item_id, weight in liked.items():
        for other, value in priors.co.get(item_id, {}).items():
            scores[other] = scores.get(other, 0.0) + weight * value
    top = max(scores.values(), default=0.0)
    return {k: v / top for k, v in scores.items()} if top > 0 else {}
