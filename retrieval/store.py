"""Items in Chroma: one collection per catalog, plus a small collection of catalog manifests.

Embeddings are always passed in (never Chroma's downloading default embedder); cosine space.
"""

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ConciergeError, UnknownCatalogError
from retrieval.interactions import Priors
from retrieval.records import Item

ITEMS_PREFIX = "items-"
PRIORS_PREFIX = "priors-"
TOP_KEY = "__top__"
MANIFESTS = "concierge-manifests"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
BATCH = 2000  # Chroma's own limit per call is a little above 5,000


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


class ItemStore:
    def __init__(self, client: Any) -> None:
        self.client = client
        self._collections: dict[str, Any] = {}  # handles: one lookup per catalog, not per call

    # catalogs -----------------------------------------------------------------------------
    def catalogs(self) -> list[str]:
        return sorted(self._manifests().get(include=[])["ids"])

    def manifest(self, name: str) -> Manifest:
        got = self._manifests().get(ids=[name], include=["documents"])
        if not got["ids"]:
            raise UnknownCatalogError(name, self.catalogs())
        data = json.loads(got["documents"][0])
        data["numbers"] = {k: tuple(v) for k, v in data["numbers"].items()}
        return Manifest(**data)

    def save_manifest(self, manifest: Manifest) -> None:
        self._manifests().upsert(
            ids=[manifest.name], embeddings=[[1.0]], documents=[json.dumps(asdict(manifest))]
        )

    # items --------------------------------------------------------------------------------
    def hashes(self, name: str) -> dict[str, str]:
        return {i: m.get("hash", "") for i, m in _pages(self._items(name), "metadatas")}

    def upsert(self, name: str, items: Sequence[Item], hashes: Sequence[str], vectors: np.ndarray):
        assert len(items) == len(hashes) == len(vectors)
        col = self._items(name)
        for start in range(0, len(items), BATCH):
            chunk = slice(start, start + BATCH)
            col.upsert(
                ids=[i.id for i in items[chunk]],
                embeddings=vectors[chunk],
                documents=[i.embedding_text() for i in items[chunk]],
                metadatas=[
                    _metadata(i, h) for i, h in zip(items[chunk], hashes[chunk], strict=True)
                ],
            )

    def delete(self, name: str, ids: Sequence[str]) -> None:
        col = self._items(name)
        for start in range(0, len(ids), BATCH):
            col.delete(ids=list(ids[start : start + BATCH]))

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
        got = self._items(name).get(ids=list(ids), include=["metadatas", "embeddings"])
        rows = {i: (m, e) for i, m, e in zip(got["ids"], got["metadatas"], got["embeddings"],
                                             strict=True)}  # fmt: skip
        kept = [i for i in dict.fromkeys(ids) if i in rows]
        items = [Item.from_json(rows[i][0]["item"]) for i in kept]
        vectors = np.array([rows[i][1] for i in kept], dtype=np.float32).reshape(len(kept), -1)
        return items, vectors

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
    def save_priors(self, name: str, priors: Priors) -> None:
        """Replace the catalog's priors: one record per item that has any, plus the top list."""
        full = PRIORS_PREFIX + check_name(name)
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

    def priors(self, name: str) -> Priors:
        """The catalog's priors, empty when it has none."""
        full = PRIORS_PREFIX + check_name(name)
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

    def heartbeat(self) -> bool:
        try:
            self.client.heartbeat()
            return True
        except Exception:  # any failure means "not reachable"; the caller reports it
            return False

    def _items(self, name: str) -> Any:
        return self._collection(ITEMS_PREFIX + check_name(name), {"hnsw": {"space": "cosine"}})

    def _manifests(self) -> Any:
        return self._collection(MANIFESTS, None)

    def _collection(self, full_name: str, configuration: dict | None) -> Any:
        if full_name not in self._collections:
            self._collections[full_name] = self.client.get_or_create_collection(
                full_name, embedding_function=None, configuration=configuration
            )
        return self._collections[full_name]


def _pages(col: Any, include: str) -> Iterator[tuple[str, Any]]:
    """(id, metadata or document) for every record, read a page at a time."""
    for offset in range(0, col.count(), BATCH * 5):
        got = col.get(include=[include], limit=BATCH * 5, offset=offset)
        yield from zip(got["ids"], got[include], strict=True)


def facet_key(facet: str) -> str:
    return f"f_{facet}"


def _metadata(item: Item, content_hash: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"title": item.title, "hash": content_hash, "item": item.to_json()}
    if item.price is not None:
        meta["price"] = item.price
    if item.rating is not None:
        meta["rating"] = item.rating
    for facet, values in item.facets.items():
        if values:
            meta[facet_key(facet)] = list(values)
    for name, number in item.numbers.items():
        meta[f"n_{name}"] = number
    return meta
