"""The catalog's own words: facet values and item titles, matched in a message exactly,
fuzzily ("samsng") and by embedding ("mobile phone" -> "Cell Phones")."""

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.understanding.kinds import Kinds
from retrieval.text import normalize, singular
from retrieval.types import FACET as TYPE_FACET

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our out over own same she should
    so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    yours something anything thing things one ones want wanted need needs looking look like likes
    liked love loved get got find show give please thanks thank hi hello hey okay ok yes yeah sure
    good great nice best really maybe kind sort type some new old movie movies film films item
    items product products recommend recommendation suggestions suggest see seen watch watched
    lot lots much many well still even around else ever""".split()
)
# Names are matched by spelling only: "comfortable" is not the brand "Comfy".
NAME_FACETS = frozenset({"brand", "designer", "director", "writer", "star", "author", "artist"})
EMBED_MAX_VALUES = 300  # facets with more values (people, designers) match exactly only
EMBED_THRESHOLD = 0.70  # measured by hand: "mobile phone" -> Cell Phones .81, "couch" -> Sofas .73,
EMBED_MARGIN = 0.05  # "scary" -> horror .75; unrelated words stay under .5
FUZZY_THRESHOLD = 85
FUZZY_MIN_LENGTH = 5
MAX_NGRAM = 24  # a whole product title, typed or pasted, is matched as that item
MATCH_CACHE = 256
# Names of attributes a shopper says, -> the facet each names: "any colour except black" names
# the colour (never a value of it), "not that make" the brand.
ATTRIBUTES = {
    **{a: a for a in "brand colour size material style pattern finish price type".split()},
    "kind": "type", "color": "colour", "shade": "colour", "make": "brand", "maker": "brand",
    "company": "brand", "manufacturer": "brand", "label": "brand",
}  # fmt: skip


@dataclass(frozen=True)
class Hit:
    """A stretch of the message's tokens [start, end) that names a facet value or an item."""

    start: int
    end: int
    facet: str  # "item" for a title
    value: str  # the catalog's own spelling, or the item id
    how: str  # "exact", "fuzzy" or "embedding"


