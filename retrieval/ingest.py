"""Catalog file -> Chroma: idempotent upsert keyed by content hash, optional prune, a summary."""

import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retrieval.catalog import Catalog, load_catalog
from retrieval.embed import CachedEmbedder, Embedder
from retrieval.errors import CatalogError
from retrieval.prebuilt import PrebuiltEmbedder, vectors_path
from retrieval.records import Item, Skipped
from retrieval.store import ItemStore, Manifest, check_name
from retrieval.types import FACET as TYPE_FACET
from retrieval.variants import Products

EMBED_BATCH = 256  # items embedded and written per step: progress stays live, memory flat
EMBED_CACHE = 8192  # vectors of texts seen in this ingest (about 12 MB), each embedded once
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
    shipped = vectors_path(path)
    if not shipped.exists():
        return ingest_catalog(catalog, path, name, store, embedder, prune, progress, started)
    prebuilt = PrebuiltEmbedder(embedder, shipped)
    report = ingest_catalog(catalog, path, name, store, prebuilt, prune, progress, started)
    if prebuilt.found:
        report.notes.append(f"{prebuilt.found} vectors read from {shipped.name}, "
                            f"{prebuilt.embedded} texts embedded")  # fmt: skip
    return report


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
    cached = CachedEmbedder(embedder, size=EMBED_CACHE)  # facet lines and titles repeat
    with (
        tqdm(
            total=len(catalog.items), unit="items", desc=f"ingest {name}", disable=not progress
        ) as bar,
        ThreadPoolExecutor(max_workers=1) as writer,
    ):
        bar.update(report.unchanged)
        writing: Future | None = None
        for start in range(0, len(todo), EMBED_BATCH):
            chunk = todo[start : start + EMBED_BATCH]
            items = [item for item, _ in chunk]
            vectors, fields, field_vectors = embed_items(items, cached)
            if writing:  # one chunk is written while the next is embedded
                writing.result()
            writing = writer.submit(store.upsert, name, items, [h for _, h in chunk], vectors,
                                    fields, field_vectors)  # fmt: skip
            bar.update(len(chunk))
        if writing:
            writing.result()
    if prune:
        keep = {item.id for item in catalog.items}
        stale = [i for i in existing if i not in keep]
        store.delete(name, stale)
        report.removed = len(stale)
    store.save_manifest(build_manifest(name, catalog, store.count(name), path, embedder.name))
    report.products = Products(catalog.items).counts()
    report.seconds = time.perf_counter() - started
    return report


def embed_items(
    items: Sequence[Item], embedder: Embedder
) -> tuple[np.ndarray, list[tuple[str, str, str]], np.ndarray]:
    """The items' vectors, their field rows (item id, field, text) and the fields' vectors.

    Only the fields are embedded (title, facet line, description lead): an item's vector is the
    normalised sum of its fields' vectors. That is a third of the text one long item text would
    be, and it ranks better than that text's own vector (BENCHMARKS.md, ingest)."""
    texts = [item.field_texts() for item in items]
    fields = [(i.id, f, text) for i, found in zip(items, texts, strict=True)
              for f, text in found.items()]  # fmt: skip
    field_vectors = embedder.embed([text for _, _, text in fields])
    # each item's fields are consecutive rows, and every item has a title: sum each run
    starts = np.cumsum([0] + [len(found) for found in texts[:-1]])
    vectors = np.add.reduceat(field_vectors, starts, axis=0)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12), fields, field_vectors


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
