"""Shoppers in their own words (issue 17), with fakes: product types read at ingest and in the
message, "for ..." read as what the thing must suit, relative words within the wanted type, and
requests in Chinese. The same requests through the real models are in test_real_models.py."""

import json

import pytest

from bot.asking import facet_gain, weights
from bot.state import DialogueState, Need
from bot.understanding.chinese import Translator
from bot.understanding.understand import understand
from bot.understanding.vocabulary import Vocabulary
from retrieval.candidates import Scored, fit
from retrieval.records import Item
from retrieval.types import head, mine_types, types_of_name, types_of_text
from tests.catalogs import PHONES
from tests.conftest import FakeEmbedder, engine_over

# A shop where most items are accessories for the few handsets, filed as such, as in the demo
# catalog: the type is read from the titles.
SHOP = [
    *PHONES[:9],
    {"id": "c1", "name": "Dynex - Case for Apple iPhone 7 - Black", "brand": "Dynex", "price": 20,
     "category": "Accessories"},
    {"id": "c2", "name": "Dynex - Case for Apple iPhone 7 Plus - Black", "brand": "Dynex",
     "price": 20, "category": "Accessories"},
    {"id": "c3", "name": "Rugged case for Samsung Galaxy S9", "brand": "OtterBox", "price": 40,
     "category": "Accessories"},
    {"id": "k1", "name": "Car charger for iPhone and Samsung phones", "brand": "Belkin",
     "price": 25, "category": "Accessories"},
    {"id": "k2", "name": "Wall charger for phones", "brand": "Belkin", "price": 15,
     "category": "Accessories"},
    {"id": "b1", "name": "Portable charger 20000 mAh power bank", "brand": "Anker", "price": 60,
     "category": "Accessories"},
    {"id": "b2", "name": "Portable charger 10000 mAh power bank", "brand": "Anker", "price": 40,
     "category": "Accessories"},
]  # fmt: skip


@pytest.fixture
def shop(store, tmp_path):
    return engine_over(store, FakeEmbedder(), {"shop": SHOP}, tmp_path, k=5)


def ask(engine, *messages):
    """The need after the messages, and the items that fit it, best first (a ranking goes on
    with near misses after these: see the test below)."""
    state = DialogueState(catalog="shop")
    for message in messages:
        engine.turn(state, message, ask=False)
    return state.need, engine.store.get("shop", [c.item.id for c in engine.candidates(state)])


# --- types at ingest --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("All Unlocked Cell Phones", "phone"), ("iPhone 7 Plus Cases", "case"),
     ("Kurta Set", "kurta"), ("Men Navy Blue Running Shoes", "shoe"), ("Accessories", None),
     ("Black", None), ("Batteries", "battery"), ("Watches", "watch")],
)  # fmt: skip
def test_the_head_noun_is_the_type(phrase, expected):
    assert head(phrase) == expected


def test_a_category_name_may_name_two_types_and_a_more_general_one():
    assert types_of_name("Cell Phone Cases & Clips") == ("case", "clip")
    assert types_of_name("USBCables") == ("cable",)
    assert types_of_name("iPhone") == ("iphone", "phone")


def test_a_title_names_its_type_in_its_first_segment_after_the_brand():
    assert types_of_text("Insignia™ - Car Charger - Black", skip_first=True) == ["charger"]
    assert types_of_text("Bar table, in/outdoor, 51x51 cm", skip_first=False)[0] == "table"
    assert types_of_text("Armchair cover", skip_first=False) == ["cover"]
    assert types_of_text("Case for Apple iPhone 7 - Black", skip_first=False)[0] == "case"


@pytest.mark.parametrize(
    ("description", "expected"),
    [("Desk sit/stand, 160x80 cm", "desk"), ("Active sit/stand support", "support"),
     ("Day-bed w 2 drawers/2 mattresses", "bed"), ("Bed frame/headboard/2 side tables", "bed"),
     ("Wall upright/shelves", "upright"), ("3 sections/shelves", "section"),
     ("Shelving unit w cabinets/drawers", "unit"), ("Corner desk left sit/stand", "desk")],
)  # fmt: skip
def test_a_short_description_names_its_type_before_its_abbreviations_and_alternatives(
    description, expected
):
    assert types_of_text(description, skip_first=False)[0] == expected


