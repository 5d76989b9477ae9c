"""One card per product: colours, capacities and carriers of one product are grouped
(retrieval/variants.py), the variant that fits the need stands for it, the others are offered."""

import json

from bot.state import DialogueState
from bot.web.database import Database
from bot.web.services import Services
from bot.web.sessions import EventLog, Sessions
from bot.web.ui import Controller
from retrieval.ingest import ingest
from retrieval.records import Item
from retrieval.variants import Products
from tests.conftest import engine_over


def phone(n: int, title: str, colour: str = "", brand: str = "Apple", kind: str = "phone") -> Item:
    facets = {"brand": (brand,), "type": (kind,)} | ({"colour": (colour,)} if colour else {})
    return Item(id=str(n), title=title, price=100.0 + n, facets=facets)


CATALOG = [
    phone(1, "Apple - iPhone SE 16GB - Gold (AT&T)", "gold"),
    phone(2, "Apple - iPhone SE 64GB - Silver (Verizon)", "silver"),
    phone(3, "Apple - iPhone SE 16GB - Rose Gold (Sprint)", "rose gold"),
    phone(4, "Apple - iPhone 7 32GB - Black (AT&T)", "black"),
    phone(5, "Samsung - Galaxy J3 (2016) 4G LTE - Black (Verizon)", "black", "Samsung"),
    phone(6, "Samsung - Galaxy J3 4G LTE - White (Sprint)", "white", "Samsung"),
    phone(7, "OtterBox - Case for iPhone SE - Black (AT&T)", "black", "OtterBox", "case"),
    Item(id="m1", title="Black Panther (2018)"),  # films: no type, never grouped
    Item(id="m2", title="The Pink Panther (2018)"),
]


def test_colours_capacities_and_carriers_of_one_product_are_one_product():
    products = Products(CATALOG)
    assert [v.id for v in products.variants("1")] == ["2", "3"]
    assert [v.label for v in products.variants("1")] == [
        "64GB · Silver · Verizon",
        "Rose Gold · Sprint",
    ]  # not its 16GB
    assert products.variants("4") == []  # an iPhone 7 is another phone
    assert products.variants("5") == []  # "(2016)" names a model: kept
    assert products.variants("7") == []  # a case is not a phone, whatever its title shares
    assert products.variants("m1") == [] and products.counts() == (7, 1)


def test_where_titles_are_the_same_a_label_names_the_measure_or_the_links_words():
    def stool(n: int, url: str, **numbers: float) -> Item:
        return Item(id=str(n), title="FRANKLIN", price=129.0, description="Bar stool, 63 cm",
                    url=url, numbers=numbers, facets={"type": ("stool",)})  # fmt: skip

    shop = "https://shop.example/p/franklin-bar-stool-foldable-"
    charger = {"type": ("charger",), "brand": ("Tzumi",)}
    products = Products([
        stool(1, shop + "white-white-70404875/"),
        stool(2, shop + "black-black-50406465/"),
        Item(id="3", title="Tzumi - PocketJuice - Black", numbers={"battery_mah": 4000.0},
             facets=charger),
        Item(id="4", title="Tzumi - PocketJuice - Black", numbers={"battery_mah": 5200.0},
             facets=charger),
        Item(id="5", title="Tzumi - PocketJuice - Black", facets=charger),
    ])  # fmt: skip
    assert [v.label for v in products.variants("1")] == ["black"]  # once, not "black black"
    assert [v.label for v in products.variants("3")] == ["5,200 mAh", ""]  # nothing says: ""


