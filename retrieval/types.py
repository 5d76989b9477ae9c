"""The product type of every item, read at ingest: what a person calls the thing ("phone",
"case", "charger", "table", "shoe"), so that "a phone" means handsets and not the 86% of the
demo catalog that are accessories for them.

Read, in order: a type field named in the mapping (`type:`); the finest level of the category
where the catalog has a category path ("Cell Phone Cases & Clips" -> case, clip); else the head
of the title, or of the short description where titles are names ("FREKVENS" / "Bar table,
in/outdoor" -> table). A type is the head noun, singular; the word before it and the rest of the
text stay searchable as words. Nothing is invented: every type is a word of the item's own
category, title or description, or a more general word for it (HYPERNYMS: an iPhone is a phone).
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from retrieval.records import Item
from retrieval.text import clean_text, normalize, singular

FACET = "type"
# Words for a general kind, more than one: an "accessories" category says nothing of the type.
GENERIC = frozenset(
    "accessory product item other misc miscellaneous essential addon add on more general supply "
    "collection gift range all new best seller bestseller deal offer sale care".split()
)
# A head that counts or frames the thing rather than naming it: "Kurta Set" is a kurta, a "Bed
# frame" a bed.
COUNTING = frozenset("set pack combo pair piece bundle kit frame".split())
# Words that end a title without naming the thing: colours, sizes, people, finishes.
_NOT_HEAD = frozenset(
    "black white grey gray silver gold rose red pink blue navy green yellow orange purple brown "
    "beige cream clear transparent multi multicolour multicolor assorted men women boy girl kid "
    "unisex baby man woman large small medium mini xl xxl xs regular slim standard edition "
    "version model series inch cm mm ml kg gm g l unlocked refurbished new prepaid plus pro "
    "max lite se edge note ultra active neo classic "
    # verbs said of what a thing does ("Desk sit/stand"), never its name
    "sit sleep left right".split()
)
# More general words for a type, added beside it: "a phone" includes the iPhones.
HYPERNYMS = {
    "iphone": "phone", "smartphone": "phone", "cellphone": "phone", "handset": "phone",
    "sneaker": "shoe", "loafer": "shoe", "boot": "shoe", "sandal": "shoe", "heel": "shoe",
    "flip flop": "shoe", "slipper": "shoe", "moccasin": "shoe",
    "armchair": "chair", "stool": "seat", "recliner": "chair",
}  # fmt: skip
# Segments of a title: " - ", " | ", "/", ",", ";" and brackets; not the comma of "10,000".
_FUNCTION = frozenset("the an of for with and or in on to my your our by at from its".split())
# Types that end compound words for kinds of them: a highchair and a deckchair are chairs.
COMPOUND_HEADS = ("chair", "table", "lamp", "shelf", "bed", "phone", "shoe", "bag", "watch")
# Types common enough across shops to be read from one title alone.
COMMON = (
    frozenset(HYPERNYMS)
    | frozenset(HYPERNYMS.values())
    | frozenset(
        "phone case charger cable sofa chair table bed desk lamp shelf wardrobe shoe shirt dress "
        "watch bag television laptop tablet headphone speaker camera".split()
    )
)
_SPLIT_SEGMENTS = re.compile(r"\s+[-–|/]\s+|\s*[|;(]\s*|(?<!\d),|,(?!\d)|\)")
_LISTS = re.compile(r"^\s*\S+\s+[^/]+/")  # two words or more before a "/"
# What follows the head noun ("Case for iPhone 7", "Chest of 3 drawers"); not " to ", which
# joins connectors ("Micro-USB to USB Cable").
# Short forms in shop descriptions: "w" (with), "f" (for); lower case only ("20 W charger").
_DEPENDENT = re.compile(r"\s+(?:(?i:for|with|compatible|in|from|by|and|of)|w|f)\s+.*$")
_CAMEL = re.compile(r"(?<=[a-z]{2})(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")  # not "iPhone"
_TSHIRT = re.compile(r"\bt[- ]?shirts?\b|\btees?\b", re.I)
MIN_SHARED = 3  # items a type read from titles must have in common
FEW_ITEMS = 50  # a smaller catalog is too small to tell whether its titles are names
TOP, NAMES_COVER = 20, 0.3  # where the 20 commonest title heads cover under 30%: names
SHORT_DESCRIPTION = 80  # characters: "Bar table, in/outdoor, 51x51 cm", not a plot
PATH_SHARE = 0.5  # a catalog whose items mostly carry two category levels or more has a path


def head(phrase: str) -> str | None:
    """The head noun of a short noun phrase, singular: "All Unlocked Cell Phones" -> phone,
    "iPhone 7 Plus Cases" -> case, "Kurta Set" -> kurta."""
    words = [singular(w) for w in normalize(_TSHIRT.sub("tshirt", phrase)).split()]
    words = [w for w in words
             if not any(c.isdigit() for c in w) and len(w) > 1 and w not in _FUNCTION]  # fmt: skip
    while words and words[-1] in _NOT_HEAD:
        words.pop()
    if len(words) > 1 and words[-1] in COUNTING:
        words.pop()
    if not words or words[-1] in GENERIC:
        return None
    return words[-1]


def types_of_name(name: str) -> tuple[str, ...]:
    """The types a category name says: "Cell Phone Cases & Clips" -> (case, clip),
    "USBCables" -> (cable,), "Sofas & armchairs" -> (sofa, armchair, chair)."""
    text = _CAMEL.sub(" ", name)
    text = re.sub(r"\s+(?:with|for)\s+.*$", "", text, flags=re.I)
    parts = [p for p in re.split(r"\s*&\s*|\s+and\s+|\s*,\s*", text) if p.strip()]
    first = parts[0].split() if parts else []
    if len(parts) > 1 and len(first) == 1 and len(parts[-1].split()) > 1 and not _plural(first[0]):
        parts = parts[-1:]  # "Water & Fridge Bottles", "Car & Travel Accessories": one head
    return _with_hypernyms(h for p in parts if (h := head(_DEPENDENT.sub("", p))))


def _plural(word: str) -> bool:
    return singular(word.lower()) != word.lower()


def types_of_text(text: str, skip_first: bool) -> list[str]:
    """The heads of a title's or short description's segments, in order ("Insignia™ - Car
    Charger - Black" -> [charger]; "Bar table, in/outdoor" -> [table, outdoor]): the first is
    its type. With `skip_first` (a title), the first of several " - " segments is the brand and
    "/" joins words ("Charge/Sync Cable"); in a short description it may list things."""
    segments = [s for s in _SPLIT_SEGMENTS.split(text) if s and s.strip()]
    if skip_first and len(segments) > 1 and " - " in text:
        segments = segments[1:]
    segments = [_DEPENDENT.sub("", s) for s in segments]
    if not skip_first:  # a short description lists things: "Bed frame/headboard/2 side tables"
        segments = [p for s in segments for p in (s.split("/") if _LISTS.match(s) else [s])]
    heads = (head(segment) for segment in segments)
    return list(dict.fromkeys(h for h in heads if h))


def _with_hypernyms(heads: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for h in heads:
        general = HYPERNYMS.get(h) or next(
            (w for w in COMPOUND_HEADS if h.endswith(w) and h != w), None
        )  # "highchair": chair
        out += [h] + ([general] if general else [])
    return tuple(dict.fromkeys(out))


def mine_types(items: list[Item]) -> tuple[list[Item], Counter[str]]:
    """Items with a "type" facet where one can be read (an existing one, from the mapping, is
    kept), and how many items have each type.

    A type read from a title must be shared by MIN_SHARED items (or be a COMMON one); and when
    most titles name no shared type, the titles are names (films, books): none is read from them.
    A catalog with a single category level falls back on it."""
    share = PATH_SHARE * max(len(items), 1)  # (descriptions name a type even when it is rare)
    has_path = sum(len(i.facets.get("category", ())) >= 2 for i in items) >= share
    names = sum(len(i.title.split()) <= 2 for i in items) >= share
    given: list[tuple[str, ...]] = []  # from the mapping or the category path
    read: list[tuple[str, ...]] = []  # from the title (or the description, where titles are names)
    described: list[bool] = []  # read from a short description, which names a type however rare
    for item in items:
        kinds = item.facets.get(FACET, ())
        if not kinds and has_path and item.facets.get("category"):
            kinds = types_of_name(item.facets["category"][-1])
        given.append(kinds)
        described.append(names and 0 < len(item.description) <= SHORT_DESCRIPTION)
        text = clean_text(item.description if described[-1] else item.title)  # no markup
        read.append(_with_hypernyms(types_of_text(text, skip_first=not names)[:1]))
    shared = Counter(k for kinds in read for k in kinds)
    category_types = {k for kinds in given for k in kinds} | COMMON
    shared.update({common: MIN_SHARED for common in COMMON})  # no second item needed to prove it
    # Shops have a few types that cover most items; titles that are names (films) repeat few
    # head words ("Day", "Story"), none of them for many items.
    covered = sum(n for _, n in Counter(k for kinds in read for k in kinds[:1]).most_common(TOP))
    titles_are_names = len(items) >= FEW_ITEMS and covered < NAMES_COVER * len(items)
    counts: Counter[str] = Counter()
    out = []
    for item, kinds, from_text, short in zip(items, given, read, described, strict=True):
        if not kinds and short:
            kinds = from_text
        elif not kinds and not titles_are_names:
            kinds = tuple(k for k in from_text if shared[k] >= MIN_SHARED)
        elif not titles_are_names:  # a type the categories name, read in the title beside the
            # item's own category's: a "Fitness Armband" filed under cases is also an armband
            kinds += tuple(k for k in from_text if k in category_types and k not in kinds)
        if not kinds and item.facets.get("category"):  # one level: a department, or a type
            kinds = types_of_name(item.facets["category"][-1])
        if kinds:
            counts.update(kinds)
            if kinds != item.facets.get(FACET):
                item = replace(item, facets={**item.facets, FACET: kinds})
        out.append(item)
    return out, counts


def coverage_note(items: list[Item], counts: Counter[str], top: int = 8) -> str:
    """For the ingest summary: how many items have a type, and the commonest types."""
    typed = sum(bool(i.facets.get(FACET)) for i in items)
    common = ", ".join(f"{t} {n:,}" for t, n in counts.most_common(top))
    share = typed / max(len(items), 1)
    return (f"product types: {typed:,} of {len(items):,} items ({share:.0%}), "
            f"{len(counts):,} types; commonest: {common}")  # fmt: skip