def test_a_capital_w_is_watts_not_with():
    assert types_of_text("Anker - 20 W Charger - Black", skip_first=True) == ["charger"]


def test_types_are_mined_from_titles_unless_the_titles_are_names():
    shop = [Item(id=str(n), title=f"Brand{n} - Model {n} Wall Charger - Black") for n in range(60)]
    typed, counts = mine_types(shop)
    assert counts == {"charger": 60} and typed[0].facets["type"] == ("charger",)
    names = [f"{a}{b}" for a in ("Zor", "Mab", "Tel", "Quin") for b in "abcdefghijklmno"]
    films = [Item(id=str(n), title=f"The {name} ({1950 + n})") for n, name in enumerate(names)]
    typed, counts = mine_types(films)
    assert not counts and all("type" not in i.facets for i in typed)


# --- types and "for ..." in the message -------------------------------------------------------


def test_a_phone_for_my_mom_means_handsets_in_the_budget(shop):
    need, items = ask(shop, "I need a phone for my mom, she's not techy, under 200 dollars")
    assert need.include == {"type": ["phone"]} and need.suits == ["mom"]
    assert items and all("phone" in i.facets["type"] and i.price <= 200 for i in items)


def test_a_ranking_puts_near_misses_after_everything_that_fits_never_before(shop):
    state = DialogueState(catalog="shop")
    turn = shop.turn(state, "I need a phone for my mom, she's not techy, under 200 dollars", k=12,
                     ask=False)  # fmt: skip
    items = shop.store.get("shop", turn.ranking)
    fits = ["phone" in i.facets.get("type", ()) and i.price <= 200 for i in items]
    assert len(items) >= 12 and fits[0] and not fits[-1]
    assert fits == sorted(fits, reverse=True)  # every fitting item before every near miss
    phones = ["phone" in i.facets.get("type", ()) for i in items]
    assert phones == sorted(phones, reverse=True)  # phones over budget before any other kind
    assert any(p and not f for p, f in zip(phones, fits, strict=True))


def test_a_case_for_my_iphone_7_is_a_case_that_fits_it_first(shop):
    need, items = ask(shop, "a case for my iPhone 7")
    assert need.include == {"type": ["case"]} and need.suits == ["iphone 7"]
    assert [i.id for i in items[:2]] == ["c1", "c2"]  # the 7 Plus case fits less well
    assert {"case"} >= {t for i in items for t in i.facets["type"]} - {"clip"}


def test_what_it_is_for_may_come_in_a_second_message(shop):
    need, items = ask(shop, "a case for my phone", "it's an iphone 7")
    assert need.include == {"type": ["case"]} and need.suits == ["iphone 7"]
    assert items[0].id == "c1"


def test_something_to_charge_my_phone_in_the_car_is_a_car_charger(shop):
    need, items = ask(shop, "something to charge my phone in the car")
    assert need.include == {"type": ["charger"]}
    assert items[0].id == "k1"


def test_fit_prefers_the_exact_model_over_its_plus_and_max_cousins():
    assert fit("Case for Apple iPhone 7 - Black", ["iphone 7"]) == 1.0
    assert fit("Case for Apple iPhone 7 Plus - Black", ["iphone 7"]) == 0.25
    assert fit("Case for iPhone 7 and 7 Plus", ["iphone 7"]) == 1.0
    assert fit("Wall charger", ["iphone 7"]) == 0.0


# --- relative words within the wanted type ----------------------------------------------------


