"""Candidates for a need: Chroma dense search under the hard constraints, fused with lexical
matching (BM25), neighbours of liked items and interaction priors (popularity, co-occurrence),
then reranked by attention (retrieval.rerank).

Each source proposes ids; every proposed item is then scored on the same signals, so an item
found by one source is not favoured over the same item found by another.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from retrieval.index import CatalogIndex
from retrieval.interactions import Priors
from retrieval.records import Item, lead
from retrieval.rerank import FIELDS, Evidence, Keys, Query, rerank
from retrieval.store import NUMBER, ItemStore, facet_key
from retrieval.text import normalize, singular
from retrieval.variants import Variant

POOL = 200  # items proposed by dense search, and by the neighbours of liked items


@dataclass(frozen=True)
class Weights:
    """Set from runs on the ReDial dev split (cross-fitted priors): by hand at first, then
    `shared` by a search over the weights on the 1,000-case sample `concierge bench` ranks. The
    recall, and a check on the other 1,716 cases, are in BENCHMARKS.md. A lower `dense` (1) did
    as well on ReDial but let a popular lamp outrank the sofa a shopper asked for."""

    dense: float = 2.0  # β of the need's query vectors, all together
    parts: float = 0.5  # the share of `dense` that goes to the need's parts (wants, facet values)
    avoid: float = 1.0  # β subtracted for each phrase to avoid
    lexical: float = 0.5
    popularity: float = 1.0
    co: float = 1.0
    liked: float = 2.0
    disliked: float = 1.0
    matched: float = 0.5  # for a facet named with several values: the share an item has
    shared: float = 1.0  # facet values shared with a liked item (same director, brand, genres)
    fit: float = 1.0  # the title names what the thing is for ("a case for my iPhone 7")
    # Pseudo-relevance feedback: the need's vector moved toward the mean of its first few
    # nearest items (by this much, with that many), which are about what the words are about:
    # "there's no hot water in the morning" -> the water heaters among them, not the kettles
    feedback: float = 1.0
    feedback_depth: int = 5
    fields: bool = True  # per-field keys and per-part queries; False: the item vector alone
    rerank: int = 100  # how many first-stage candidates the attention rerank sees
    theta: float = 0.0  # keep w_i > θ; on ReDial dev every θ > 0 tried lowered R@10 (BENCHMARKS)
    temperature: float = 0.1  # τ


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
            key = name if name in ("price", "rating") else f"{NUMBER}{name}"
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


@dataclass(frozen=True)
class NeedVectors:
    """The need as the retriever sees it: its text and query vectors."""

    text: str = ""  # for lexical matching
    whole: np.ndarray | None = None  # the whole need
    parts: tuple[tuple[str, np.ndarray], ...] = ()  # ("want: good camera", vector), ...
    avoid: tuple[tuple[str, np.ndarray], ...] = ()
    suits: tuple[str, ...] = ()  # what the thing is for, to find in titles ("iphone 7")


@dataclass
class Scored:
    item: Item
    score: float  # S_i
    parts: dict[str, float]  # each signal's contribution, for the "why" panel
    weight: float = 1.0  # w_i in (0, 1]: see retrieval.rerank
    passed: bool = True  # False when nothing passed θ and this is one of the closest
    evidence: tuple[Evidence, ...] = ()
    variants: tuple[Variant, ...] = ()  # the same product in other colours, sizes, carriers


def retrieve(
    store: ItemStore,
    catalog: str,
    need: NeedVectors,
    constraints: Constraints,
    *,
    priors: Priors | None = None,
    liked: dict[str, float] | None = None,
    disliked: Sequence[str] = (),
    index: CatalogIndex | None = None,
    weights: Weights | None = None,
    pool: int = POOL,
) -> list[Scored]:
    """Candidates that pass the constraints and θ, best first. `liked` weighs each item the
    person's taste is drawn from (recent and explicit likes count more). With an `index` (the
    catalog in memory), search and filtering run there; without, in Chroma."""
    w = weights or Weights()
    priors = priors or Priors()
    liked = liked or {}
    read = _Reader(store, catalog, index)
    known, known_vectors = read.items([*liked, *disliked])  # one round trip
    is_liked = np.array([i.id in liked for i in known], dtype=bool)
    taste = _taste(known_vectors[is_liked], np.array([liked[i.id] for i in known if i.id in liked]))
    taste = taste if w.liked else None
    disliked_vectors = known_vectors[~is_liked]
    co = _co_scores(priors, liked) if w.co else {}
    lexical = index.lexical if index is not None and w.lexical and need.text else None
    lexical_scores = lexical.scores(need.text) if lexical else np.zeros(0, dtype=np.float32)
    passes = index.mask(constraints.ranges, constraints.include, constraints.exclude,
                        constraints.banned) if index is not None else None  # fmt: skip

    def nearest(vector: np.ndarray) -> list[str]:
        if index is not None:
            return index.nearest(vector, pool, passes)
        return store.ids(catalog, pool, vector, constraints.where())

    proposed: list[str] = []
    if need.whole is not None:
        proposed += nearest(need.whole)
        if w.feedback and proposed:
            fed = _fed_back(need.whole, read.vectors(proposed[: w.feedback_depth]), w.feedback)
            need = replace(need, whole=fed)
            proposed += nearest(fed)
    if taste is not None:
        proposed += nearest(taste / max(np.linalg.norm(taste), 1e-9))
    if lexical and passes is not None:
        proposed += lexical.top(np.where(passes, lexical_scores, 0), pool)
    proposed += sorted(co, key=co.__getitem__, reverse=True)[:pool]
    if w.popularity:
        proposed += priors.top[:pool]
    ids, vectors = _admitted(store, catalog, list(dict.fromkeys(proposed)), constraints, index,
                             passes)  # fmt: skip
    if not ids:
        return []
    zeros = np.zeros(len(ids), dtype=np.float32)
    parts = {
        "dense": w.dense * (vectors @ need.whole) if need.whole is not None else zeros,
        "lexical": w.lexical * lexical.at(lexical_scores, ids) if lexical else zeros,
        "popularity": w.popularity * np.array([priors.popularity.get(i, 0.0) for i in ids]),
        "co": w.co * np.array([co.get(i, 0.0) for i in ids]),
        "liked": w.liked * (vectors @ taste) if taste is not None else zeros,
        "disliked": -w.disliked * (vectors @ disliked_vectors.T).max(1)
        if len(disliked_vectors)
        else zeros,
    }
    first = sum(parts.values())
    top = np.argsort(-first, kind="stable")[: w.rerank]  # the attention rerank's share
    items, vectors = read.items([ids[n] for n in top])  # items for these only
    if len(items) < len(top):  # deleted from the store since the index was built
        found = {i.id for i in items}
        top = np.array([n for n in top if ids[n] in found], dtype=np.int64)
    parts = {k: v[top] for k, v in parts.items()}
    parts["matched"] = w.matched * _matched(items, constraints.include)
    parts["shared"] = w.shared * _shared(items, [(i, liked[i.id]) for i in known if i.id in liked])
    if need.suits and w.fit:
        # the title, else the lead of the description (IKEA's titles are names)
        scores = [fit(i.title, need.suits) or fit(lead(i.description), need.suits) for i in items]
        parts["fit"] = w.fit * np.array(scores, np.float32)
    bias = np.sum([v for k, v in parts.items() if k != "dense"], axis=0)
    queries = _queries(need, w)
    keys = _keys(read, items, vectors, fields=w.fields)
    ranked = rerank(queries, keys, bias, w.theta, w.temperature)
    out = []
    for r in ranked:
        signals = {k: float(v[r.index]) for k, v in parts.items()}
        if w.fields:  # the dense part is now the attention queries' share of S_i
            signals["dense"] = r.score - float(bias[r.index])
        out.append(Scored(items[r.index], r.score, signals, r.weight, r.passed, r.evidence))
    if index is None:  # a catalog too large to hold: its variants are not grouped
        return out
    # one per product: the variant that ranks first stands for it (the engine offers the
    # others on the cards shown)
    return [out[n] for n in index.products.one_each(s.item.id for s in out)]


# Words that make another model of the same name: a case for the "iPhone 7 Plus" does not fit an
# iPhone 7.
ONE_WORD = 0.5  # the most a one-word fit counts
MODEL_SUFFIXES = frozenset("plus max pro mini lite edge note xl ultra se active mega neo".split())


def fit(text: str, suits: Sequence[str]) -> float:
    """How well a text names what the thing is for: 1 when it names it exactly, .5 when it has
    all its words apart, .25 when it names another model of it ("iPhone 7 Plus"), else 0."""
    words = singular(normalize(text)).split()
    best = 0.0
    for phrase in suits:
        wanted = singular(normalize(phrase)).split()
        if not wanted or not set(wanted) <= set(words):
            continue
        n = len(wanted)
        after = [words[i + n] if i + n < len(words) else ""
                 for i in range(len(words) - n + 1) if words[i : i + n] == wanted]  # fmt: skip
        exact = [0.25 if a in MODEL_SUFFIXES - set(wanted) else 1.0 for a in after]
        # one word ("travel", "outdoor") says less than a model or a phrase ("iphone 7")
        best = max(best, max(exact, default=0.5) * (ONE_WORD if n == 1 else 1.0))
    for phrase in suits:  # one word, as the start of a longer one: "bed" in "bedside table"
        stem = singular(normalize(phrase))
        if len(stem) >= 3 and " " not in stem and any(w.startswith(stem) for w in words):
            best = max(best, ONE_WORD / 2)
    return best


def _matched(items: list[Item], include: dict[str, tuple[str, ...]]) -> np.ndarray:
    """For each facet the need names several values of, the share of them an item has (the
    mean over such facets): a movie with all three stars named before one with one of them."""
    several = {facet: set(values) for facet, values in include.items() if len(values) > 1}
    if not several:
        return np.zeros(len(items), dtype=np.float32)
    return np.array([
        np.mean([len(values & set(i.facets.get(f, ()))) / len(values)
                 for f, values in several.items()])
        for i in items
    ], dtype=np.float32)  # fmt: skip


def _shared(items: list[Item], liked: list[tuple[Item, float]]) -> np.ndarray:
    """For each item, the most it has in common with one liked item: the Jaccard overlap of
    their facet values (director, stars, genres; brand, category), times that item's weight."""

    def values(item: Item) -> set[tuple[str, str]]:
        return {(f, v) for f, vs in item.facets.items() for v in vs}

    references = [(values(i), weight) for i, weight in liked]
    if not references:
        return np.zeros(len(items), dtype=np.float32)
    out = np.zeros(len(items), dtype=np.float32)
    for row, item in enumerate(items):
        mine = values(item)
        out[row] = max(weight * len(mine & theirs) / max(len(mine | theirs), 1)
                       for theirs, weight in references)  # fmt: skip
    return out


