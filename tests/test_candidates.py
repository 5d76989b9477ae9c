import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.candidates import Constraints, NeedVectors, Weights, retrieve
from retrieval.index import CatalogIndex
from retrieval.ingest import ingest
from retrieval.interactions import Priors
from retrieval.store import ItemStore, make_client
from tests.catalogs import PHONES
from tests.conftest import FakeEmbedder

BRANDS = sorted({p["brand"] for p in PHONES})
COLOURS = sorted({p["colour"] for p in PHONES})


@pytest.fixture(scope="module")
def phones(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("candidates")
    store = ItemStore(make_client(tmp / "data"))
    path = tmp / "phones.json"
    path.write_text(json.dumps(PHONES))
    ingest(path, "phones", store, FakeEmbedder(), progress=False)
    return store


constraints = st.builds(
    lambda low, high, storage, inc, exc, banned: Constraints(
        ranges=({"price": (low, high)} if low is not None or high is not None else {})
        | ({"storage_gb": (storage, None)} if storage else {}),
        include={"colour": tuple(inc)} if inc else {},
        exclude={"brand": tuple(exc)} if exc else {},
        banned=frozenset(banned),
    ),
    st.one_of(st.none(), st.integers(0, 400)),
    st.one_of(st.none(), st.integers(100, 700)),
    st.sampled_from([None, 32, 64]),  # mined from titles: most phones have no storage figure
    st.lists(st.sampled_from(COLOURS), max_size=2, unique=True),
    st.lists(st.sampled_from(BRANDS), max_size=3, unique=True),
    st.lists(st.sampled_from([p["id"] for p in PHONES]), max_size=3),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(constraints)
def test_chroma_filters_the_index_and_the_python_check_agree_and_never_leak(phones, constraints):
    vector = FakeEmbedder().embed(["phone"])[0]
    found = set(phones.ids("phones", 100, vector, constraints.where())) - constraints.banned
    items, _ = phones.vectors("phones", [p["id"] for p in PHONES])
    admitted = {i.id for i in items if constraints.admits(i)}
    assert found == admitted
    index = CatalogIndex.read(phones, "phones")
    c = constraints
    passes = index.mask(c.ranges, c.include, c.exclude, c.banned)
    assert set(index.nearest(vector, 100, passes)) == admitted
    for item in items:
        if item.id in found:
            assert not set(item.facets["brand"]) & set(constraints.exclude.get("brand", ()))


def test_retrieve_fuses_liked_neighbours_and_priors(phones):
    embed = FakeEmbedder().embed
    priors = Priors(popularity={"p9": 1.0}, co={"p5": {"p8": 1.0}}, top=["p9"])
    need = NeedVectors("a phone", embed(["a phone"])[0])
    found = retrieve(phones, "phones", need, Constraints(banned=frozenset({"p5"})),
                     priors=priors, liked={"p5": 1.0}, disliked=["p10"])  # fmt: skip
    ids = [c.item.id for c in found]
    assert "p5" not in ids and ids.index("p8") < 3  # co-occurs with the liked Nokia
    by_id = {c.item.id: c for c in found}
    assert by_id["p9"].parts["popularity"] == 1.0 and by_id["p8"].parts["co"] == 1.0
    assert by_id["p10"].parts["disliked"] == pytest.approx(-1.0)  # its own vector
    assert all(c.score == pytest.approx(sum(c.parts.values())) for c in found)
    assert np.all(np.diff([c.score for c in found]) <= 1e-9)


def test_the_in_memory_index_and_chroma_search_rank_alike(phones):
    """Catalogs too large to hold in memory are searched by Chroma: the same items, same order
    (BM25 lives in the index, so it is off for the comparison)."""
    embed = FakeEmbedder().embed
    need = NeedVectors("samsung smartphone", embed(["samsung smartphone"])[0])
    c = Constraints(ranges={"price": (None, 500)}, exclude={"brand": ("Apple",)})
    w = Weights(lexical=0)
    index = CatalogIndex.read(phones, "phones")
    taste = {"liked": {"p6": 1.0}, "disliked": ["p2"], "weights": w}
    by_chroma = retrieve(phones, "phones", need, c, **taste)
    by_index = retrieve(phones, "phones", need, c, index=index, **taste)
    assert [x.item.id for x in by_index] == [x.item.id for x in by_chroma]
    # the index holds field keys as float16
    assert [x.score for x in by_index] == pytest.approx([x.score for x in by_chroma], abs=1e-3)

    def evidence(found):
        return [[(e.part, e.field, e.snippet) for e in x.evidence] for x in found]

    assert evidence(by_index) == evidence(by_chroma) and any(evidence(by_index))
    assert by_index and all(c.admits(x.item) for x in by_index)


def test_the_index_reads_items_and_field_keys_as_the_store_does(phones):
    index = CatalogIndex.read(phones, "phones")
    ids = ["p3", "nope", "p1"]
    items, vectors = index.items(ids)
    stored_items, stored_vectors = phones.vectors("phones", ids)
    assert items == stored_items and [i.id for i in items] == ["p3", "p1"]
    assert np.array_equal(vectors, stored_vectors)
    names = ("title", "description")
    held, stored = index.fields(ids, names), phones.fields("phones", ids, names)
    assert held.keys() == stored.keys() and ("p1", "title") in held
    for key, (vector, text) in held.items():
        assert text == stored[key][1]
        assert vector.dtype == np.float32
        assert np.abs(vector - stored[key][0]).max() < 1e-3


def test_items_with_more_of_the_named_values_rank_first(tmp_path):
    store = ItemStore(make_client(tmp_path / "data"))
    rows = [{"id": "one", "name": "Film one", "genre": ["horror"]},
            {"id": "all", "name": "Film all", "genre": ["horror", "drama", "comedy"]},
            {"id": "two", "name": "Film two", "genre": ["drama", "comedy", "war"]}]  # fmt: skip
    (tmp_path / "films.json").write_text(json.dumps(rows))
    ingest(tmp_path / "films.json", "films", store, FakeEmbedder(), progress=False)
    need = NeedVectors("a film", FakeEmbedder().embed(["a film"])[0])
    named = Constraints(include={"genre": ("horror", "drama", "comedy")})
    w = Weights(dense=0, matched=1.0)
    found = retrieve(store, "films", need, named, weights=w)
    assert [c.item.id for c in found] == ["all", "two", "one"]
    assert [c.parts["matched"] for c in found] == pytest.approx([1.0, 2 / 3, 1 / 3])
    single = retrieve(store, "films", need, Constraints(include={"genre": ("drama",)}),
                      weights=w)  # fmt: skip
    assert {c.parts["matched"] for c in single} == {0.0}  # one value named: nothing to share


def test_items_sharing_facet_values_with_a_liked_item_rank_first(tmp_path):
    store = ItemStore(make_client(tmp_path / "data"))
    rows = [{"id": "ref", "name": "The reference", "genre": ["horror"], "director": ["Ann"]},
            {"id": "same", "name": "By Ann", "genre": ["horror"], "director": ["Ann"]},
            {"id": "half", "name": "Also horror", "genre": ["horror"], "director": ["Bo"]},
            {"id": "none", "name": "Other", "genre": ["comedy"], "director": ["Cy"]}]  # fmt: skip
    (tmp_path / "films.json").write_text(json.dumps(rows))
    ingest(tmp_path / "films.json", "films", store, FakeEmbedder(), progress=False)
    need = NeedVectors("a film", FakeEmbedder().embed(["a film"])[0])
    w = Weights(dense=0, liked=0, shared=1.0)
    liked = Constraints(banned=frozenset({"ref"}))
    found = retrieve(store, "films", need, liked, liked={"ref": 0.5}, weights=w)
    assert [c.item.id for c in found] == ["same", "half", "none"]
    # Jaccard of (facet, value) pairs, times the liked item's weight
    assert [c.parts["shared"] for c in found] == pytest.approx([0.5, 0.5 / 3, 0.0])
    nobody = retrieve(store, "films", need, liked, weights=w)
    assert {c.parts["shared"] for c in nobody} == {0.0}


def test_the_need_leans_toward_what_its_nearest_items_agree_on(tmp_path):
    """Pseudo-relevance feedback: one kettle is the single nearest item to "no hot water in the
    morning", but four water heaters follow it; moved toward their mean, the need ranks the
    heaters first. Without feedback the kettle stays first."""

    class Table:  # each item's vector by a word of its text; the heaters spread a little
        name, dimension = "table", 3

        def embed(self, texts):
            out = []
            for t in texts:
                n = sum(map(ord, t)) % 3 - 1  # -1, 0 or 1
                v = [0.8, 0.6, 0.0] if "kettle" in t else [0.78, -0.6, 0.17 * n]
                out.append(np.array(v, np.float32) / np.linalg.norm(v))
            return np.array(out)

    store = ItemStore(make_client(tmp_path / "data"))
    rows = [{"id": "kettle", "name": "Electric kettle"}] + [
        {"id": f"h{n}", "name": f"Water heater {n}"} for n in range(4)
    ]
    (tmp_path / "shop.json").write_text(json.dumps(rows))
    ingest(tmp_path / "shop.json", "shop", store, Table(), progress=False)
    need = NeedVectors("", np.array([1.0, 0.0, 0.0], np.float32))
    alone = Weights(lexical=0, popularity=0, fields=False, feedback=0)
    assert retrieve(store, "shop", need, Constraints(), weights=alone)[0].item.id == "kettle"
    fed = retrieve(store, "shop", need, Constraints(), weights=replace(alone, feedback=1.0))
    assert fed[0].item.id.startswith("h") and fed[-1].item.id == "kettle"