def test_big_and_long_compare_within_the_wanted_type_or_stay_words():
    facets = {"type": {"phone": 9, "charger": 4}}
    vocabulary = Vocabulary(
        facets,
        quantiles={"battery_mah": [3000.0, 6000.0, 10000.0], "size_in": [4.0, 5.0, 5.5],
                   "price": [20.0, 60.0, 300.0]},
        type_quantiles={"phone": {"size_in": [4.7, 5.2, 5.7], "price": [100.0, 250.0, 500.0]}},
    )  # fmt: skip
    need = Need()
    understand(need, "a phone with a big screen and long battery life", vocabulary)
    assert need.ranges["size_in"].min == 5.7  # the phones' 75th percentile, not the catalog's
    assert "battery_mah" not in need.ranges  # phones carry no battery figure: a word, not a filter
    assert "long battery life" in need.wants[-1]
    cheap = Need()
    understand(cheap, "a cheap phone", vocabulary)
    assert cheap.ranges["price"].max == 250.0  # the cheaper half of the phones
    said = Need()
    understand(said, "a cheap phone under $400", vocabulary)
    assert said.ranges["price"].max == 400  # an amount said wins over "cheap"
    unseen = Need(include={"type": ["phone"]})
    understand(unseen, "cheaper", vocabulary)  # an answer to a question, nothing shown yet
    assert unseen.ranges["price"].max == 250.0  # "cheap": the cheaper half of the phones


def test_a_thing_named_only_by_its_parts_is_the_type_that_has_them():
    facets = {"type": {"phone": 9, "charger": 4, "case": 20, "battery": 2, "camera": 3}}
    vocabulary = Vocabulary(
        facets, quantiles={"battery_mah": [3000.0, 6000.0, 10000.0], "size_in": [4.0, 5.0, 5.5]},
        type_quantiles={"phone": {"size_in": [4.7, 5.2, 5.7]}, "case": {},
                        "charger": {"battery_mah": [3000.0, 6000.0, 10000.0]},
                        "battery": {"battery_mah": [1000.0, 2000.0, 3000.0]}},
    )  # fmt: skip
    parts = Need()
    understand(parts, "a big screen and long battery", vocabulary)
    assert parts.include["type"] == ["phone"]  # not a battery: the parts of a phone
    assert parts.ranges["size_in"].min == 5.7 and "battery_mah" not in parts.ranges
    battery = Need()
    understand(battery, "something with a long battery", vocabulary)
    assert battery.include["type"] == ["charger"]  # the commonest type that has one
    named = Need()
    understand(named, "a battery", vocabulary)
    assert named.include["type"] == ["battery"]  # a part asked for by itself is the thing
    features = Need()
    understand(features, "big screen, good camera and lots of storage", vocabulary)
    assert features.include["type"] == ["phone"]  # a camera among other parts is a part
    camera = Need()
    understand(camera, "a good camera", vocabulary)
    assert camera.include["type"] == ["camera"]  # by itself, the thing
    kept = Need(include={"type": ["case"]})
    understand(kept, "with a big screen", vocabulary)
    assert kept.include["type"] == ["case"]  # a type already wanted stays


# --- questions --------------------------------------------------------------------------------


def test_question_options_that_differ_only_in_case_or_spacing_are_one():
    brands = ["Simple Mobile", "SIMPLE Mobile", "SimpleMobile", "BLU", "Verizon", "Verizon"]
    found = [Scored(Item(id=str(n), title="x", facets={"brand": (b,)}), 1.0, {})
             for n, b in enumerate(brands)]  # fmt: skip
    choice = facet_gain(found, weights(found), "brand")
    assert sorted(choice.options) == ["BLU", "Simple Mobile", "Verizon"]


# --- Chinese ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def translator():
    return Translator()


def test_chinese_words_are_read_in_the_catalogs_own_english(translator):
    def knows(phrase):
        return phrase.lower() in {"samsung", "cell phone"}

    assert translator.english("我想买一部便宜的三星手机", knows) == "cheap Samsung cell phone"
    assert translator.english("一双舒适的跑鞋") == "comfortable running shoes"
    for_mom = translator.english("给我妈妈买一个大屏幕的手机", knows)
    assert for_mom == "big screen cell phone, for mom"
    assert translator.english("我不要三星的手机", knows) == "cell phone, not Samsung"
    assert translator.english("200元以下的手机", knows) == "under 200 cell phone"