def _admitted(
    store: ItemStore,
    catalog: str,
    ids: list[str],
    constraints: Constraints,
    index: CatalogIndex | None,
    passes: np.ndarray | None,
) -> tuple[list[str], np.ndarray]:
    """The proposed ids that pass the constraints, and their vectors."""
    if index is not None and passes is not None:
        rows = [index.position[i] for i in ids if i in index.position]
        rows = [n for n in rows if passes[n]]
        return [index.ids[n] for n in rows], index.vectors[rows]
    items, vectors = store.vectors(catalog, ids)
    keep = [n for n, item in enumerate(items) if constraints.admits(item)]
    return [items[n].id for n in keep], vectors[keep]


def _fed_back(vector: np.ndarray, nearest: np.ndarray, share: float) -> np.ndarray:
    """The query moved toward the mean of its nearest items' vectors (Rocchio's feedback)."""
    if not len(nearest):
        return vector
    mean = nearest.mean(0)
    moved = vector + share * mean / max(float(np.linalg.norm(mean)), 1e-9)
    return (moved / max(float(np.linalg.norm(moved)), 1e-9)).astype(vector.dtype)


def _queries(need: NeedVectors, w: Weights) -> list[Query]:
    """The whole need, and with per-field keys, each part of it (parts share one weight)."""
    if need.whole is None:
        return [Query(p, v, -w.avoid) for p, v in need.avoid] if w.fields else []
    share = w.parts if w.fields and need.parts else 0.0
    queries = [Query("need", need.whole, w.dense * (1 - share))]
    if share:
        queries += [Query(p, v, w.dense * share / len(need.parts)) for p, v in need.parts]
    if w.fields:
        queries += [Query(p, v, -w.avoid) for p, v in need.avoid]
    return queries


