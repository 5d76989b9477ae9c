import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.candidates import Constraints, retrieve
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
    lambda low, high, inc, exc: Constraints(
        ranges={"price": (low, high)} if low is not None or high is not None else {},
        include={"colour": tuple(inc)} if inc else {},
        exclude={"brand": tuple(exc)} if exc else {},
    ),
    st.one_of(st.none(), st.integers(0, 400)),
    st.one_of(st.none(), st.integers(100, 700)),
    st.lists(st.sampled_from(COLOURS), max_size=2, unique=True),
    st.lists(st.sampled_from(BRANDS), max_size=3, unique=True),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(constraints)
def test_chroma_filters_and_the_python_check_agree_and_never_leak(phones, constraints):
    vector = FakeEmbedder().embed(["phone"])[0]
    found = set(phones.ids("phones", 100, vector, constraints.where()))
    items, _ = phones.vectors("phones", [p["id"] for p in PHONES])
    assert found == {i.id for i in items if constraints.admits(i)}
    for item in items:
        if item.id in found:
            assert not set(item.facets["brand"]) & set(constraints.exclude.get("brand", ()))


def test_retrieve_fuses_liked_neighbours_and_priors(phones):
    embed = FakeEmbedder().embed
    priors = Priors(popularity={"p9": 1.0}, co={"p5": {"p8": 1.0}}, top=["p9"])
    found = retrieve(phones, "phones", embed(["a phone"])[0], Constraints(banned=frozenset({"p5"})),
                     priors, {"p5": 1.0}, ["p10"])  # fmt: skip
    ids = [c.item.id for c in found]
    assert "p5" not in ids and ids.index("p8") < 3  # co-occurs with the liked Nokia
    by_id = {c.item.id: c for c in found}
    assert by_id["p9"].parts["popularity"] == 1.0 and by_id["p8"].parts["co"] == 1.0
    assert by_id["p10"].parts["disliked"] == pytest.approx(-1.0)  # its own vector
    assert all(c.score == pytest.approx(sum(c.parts.values())) for c in found)
    assert np.all(np.diff([c.score for c in found]) <= 1e-9)
