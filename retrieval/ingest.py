"""Catalog file -> Chroma: idempotent upsert keyed by content hash, optional prune, a summary."""

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retrieval.catalog import Catalog, load_catalog
from retrieval.embed import Embedder
from retrieval.errors import CatalogError
from retrieval.records import Item, Skipped
from retrieval.store import ItemStore, Manifest, check_name
from retrieval.types import FACET as TYPE_FACET
from retrieval.variants import Products

EMBED_BATCH = 256  # items embedded and written per step: progress stays live, memory flat
TYPE_NUMBER_SHARE = 0.3  # per-type quartiles of a number need this share of the type's items
TYPE_NUMBER_MIN = 8  # ... and at least this many of them


@dataclass
class IngestReport:
    catalog: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    merged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    products: tuple[int, int] = (0, 0)  # (products, products sold in several variants)

    def summary(self, max_reasons: int = 10) -> str:
        lines = [
            f"catalog {self.catalog!r}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed, {len(self.skipped)} skipped "
            f"({self.seconds:.1f} s)"
        ]
        if self.merged:
            lines.append(
                f"  {self.merged} rows repeated an id with new facet values and were merged"
            )
        products, grouped = self.products
        if grouped:
            lines.append(f"  {products} products: {grouped} of them in several colours, sizes or "
                         "carriers, shown as one card each")  # fmt: skip
        lines += [f"  note: {note}" for note in self.notes]
        for skip in self.skipped[:max_reasons]:
            lines.append(f"  skipped {skip.where}: {skip.reason}")
        if len(self.skipped) > max_reasons:
            lines.append(f"  ... and {len(self.skipped) - max_reasons} more skipped rows")
        return "\n".join(lines)


def ingest(
    path: Path,
    name: str,
    store: ItemStore,
    embedder: Embedder,
    mapping_path: Path | None = None,
    prune: bool = False,
    progress: bool = True,
) -> IngestReport:
    started = time.perf_counter()
    check_name(name)
    catalog = load_catalog(path, mapping_path)
    return ingest_catalog(catalog, path, name, store, embedder, prune, progress, started)


def ingest_catalog(
    catalog: Catalog,
    path: Path,
    name: str,
    store: ItemStore,
    embedder: Embedder,
    prune: bool = False,
    progress: bool = True,
    started: float | None = None,
) -> IngestReport:
    """Upsert an already loaded catalog: only new or changed items are embedded."""
    started = time.perf_counter() if started is None else started
    check_name(name)
    report = IngestReport(name, merged=catalog.merged, skipped=catalog.skipped, notes=catalog.notes)
    if not catalog.items:
        reasons = "; ".join(f"{s.where}: {s.reason}" for s in catalog.skipped[:3])
        raise CatalogError(f"no usable rows in {path.name}" + (f" ({reasons})" if reasons else ""))
    existing = store.hashes(name)
    todo: list[tuple[Item, str]] = []
    for item in catalog.items:
        content_hash = item.content_hash(embedder.name)
        old = existing.get(item.id)
        if old == content_hash:
            report.unchanged += 1
            continue
        todo.append((item, content_hash))
        if old is None:
            report.added += 1
        else:
            report.updated += 1
    with tqdm(
        total=len(catalog.items), unit="items", desc=f"ingest {name}", disable=not progress
    ) as bar:
        bar.update(report.unchanged)
        for start in range(0, len(todo), EMBED_BATCH):
            chunk = todo[start : start + EMBED_BATCH]
            items = [item for item, _ in chunk]
            vectors = embedder.embed([item.embedding_text() for item in items])
            fields = [(i.id, f, text) for i in items for f, text in i.field_texts().items()]
            field_vectors = embedder.embed([text for _, _, text in fields])
            store.upsert(name, items, [h for _, h in chunk], vectors, fields, field_vectors)
            bar.update(len(chunk))
    if prune:
        keep = {item.id for item in catalog.items}
        stale = [i for i in existing if i not in keep]
        store.delete(name, stale)
        report.removed = len(stale)
    store.save_manifest(build_manifest(name, catalog, store.count(name), path, embedder.name))
    report.products = Products(catalog.items).counts()
    report.seconds = time.perf_counter() - started
    return report


def build_manifest(
    name: str, catalog: Catalog, count: int, source: Path, embedder: str
) -> Manifest:
    facets: dict[str, Counter[str]] = {}
    numbers: dict[str, list[float]] = {}
    by_type: dict[str, dict[str, list[float]]] = {}
    for item in catalog.items:
        for facet, values in item.facets.items():
            facets.setdefault(facet, Counter()).update(values)
        extra = {"price": item.price, "rating": item.rating}
        for key, number in [*item.numbers.items(), *extra.items()]:
            if number is not None:
                numbers.setdefault(key, []).append(number)
                for kind in item.facets.get(TYPE_FACET, ()):
                    by_type.setdefault(kind, {}).setdefault(key, []).append(number)
    sizes = facets.get(TYPE_FACET, Counter())
    return Manifest(
        name=name,
        count=count,
        currency=catalog.currency,
        source=str(source),
        embedder=embedder,
        facets={f: dict(c.most_common()) for f, c in facets.items()},
        numbers={k: (min(v), max(v)) for k, v in numbers.items()},
        quantiles={k: _quartiles(v) for k, v in numbers.items()},
        type_quantiles={
            kind: {k: _quartiles(v) for k, v in found.items() if _enough(len(v), sizes[kind])}
            for kind, found in by_type.items()
        },
        type_synonyms=dict(catalog.mapping.type_synonyms),
    )


def _enough(have: int, of: int) -> bool:
    """Whether a type's items carry a number often enough for "a big one" to mean something
    among them (TYPE_NUMBER_SHARE of them, and at least TYPE_NUMBER_MIN)."""
    return have >= TYPE_NUMBER_MIN and have >= TYPE_NUMBER_SHARE * of


def _quartiles(values: list[float]) -> list[float]:
    return [float(q) for q in np.quantile(values, [0.25, 0.5, 0.75])]
