"""Vectors shipped beside a catalog: read instead of embedded, and only where they apply."""

import json

import numpy as np
import pytest

from retrieval.catalog import load_catalog
from retrieval.ingest import ingest
from retrieval.prebuilt import PrebuiltEmbedder, vectors_path, write
from tests.conftest import ROOT, FakeEmbedder

ROWS = [
    {"id": "1", "name": "Nokia 3310 classic phone", "brand": "Nokia", "price": "$59.99"},
    {"id": "2", "name": "Samsung Galaxy S9 smartphone", "brand": "Samsung", "price": "$499"},
]


def field_texts(path):
    return [text for item in load_catalog(path).items for text in item.field_texts().values()]


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(ROWS))
    write(vectors_path(path), field_texts(path), FakeEmbedder())
    return path


def test_a_catalog_with_its_vectors_beside_it_ingests_without_embedding(catalog, store):
    counting = FakeEmbedder()
    report = ingest(catalog, "shop", store, counting, progress=False)
    assert counting.embedded == 0 and report.added == 2
    assert any("vectors read from shop.vectors.npz" in note for note in report.notes)
    plain = FakeEmbedder().embed(field_texts(catalog))
    _, stored = store.vectors("shop", ["1"])
    summed = plain[:2].sum(axis=0)  # item 1's title and facet line, as embedded afresh
    assert float(stored[0] @ (summed / np.linalg.norm(summed))) > 0.999


def test_only_the_texts_the_file_lacks_are_embedded(catalog, store):
    catalog.write_text(json.dumps([ROWS[0], {**ROWS[1], "name": "Samsung Galaxy S10 smartphone"}]))
    counting = FakeEmbedder()
    ingest(catalog, "shop", store, counting, progress=False)
    assert counting.embedded == 1  # the new title; both facet lines and item 1 were shipped


def test_vectors_of_another_embedder_or_a_damaged_file_are_not_used(catalog, capsys):
    class Other(FakeEmbedder):
        name = "another-model"

    other = PrebuiltEmbedder(Other(), vectors_path(catalog))
    other.embed(field_texts(catalog))
    assert other.found == 0 and other.embedded == 4
    vectors_path(catalog).write_bytes(b"not a numpy file")
    damaged = PrebuiltEmbedder(FakeEmbedder(), vectors_path(catalog))
    assert damaged.embed(["Nokia 3310 classic phone"]).shape == (1, 2048)
    assert damaged.embedded == 1 and "ignoring shop.vectors.npz" in capsys.readouterr().err


@pytest.mark.real
def test_the_demo_catalogs_shipped_vectors_are_minilms_for_every_text(minilm):
    """Fails when the demo file, the fields or the embedder change: `make demo-vectors`."""
    demo = ROOT / "data/bestbuy_phones.json"
    items = load_catalog(demo, ROOT / "data/mappings/bestbuy_phones.yaml").items
    texts = sorted({text for item in items for text in item.field_texts().values()})
    reread = PrebuiltEmbedder(minilm, vectors_path(demo))
    vectors = reread.embed(texts)
    assert reread.embedded == 0, f"{reread.embedded} demo texts lack shipped vectors"
    sample = texts[:: max(1, len(texts) // 16)]
    fresh = minilm.embed(sample)
    assert (fresh * vectors[[texts.index(t) for t in sample]]).sum(axis=1).min() > 0.999
