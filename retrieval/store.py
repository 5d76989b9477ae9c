"""Items in Chroma: one collection per catalog, plus a small collection of catalog manifests.

Embeddings are always passed in (never Chroma's downloading default embedder); cosine space.
"""

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache

from retrieval.errors import ConciergeError, UnknownCatalogError
from retrieval.index import FieldRow, Row
from retrieval.interactions import Priors, merge
from retrieval.records import FIELD_NAMES, Item, Passage

ITEMS_PREFIX = "items-"
POLICIES_PREFIX = "policies-"  # a catalog's policy documents, one record per section
FIELDS_PREFIX = "fields-"  # one record per (item, field): the reranker's per-field keys
PRIORS_PREFIX = "priors-"
LEARNED_PREFIX = "learned-"  # priors learned from the app's own log (bot/web/learning.py)
TOP_KEY = "__top__"
MANIFESTS = "concierge-manifests"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CACHE_ITEMS = 60_000  # items (and their field keys) kept in memory once read: ~250 MB at most
BATCH = 2000  # Chroma's own limit per call is a little above 5,000
# An item's or field key's text is kept in its metadata, not as Chroma's document: Chroma
# indexes every document for full-text search, which nothing here uses (lexical search is
# retrieval/lexical.py), and which took 40% of an ingest's writes. Stores written before
# keep theirs as documents, and are read either way.
TEXT = "text"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ConciergeError(
            f"bad catalog name {name!r}: use 1-63 lowercase letters, digits, '-' or '_'"
        )
    return name


@dataclass
class Manifest:
    """What the bot needs to know about a catalog without reading its items."""

    name: str
    count: int
    currency: str | None = None
    source: str = ""
    embedder: str = ""
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # facet -> value -> items
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (min, max)
    quantiles: dict[str, list[float]] = field(default_factory=dict)  # name -> 25th, 50th, 75th
    # the same among the items of each product type (retrieval/types.py), for numbers that
    # enough of the type's items carry: "a big screen" among phones, not among all items
    type_quantiles: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    type_synonyms: dict[str, str] = field(default_factory=dict)  # from the mapping file
    # changed by every write of the catalog's manifest, priors or policies: another process
    # that read the catalog with another stamp reads it again (bot/engine/knowledge.py)
    stamp: str = ""