def test_a_list_shows_one_card_per_product_and_the_asked_colour(tmp_path, store, fake_embedder):
    rows = [{"id": i.id, "name": i.title, "price": i.price, "brand": i.facets["brand"][0],
             "colour": i.facets.get("colour", ("",))[0], "category": "Cell Phones"}
            for i in CATALOG[:6]]  # fmt: skip
    path = tmp_path / "variants.json"
    path.write_text(json.dumps(rows))
    report = ingest(path, "phones", store, fake_embedder, progress=False)
    assert "4 products: 1 of them in several colours, sizes or carriers" in report.summary()
    engine = engine_over(store, fake_embedder, {"phones": rows}, tmp_path, k=5)
    turn = engine.turn(DialogueState(catalog="phones"), "an apple iphone se", ask=False)
    se = [i for i in turn.items if "iPhone SE" in i.title]
    assert len(se) == 1  # not three cards of one phone
    assert {v["id"] for v in se[0].variants} | {se[0].id} == {"1", "2", "3"}
    assert all({"id", "title", "price", "label"} <= set(v) for v in se[0].variants)
    gold = engine.turn(DialogueState(catalog="phones"), "the iphone se in rose gold", ask=False)
    assert gold.items[0].id == "3"  # the variant asked for stands for the product
    state = DialogueState(catalog="phones")
    engine.turn(state, "an apple iphone se", ask=False)
    refused = engine.turn(state, "anything but silver", ask=False)
    gold = next(i for i in refused.items if i.id == "1")
    assert [v["id"] for v in gold.variants] == ["3"]  # the silver one is never offered on it
    db = Database(tmp_path / "s.db")
    control = Controller(Services(engine, Sessions(db), EventLog(db)), "phones")
    *_, (_, _, view) = control.respond("an apple iphone se", [], "", "phones")
    [card] = [i for i in view["items"] if "iPhone SE" in i["title"]]
    assert len(card["variants"]) == 2  # the card in the browser offers them too
    # a variant chosen on the card takes its place, explained; the need is as it was
    *_, (_, sid, view) = control.respond("an apple iphone se", [], "", "phones")
    [card] = [i for i in view["items"] if "iPhone SE" in i["title"]]
    other = card["variants"][0]
    need = control.state(sid, "phones").need.model_dump()
    swapped = control.choose(sid, "phones", card["id"], other["id"], view)
    [now] = [i for i in swapped["items"] if "iPhone SE" in i["title"]]
    assert now["id"] == other["id"] and now["explanation"] and now["weight"] == card["weight"]
    assert card["id"] in {v["id"] for v in now["variants"]}  # the first one is a choice now
    assert control.state(sid, "phones").need.last_shown[view["items"].index(card)] == other["id"]
    assert {k: v for k, v in swapped["need"].items() if k not in ("shown", "last_shown")} == {
        k: v for k, v in need.items() if k not in ("shown", "last_shown")
    }
    assert control.choose(sid, "phones", card["id"], "not-a-variant", swapped) == swapped


def test_variety_keeps_the_best_first_and_trades_a_near_duplicate_for_something_else():
    import numpy as np

    from retrieval.diversity import mmr

    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.98, 0.15], [0.0, 1.0]])
    scores = [1.0, 0.95, 0.9, 0.6]
    assert mmr(scores, vectors, 3, 0.0) == [0, 1, 2]  # off: the ranking's order
    assert mmr(scores, vectors, 3, 0.5) == [0, 3, 1]  # the unlike item moves up
    assert mmr(scores, vectors, 3, 1.0)[0] == 0 and mmr(scores[:1], vectors, 3, 0.5) == [0]


def test_variety_is_for_vague_requests_and_a_client_can_set_it(tmp_path, store, fake_embedder):
    from tests.catalogs import PHONES

    engine = engine_over(store, fake_embedder, {"phones": PHONES}, tmp_path, k=3, diversity=1.0)
    still = engine_over(store, fake_embedder, {}, tmp_path, k=3, diversity=0.0)

    def shown(engine, message, **state):
        turn = engine.turn(DialogueState(catalog="phones", **state), message, ask=False)
        return [i.id for i in turn.items]

    assert shown(engine, "a samsung phone") == shown(still, "a samsung phone")  # a brand: exact
    assert shown(engine, "a smartphone") != shown(still, "a smartphone")  # vague: varied
    assert shown(engine, "a smartphone", diversity=0.0) == shown(still, "a smartphone")
    assert shown(engine, "a smartphone")[0] == shown(still, "a smartphone")[0]


def test_more_brings_other_products_not_another_colour_of_one_shown(tmp_path, store,
                                                                      fake_embedder):  # fmt: skip
    rows = [{"id": i.id, "name": i.title, "price": i.price, "brand": i.facets["brand"][0],
             "category": "Cell Phones"} for i in CATALOG[:6]]  # fmt: skip
    engine = engine_over(store, fake_embedder, {"phones": rows}, tmp_path, k=1)
    state = DialogueState(catalog="phones")
    first = engine.respond(state, "an apple iphone se")
    more = engine.respond(state, "any others?")
    products = engine.knowledge.index("phones").products
    assert products.key[more.items[0].id] != products.key[first.items[0].id]
