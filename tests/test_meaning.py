"""The kind of thing read by meaning when no word names it, and the follow-ups, negations,
group questions and shop questions of issue 31 (fakes; the real models are tested below)."""

import numpy as np
import pytest

from bot.answering.items import compare
from bot.answering.support import answer_policy, is_shop_question
from bot.state import Need
from bot.understanding.meaning import Guess, KindsByMeaning
from bot.understanding.understand import understand
from bot.understanding.vocabulary import Vocabulary
from retrieval.records import Item, Passage

# Three axes: warmth, writing, sitting. Items of each type point along theirs.
AXES = {"heater": 0, "notebook": 1, "chair": 2}


def _embed(texts):
    out = np.zeros((len(texts), 3), np.float32)
    for n, text in enumerate(texts):
        words = text.lower()
        out[n, 0] = 1.0 if any(w in words for w in ("heater", "freezing", "cold", "warm")) else 0
        out[n, 1] = 1.0 if any(w in words for w in ("notebook", "study", "write")) else 0
        out[n, 2] = 1.0 if any(w in words for w in ("chair", "sit")) else 0
        out[n] /= np.linalg.norm(out[n]) or 1.0
    return out


@pytest.fixture
def kinds():
    items = [t for t in AXES for _ in range(4)]
    vectors = _embed(items)
    rows = {t: [n for n, i in enumerate(items) if i == t] for t in AXES}
    found = KindsByMeaning.of(vectors, rows, _embed)
    assert found is not None
    return found


def test_a_situation_reaches_the_type_that_addresses_it(kinds):
    found = kinds.guess("so cold here", list(_embed(["so cold here"])))
    assert found.kinds == ("heater",)


def test_what_they_have_or_where_is_scored_apart_and_never_guessed(kinds):
    """ "freezing in my study": the study pulls notebooks in; scored without it too, the
    heater wins; and a type the person owns is never the answer."""
    both = list(_embed(["freezing in my study", "freezing in"]))
    assert kinds.guess("freezing in my study", both).kinds[0] == "heater"
    owned = kinds.guess("so cold here", list(_embed(["so cold here"])), owned=frozenset({"heater"}))
    assert "heater" not in owned.kinds


def test_a_guess_the_nearest_items_do_not_bear_out_is_no_filter():
    """A type that only echoes a word in its name, with none of the request's nearest items
    of it, is dropped: the words rank as they are."""
    items = ["heater"] * 4 + ["chair"] * 4
    vectors = _embed(items)
    vectors[:4] = _embed(["chair"])  # the "heaters" are about sitting: the name alone says warm
    rows = {"heater": [0, 1, 2, 3], "chair": [4, 5, 6, 7]}
    kinds = KindsByMeaning.of(vectors, rows, _embed)
    assert kinds is not None
    assert kinds.guess("cold", list(_embed(["cold"]))).kinds == ()


def test_a_catalog_without_types_has_no_reading_by_meaning():
    assert KindsByMeaning.of(np.zeros((3, 3), np.float32), {}, _embed) is None


TYPES = {"type": {"phone": 5, "case": 9, "heater": 4}, "brand": {"Samsung": 4, "Nokia": 3}}


@pytest.fixture
def vocabulary():
    return Vocabulary(TYPES, {"p1": "Nokia 3310 phone", "p2": "Samsung Galaxy phone"}, _embed)


def _guesser(calls):
    def guess(said, without, owned):
        calls.append((said, without, owned))
        return Guess(("heater",), "embedder")

    return guess


def test_the_guess_is_asked_only_when_no_word_names_the_thing(vocabulary):
    calls: list = []
    need = Need()
    understand(need, "it's freezing in my study", vocabulary, guess=_guesser(calls))
    assert need.include["type"] == ["heater"]
    assert need.readings[0].startswith("the kind of thing, by meaning")
    assert calls and calls[0][1] == "its freezing in"  # "my study" is where, scored apart
    understand(need, "something cheaper", vocabulary, guess=_guesser(calls))
    assert need.include["type"] == ["heater"] and len(calls) == 1  # the kind survives
    other = Need()
    understand(other, "a cheap phone", vocabulary, guess=_guesser(calls))
    assert other.include["type"] == ["phone"] and len(calls) == 1


def test_what_the_person_owns_is_passed_as_not_the_answer(vocabulary):
    calls: list = []
    understand(Need(), "I'm always on the road and my phone dies", vocabulary,
               guess=_guesser(calls))  # fmt: skip
    assert calls[0][2] == frozenset({"phone"})


def test_someone_named_after_my_who_needs_a_thing_asks_for_that_thing(vocabulary):
    need = Need()
    understand(need, "my dad needs a new phone, he hates touchscreens", vocabulary)
    assert need.include["type"] == ["phone"]
    assert "touchscreens" in need.avoid


@pytest.mark.parametrize("said", ["anything but Samsung", "a phone, anything but samsung please",
                                  "no samsung please", "a phone that isn't a Samsung"])  # fmt: skip
def test_negation_in_everyday_forms_excludes(vocabulary, said):
    need = Need()
    understand(need, said, vocabulary)
    assert need.exclude.get("brand") == ["Samsung"]
    assert "Samsung" not in need.include.get("brand", [])


def _item(n, title, battery=None, price=None):
    numbers = {"battery_mah": battery} if battery else {}
    return Item(id=str(n), title=title, price=price, numbers=numbers)