def test_chinese_read_by_its_grammar_not_character_by_character(translator):
    assert "under 1000" in translator.english("双人床架，1000里亚尔以内的")  # riyals
    poang = translator.english("宜家那个 POANG 椅子还有吗？")  # "that" chair: not "that one"
    assert "that one" not in poang and "retailer" not in poang and "chair" in poang
    assert translator.english("我要买洗发水") == "shampoo"  # how it is asked is not what
    assert "bottle" not in translator.english("买一瓶橄榄油")  # a measure word is how many
    assert "cell phone" in translator.english("刚换的新手机")  # 新手机 read as 新 + 手机
    assert translator.english("给小孩买点饼干").startswith("biscuit")  # "buy some": not "drop"


def test_a_chinese_request_finds_cheap_samsung_handsets(shop, translator):
    shop.translator = translator
    need, items = ask(shop, "我想买一部便宜的三星手机")  # "cheap Samsung cell phone"
    assert need.include == {"type": ["phone"], "brand": ["Samsung"], "category": ["Cell Phones"]}
    assert need.ranges["price"].max is not None
    assert items and all(i.facets["brand"] == ("Samsung",) and "phone" in i.facets["type"]
                         for i in items)  # fmt: skip


# --- search-box queries -----------------------------------------------------------------------


def test_a_model_name_beside_a_type_is_what_it_is_for(shop):
    need, items = ask(shop, "case iphone 7")
    assert need.include == {"type": ["case"]} and "iphone 7" in need.suits
    assert items[0].id == "c1"


def test_a_material_or_a_product_line_never_empties_the_list():
    vocabulary = Vocabulary({"type": {"case": 5, "phone": 3}, "material": {"leather": 2},
                             "category": {"Samsung Galaxy": 4, "Cell Phones": 3}})  # fmt: skip
    need = Need()
    understand(need, "leather case", vocabulary)
    assert need.include == {"type": ["case"]}  # leather stays a word: it is mined, often missing
    line = Need()
    understand(line, "samsung galaxy", vocabulary)
    assert "category" not in line.include  # a line of products, not a kind of thing
    kind = Need()
    understand(kind, "a galaxy phone", vocabulary)
    assert kind.include == {"type": ["phone"]}
    said = Need()  # a category said in more words than its type narrows within it
    understand(said, "cell phones", vocabulary)
    assert said.include == {"type": ["phone"], "category": ["Cell Phones"]}


def test_the_words_that_named_the_type_come_first(shop):
    need, _ = ask(shop, "portable charger")
    assert need.include == {"type": ["charger"]} and need.named == "portable charger"
    assert any('"portable charger" first' in r for r in need.readings)


def test_a_mapping_names_the_type_field_and_the_shops_own_words(tmp_path):
    from retrieval.catalog import load_catalog
    from retrieval.ingest import build_manifest

    rows = [{"id": "1", "name": "KLIPPAN", "kind": "Two-seat sofas", "price": 10},
            {"id": "2", "name": "POÄNG", "kind": "Armchairs", "price": 20}]  # fmt: skip
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(rows))
    mapping = tmp_path / "map.yaml"
    mapping.write_text("type: kind\ntype_synonyms: {chesterfield: sofa}\n")
    catalog = load_catalog(path, mapping)
    assert [i.facets["type"] for i in catalog.items] == [("sofa",), ("armchair", "chair")]
    assert any(n.startswith("product types: 2 of 2 items (100%)") for n in catalog.notes)
    manifest = build_manifest("shop", catalog, 2, path, "fake")
    vocabulary = Vocabulary(manifest.facets, type_synonyms=manifest.type_synonyms)
    need = Need()
    understand(need, "a chesterfield", vocabulary)
    assert need.include == {"type": ["sofa"]}


# --- a category named as the shop writes it ---------------------------------------------------