@dataclass(frozen=True)
class _Reader:
    """Items and field keys from the in-memory index when the catalog is held, else the store."""

    store: ItemStore
    catalog: str
    index: CatalogIndex | None

    def items(self, ids: list[str]) -> tuple[list[Item], np.ndarray]:
        if self.index is not None:
            return self.index.items(ids)
        return self.store.vectors(self.catalog, ids)

    def vectors(self, ids: list[str]) -> np.ndarray:
        """The items' vectors alone (ids the search just found)."""
        if self.index is not None:
            return self.index.vectors_of(ids)
        return self.store.vectors(self.catalog, ids)[1]

    def fields(
        self, ids: list[str], names: tuple[str, ...]
    ) -> dict[tuple[str, str], tuple[np.ndarray, str]]:
        if self.index is not None:
            return self.index.fields(ids, names)
        return self.store.fields(self.catalog, ids, names)


def _keys(read: _Reader, items: list[Item], vectors: np.ndarray, fields: bool) -> Keys:
    """The item vector, and with `fields` the per-field vectors computed at ingest."""
    names = FIELDS if fields else FIELDS[:1]
    n, d = vectors.shape
    keys = np.zeros((n, len(names), d), dtype=np.float32)
    present = np.zeros((n, len(names)), dtype=bool)
    snippets = [[item.title] + [""] * (len(names) - 1) for item in items]
    keys[:, 0], present[:, 0] = vectors, True
    stored = read.fields([i.id for i in items], names[1:]) if fields else {}
    for row, item in enumerate(items):
        for col, name in enumerate(names[1:], start=1):
            found = stored.get((item.id, name))
            if found is not None:
                keys[row, col], snippets[row][col] = found
                present[row, col] = True
    return Keys(keys, present, snippets)


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