def test_a_question_about_the_shown_items_as_a_group_gets_one_comparing_answer():
    items = [_item(1, "Moto", 3000, 199.0), _item(2, "Nokia", 1200, 49.0), _item(3, "LG", None)]

    def price(p):
        return f"${p:,.2f}"

    found = compare(items, "which one has the biggest battery?", price)
    assert found is not None and found[1] == "1"  # about the Moto only
    said = found[0]
    assert said.startswith("Of these, Moto has the biggest battery: 3000 mAh")
    assert "Only 2 of the 3 listings give it." in said
    assert (
        "Nokia is the cheapest: $49.00"
        in ((compare(items, "which is the cheapest?", price) or ("", None))[0])
    )
    nothing = "None of their listings gives the weight, so I can't compare them on it."
    assert compare(items, "which is the lightest?", price) == (nothing, None)
    assert compare(items, "does it come in red?", price) is None


@pytest.mark.parametrize("said", ["do you price match?", "can I pay with a gift card?",
                                  "Do you guys price match"])  # fmt: skip
def test_a_question_to_the_shop_is_not_a_product_search(said):
    assert is_shop_question(said)


@pytest.mark.parametrize("said", ["do you have phones with big screens?", "can you show me cases",
                                  "does it come in red?", "is this one waterproof?"])  # fmt: skip
def test_a_request_for_items_or_about_one_is_not_a_shop_question(said):
    assert not is_shop_question(said)


def test_a_shop_question_no_document_covers_says_what_they_do_cover():
    passages = [Passage(id="returns.md#0", doc="Returns", section="Window", source="returns.md",
                        text="You can return a phone within 15 days.")]  # fmt: skip
    found = answer_policy("do you price match?", passages, None, None)
    assert found.passage is None
    assert "they cover returns" in found.text and "talk to a person" in found.text


@pytest.mark.real
def test_the_packaged_chat_model_ranks_the_types_that_answer_a_situation(model_cache):
    """The packaged SmolLM2 through the shared prompt cache: a calibrated score per type, the
    same whether the cache is read once or again, and the answer to the situation first."""
    from bot.llm import build_chat_model
    from bot.settings import Settings
    from bot.understanding.likelihood import TypeLikelihood

    scorer = TypeLikelihood.of(build_chat_model(Settings(model_cache_dir=model_cache)))
    assert scorer is not None
    types = ["notebook", "heater", "chair", "wardrobe", "lamp", "bookcase"]
    first = scorer.scores("it's freezing in my study", types)
    assert max(first, key=first.__getitem__) == "heater"
    again = scorer.scores("it's freezing in my study", types)
    assert all(abs(first[t] - again[t]) < 1e-3 for t in types)
    books = scorer.scores("my books are piling up on the floor", types)
    assert max(books, key=books.__getitem__) == "bookcase"


def test_a_phrase_said_with_a_negation_removes_the_items_whose_titles_say_it(
    store, fake_embedder, tmp_path
):
    from bot.state import DialogueState
    from tests.conftest import engine_over

    titles = ["Sony Wireless Headphones", "Wired Studio Headphones",
              "JBL Wireless Headphones Black", "Koss Headphones"]  # fmt: skip
    rows = [{"id": str(n), "title": t, "price": 20 + n, "category": ["Headphones"]}
            for n, t in enumerate(titles)]  # fmt: skip
    engine = engine_over(store, fake_embedder, {"audio": rows}, tmp_path)
    state = DialogueState(catalog="audio")
    turn = engine.turn(state, "headphones that aren't wireless", ask=False)
    assert "wireless" in state.need.avoid
    assert turn.ranking and set(turn.ranking) <= {"1", "3"}


def test_not_that_brand_refuses_the_brand_of_the_item_shown_first(vocabulary):
    """ "not that brand" after a list: the first shown item's brand (or the one named by
    position; "those brands": all shown) is refused, and the words are not a want."""
    shown = [Item(id="p2", title="Samsung Galaxy phone", facets={"brand": ("Samsung",)}),
             Item(id="p1", title="Nokia 3310 phone", facets={"brand": ("Nokia",)})]  # fmt: skip
    need = Need(last_shown=["p2", "p1"], include={"type": ["phone"]})
    understand(need, "not that brand", vocabulary, lambda: shown)
    assert need.exclude == {"brand": ["Samsung"]} and not need.wants
    need = Need(last_shown=["p2", "p1"])
    understand(need, "none of those brands", vocabulary, lambda: shown)
    assert need.exclude == {"brand": ["Samsung", "Nokia"]}
    need = Need(last_shown=["p2", "p1"])
    understand(need, "I like that brand", vocabulary, lambda: shown)
    assert need.include.get("brand") == ["Samsung"]


def test_that_colour_where_the_catalog_lists_none_is_said_not_ignored(
    store, fake_embedder, tmp_path
):
    from bot.state import DialogueState
    from tests.conftest import engine_over

    rows = [{"id": str(n), "title": f"Sofa {n}", "price": 100 + n, "category": ["Sofas"]}
            for n in range(4)]  # fmt: skip
    engine = engine_over(store, fake_embedder, {"sofas": rows}, tmp_path, max_questions=0)
    state = DialogueState(catalog="sofas")
    engine.respond(state, "a sofa")
    turn = engine.respond(state, "not that colour")
    assert "This catalog doesn't list colour" in turn.reply
    assert turn.items  # the list stays
