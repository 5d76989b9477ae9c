"""Scripted multi-turn conversations on phones, furniture and movies: the Need and the action
after every turn. Real Chroma (embedded), the fake embedder, no LLM (the fixed lead-in)."""

import json

import pytest

from bot.engine import Engine, Turn
from bot.state import DialogueState
from retrieval.interactions import learn_priors
from retrieval.store import ItemStore, make_client
from tests.catalogs import FURNITURE, MOVIE_SESSIONS, MOVIES, PHONES
from tests.conftest import FakeEmbedder, engine_over


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("conversations")
    store = ItemStore(make_client(tmp / "data"))
    catalogs = {"phones": PHONES, "furniture": FURNITURE, "movies": MOVIES}
    engine = engine_over(store, FakeEmbedder(), catalogs, tmp, k=3, max_questions=2)
    events = tmp / "events.jsonl"
    events.write_text("".join(
        json.dumps({"session": str(n), "item": item, "event": "mention"}) + "\n"
        for n, session in enumerate(MOVIE_SESSIONS) for item in session
    ))  # fmt: skip
    store.save_priors("movies", learn_priors(events, set(MOVIES)))  # read at the first turn
    return engine


class Talk:
    def __init__(self, engine: Engine, catalog: str) -> None:
        self.engine = engine
        self.state = DialogueState(catalog=catalog)

    def __call__(self, message: str) -> Turn:
        return self.engine.respond(self.state, message)

    @property
    def need(self):
        return self.state.need


def ids(turn: Turn) -> list[str]:
    return [i.id for i in turn.items]


@pytest.fixture
def phones(engine):
    return Talk(engine, "phones")


@pytest.fixture
def furniture(engine):
    return Talk(engine, "furniture")


@pytest.fixture
def movies(engine):
    return Talk(engine, "movies")


def price(need) -> tuple:
    r = need.ranges.get("price")
    return (r.min, r.max) if r else (None, None)


# --- phones ---------------------------------------------------------------------------------


def test_a_budget_then_a_brand_narrow_the_list(phones):
    turn = phones("a phone under $300")
    assert turn.action == "recommend" and price(phones.need) == (None, 300)
    assert all(i.price <= 300 for i in turn.items)
    turn = phones("Samsung")
    assert phones.need.include == {"type": ["phone"], "brand": ["Samsung"]}
    assert ids(turn) and all(i.attributes["brand"] == ["Samsung"] for i in turn.items)
    assert all(i.price <= 300 for i in turn.items)  # the earlier budget still holds


