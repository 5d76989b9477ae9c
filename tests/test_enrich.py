"""Structure mined from item text at ingest, and the same units read in chat messages."""

import pytest

from bot.state import Range
from bot.understanding.measures import parse_measures
from retrieval.enrich import enrich_all
from retrieval.quantities import find_quantities
from retrieval.records import Item


def found(text: str) -> dict[str, float]:
    return {q.name: q.value for q in find_quantities(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Samsung 6GB RAM, 128 GB storage, 6.1-inch, 12MP, 5000mAh",
         {"ram_gb": 6, "storage_gb": 128, "size_in": 6.1, "camera_mp": 12, "battery_mah": 5000}),
        ("Frame/mesh baskets, 99x51x173 cm", {"width_cm": 99, "depth_cm": 51, "height_cm": 173}),
        ("Paracetamol 500 mg, pack of 10", {"dose_mg": 500, "pack_count": 10}),
        ("Atta 5 kg", {"weight_g": 5000}),
        ("Cola 1.5 L", {"volume_ml": 1500}),
        ("Cable (Black, 15 feet)", {"length_cm": 457.2}),
        ("2TB drive", {"storage_gb": 2048}),
        ("iPhone 6 Plus", {}),
        ("Prepaid card worth $35", {}),
    ],
)  # fmt: skip
def test_numbers_with_units(text, expected):
    assert found(text) == pytest.approx(expected)


def test_enrichment_adds_only_what_the_item_text_says_and_never_overrides_the_catalog():
    items = [
        Item("1", "Incipio case for iPhone 7 - Translucent Black", "A polycarbonate shell."),
        Item("2", "Orange Juice 1 L"),  # orange is the flavour, not the colour
        Item("3", "Glass cleaner spray 500 ml"),  # not made of glass
        Item("4", "Kurta 2 kg", facets={"colour": ("Olive",)}, numbers={"weight_g": 300.0}),
        Item("5", "Table, 120x60 cm, solid oak and stainless steel legs"),
    ]
    out, gained = enrich_all(items)
    assert out[0].facets == {"colour": ("black",), "material": ("polycarbonate",)}
    assert out[1].facets == {} and out[1].numbers == {"volume_ml": 1000.0}
    assert "material" not in out[2].facets
    assert out[3].facets == {"colour": ("Olive",)} and out[3].numbers == {"weight_g": 300.0}
    assert out[4].facets["material"] == ("oak", "stainless steel")
    assert out[4].numbers == {"width_cm": 120.0, "depth_cm": 60.0}
    assert gained["colour"] == 1 and gained["volume_ml"] == 2 and "weight_g" not in gained


QUANTILES = {"storage_gb": [16, 32, 64], "size_in": [4.7, 5.5, 6.1], "weight_g": [150, 400, 900]}


def test_a_product_links_last_part_names_its_colour_and_material():
    """IKEA names a variant only in its link: ".../vittsjo-coffee-table-black-brown-glass-1021/"."""
    table = Item(
        id="1",
        title="VITTSJÖ",
        description="Coffee table",
        url="https://shop.example/p/vittsjo-coffee-table-black-brown-glass-10213315/",
    )
    bare = Item(id="2", title="VITTSJÖ", url="https://shop.example/product?id=10213315")
    [table, bare], _ = enrich_all([table, bare])
    assert table.facets == {"colour": ("black", "brown"), "material": ("glass",)}
    assert bare.facets == {}  # a link that names nothing adds nothing


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("at least 64GB", {"storage_gb": Range(min=64)}),
        ("under 1 kg", {"weight_g": Range(max=1000)}),
        ("128 GB or more", {"storage_gb": Range(min=128)}),
        ("between 5 and 6 inch", {"size_in": Range(min=5, max=6)}),
        ("a 64GB one", {"storage_gb": Range(min=57.6, max=70.4)}),
        ("a phone with a big screen", {"size_in": Range(min=6.1, said=False, word="high")}),
        ("something lightweight", {"weight_g": Range(max=150, said=False, word="low")}),
        ("a light blue case", {}),  # a colour, not a weight
        ("5000mAh battery", {}),  # the catalog has no battery figures
    ],
)  # fmt: skip
def test_measures_in_a_message(said, expected):
    assert parse_measures(said, QUANTILES) == expected


PRICES = {"price": [100.0, 250.0, 600.0]}
CHEAP = {"price": Range(max=250.0, said=False, word="median")}


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("a big screen and long battery, not too pricey", CHEAP),
        ("something affordable for my mom", CHEAP),
        ("a budget-friendly laptop", CHEAP),
        ("I'm on a tight budget", CHEAP),
        ("good value, nothing fancy", CHEAP),
        ("it shouldn't be too expensive", CHEAP),
        ("I don't want it too expensive", CHEAP),
        ("one that won't break the bank", CHEAP),
        ("phones are too pricey these days", CHEAP),
        ("not cheap, I want it to last", {}),
        ("I don't want anything cheap", {}),
        ("nothing cheap please", {}),
        ("money is no object", {}),
        ("a pricey one is fine", {}),
    ],
)  # fmt: skip
def test_everyday_words_for_cheap_are_read_as_the_cheaper_half(said, expected):
    assert parse_measures(said, PRICES) == expected


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [("about 80 cm wide", "width_cm", 80), ("2 m tall", "height_cm", 200),
     ("35cm deep", "depth_cm", 35), ("120 cm in width", "width_cm", 120),
     ("a 2m cable", "length_cm", 200)],
)  # fmt: skip
def test_a_length_that_names_its_side_is_that_side(text, name, value):
    (quantity,) = find_quantities(text)
    assert (quantity.name, quantity.value) == (name, value)
