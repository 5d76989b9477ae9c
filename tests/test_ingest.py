import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.catalog import load_catalog
from retrieval.errors import CatalogError, ConciergeError, UnknownCatalogError
from retrieval.ingest import ingest
from retrieval.store import ItemStore, make_client
from tests.conftest import SHARED_DATA, FakeEmbedder, needs_shared

ROOT = Path(__file__).resolve().parent.parent
PHONES = [
    {"id": "1", "name": "Nokia 3310 classic phone", "brand": "Nokia", "price": "$59.99"},
    {"id": "2", "name": "Samsung Galaxy S9 smartphone", "brand": "Samsung", "price": "$499"},
    {"id": "3", "name": "Apple iPhone 6 Plus", "brand": "Apple", "price": "$399",
     "categories": ["Phones", "iPhone"]},
]  # fmt: skip


def write_json(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows))
    return path


def test_reingesting_an_unchanged_catalog_embeds_nothing(tmp_path, store, fake_embedder):
    path = write_json(tmp_path / "p.json", PHONES)
    first = ingest(path, "phones", store, fake_embedder, progress=False)
    items = load_catalog(path).items
    texts = sum(len(i.field_texts()) for i in items)  # each field of each item, nothing else
    assert (first.added, first.unchanged, fake_embedder.embedded) == (3, 0, texts)
    again = ingest(path, "phones", store, fake_embedder, progress=False)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert fake_embedder.embedded == texts
    assert store.count("phones") == 3


def test_an_item_vector_is_its_fields_vectors_summed_and_a_repeated_text_is_embedded_once(
    tmp_path, store, fake_embedder
):
    rows = [{**row, "brand": "Acme", "id": str(n)} for n, row in enumerate(PHONES * 2)]
    rows = [{**row, "name": f"{row['name']} {row['id']}"} for row in rows]  # facet lines repeat
    path = write_json(tmp_path / "p.json", rows)
    ingest(path, "phones", store, fake_embedder, progress=False)
    items = load_catalog(path).items
    distinct = {text for item in items for text in item.field_texts().values()}
    assert fake_embedder.embedded == len(distinct) < sum(len(i.field_texts()) for i in items)
    _, vectors = store.vectors("phones", [items[0].id])
    summed = fake_embedder.embed(list(items[0].field_texts().values())).sum(axis=0)
    assert np.allclose(vectors[0], summed / np.linalg.norm(summed), atol=1e-5)


def test_field_vectors_are_stored_and_follow_their_item(tmp_path, store, fake_embedder):
    path = write_json(tmp_path / "p.json", PHONES)
    ingest(path, "phones", store, fake_embedder, progress=False)
    item = load_catalog(path).items[0]
    stored = store.fields("phones", [item.id], ["title", "facets", "description"])
    assert {f for _, f in stored} == set(item.field_texts())
    vector, text = stored[(item.id, "title")]
    assert text == item.title
    assert vector @ fake_embedder.embed([item.title])[0] == pytest.approx(1.0, abs=1e-5)
    write_json(path, PHONES[1:])
    ingest(path, "phones", store, fake_embedder, prune=True, progress=False)
    assert store.fields("phones", [item.id], ["title"]) == {}  # pruned with its item


def test_a_store_written_with_texts_as_documents_is_read_as_before(tmp_path, store, fake_embedder):
    """Stores written before this round keep texts as Chroma documents (now in metadata)."""
    path = write_json(tmp_path / "p.json", PHONES)
    ingest(path, "phones", store, fake_embedder, progress=False)
    item = load_catalog(path).items[0]
    for full in ("items-phones", "fields-phones"):  # rewrite the rows as the old code did
        col = store.client.get_collection(full)
        got = col.get(include=["metadatas", "embeddings"])
        texts = [m.pop("text") for m in got["metadatas"]]
        col.delete(ids=got["ids"])
        col.add(ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"],
                documents=texts)  # fmt: skip
        assert "text" not in col.get(ids=got["ids"][:1], include=["metadatas"])["metadatas"][0]
    old = ItemStore(store.client)
    rows = {row.id: row for row in old.rows("phones")}
    assert rows[item.id].text == item.embedding_text()
    fields = {(f.item, f.field): f.text for f in old.field_rows("phones")}
    assert fields[(item.id, "title")] == item.title
    assert old.fields("phones", [item.id], ["title"])[(item.id, "title")][1] == item.title


def test_a_changed_item_is_updated_and_prune_removes_the_missing(tmp_path, store, fake_embedder):
    path = write_json(tmp_path / "p.json", PHONES)
    ingest(path, "phones", store, fake_embedder, progress=False)
    changed = [dict(PHONES[0], price="$49.99"), PHONES[1]]
    write_json(path, changed)
    kept = ingest(path, "phones", store, fake_embedder, progress=False)
    assert (kept.updated, kept.unchanged, kept.removed, store.count("phones")) == (1, 1, 0, 3)
    pruned = ingest(path, "phones", store, fake_embedder, prune=True, progress=False)
    assert (pruned.removed, store.count("phones")) == (1, 2)
    assert store.get("phones", ["1"])[0].price == 49.99
    assert store.manifest("phones").count == 2


def test_the_manifest_holds_the_facet_vocabulary_and_ranges(tmp_path, store, fake_embedder):
    ingest(write_json(tmp_path / "p.json", PHONES), "phones", store, fake_embedder, progress=False)
    manifest = store.manifest("phones")
    assert manifest.facets["brand"] == {"Nokia": 1, "Samsung": 1, "Apple": 1}
    assert manifest.numbers["price"] == (59.99, 499.0)
    assert store.catalogs() == ["phones"]