class Vocabulary:
    def __init__(
        self,
        facets: dict[str, dict[str, int]],
        titles: dict[str, str] | None = None,
        embed: Callable[[Sequence[str]], np.ndarray] | None = None,
        quantiles: dict[str, list[float]] | None = None,
        type_quantiles: dict[str, dict[str, list[float]]] | None = None,
        type_synonyms: dict[str, str] | None = None,
    ) -> None:
        self.facets = facets
        self.quantiles = quantiles or {}  # number name -> 25th, 50th, 75th percentile
        self.type_quantiles = type_quantiles or {}  # the same among one type's items
        self.kinds = Kinds.of(facets.get(TYPE_FACET, {}), type_synonyms)
        self.titles = titles or {}
        self._embed = embed
        self._phrases: dict[str, list[tuple[str, str]]] = {}
        for facet, values in facets.items():
            big = len(values) > EMBED_MAX_VALUES
            for value in values:
                key = normalize(value)
                if _indexable(key, needs_two_words=big):
                    self._phrases.setdefault(_fold(key), []).append((facet, value))
        for item_id, title in self.titles.items():
            for key in _title_keys(title):
                self._phrases.setdefault(_fold(key), []).append(("item", item_id))
        self._longest = min(MAX_NGRAM, max((len(k.split()) for k in self._phrases), default=1))
        small = [(f, v) for f, vs in facets.items() if len(vs) <= EMBED_MAX_VALUES for v in vs]
        self._fuzzy_keys = {normalize(v): (f, v) for f, v in small if len(normalize(v)) >= 4}
        self._embed_values = [(f, v) for f, v in small if normalize(v) and f not in NAME_FACETS]
        self._value_vectors: np.ndarray | None = None
        self._matched: dict[tuple[tuple[str, ...], str | None], list[Hit]] = {}
        # Words the catalog itself uses are not typos: "phone" must not become "iPhone".
        self._known = {singular(w) for t in self.titles.values() for w in normalize(t).split()}

    def quantiles_for(self, kind: str | None) -> dict[str, list[float]]:
        """The quartiles "big", "cheap" and "light" are read against: among the items of the
        wanted type when there is one (a number that type's items do not carry is left out, so
        "long battery" on a phone never becomes a filter on power banks' capacities)."""
        return self.type_quantiles.get(kind, {}) if kind else self.quantiles

    def knows(self, phrase: str) -> bool:
        """Whether the catalog uses the phrase: a facet value, a type, or words of its titles."""
        words = normalize(phrase).split()
        if not words:
            return False
        key = singular(" ".join(words))
        return (
            key in self._phrases
            or bool(self.kinds.read(words))
            or (len(words) <= 2 and all(singular(w) in self._known for w in words))
        )

    def values(self, facet: str) -> list[str]:
        return list(self.facets.get(facet, {}))

    def titles_saying(self, phrase: str) -> frozenset[str]:
        """The items whose titles hold the phrase's words in a row (folded, singular)."""
        words = singular(normalize(phrase)).split()
        if not words:
            return frozenset()
        having = set.intersection(*(self._title_words.get(w, set()) for w in words))
        said = f" {' '.join(words)} "
        return frozenset(i for i in having if said in f" {self._folded_titles[i]} ")

    @functools.cached_property
    def _folded_titles(self) -> dict[str, str]:
        """Each title's words, normalised and singular (made on the first use, not at start)."""
        return {i: singular(normalize(t)) for i, t in self.titles.items()}

    @functools.cached_property
    def _title_words(self) -> dict[str, set[str]]:
        """Each word of the titles -> the items whose titles have it."""
        out: dict[str, set[str]] = {}
        for item_id, title in self._folded_titles.items():
            for word in title.split():
                out.setdefault(word, set()).add(item_id)
        return out

    def match(self, tokens: Sequence[str], only: str | None = None) -> list[Hit]:
        """Exact hits (longest first), then fuzzy and embedding hits on the words left over.
        The latest results are kept: a message's words are often matched twice."""
        key = (tuple(tokens), only)
        if key not in self._matched:
            if len(self._matched) > MATCH_CACHE:
                self._matched.clear()
            self._matched[key] = self._match(tokens, only)
        return list(self._matched[key])

    def _match(self, tokens: Sequence[str], only: str | None) -> list[Hit]:
        hits = self._exact(tokens, only)
        covered = {i for h in hits for i in range(h.start, h.end)}
        said = [t not in STOPWORDS and singular(t) not in ATTRIBUTES for t in tokens]
        free = [i for i, t in enumerate(tokens) if i not in covered and said[i]]
        hits += self._fuzzy(tokens, free, only)
        covered |= {i for h in hits for i in range(h.start, h.end)}
        free = [i for i in free if i not in covered and not tokens[i].isdigit()]
        if self._embed is not None and free:
            hits += self._by_embedding(tokens, free, only)
        return sorted(hits, key=lambda h: h.start)

    def _exact(self, tokens: Sequence[str], only: str | None) -> list[Hit]:
        hits, i = [], 0
        while i < len(tokens):
            for n in range(min(self._longest, len(tokens) - i), 0, -1):
                span = " ".join(tokens[i : i + n])
                found = self._phrases.get(singular(span)) or self._phrases.get(span)
                found = [f for f in found or [] if only in (None, f[0])]
                if found:
                    hits += [Hit(i, i + n, facet, value, "exact") for facet, value in found]
                    i += n
                    break
            else:
                i += 1
        return self._one_facet_per_name(_one_item_per_span(hits))

    def _one_facet_per_name(self, hits: list[Hit]) -> list[Hit]:
        """A name found in several name facets (Jim Carrey: star, and writer of one film) is
        read in the facet it is most common in: wanting it in all of them at once would ask for
        the films he both starred in and wrote."""
        best: dict[tuple[int, int], Hit] = {}
        for h in hits:
            kept = best.get((h.start, h.end))
            if h.facet in NAME_FACETS and (kept is None or self._count(h) > self._count(kept)):
                best[(h.start, h.end)] = h
        return [h for h in hits if h.facet not in NAME_FACETS or best[(h.start, h.end)] is h]

    def _count(self, hit: Hit) -> int:
        return self.facets.get(hit.facet, {}).get(hit.value, 0)

    def _fuzzy(self, tokens: Sequence[str], free: list[int], only: str | None) -> list[Hit]:
        keys = [k for k, (f, _) in self._fuzzy_keys.items() if only in (None, f)]
        hits = []
        for i in free:
            if len(tokens[i]) < FUZZY_MIN_LENGTH or not keys or singular(tokens[i]) in self._known:
                continue
            best = process.extractOne(tokens[i], keys, scorer=fuzz.ratio)
            if best and best[1] >= FUZZY_THRESHOLD:
                facet, value = self._fuzzy_keys[best[0]]
                hits.append(Hit(i, i + 1, facet, value, "fuzzy"))
        return hits

    def _by_embedding(self, tokens: Sequence[str], free: list[int], only: str | None) -> list[Hit]:
        assert self._embed is not None
        pool = [(f, v) for f, v in self._embed_values if only in (None, f)]
        if not pool:
            return []
        if self._value_vectors is None:
            self._value_vectors = self._embed([v for _, v in self._embed_values])
        rows = [i for i, fv in enumerate(self._embed_values) if fv in pool]
        vectors = self._value_vectors[rows]
        spans = [(i, i + 1) for i in free]
        spans += [(i, i + 2) for i in free if i + 1 in free]
        sims = self._embed([" ".join(tokens[a:b]) for a, b in spans]) @ vectors.T
        hits: list[Hit] = []
        for (a, b), row in sorted(zip(spans, sims, strict=True), key=lambda s: -s[1].max()):
            order = np.argsort(-row)
            top, second = row[order[0]], (row[order[1]] if len(order) > 1 else 0.0)
            if top < EMBED_THRESHOLD or top - second < EMBED_MARGIN:
                continue
            if any(h.start < b and a < h.end for h in hits):
                continue
            facet, value = pool[int(order[0])]
            hits.append(Hit(a, b, facet, value, "embedding"))
        return hits


def _fold(key: str) -> str:
    """The key a phrase is found by: its singular, unless that is a common word ("news" is not
    "new")."""
    folded = singular(key)
    return key if folded in STOPWORDS else folded


def _indexable(key: str, needs_two_words: bool) -> bool:
    if not key or key in STOPWORDS or key.isdigit() or len(key) < 2:
        return False
    return not needs_two_words or len(key.split()) >= 2


def _title_keys(title: str) -> list[str]:
    """A title, and without a trailing "(1994)" year when what is left is two words or more:
    "Super Troopers" alone is a title, "Frozen" or "Gravity" alone is just a word."""
    keys = [normalize(title)]
    bare = normalize(re.sub(r"\(\s*\d{4}\s*\)\s*$", "", title))
    if bare != keys[0] and len(bare.split()) >= 2:
        keys.append(bare)
    return [k for k in keys if k and (len(k.split()) >= 2 or len(k) >= 6)]


def _one_item_per_span(hits: list[Hit]) -> list[Hit]:
    """A bare title shared by several items ("Halloween") links to the first only."""
    seen: set[tuple[int, int]] = set()
    out = []
    for h in hits:
        if h.facet == "item":
            if (h.start, h.end) in seen:
                continue
            seen.add((h.start, h.end))
        out.append(h)
    return out
