"""What the engine knows of each catalog, read from the store once per process: its manifest,
vocabulary, in-memory index, priors and policy passages. Every write of a catalog, by any
process, gives it a new stamp in the store; `stale` finds the catalogs read here whose stamp
changed, and `reload` reads them again while the old knowledge keeps serving."""

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from bot.understanding.meaning import KindsByMeaning
from bot.understanding.spelling import Speller, english_words
from bot.understanding.vocabulary import Vocabulary
from retrieval.embed import Embedder
from retrieval.index import MAX_ITEMS, CatalogIndex
from retrieval.interactions import Priors
from retrieval.lexical import terms
from retrieval.records import Passage
from retrieval.store import ItemStore, Manifest
from retrieval.types import FACET as TYPE_FACET


class CatalogKnowledge:
    def __init__(
        self, store: ItemStore, embedder: Embedder, english: frozenset[str] | None = None
    ) -> None:
        self.store = store
        self.embedder = embedder
        self._english = english  # words that are no one's typo, whatever the catalog: read once
        self._cache: dict[tuple[str, str], Any] = {}  # (what, catalog) -> value
        self._lock = threading.Lock()  # one reload at a time
        self._priors_read: dict[str, str] = {}  # catalog -> the priors stamp when they were read

    def _get(self, what: str, catalog: str, read: Callable[[], Any]) -> Any:
        key = (what, catalog)
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def manifest(self, catalog: str) -> Manifest:
        return self._get("manifest", catalog, lambda: self.store.manifest(catalog))

    def vocabulary(self, catalog: str) -> Vocabulary:
        def read() -> Vocabulary:
            manifest = self.manifest(catalog)
            return Vocabulary(manifest.facets, self.store.titles(catalog), self.embedder.embed,
                              manifest.quantiles, manifest.type_quantiles,
                              manifest.type_synonyms)  # fmt: skip

        return self._get("vocabulary", catalog, read)

    def index(self, catalog: str) -> CatalogIndex | None:
        """The catalog in memory for search and BM25; None when it is too large to hold."""

        def read() -> CatalogIndex | None:
            small = self.manifest(catalog).count <= MAX_ITEMS
            return CatalogIndex.read(self.store, catalog) if small else None

        return self._get("index", catalog, read)

    def speller(self, catalog: str) -> Speller:
        """Misspellings read as the catalog's words: the words of its items' texts, or of its
        titles and facet values when the catalog is too large to hold in memory."""

        def read() -> Speller:
            index = self.index(catalog)
            if index is not None:
                words = {w: n for w, n in index.lexical.frequencies().items() if w.isalpha()}
            else:
                texts = [*self.vocabulary(catalog).titles.values(), *self.facet_names(catalog)]
                words = Counter(w for t in texts for w in set(terms(t)) if w.isalpha())
            titles = self.vocabulary(catalog).titles_saying
            return Speller(words, self.english(), lambda phrase: bool(titles(phrase)))

        return self._get("speller", catalog, read)

    def english(self) -> frozenset[str]:
        """English words: the dictionary's, and those the embedder knows whole (read on the
        first use, then kept by this knowledge and the knowledge that replaces it)."""
        if self._english is None:
            known = getattr(self.embedder, "words", None)
            self._english = english_words() | (known() if known is not None else frozenset())
        return self._english

    def meaning(self, catalog: str) -> KindsByMeaning | None:
        """The catalog's types as vectors, to read the kind of thing a request needs by
        meaning; None without types, or for a catalog too large to hold in memory."""

        def read() -> KindsByMeaning | None:
            index = self.index(catalog)
            if index is None:
                return None
            return KindsByMeaning.of(index.vectors, index.rows_of(TYPE_FACET), self.embedder.embed)

        return self._get("meaning", catalog, read)

    def priors(self, catalog: str) -> Priors:
        def read() -> Priors:
            self._priors_read[catalog] = self.store.stamps().get(catalog, {}).get("priors", "")
            return self.store.priors(catalog)

        return self._get("priors", catalog, read)

    def policies(self, catalog: str) -> tuple[list[Passage], np.ndarray | None]:
        return self._get("policies", catalog, lambda: self.store.policies(catalog))

    def facet_names(self, catalog: str) -> list[str]:
        """Every facet value of the catalog: the names an explanation may only use for the
        items that have them."""
        return [v for values in self.manifest(catalog).facets.values() for v in values]

    def stale(self) -> dict[str, str | None]:
        """The catalogs read here that were written since: catalog -> "priors" when only its
        priors were, else None (everything)."""
        stamps = self.store.stamps()
        out: dict[str, str | None] = {}
        for (what, catalog), value in list(self._cache.items()):
            now = stamps.get(catalog)
            if now is None:
                continue
            if what == "manifest" and now.get("stamp", "") != value.stamp:
                out[catalog] = None
            elif what == "priors" and now.get("priors", "") != self._priors_read.get(catalog):
                out.setdefault(catalog, "priors")
        return out

    def reload(self, catalog: str, what: str | None = None) -> None:
        """Read again what was read of the catalog (or only `what` of it), then put it in place
        at once: turns use the old knowledge until the new is whole."""
        with self._lock:
            self.store.refresh(catalog, items=what is None)
            fresh = CatalogKnowledge(self.store, self.embedder, self._english)
            for kind, name in list(self._cache):
                if name == catalog and what in (None, kind):
                    getattr(fresh, kind)(catalog)  # each kind is the method that reads it
            self._cache.update(fresh._cache)
            self._priors_read.update(fresh._priors_read)