def test_facets_filter_in_chroma(tmp_path, store, fake_embedder):
    ingest(write_json(tmp_path / "p.json", PHONES), "phones", store, fake_embedder, progress=False)
    vector = fake_embedder.embed(["phone"])[0]
    assert store.ids("phones", 5, vector, {"f_category": {"$contains": "iPhone"}}) == ["3"]
    assert store.ids("phones", 5, vector, {"price": {"$lt": 100}}) == ["1"]
    assert store.matches("phones", {"price": {"$lt": 100}})
    assert not store.matches("phones", {"price": {"$lt": 10}})


def test_the_nearest_item_comes_first(tmp_path, store, fake_embedder):
    ingest(write_json(tmp_path / "p.json", PHONES), "phones", store, fake_embedder, progress=False)
    vector = fake_embedder.embed(["galaxy smartphone"])[0]
    found = store.ids("phones", 3, vector)
    assert found[0] == "2"
    _, vectors = store.vectors("phones", found)
    assert vectors[0] @ vector > vectors[1] @ vector


def test_a_file_with_only_bad_rows_is_an_error_and_stores_nothing(tmp_path, store, fake_embedder):
    path = write_json(tmp_path / "bad.json", [{"id": "1"}, {"id": "2", "name": ""}])
    with pytest.raises(CatalogError, match="no usable rows"):
        ingest(path, "bad", store, fake_embedder, progress=False)
    assert "bad" not in store.catalogs()


def test_unknown_catalogs_and_bad_names_are_user_errors(store):
    with pytest.raises(UnknownCatalogError, match="concierge ingest"):
        store.manifest("nope")
    with pytest.raises(ConciergeError, match="bad catalog name"):
        store.count("Bad Name!")


def test_an_interrupted_ingest_completes_on_the_next_run(tmp_path, store, fake_embedder):
    path = write_json(tmp_path / "p.json", PHONES)

    class Failing:
        name, dimension = fake_embedder.name, fake_embedder.dimension

        def embed(self, texts):
            raise KeyboardInterrupt  # killed while embedding

    with pytest.raises(KeyboardInterrupt):
        ingest(path, "phones", store, Failing(), progress=False)
    report = ingest(path, "phones", store, fake_embedder, progress=False)
    assert (report.added, store.count("phones"), store.manifest("phones").count) == (3, 3, 3)


SHARED_CATALOGS = [
    ("catalogs/bestbuy_phones.json", "bestbuy_phones.yaml", 3291, 0),
    ("catalogs/ikea_sa.csv", "ikea_sa.yaml", 2962, 0),
    ("catalogs/amazon_in.csv", None, 1351, 0),
    ("catalogs/myntra.csv", None, 12491, 0),
    ("catalogs/bigbasket.csv", "bigbasket.yaml", 27554, 1),
    ("redial/catalog.json", None, 6583, 0),
]


@needs_shared
@pytest.mark.parametrize(("file", "mapping", "count", "skipped"), SHARED_CATALOGS)
def test_every_shared_catalog_maps_every_row(file, mapping, count, skipped):
    mapping_path = ROOT / "data" / "mappings" / mapping if mapping else None
    loaded = load_catalog(SHARED_DATA / file, mapping_path)
    assert (len(loaded.items), len(loaded.skipped)) == (count, skipped)
    assert any(item.facets for item in loaded.items), "categorical fields become facets"
    assert all(item.title for item in loaded.items)


@needs_shared
@pytest.mark.scale
def test_the_largest_shared_catalog_ingests_whole(tmp_path):
    """27,554 rows into Chroma in batches: every row an item or a reported skip, the manifest
    whole. The other shared catalogs are read and mapped above; ingest is the same code."""
    store = ItemStore(make_client(tmp_path))
    small = FakeEmbedder(dimension=16)  # about rows, not similarity: small vectors write fast
    mapping = ROOT / "data" / "mappings" / "bigbasket.yaml"
    report = ingest(SHARED_DATA / "catalogs/bigbasket.csv", "c", store, small, mapping,
                    progress=False)  # fmt: skip
    assert (report.added, len(report.skipped)) == (27554, 1)
    assert store.count("c") == 27554 == store.manifest("c").count
    assert {"brand", "category"} <= set(store.manifest("c").facets)
    item = store.get("c", [next(iter(store.hashes("c")))])[0]
    assert item.title and item.price is not None


@needs_shared
def test_shared_catalogs_get_the_right_ids_prices_and_facets():
    from retrieval.catalog import load_catalog

    mappings = ROOT / "data" / "mappings"
    phones = load_catalog(
        SHARED_DATA / "catalogs/bestbuy_phones.json", mappings / "bestbuy_phones.yaml"
    )
    first = phones.items[0]
    assert (first.id, first.price, first.image_url) == (
        "4984700",
        49.99,
        "https://cdn-demo.algolia.com/bestbuy-0118/4984700_sb.jpg",
    )
    assert first.facets["category"] == ("Cell Phones", "Prepaid Phones", "All Prepaid Phones")
    amazon = load_catalog(SHARED_DATA / "catalogs/amazon_in.csv").items[0]
    assert (amazon.price, amazon.numbers["actual_price"], amazon.facets["category"][0]) == (
        399.0,
        1099.0,
        "Computers&Accessories",
    )
    ikea = load_catalog(SHARED_DATA / "catalogs/ikea_sa.csv", mappings / "ikea_sa.yaml")
    assert ikea.currency == "SAR" and len(ikea.items) == 2962 and ikea.merged == 732
    movies = load_catalog(SHARED_DATA / "redial/catalog.json").items
    pari = next(m for m in movies if m.id == "100026")
    assert pari.facets["director"] == ("Dariush Mehrjui",) and pari.price is None
    myntra = load_catalog(SHARED_DATA / "catalogs/myntra.csv")
    assert myntra.currency == "INR" and myntra.items[0].price == 11745.0
