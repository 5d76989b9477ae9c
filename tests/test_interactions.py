import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.candidates import Constraints
from retrieval.interactions import learn_priors
from retrieval.records import Item


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_popularity_and_co_occurrence(tmp_path):
    rows = [
        {"session": "s1", "item": "a", "event": "view"},
        {"session": "s1", "item": "b", "event": "purchase"},
        {"session": "s2", "item": "a", "event": "like"},
        {"session": "s2", "item": "b", "event": "view"},
        {"session": "s2", "item": "c", "event": "dislike"},
        {"session": "s3", "item": "zzz", "event": "view"},
        {"session": "s3", "event": "view"},
        {"session": "s4", "item": "a", "event": "teleport"},
    ]
    priors = learn_priors(write(tmp_path / "i.jsonl", rows), {"a", "b", "c"})
    assert priors.top == ["b", "a"]  # purchase 3 + view 1 beats like 2 + view 1
    assert priors.popularity["b"] == 1.0 and 0 < priors.popularity["a"] < 1
    assert "c" not in priors.popularity  # a dislike is no vote for popularity
    assert priors.co["a"] == {"b": pytest.approx(2 / (2**0.5 + 1))}
    assert "c" not in priors.co.get("a", {})
    assert (priors.unknown_items, len(priors.skipped), priors.sessions) == (1, 2, 2)
    assert "2 rows skipped" in priors.summary()


def test_priors_round_trip_through_the_store(tmp_path, store, fake_embedder):
    from retrieval.ingest import ingest

    catalog = tmp_path / "c.json"
    catalog.write_text(json.dumps([{"id": i, "name": f"thing {i}"} for i in "abc"]))
    ingest(catalog, "things", store, fake_embedder, progress=False)
    rows = [{"user": "u1", "item_id": "a"}, {"user": "u1", "item_id": "c"}]
    learned = learn_priors(write(tmp_path / "i.csv.jsonl", rows), {"a", "b", "c"})
    store.save_priors("things", learned)
    again = store.priors("things")
    assert (again.popularity, again.co, again.top) == (learned.popularity, learned.co, learned.top)
    store.save_priors("things", learn_priors(write(tmp_path / "j.jsonl", rows[:1]), {"a"}))
    assert store.priors("things").co == {}  # replaced, not merged
    assert store.priors("unknown").popularity == {}


items = st.builds(
    lambda n, price, brands: Item(str(n), f"item {n}", price=price, facets={"brand": brands}),
    st.integers(0, 50),
    st.one_of(st.none(), st.floats(0, 1000)),
    st.lists(st.sampled_from(["A", "B", "C"]), max_size=2, unique=True).map(tuple),
)


@settings(max_examples=200)
@given(items, st.sampled_from(["A", "B", "C"]), st.floats(0, 1000))
def test_excluded_values_and_prices_out_of_range_never_pass(item, refused, ceiling):
    constraints = Constraints(ranges={"price": (None, ceiling)}, exclude={"brand": (refused,)})
    if constraints.admits(item):
        assert refused not in item.facets["brand"]
        assert item.price is not None and item.price <= ceiling
