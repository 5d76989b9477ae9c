"""What the sentence before a list says: what the list is, in the person's terms, stating only
what every item shown has ("Here are 5 phones from Samsung under $200:", the `lead_in` template
of prompts/chat.yaml). Filled from the need and checked against each item, so it needs no
verifier and no model: a part some item lacks (a constraint relaxed to find anything) is left
out."""

from collections.abc import Callable, Sequence
from typing import Any

from bot.state import Need, Range
from retrieval.records import Item
from retrieval.types import FACET as TYPE_FACET
from retrieval.types import HYPERNYMS


def lead_in(need: Need, items: Sequence[Item], price: Callable[[float], str]) -> dict[str, Any]:
    """The lead-in template's values for `items`, shown for `need`; empty when nothing the
    person asked for can be said of every item (the fixed lead-in then)."""
    if not items:
        return {}
    kinds = need.include.get(TYPE_FACET, [])
    kind = (
        kinds[0] if kinds and all(kinds[0] in i.facets.get(TYPE_FACET, ()) for i in items) else ""
    )
    brands = need.include.get("brand", [])
    brand = " or ".join(brands) if brands and all(
        set(brands) & set(i.facets.get("brand", ())) for i in items) else ""  # fmt: skip
    bounds = need.ranges.get("price")
    priced = bounds is not None and not bounds.is_open() and all(bounds.admits(i.price)
                                                                  for i in items)  # fmt: skip
    if not (kind or brand or priced):
        return {}
    count = len(items)
    noun = named(kind, count) if kind else _of_their_types(items)
    prices = _price_words(bounds, price) if priced and bounds else ""
    return {"count": count, "noun": noun, "brand": brand, "price": prices}


def _of_their_types(items: Sequence[Item]) -> str:
    """What the items are, by the types they have (a type every one has; else two that cover
    them all: "sofas and armchairs"); "picks" only when their types say nothing shared."""
    count = len(items)
    kinds = [set(i.facets.get(TYPE_FACET, ())) for i in items]
    shared = set.intersection(*kinds)
    specific = shared - {HYPERNYMS.get(k) for k in shared}  # "stool", not "seat"
    if specific:
        return named(min(specific), count)
    seen = sorted({k for ks in kinds for k in ks})
    for n, first in enumerate(seen):
        for second in seen[n + 1 :]:
            if all(first in ks or second in ks for ks in kinds):
                return f"{named(first, 2)} and {named(second, 2)}"
    return "picks" if count > 1 else "pick"


# A bound read from a word is not the person's number: it is said in words, as they did.
UNSAID = {
    "low": "at the cheaper end",
    "median": "in the cheaper half",
    "high": "at the dearer end",
    "cheaper": "cheaper than most of the ones before",
    "pricier": "within a budget a little above yours",
}


def _price_words(bounds: Range, price: Callable[[float], str]) -> str:
    """The budget as the person gave it, or in words when they gave no number."""
    if not bounds.said:
        return UNSAID.get(bounds.word, "")
    low, high = bounds.min, bounds.max
    if low is not None and high is not None:
        return f"between {price(low)} and {price(high)}"
    return f"under {price(high)}" if high is not None else f"from {price(low or 0)}"


# Nouns that are not counted ("storage", "rice"): a list of them is of kinds, never "storages".
MASS = frozenset(
    """storage furniture luggage clothing footwear jewellery jewelry equipment lighting bedding
    seating decor cookware kitchenware tableware glassware dinnerware bakeware stationery
    software hardware rice tea coffee flour sugar oil milk bread cheese butter ghee honey salt
    atta dal water juice pasta cereal muesli wear innerwear sleepwear nightwear swimwear
    sportswear activewear outerwear underwear""".split()
)


def named(kind: str, count: int) -> str:
    """How `count` items of a type are called: "phone", "3 phones", "kinds of rice"."""
    if kind.split()[-1] in MASS:
        return f"kinds of {kind}" if count > 1 else f"kind of {kind}"
    return plural(kind) if count > 1 else kind


def plural(noun: str) -> str:
    """English plural of a product type: phone -> phones, watch -> watches, battery ->
    batteries, shelf -> shelves."""
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith("shelf"):
        return noun[:-1] + "ves"
    return noun + "s"
