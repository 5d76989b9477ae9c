"""Items that are one product in another colour, capacity, size or carrier: "Apple - iPhone SE
16GB - Gold (AT&T)" and "Apple - iPhone SE 64GB - Silver (Verizon)" are one product to a
shopper, and a list of five should not spend three places on it.

Two items are variants when they have the same brand and type and their titles are the same
once the variant parts are taken out: colours (the catalog's own colour values, the common
colour words, and a colour's own name after the title's last dash: "- Black Onyx"), capacities
and sizes ("16GB", "160x200 cm"), bracketed words that titles share ("(AT&T)", "(Unlocked)": an
offer, not a model; "(2016)" has a digit and stays), and the words in more than half of the
type's titles ("with 32GB Memory Cell Phone" says nothing "Galaxy S7 32GB" does not). Where the
title is a bare name (IKEA's "MALM" is a bed, a chest and a desk), the lead of the description
is part of the product too ("Bed frame, high" is not "Bed frame with storage").
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.enrich import COLOURS, MULTIWORD_COLOURS, link_words
from retrieval.quantities import LABELS, find_quantities, format_number
from retrieval.records import Item
from retrieval.text import clean_text
from retrieval.types import FACET as TYPE_FACET

_BRACKET = re.compile(r"\(([^()]{1,30})\)")
# The title's last part after " - ", where shops put the colour ("Galaxy S7 - Gold Platinum").
_LAST_PART = re.compile(r"\s[-–|]\s*([^-–|()]{2,30}?)\s*(?:\([^)]*\))?\s*$")
LABEL_PARTS = 2  # a label names at most this many differences
LINK_WORDS = 4  # of a link's last part, after where two links part
SHARED_BRACKET = 2  # a bracketed word in this many titles is an offer (a carrier), not a model
NAME_WORDS = 2  # a title of this many words or fewer is a name: the description's lead counts
LEAD_WORDS = 6
COMMON_SHARE = 0.5  # a word in more than this share of a type's titles names no product
COMMON_MIN_ITEMS = 20  # ... among at least this many items of the type
COLOUR_FACETS = ("colour", "color")
_VARIANT_QUANTITIES = frozenset({"storage_gb", "ram_gb", "length_cm", "width_cm", "depth_cm",
                                 "height_cm", "size_in", "volume_ml", "weight_g"})  # fmt: skip
_LABELLED = _VARIANT_QUANTITIES | {"battery_mah"}  # the measures a variant's label may name


@dataclass(frozen=True)
class Variant:
    """Another item of the same product, as a card offers it."""

    id: str
    title: str
    price: float | None
    label: str  # what sets it apart from the item shown: "64GB · Silver", "5,200 mAh",
    # "black" ("" if the catalog says nothing: a card shows its price)


def _common_words(read: Iterable[tuple[str, str, list[str], list[str]]]) -> dict[str, set[str]]:
    """Per type, the words in more than half of its titles ("cell phone", "with ... memory"):
    they tell no product from another, and one title has them where its twin does not."""
    titles: dict[str, list[set[str]]] = {}
    for kinds, _, words, _ in read:
        titles.setdefault(kinds, []).append(set(words))
    out = {}
    for kinds, sets in titles.items():
        if len(sets) >= COMMON_MIN_ITEMS:
            counts = Counter(w for s in sets for w in s)
            out[kinds] = {w for w, n in counts.items() if n > COMMON_SHARE * len(sets)}
    return out


class Products:
    """Which items of a catalog are one product: a key per item, and what sets each variant
    apart ("64GB · Silver · Verizon" beside the 16GB gold AT&T one), for its card."""

    def __init__(self, items: Iterable[Item]) -> None:
        items = list(items)
        shared = Counter(
            b.strip().lower() for i in items for b in set(_BRACKET.findall(i.title))
            if not any(c.isdigit() for c in b)
        )  # fmt: skip
        self._offers = {b for b, n in shared.items() if n >= SHARED_BRACKET}
        colours = {v.lower() for i in items for f in COLOUR_FACETS for v in i.facets.get(f, ())}
        words = sorted(colours | set(COLOURS) | set(MULTIWORD_COLOURS), key=len, reverse=True)
        spelled = [re.escape(w).replace(r"\ ", r"[\s-]") for w in words]  # "off-white"
        self._colour = re.compile(r"\b(?:" + "|".join(spelled) + r")\b", re.I)
        self.key: dict[str, str] = {}
        self.parts: dict[str, list[str]] = {}  # what sets each item apart: "16GB", "Gold"
        self._brief = {item.id: (item.title, item.price) for item in items}
        self._apart = {item.id: _apart(item) for item in items}
        read = {i.id: self._read(i) for i in items if i.facets.get(TYPE_FACET)}  # films: none
        common = _common_words(read.values())
        for item_id, (kinds, brand, words, parts) in read.items():
            # a name most items of its type carry (IKEA's BILLY bookcases) stays: it is all
            kept = [w for w in words if w not in common.get(kinds, ())] or words
            self.key[item_id] = f"{brand}|{kinds}|{' '.join(kept)}" if kept else item_id
            self.parts[item_id] = parts
        self.members: dict[str, list[str]] = {}
        for item_id, key in self.key.items():
            self.members.setdefault(key, []).append(item_id)

    def variants(self, item_id: str) -> list[Variant]:
        """The other items of the same product, in catalog order."""
        key = self.key.get(item_id)
        others = [i for i in self.members.get(key, []) if i != item_id] if key else []
        return [Variant(i, *self._brief[i], self.label(i, item_id)) for i in others]

    def label(self, item_id: str, beside: str) -> str:
        """What sets `item_id` apart from `beside` ("Silver", not "8GB · Unlocked · Silver"
        beside the 8GB unlocked white one): the title's variant parts, else the first of the
        colour, a measure, the link's words or a description clause that differs."""
        mine = {p.lower() for p in self.parts.get(beside, [])}
        said = " · ".join(p for p in self.parts.get(item_id, []) if p.lower() not in mine)
        if said or item_id not in self._apart or beside not in self._apart:
            return said
        (colours, measures, link), (our_colours, our_measures, our_link) = (
            self._apart[item_id], self._apart[beside])  # fmt: skip
        for theirs, ours in ((colours, our_colours), (measures, our_measures)):
            differ = [t for t in theirs if t not in ours]
            if differ:
                return " · ".join(differ[:LABEL_PARTS])
        same = 0  # the words both links start with
        while same < min(len(link), len(our_link)) and link[same] == our_link[same]:
            same += 1
        rest = [w for n, w in enumerate(link[same:], same) if n == same or w != link[n - 1]]
        if not same or any(w.isdigit() for w in rest):  # two unrelated links say nothing
            return ""
        return " ".join(rest[:LINK_WORDS])

    def one_each(self, ids: Iterable[str]) -> list[int]:
        """The positions in `ids` of the first item of each product."""
        seen: set[str] = set()
        out = []
        for n, item_id in enumerate(ids):
            key = self.key.get(item_id, item_id)
            if key not in seen:
                seen.add(key)
                out.append(n)
        return out

    def counts(self) -> tuple[int, int]:
        """(products, products with more than one item): an item of no product is its own."""
        grouped = sum(len(m) - 1 for m in self.members.values())
        return len(self._brief) - grouped, sum(len(m) > 1 for m in self.members.values())

    def _read(self, item: Item) -> tuple[str, str, list[str], list[str]]:
        """The item's types and brand, its title's words without the variant parts, and the
        parts taken out (what sets it apart)."""
        title, removed = self._strip(clean_text(item.title))
        if len(title.split()) <= NAME_WORDS and item.description:
            lead, more = self._strip(clean_text(item.description))
            title = f"{title} {' '.join(lead.split()[:LEAD_WORDS])}"
            removed = removed or more[:3]
        brand = ",".join(item.facets.get("brand", ())).lower()
        return ",".join(sorted(item.facets.get(TYPE_FACET, ()))), brand, title.split(), removed

    def _strip(self, text: str) -> tuple[str, list[str]]:
        """The text without its variant parts, as words; and the parts, in order."""
        spans = [(m.start(), m.end(), m.group(1).strip()) for m in _BRACKET.finditer(text)
                 if m.group(1).strip().lower() in self._offers]  # fmt: skip
        spans += [(q.start, q.end, text[q.start : q.end]) for q in find_quantities(text)
                  if q.name in _VARIANT_QUANTITIES]  # fmt: skip
        last = _LAST_PART.search(text)  # "- Black Onyx (AT&T)": a colour's own name, whole
        if last and self._colour.search(last.group(1)):
            spans.append((last.start(1), last.end(1), last.group(1)))
        spans += [(m.start(), m.end(), m.group(0)) for m in self._colour.finditer(text)]
        spans.sort(key=lambda s: (s[0], -s[1]))
        kept, removed, at = [], [], 0
        for start, end, part in spans:
            if start < at:
                continue
            kept.append(text[at:start])
            removed.append(part)
            at = end
        kept.append(text[at:])
        words = re.sub(r"[^\w]+", " ", " ".join(kept).lower()).split()
        unique = {p.lower(): p for p in reversed(removed)}  # "Black/Black": one Black
        return " ".join(words), [p for p in removed if unique.pop(p.lower(), None)]


def _apart(item: Item) -> tuple[tuple[str, ...], ...]:
    """What may tell the item from another of its product, most telling first: its colours,
    its measures, the words of its link's last part (IKEA's ".../franklin-bar-stool-black-
    black-504": where two links part, the rest of one names what it is)."""
    colours = tuple(v for f in COLOUR_FACETS for v in item.facets.get(f, ()))
    measures = tuple(f"{format_number(item.numbers[n])} {unit}"
                     for n, unit in LABELS.items()
                     if n in item.numbers and n in _LABELLED)  # fmt: skip
    return colours, measures, tuple(link_words(item.url).split())