# Names as titles and short descriptions, as IKEA's: two large categories of nearly equal size,
# each filing things of other types (a sofa-bed, legs, a desk's drawer unit).
ROOMS = [
    *({"id": f"s{n}", "name": f"SOFA{n}", "description": "3-seat sofa",
       "category": "Sofas & armchairs", "price": 900 + n} for n in range(6)),
    {"id": "sb", "name": "VIMLE", "description": "3-seat sofa-bed", "category": "Sofas & armchairs",
     "price": 1500},
    {"id": "lg", "name": "STOCKSUND", "description": "Legs for armchair/sofas",
     "category": "Sofas & armchairs", "price": 100},
    {"id": "a1", "name": "POANG", "description": "Armchair", "category": "Sofas & armchairs",
     "price": 450},
    *({"id": f"t{n}", "name": f"TABLE{n}", "description": "Table, 120x80 cm",
       "category": "Tables & desks", "price": 300 + n} for n in range(6)),
    *({"id": f"d{n}", "name": f"DESK{n}", "description": "Desk, 140x60 cm",
       "category": "Tables & desks", "price": 500 + n} for n in range(3)),
    {"id": "du", "name": "ALEX", "description": "Drawer unit", "category": "Tables & desks",
     "price": 400},
    *({"id": f"w{n}", "name": f"PAX{n}", "description": "Wardrobe, 100x60 cm",
       "category": "Wardrobes", "price": 800 + n} for n in range(4)),
]  # fmt: skip


@pytest.fixture
def rooms(store, tmp_path):
    return engine_over(store, FakeEmbedder(), {"rooms": ROOMS}, tmp_path, k=5)


def test_a_category_label_copied_whole_filters_by_the_category_even_when_it_is_a_large_one(rooms):
    state = DialogueState(catalog="rooms")
    rooms.turn(state, "I'm looking for Sofas & armchairs. Around 1500 riyals.", ask=False)
    assert state.need.include == {"category": ["Sofas & armchairs"]}
    assert "sb" in [c.item.id for c in rooms.candidates(state)]  # a sofa-bed, typed "bed"
    state = DialogueState(catalog="rooms")
    rooms.turn(state, "I need Tables & desks", ask=False)
    assert {c.item.id for c in rooms.candidates(state)} >= {"du", "t0", "d0"}


def test_a_type_typed_as_words_filters_by_the_type(rooms):
    state = DialogueState(catalog="rooms")
    rooms.turn(state, "a comfy sofa", ask=False)
    assert state.need.include == {"type": ["sofa"]}
    assert {c.item.id for c in rooms.candidates(state)} == {f"s{n}" for n in range(6)}


def test_a_category_name_lists_each_of_its_plural_types():
    assert types_of_name("Bookcases & shelving units") == ("bookcase", "unit")
    assert types_of_name("Chests of drawers & drawer units") == ("chest", "unit")
    assert types_of_name("Water & Fridge Bottles") == ("bottle",)


@pytest.mark.parametrize(
    "again", ["show me more", "any others?", "others?", "what about the others"]
)
def test_asking_for_more_shows_only_unseen_items_then_says_there_are_none(shop, again):
    state = DialogueState(catalog="shop")
    first = shop.respond(state, "a samsung phone under $600")
    later = shop.respond(state, again)
    shown = {i.id for i in first.items}
    assert shown and not shown & {i.id for i in later.items}
    if not later.items:
        assert later.reply.startswith("That's everything I have that matches")


def test_search_leans_on_the_nearest_items_only_while_no_kind_is_known(shop, monkeypatch):
    """Pseudo-relevance feedback (retrieval/candidates.py) helps a vague need; once a type is
    wanted its filter focuses the search, and feedback is off."""
    import bot.engine.turn as turn

    fed: list[float] = []
    real = turn.retrieve

    def spy(*args, **kwargs):
        fed.append(kwargs["weights"].feedback)
        return real(*args, **kwargs)

    monkeypatch.setattr(turn, "retrieve", spy)
    need, _ = ask(shop, "my battery is always dead by lunchtime")
    assert "type" not in need.include and fed and all(f > 0 for f in fed)
    fed.clear()
    need, _ = ask(shop, "a case for my iphone 7")
    assert need.include["type"] == ["case"] and fed and all(f == 0 for f in fed)
