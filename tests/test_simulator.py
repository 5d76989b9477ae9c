"""The simulated user: it speaks only from the target's attributes, its budgets and features
read back (through the bot's own parsers) as ranges that admit the target, and a dialogue with
the bot ends when the target is shown."""

import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine import Engine
from bot.state import DialogueState, Need
from bot.understanding.budget import parse_ranges
from bot.understanding.measures import parse_measures
from bot.understanding.understand import understand
from bot.understanding.vocabulary import Vocabulary
from eval import simulator
from eval.simulate import TURNS, talk
from eval.simulator import (
    FEATURES,
    broad_category,
    movie_user,
    opener,
    price_band,
    shopper,
)
from retrieval.catalog import load_catalog
from retrieval.records import Item
from retrieval.store import ItemStore, make_client
from tests.catalogs import PHONES
from tests.conftest import ROOT, FakeEmbedder, engine_over

CATALOGS = {
    "phones": (ROOT / "data/bestbuy_phones.json", ROOT / "data/mappings/bestbuy_phones.yaml"),
    "ikea": (ROOT / "data/ikea_sa.csv", ROOT / "data/mappings/ikea_sa.yaml"),
}


@pytest.fixture(scope="module")
def shipped() -> dict[str, list[Item]]:
    return {name: load_catalog(*paths).items for name, paths in CATALOGS.items()}


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


TEMPLATES = [*simulator.ANSWERS.values(), simulator.DEFAULT_ANSWER, simulator.OPENERS,
             simulator.NO_PREFERENCE, simulator.TURN_DOWN, FEATURES.values()]  # fmt: skip
TEMPLATE_WORDS = words(
    " ".join(t for group in TEMPLATES for t in group)
    + " my budget is under somewhere between and around riyals specifically what else do you have"
)


def everything_said(item: Item, broad: str, rng: random.Random) -> list[str]:
    user = shopper(item, broad, "SAR", rng)
    said = [opener(broad, rng), *user.clues]
    said += [user.answer(facet, []) for facet in [*item.facets, "unknown"]]
    return said


@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_the_shopper_speaks_only_from_attributes(shipped, catalog):
    rng = random.Random(3)
    for item in rng.sample(shipped[catalog], 150):
        allowed = TEMPLATE_WORDS | words(" ".join(v for vs in item.facets.values() for v in vs))
        for text in everything_said(item, broad_category(item, {}), rng):
            assert item.id not in re.findall(r"\w+", text)
            assert item.title not in text
            assert words(text) <= allowed, (text, item.title)


@given(price=st.floats(0.5, 60_000), currency=st.sampled_from(["USD", "INR", "SAR", None]),
       seed=st.integers(0, 1000))  # fmt: skip
def test_a_stated_budget_admits_the_price(price, currency, seed):
    band = price_band(price, currency, random.Random(seed))
    found = parse_ranges(band).price
    assert found is not None and found.admits(price), band


@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_stated_features_admit_the_target(shipped, catalog):
    items = shipped[catalog]
    quantiles = {name: [1.0, 2.0, 3.0] for name in FEATURES}
    checked = 0
    for item in items:
        for name in FEATURES:
            if name in item.numbers:
                clue = FEATURES[name].format(v=item.numbers[name])
                ranges = parse_measures(clue, quantiles)
                assert list(ranges) == [name] and ranges[name].admits(item.numbers[name]), clue
                checked += 1
    assert checked > 100


def test_the_movie_user_names_every_value_or_one_and_has_no_preference_otherwise():
    a = Item(id="1", title="A (2000)", facets={"genre": ("horror",), "star": ("Essie Davis",)})
    b = Item(id="2", title="B (2001)", facets={"genre": ("drama", "horror")})
    user = movie_user([a, b], random.Random(0))
    answers = [user.answer("genre", []) for _ in range(20)]
    every = [a for a in answers if "horror" in a and "drama" in a]
    assert every and len(every) < len(answers)  # sometimes all, sometimes one (seeded)
    vocabulary = Vocabulary({"genre": {"horror": 2, "drama": 1}, "director": {"X Y": 1}}, {},
                            FakeEmbedder().embed)  # fmt: skip
    need = Need(pending="director")
    understand(need, user.answer("director", ["X Y"]), vocabulary)
    assert "director" in need.answered and "director" not in need.include  # "no preference"
    need = Need(pending="genre")
    understand(need, every[0], vocabulary)
    assert sorted(need.include["genre"]) == ["drama", "horror"]


def test_an_answer_prefers_the_offered_value_and_the_finest_category():
    item = Item(id="9", title="t", facets={"category": ("Phones", "Cases", "Slim cases")})
    user = shopper(item, "Cases", "USD", random.Random(1))
    assert "Cases" in user.answer("category", ["Cases", "Chargers"])
    assert "Slim cases" in user.answer("category", ["Chargers"])


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    tmp: Path = tmp_path_factory.mktemp("simulated")
    store = ItemStore(make_client(tmp / "data"))
    return engine_over(store, FakeEmbedder(), {"phones": PHONES}, tmp, k=3, max_questions=2)


@pytest.mark.parametrize("target_id", ["p9", "p5", "p11"])
def test_a_dialogue_ends_when_the_target_is_shown(engine, target_id):
    (target,) = engine.store.get("phones", [target_id])
    user = shopper(target, "Cell Phones", "USD", random.Random(target_id))
    dialogue = talk(engine, DialogueState(catalog="phones"), "I'm looking for a phone.", user,
                    {target_id}, listed=3)  # fmt: skip
    assert dialogue.success is not None and dialogue.success <= TURNS, user.said
    assert len(dialogue.rankings) == TURNS
    assert target_id in dialogue.rankings[-1][:3]


def test_a_turned_down_list_is_not_shown_again(engine):
    state = DialogueState(catalog="phones")
    first = engine.turn(state, "a Samsung or Apple phone", 3, ask=False)
    again = engine.turn(state, "None of these.", 3)
    shown = {i.id for i in first.items}
    assert first.items and not shown & {i.id for i in again.items}
    assert not shown & set(again.ranking)


def test_the_natural_shopper_speaks_in_everyday_words_and_never_names_a_category():
    from eval.simulator import natural_opener, natural_shopper

    target = Item(id="p", title="Samsung - Galaxy S7 32GB - Black", price=499.0,
                  facets={"type": ("phone",), "brand": ("Samsung",),
                          "category": ("Cell Phones", "Unlocked Cell Phones")})  # fmt: skip
    openers = {natural_opener(target, random.Random(n)) for n in range(40)}
    assert len(openers) > 10  # varied, seeded
    assert not any("Cell Phones" in o or "Unlocked" in o for o in openers)
    assert any(("phone" in o or "smartphone" in o) for o in openers)
    clean = {t.format(v=v, p=p) for t in simulator.NATURAL_OPENERS for p in simulator.PEOPLE
             for v in simulator.EVERYDAY["phone"]}  # fmt: skip
    assert openers - clean and openers & clean  # some with a typo, most without
    user = natural_shopper(target, "USD", random.Random(1))
    assert user.answer("category", ["Unlocked Cell Phones"]) in simulator.NO_PREFERENCE
    assert not any("Specifically" in c for c in user.clues)
