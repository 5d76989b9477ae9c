"""Structure mined from an item's own text at ingest: numbers with units (storage, screen,
weight, dose, dimensions ...), colours and materials. Nothing is invented: every value added is a
phrase of the item's title or description, read by a fixed rule, and the catalog's own fields
always win over mined ones."""

import re
from collections import Counter
from dataclasses import replace

from retrieval.quantities import find_quantities
from retrieval.records import Item

COLOURS = (
    "black white grey gray silver gold rose gold space gray red maroon burgundy pink magenta "
    "purple violet lavender blue navy blue navy sky blue turquoise teal green olive olive green "
    "mint lime yellow mustard orange peach coral brown tan beige cream khaki ivory charcoal "
    "copper bronze multicolour multicolor transparent clear"
).split()
MULTIWORD_COLOURS = ["rose gold", "space gray", "space grey", "navy blue", "sky blue",
                     "olive green", "off white", "jet black"]  # fmt: skip
MATERIALS = (
    "leather cotton polyester wool silk linen denim nylon velvet suede rayon viscose "
    "stainless steel steel aluminium aluminum metal iron brass wood wooden oak pine birch beech "
    "walnut bamboo rattan glass ceramic porcelain stoneware marble plastic silicone rubber "
    "polycarbonate polypropylene acrylic foam fabric jute"
).split()
_CANONICAL = {"gray": "grey", "multicolor": "multicolour", "aluminum": "aluminium",
              "wooden": "wood", "space grey": "space gray"}  # fmt: skip
_SKIP = {"steel", "stainless"}  # read only as part of "stainless steel" when both appear


def _words(options: list[str]) -> re.Pattern[str]:
    longest_first = sorted(set(options), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(o) for o in longest_first) + r")\b", re.I)


_COLOUR = _words(COLOURS + MULTIWORD_COLOURS)
_MATERIAL = _words([*MATERIALS, "stainless steel"])
# "Glass cleaner" and "cotton buds" are not made of glass or cotton.
_NOT_MADE_OF = re.compile(
    r"\s+(?:cleaners?|polish|conditioner|care|wash|shampoo|buds|balls|noodles|swabs|pads|rolls)\b",
    re.I,
)
# Where a title names the colour: "Case - Translucent Black", "Cable (Black, 15 feet)",
# "iPhone 6 16GB - Space Gray (T-Mobile)": in brackets, or after the last " - ", "|" or ",".
_COLOUR_PLACES = re.compile(r"\(([^)]*)\)|\s[-–|,]\s*([^-–|,(]*?)\s*(?:\([^)]*\))?\s*$")


def mine(item: Item) -> tuple[dict[str, float], dict[str, tuple[str, ...]]]:
    """(numbers, facets) found in the item's text that the item does not already carry."""
    numbers: dict[str, float] = {}
    # The title speaks for the item itself; the description only fills what the title lacks.
    for text in (item.title, item.description):
        for q in find_quantities(text):
            if q.name not in item.numbers and q.name not in numbers:
                numbers[q.name] = q.value
    facets: dict[str, tuple[str, ...]] = {}
    link = link_words(item.url)
    if not _has_facet(item, ("colour", "color", "colours", "colors")):
        places = " ; ".join(g for m in _COLOUR_PLACES.finditer(item.title) for g in m.groups() if g)
        colours = _found(_COLOUR, f"{places} ; {link}")  # not "Orange Juice" or "Body Cream"
        if colours:
            facets["colour"] = colours
    if not _has_facet(item, ("material", "materials")):
        materials = _found(_MATERIAL, f"{item.title}. {item.description}. {link}")
        if materials:
            facets["material"] = materials
    return numbers, facets


_EFFECT = re.compile(r"\b\w+\s+eff(?:ect)?\b", re.I)
_SLUG = re.compile(r"/([A-Za-z][\w-]*?)(?:-[a-z]?\d{5,})?/?(?:[?#].*)?$")


def link_words(url: str | None) -> str:
    """The words of a product link's last part, where shops name the variant the page sells:
    ".../p/franklin-bar-stool-foldable-black-black-50406465/" -> "franklin bar stool foldable
    black black"; "" for a link without one."""
    found = _SLUG.search(url or "")
    words = found.group(1).replace("-", " ").replace("_", " ") if found else ""
    return _EFFECT.sub(" ", words).strip()  # "walnut effect" is a print, not walnut


def enrich_all(items: list[Item]) -> tuple[list[Item], Counter[str]]:
    """Enriched items, and how many items gained each attribute."""
    gained: Counter[str] = Counter()
    out = []
    for item in items:
        numbers, facets = mine(item)
        gained.update([*numbers, *facets])
        if numbers or facets:
            item = replace(item, numbers={**item.numbers, **numbers},
                           facets={**item.facets, **facets})  # fmt: skip
        out.append(item)
    return out, gained


def _has_facet(item: Item, names: tuple[str, ...]) -> bool:
    return any(item.facets.get(n) for n in names)


def _found(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    values = [
        _CANONICAL.get(m.group(1).lower(), m.group(1).lower())
        for m in pattern.finditer(text)
        if not _NOT_MADE_OF.match(text, m.end())
    ]
    if "stainless steel" in values:
        values = [v for v in values if v not in _SKIP or v == "stainless steel"]
    return tuple(dict.fromkeys(values))