def test_cheaper_lowers_the_budget_below_most_of_what_was_shown(phones):
    shown = phones("an Apple or Samsung smartphone between 150 and 700")
    assert price(phones.need) == (150, 700)
    prices = sorted(i.price for i in shown.items)
    middle = prices[len(prices) // 2]
    turn = phones("cheaper")
    assert price(phones.need) == (None, round(middle * 0.95, 2))
    assert turn.items and all(i.price < middle for i in turn.items)


def test_a_bit_more_expensive_raises_the_ceiling(phones):
    phones("a phone under $200")
    phones("a bit more expensive is fine")
    assert price(phones.need) == (None, 300)


def test_a_misspelt_brand_is_matched_fuzzily(phones):
    turn = phones("samsng phone")
    assert phones.need.include == {"type": ["phone"], "brand": ["Samsung"]}
    assert {i.id for i in turn.items} <= {"p1", "p2", "p11"}


def test_a_correction_replaces_the_brand_and_refuses_the_old_one(phones):
    phones("a Samsung phone")
    turn = phones("actually Apple, not Samsung")
    assert phones.need.include == {"type": ["phone"], "brand": ["Apple"]}
    assert phones.need.exclude == {"brand": ["Samsung"]}
    assert turn.items and all(i.attributes["brand"] == ["Apple"] for i in turn.items)


def test_no_brand_excludes_it_in_every_later_turn(phones):
    phones("no Samsung")
    assert phones.need.exclude == {"brand": ["Samsung"]}
    for message in ("a smartphone", "under $700", "show me more"):
        turn = phones(message)
        assert all(i.attributes["brand"] != ["Samsung"] for i in turn.items)


def test_without_a_contract_becomes_a_phrase_to_avoid(phones):
    phones("a phone without a contract")
    assert phones.need.avoid == ["contract"]
    assert phones.need.wants == ["a phone"]  # the negated words do not pull the query


def test_a_vague_opener_gets_a_question_with_options_from_the_candidates(phones):
    turn = phones("a smartphone")
    assert turn.action == "ask" and turn.items == []
    assert turn.question["facet"] == "brand" and phones.need.pending == "brand"
    assert 2 <= len(turn.question["options"]) <= 6
    assert set(turn.question["options"]) <= {p["brand"] for p in PHONES}
    assert "brand" in turn.reply and turn.question["options"][0] in turn.reply


def test_answering_the_question_with_an_option_sets_the_facet(phones):
    options = phones("a smartphone").question["options"]
    turn = phones(options[1])
    assert phones.need.include == {"type": ["phone"], "brand": [options[1]]}
    assert phones.need.pending is None and "brand" in phones.need.answered
    assert all(i.attributes["brand"] == [options[1]] for i in turn.items)


def test_any_settles_the_question_and_it_is_never_asked_again(phones):
    assert phones("a smartphone").question["facet"] == "brand"
    turn = phones("any")
    assert "brand" in phones.need.answered and phones.need.include == {"type": ["phone"]}
    assert turn.action == "recommend" or turn.question["facet"] != "brand"
    for message in ("something good", "show me some"):
        turn = phones(message)
        assert turn.question is None or turn.question["facet"] != "brand"


def test_at_most_two_questions_then_a_recommendation(phones):
    actions = [phones(m).action for m in ("a smartphone", "don't care", "no preference", "hmm")]
    assert actions.count("ask") <= 2 and actions[-1] == "recommend"
    assert len(phones.need.asked) <= 2


def test_a_question_passed_over_to_say_something_else_gets_items_not_another_question(phones):
    assert phones("a smartphone").action == "ask"
    turn = phones("it's for my mom, she mostly makes calls")
    assert phones.need.pending is None and "brand" not in phones.need.answered
    assert turn.action == "recommend" and turn.items


def test_the_second_one_is_liked_and_similar_items_follow(phones):
    shown = phones("an Apple or Samsung smartphone under $700")
    second = shown.items[1].id
    turn = phones("the second one")
    assert phones.need.liked == [second]
    assert second not in ids(turn)  # others like it, not the same one again


def test_hash_numbers_and_not_that_one(phones):
    shown = phones("a Nokia or Motorola phone")
    assert len(shown.items) >= 2
    phones("#2")
    assert phones.need.liked == [shown.items[1].id]
    latest = phones.need.last_shown[0]
    turn = phones("not that one")
    assert latest in phones.need.disliked and latest not in ids(turn)


def test_more_like_the_nokia_refers_to_a_shown_item(phones):
    shown = phones("a phone under $100 with 3+ stars")
    nokia = next(i.id for i in shown.items if "Nokia" in i.title)
    phones("more like the Nokia")
    assert phones.need.liked == [nokia]
    assert "brand" not in phones.need.include  # a reference, not a brand filter


def test_show_me_more_never_repeats_and_ends_politely(phones):
    seen: list[str] = []
    turn = phones("an Apple phone")
    while turn.items:
        assert not set(ids(turn)) & set(seen)
        seen += ids(turn)
        turn = phones("show me more")
    assert turn.action == "answer" and "everything I have" in turn.reply
    assert set(seen) == {"p3", "p4"}  # not the Apple charger cable: it is not a phone


def test_start_over_clears_the_need(phones):
    phones("no Samsung under $300")
    turn = phones("start over")
    assert turn.action == "answer" and "start over" in turn.reply.lower()
    assert phones.need.model_dump() == type(phones.need)().model_dump()
    assert phones("a Samsung phone").items  # Samsung is no longer refused


def test_start_over_with_a_new_need_in_the_same_message(phones):
    phones("Samsung only")
    turn = phones("let's start over: a Motorola phone")
    assert phones.need.include == {"type": ["phone"], "brand": ["Motorola"]}
    assert turn.action == "recommend"


def test_ratings_and_colours(phones):
    turn = phones("a red phone with 4+ stars")
    assert phones.need.include == {"type": ["phone"], "colour": ["Red"]}
    assert phones.need.ranges["rating"].min == 4
    assert [i.id for i in turn.items] == ["p4", "p11"] or all(
        i.attributes["rating"] >= 4 and i.attributes["colour"] == ["Red"] for i in turn.items
    )


def test_a_constraint_that_empties_the_set_is_left_out_and_named(phones):
    phones("a Google phone")
    turn = phones("under $100")  # no Google phone is that cheap
    assert turn.action == "recommend" and all(i.price <= 100 for i in turn.items)
    assert "leave out the brand Google" in turn.reply
    assert phones.need.include["brand"] == ["Google"]  # the person decides; the need keeps it
    assert all("phone" in i.facets["type"] for i in phones.engine.store.get(
        "phones", [i.id for i in turn.items]))  # fmt: skip  # never another kind of thing


def test_a_budget_nothing_meets_is_left_out_and_said(phones):
    phones("a phone")
    turn = phones("under $10")
    assert turn.action == "recommend" and "leave out the price range" in turn.reply
    assert phones.need.ranges["price"].max == 10


# --- furniture ------------------------------------------------------------------------------


def test_a_sofa_under_a_riyal_budget(furniture):
    turn = furniture("a sofa under SR 1000")
    assert furniture.need.include == {"category": ["Sofas"]} or "sofa" in furniture.need.wants[0]
    assert price(furniture.need) == (None, 1000) and ids(turn) == ["f6"]


def test_a_vague_furniture_need_asks_what_kind_first(furniture):
    turn = furniture("something for the bedroom")
    assert turn.action == "ask" and turn.question["facet"] == "type"
    assert "bed" in turn.question["options"]
    turn = furniture("bed")
    assert furniture.need.include == {"type": ["bed"]}
    assert set(ids(turn)) == {"f1", "f2"}


def test_a_designer_name_with_accents(furniture):
    turn = furniture("chairs by Ehlen Johansson")
    # the type says what kind of thing; the category named beside it is only words
    assert furniture.need.include == {"type": ["chair"], "designer": ["Ehlén Johansson"]}
    assert ids(turn) == ["f4"]


def test_no_wardrobes(furniture):
    furniture("no wardrobes please")
    turn = furniture("something white")
    assert furniture.need.exclude == {"category": ["Wardrobes"], "type": ["wardrobe"]}
    assert not {"f7", "f8"} & set(ids(turn))


# --- movies ---------------------------------------------------------------------------------


def test_a_genre_and_a_liked_movie(movies):
    turn = movies("a good horror movie like The Babadook (2014)")
    assert movies.need.include == {"genre": ["horror"]} and movies.need.liked == ["m1"]
    assert turn.action == "recommend"
    assert ids(turn)[0] in {"m1", "m3", "m2"} and "m3" in ids(turn)  # co-mentioned with it


def test_a_bare_title_is_recognised_and_its_neighbours_come_first(movies):
    turn = movies("something like Super Troopers")
    assert movies.need.liked == ["m5"]
    assert set(ids(turn)[:2]) == {"m6", "m8"}  # mentioned with it in the interactions


def test_hating_a_genre_and_disliking_a_title(movies):
    movies("I hate horror")
    assert movies.need.exclude == {"genre": ["horror"]}
    movies("I didn't like Step Brothers (2008)")
    turn = movies("a comedy")
    assert movies.need.disliked == ["m6"]
    assert "m6" not in ids(turn) and not {"m1", "m2", "m3", "m4"} & set(ids(turn))


def test_a_star_is_a_facet(movies):
    turn = movies("something with Will Ferrell")
    assert movies.need.include == {"star": ["Will Ferrell"]}
    assert set(ids(turn)) == {"m6", "m7"}


def test_later_genre_replaces_earlier_unless_added(movies):
    movies("a comedy")
    movies("actually romance")
    assert movies.need.include == {"genre": ["romance"]}
    movies("or action too")
    assert movies.need.include == {"genre": ["romance", "action"]}


def test_a_storage_floor_read_from_titles_filters(phones):
    turn = phones("a phone with at least 64GB")
    assert phones.need.ranges["storage_gb"].min == 64
    assert set(ids(turn)) == {"p1", "p3"}  # the only titles that say 64GB
    assert all(i.attributes["storage_gb"] >= 64 for i in turn.items)


def test_an_exact_product_name_is_a_request_and_ranks_first(phones):
    turn = phones("Apple iPhone 6 Plus 64GB")
    assert ids(turn)[0] == "p3" and phones.need.requested == ["p3"]


def test_a_product_named_as_a_reference_is_not_shown_again(phones):
    turn = phones("something like the Apple iPhone 6 Plus 64GB")
    assert "p3" not in ids(turn) and phones.need.liked == ["p3"]


def test_items_carry_their_weight_and_evidence(phones):
    turn = phones("a samsung smartphone")
    top = turn.items[0]
    assert top.weight == 1.0 and all(0 < i.weight <= 1 for i in turn.items)
    parts = {e["part"] for e in top.evidence}
    assert "need" in parts and "brand: Samsung" in parts
    assert all(e["snippet"] for e in top.evidence)


# --- questions about the items shown --------------------------------------------------------


def test_questions_about_shown_items_are_answered_from_their_attributes(phones):
    first = phones("a Motorola phone, any colour")
    assert first.action == "recommend" and set(ids(first)) == {"p7", "p8"}
    need = phones.need.model_dump()
    price = phones("how much is the Moto E5?")
    assert (
        price.action == "answer"
        and price.reply == "Motorola Moto E5 prepaid phone is listed at 99."
    )
    colour = phones(
        f"what's the colour of the {'first' if ids(first)[0] == 'p7' else 'second'} one?"
    )
    assert colour.reply == "The colour of Motorola Moto G6 smartphone is Black (from its listing)."
    jack = phones("does the second one have a headphone jack?")
    title = (
        "Motorola Moto E5 prepaid phone" if ids(first)[1] == "p8" else "Motorola Moto G6 smartphone"
    )
    assert jack.reply == f"The listing for {title} doesn't mention headphone jack."
    assert phones.need.model_dump() == need  # questions leave the need as it was


def test_a_question_about_a_number_quotes_the_field_it_is_in(furniture):
    furniture("a wardrobe, white, any designer")
    answer = furniture("how wide is the PAX?")
    assert answer.action == "answer"
    assert answer.reply == 'The description of PAX wardrobe says: "Wardrobe, white, 100x60x201 cm"'


def test_a_question_that_asks_for_other_items_is_a_request(phones):
    phones("a Samsung phone, any colour")
    turn = phones("do you have a cheaper one?")
    assert turn.action == "recommend" and phones.need.ranges["price"].max is not None