def make_client(data_dir: Path, host: str | None = None, port: int = 8000) -> Any:
    """The embedded PersistentClient under data_dir, or an HttpClient when a host is given."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if host:
        try:
            return chromadb.HttpClient(host=host, port=port, settings=settings)
        except Exception as err:  # chromadb raises ValueError or connection errors
            raise ConciergeError(
                f"cannot reach the Chroma server at {host}:{port} ({err}); "
                "start it or unset CONCIERGE_CHROMA_HOST to use the embedded store"
            ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)


# HNSW settings of new item collections; chosen in BENCHMARKS.md (retrieval section).
HNSW = {"space": "cosine", "max_neighbors": 32, "ef_construction": 200, "ef_search": 200}
# Field keys are read by id, never searched: the sparsest graph Chroma builds, which halves the
# time to write them (30k rows: 26 s -> 12 s here). Existing collections keep their settings.
FIELDS_HNSW = {"space": "cosine", "max_neighbors": 4, "ef_construction": 16}


class ItemStore:
    def __init__(self, client: Any, hnsw: dict[str, Any] | None = None) -> None:
        self.client = client
        self.hnsw = hnsw or HNSW
        # Items, vectors and field keys read before; dropped on this process's own writes. (A
        # re-ingest by another process shows after a restart, as the manifests do.)
        self.clear_cache()
        self._collections: dict[str, Any] = {}  # handles: one lookup per catalog, not per call

    # catalogs -----------------------------------------------------------------------------
    def catalogs(self) -> list[str]:
        return sorted(self._manifests().get(include=[])["ids"])

    def manifest(self, name: str) -> Manifest:
        got = self._manifests().get(ids=[name], include=["documents", "metadatas"])
        if not got["ids"]:
            raise UnknownCatalogError(name, self.catalogs())
        data = json.loads(got["documents"][0])
        data["numbers"] = {k: tuple(v) for k, v in data["numbers"].items()}
        data["stamp"] = (got["metadatas"][0] or {}).get("stamp", "")  # the items' stamp
        return Manifest(**data)

    def save_manifest(self, manifest: Manifest) -> None:
        document = asdict(manifest)
        del document["stamp"]
        stamps = self.stamps().get(manifest.name, {}) | {"stamp": uuid.uuid4().hex}
        self._manifests().upsert(ids=[manifest.name], embeddings=[[1.0]],
                                 documents=[json.dumps(document)],
                                 metadatas=[stamps])  # fmt: skip

    def stamps(self) -> dict[str, dict[str, str]]:
        """Each catalog's stamps, new at each write: "stamp" for its items, manifest and
        policies (Manifest.stamp), "priors" for its priors."""
        got = self._manifests().get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def _touch(self, name: str, key: str = "stamp") -> None:
        """A new stamp for the catalog, after a write other than its manifest."""
        if name in (stamps := self.stamps()):
            self._manifests().update(ids=[name], metadatas=[stamps[name] | {key: uuid.uuid4().hex}])

    def refresh(self, name: str, items: bool = True) -> None:
        """After another process wrote the catalog: forget the handles of the collections a
        write replaces (priors, policies) and, unless only its priors changed, the items read."""
        if items:
            self.clear_cache()
        for prefix in (PRIORS_PREFIX, LEARNED_PREFIX, POLICIES_PREFIX):
            self._collections.pop(prefix + name, None)

    # items --------------------------------------------------------------------------------
    def hashes(self, name: str) -> dict[str, str]:
        return {i: m.get("hash", "") for i, m in _pages(self._items(name), "metadatas")}

    def upsert(
        self,
        name: str,
        items: Sequence[Item],
        hashes: Sequence[str],
        vectors: np.ndarray,
        fields: Sequence[tuple[str, str, str]] = (),
        field_vectors: np.ndarray | None = None,
    ) -> None:
        """Write items and their vectors; `fields` are (item id, field, text) rows with one
        vector each in `field_vectors`. An item's old field rows are replaced."""
        assert len(items) == len(hashes) == len(vectors)
        self._forget(name, [i.id for i in items])
        self._delete_fields(name, [i.id for i in items])
        for start in range(0, len(fields), BATCH):
            rows = fields[start : start + BATCH]
            assert field_vectors is not None
            self._fields(name).upsert(
                ids=[field_id(item_id, field) for item_id, field, _ in rows],
                embeddings=field_vectors[start : start + BATCH],
                metadatas=[
                    {"item": item_id, "field": field, TEXT: text} for item_id, field, text in rows
                ],
            )
        col = self._items(name)
        for start in range(0, len(items), BATCH):
            chunk = slice(start, start + BATCH)
            col.upsert(
                ids=[i.id for i in items[chunk]],
                embeddings=vectors[chunk],
                metadatas=[
                    _metadata(i, h) for i, h in zip(items[chunk], hashes[chunk], strict=True)
                ],
            )

    def delete(self, name: str, ids: Sequence[str]) -> None:
        self._forget(name, ids)
        col = self._items(name)
        for start in range(0, len(ids), BATCH):
            col.delete(ids=list(ids[start : start + BATCH]))
        self._delete_fields(name, ids)

    def clear_cache(self) -> None:
        """Forget what was read: the next reads go to Chroma (after another process's ingest)."""
        self._rows: LRUCache[tuple[str, str], Any] = LRUCache(CACHE_ITEMS)
        self._field_rows: LRUCache[tuple[str, str], Any] = LRUCache(CACHE_ITEMS)

    def _forget(self, name: str, ids: Sequence[str]) -> None:
        for i in ids:
            self._rows.pop((name, i), None)
            self._field_rows.pop((name, i), None)

    def _delete_fields(self, name: str, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), BATCH):
            self._fields(name).delete(where={"item": {"$in": list(ids[start : start + BATCH])}})

    def fields(
        self, name: str, ids: Sequence[str], names: Sequence[str]
    ) -> dict[tuple[str, str], tuple[np.ndarray, str]]:
        """(item id, field) -> (vector, text) for the fields the items have."""
        missing = [i for i in ids if (name, i) not in self._field_rows]
        if missing:
            wanted = [field_id(i, f) for i in missing for f in FIELD_NAMES]
            got = self._fields(name).get(ids=wanted, include=["metadatas", "embeddings",
                                                              "documents"])  # fmt: skip
            found: dict[str, dict[str, tuple[np.ndarray, str]]] = {i: {} for i in missing}
            for m, e, d in zip(got["metadatas"], got["embeddings"], got["documents"], strict=True):
                found[m["item"]][m["field"]] = (np.asarray(e, dtype=np.float32), _text(d, m))
            for i, row in found.items():
                self._field_rows[(name, i)] = row
        out: dict[tuple[str, str], tuple[np.ndarray, str]] = {}
        for i in ids:
            row = self._field_rows.get((name, i)) or {}
            out |= {(i, f): row[f] for f in names if f in row}
        return out

    def rows(self, name: str) -> Iterator[Row]:
        """Every item as the in-memory index keeps it, read a page at a time."""
        for i, d, m, e in _pages(self._items(name), "documents", "metadatas", "embeddings"):
            facets = {k.removeprefix(FACET): tuple(v) for k, v in m.items() if k.startswith(FACET)}
            numbers = {k.removeprefix(NUMBER): float(v) for k, v in m.items()
                       if k in ("price", "rating") or k.startswith(NUMBER)}  # fmt: skip
            yield Row(i, _text(d, m), np.asarray(e, dtype=np.float32), facets, numbers, m["item"])

    def field_rows(self, name: str) -> Iterator[FieldRow]:
        """Every item's per-field keys, read a page at a time."""
        for _, d, m, e in _pages(self._fields(name), "documents", "metadatas", "embeddings"):
            yield FieldRow(m["item"], m["field"], np.asarray(e, dtype=np.float32), _text(d, m))

    def count(self, name: str) -> int:
        return int(self._items(name).count())

    def get(self, name: str, ids: Sequence[str]) -> list[Item]:
        if not ids:
            return []
        got = self._items(name).get(ids=list(ids), include=["metadatas"])
        by_id = {
            i: Item.from_json(m["item"]) for i, m in zip(got["ids"], got["metadatas"], strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]

    def vectors(self, name: str, ids: Sequence[str]) -> tuple[list[Item], np.ndarray]:
        """Items and their stored vectors, in the order of `ids` (unknown ids dropped)."""
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if (name, i) not in self._rows]
        if missing:
            got = self._items(name).get(ids=missing, include=["metadatas", "embeddings"])
            for i, m, e in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True):
                self._rows[(name, i)] = (Item.from_json(m["item"]), np.asarray(e, np.float32))
        rows = [row for i in ids if (row := self._rows.get((name, i))) is not None]
        vectors = np.array([v for _, v in rows], dtype=np.float32).reshape(len(rows), -1)
        return [item for item, _ in rows], vectors

    def ids(
        self, name: str, k: int, vector: np.ndarray, where: dict[str, Any] | None = None
    ) -> list[str]:
        """The ids of the k nearest items (by cosine) that pass `where`, nearest first."""
        col = self._items(name)
        n = min(k, col.count())
        if n == 0:
            return []
        got = col.query(query_embeddings=[vector], n_results=n, where=where, include=[])
        return list(got["ids"][0])

    def matches(self, name: str, where: dict[str, Any] | None) -> bool:
        """Whether any item passes `where`."""
        return bool(self._items(name).get(where=where, limit=1, include=[])["ids"])

    def titles(self, name: str) -> dict[str, str]:
        return {i: m["title"] for i, m in _pages(self._items(name), "metadatas")}

    # priors -------------------------------------------------------------------------------
    def save_priors(self, name: str, priors: Priors, learned: bool = False) -> None:
        """Replace the catalog's priors (from an interactions file at ingest, or with `learned`
        those from the app's own log): one record per item that has any, plus the top list."""
        full = (LEARNED_PREFIX if learned else PRIORS_PREFIX) + check_name(name)
        if full in {c.name for c in self.client.list_collections()}:
            self.client.delete_collection(full)
        self._collections.pop(full, None)
        col = self._collection(full, None)
        records: dict[str, dict[str, Any]] = {i: {"p": p} for i, p in priors.popularity.items()}
        for item, neighbours in priors.co.items():
            records.setdefault(item, {})["co"] = neighbours
        records[TOP_KEY] = {"top": priors.top}
        keys = list(records)
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            col.upsert(ids=chunk, embeddings=[[1.0]] * len(chunk),
                       documents=[json.dumps(records[k]) for k in chunk])  # fmt: skip
        self._touch(name, "priors")

    def priors(self, name: str) -> Priors:
        """The catalog's priors (those from ingest and those learned, together), empty when it
        has none."""
        return merge(self._priors(PRIORS_PREFIX + check_name(name)),
                     self._priors(LEARNED_PREFIX + name))  # fmt: skip

    def _priors(self, full: str) -> Priors:
        if full not in {c.name for c in self.client.list_collections()}:
            return Priors()
        priors = Priors()
        for key, doc in _pages(self._collection(full, None), "documents"):
            data = json.loads(doc)
            if key == TOP_KEY:
                priors.top = data["top"]
            if "p" in data:
                priors.popularity[key] = data["p"]
            if "co" in data:
                priors.co[key] = data["co"]
        return priors

    # policy documents (the support desk) ----------------------------------------------------
    def save_policies(self, name: str, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Replace the catalog's policy passages."""
        full = POLICIES_PREFIX + check_name(name)
        if full in {c.name for c in self.client.list_collections()}:
            self.client.delete_collection(full)
        self._collections.pop(full, None)
        col = self._collection(full, {"hnsw": {"space": "cosine"}})
        col.add(ids=[p.id for p in passages], embeddings=vectors.tolist(),
                documents=[json.dumps(asdict(p)) for p in passages])  # fmt: skip
        self._touch(name)

    def policies(self, name: str) -> tuple[list[Passage], np.ndarray | None]:
        """The catalog's policy passages and their vectors; none when it has no documents."""
        full = POLICIES_PREFIX + check_name(name)
        if full not in {c.name for c in self.client.list_collections()}:
            return [], None
        got = self._collection(full, None).get(include=["documents", "embeddings"])
        passages = [Passage(**json.loads(d)) for d in got["documents"]]
        return passages, np.asarray(got["embeddings"], dtype=np.float32)

    def heartbeat(self) -> bool:
        try:
            self.client.heartbeat()
            return True
        except Exception:  # any failure means "not reachable"; the caller reports it
            return False

    def _items(self, name: str) -> Any:
        return self._collection(ITEMS_PREFIX + check_name(name), {"hnsw": self.hnsw})

    def _fields(self, name: str) -> Any:
        return self._collection(FIELDS_PREFIX + check_name(name), {"hnsw": FIELDS_HNSW})

    def _manifests(self) -> Any:
        return self._collection(MANIFESTS, None)

    def _collection(self, full_name: str, configuration: dict | None) -> Any:
        if full_name not in self._collections:
            self._collections[full_name] = self.client.get_or_create_collection(
                full_name, embedding_function=None, configuration=configuration
            )
        return self._collections[full_name]


def _pages(col: Any, *include: str) -> Iterator[tuple[Any, ...]]:
    """(id, then each of `include`) for every record, read a page at a time."""
    for offset in range(0, col.count(), BATCH * 5):
        got = col.get(include=list(include), limit=BATCH * 5, offset=offset)
        yield from zip(got["ids"], *(got[name] for name in include), strict=True)


def _text(document: str | None, metadata: dict[str, Any]) -> str:
    """A row's text: in its metadata, or its document in a store written before."""
    return str(metadata.get(TEXT) or document or "")


def field_id(item_id: str, field: str) -> str:
    return f"{item_id}\x1f{field}"


FACET, NUMBER = "f_", "n_"  # metadata key prefixes of facets and numbers


def facet_key(facet: str) -> str:
    return f"{FACET}{facet}"


def _metadata(item: Item, content_hash: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"title": item.title, "hash": content_hash, "item": item.to_json(),
                            TEXT: item.embedding_text()}  # fmt: skip
    if item.price is not None:
        meta["price"] = item.price
    if item.rating is not None:
        meta["rating"] = item.rating
    for facet, values in item.facets.items():
        if values:
            meta[facet_key(facet)] = list(values)
    for name, number in item.numbers.items():
        meta[f"{NUMBER}{name}"] = number
    return meta
