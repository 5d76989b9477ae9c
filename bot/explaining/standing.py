"""How each shown item stands among the others shown, and which asked-for parts it misses: the
two things an explanation adds to "it has what you wanted".

A standing is a fact about the list, not about one item, so the verifier cannot ground it in the
item's fields; it is computed here from the items' own values and passed to the verifier as one
more field ("shown"), which the sentence then quotes. Only strict, unique standings are stated:
the cheapest of three items priced alike is not "the cheapest".
"""

import re
from collections.abc import Callable, Sequence

from bot.state import Need
from retrieval.quantities import LABELS, format_number
from retrieval.records import Item
from retrieval.types import FACET as TYPE_FACET

# Numbers where more is plainly better for a shopper, and how the sentence names them.
MORE_IS_BETTER = {"storage_gb": "storage", "ram_gb": "RAM", "battery_mah": "battery",
                  "camera_mp": "camera resolution"}  # fmt: skip
# Words for how big a thing should be -> the numbers that answer them, and whether less is what
# was asked: "a sofa for a small living room" is answered by widths, "something light" by weights.
SIZE_WORDS = {
    **dict.fromkeys("small smaller compact narrow tiny slim".split(), ("low", (
        "width_cm", "size_in", "length_cm", "depth_cm"))),
    **dict.fromkeys("big bigger large larger wide spacious roomy huge".split(), ("high", (
        "width_cm", "size_in", "length_cm", "depth_cm"))),
    **dict.fromkeys("tall".split(), ("high", ("height_cm",))),
}  # fmt: skip
# How the extremes of each number are said.
EXTREMES = {"width_cm": ("narrowest", "widest"), "size_in": ("smallest", "largest"),
            "length_cm": ("shortest", "longest"), "depth_cm": ("shallowest", "deepest"),
            "weight_g": ("lightest", "heaviest"), "height_cm": ("lowest", "tallest")}  # fmt: skip
MEASURES = {"size_in": "inches", "weight_g": "g in weight", "length_cm": "cm long"}
BRAND = "brand"
POPULARITY = "popularity"  # the number ingest keeps for how much an item sells or is seen
FIELD = "compared"  # the grounds' field holding these sentences (computed, not an item field)


def standings(
    items: Sequence[Item], need: Need, price_text: Callable[[float], str]
) -> list[list[str]]:
    """For each item, the sentences that set it apart from the others, most relevant first: a
    number the person asked about, then the price, the rating, other numbers, the brand."""
    if len(items) < 2:
        return [[] for _ in items]
    asked = [n for n in need.ranges if n in MORE_IS_BETTER]
    numbers = asked + [n for n in MORE_IS_BETTER if n not in asked]
    out: list[list[str]] = [[] for _ in items]
    for name, low in sized(items, need):
        _measured(items, name, low, out)
    for name in numbers[: len(asked)]:
        _most(items, name, out)
    cheapest = _unique(items, lambda i: -i.price if i.price is not None else None)
    if cheapest is not None:
        price = price_text(items[cheapest].price or 0.0)
        out[cheapest].append(f"It is the cheapest of these, at {price}.")
    rated = _unique(items, lambda i: i.rating)
    if rated is not None:
        out[rated].append(f"It has the highest rating of these: {items[rated].rating:g}.")
    popular = _unique(items, lambda i: i.numbers.get(POPULARITY))
    if popular is not None:
        out[popular].append("It is the most popular of these.")
    for name in numbers[len(asked) :]:
        _most(items, name, out)
    for n, value in _only(items, BRAND):  # a colour or a designer is rarely why one chooses
        out[n].append(f"It is the only {value} here.")
    measured = {name for name, _ in sized(items, need)}
    for n, facts in enumerate(_key_facts(items, measured, list(need.ranges))):
        stated = {m[0] for sentence in out[n] for m in _NUMBER.finditer(sentence)}
        if facts and not any(number in facts for number in stated):
            out[n].append(facts)  # not "the most storage of these: 64 GB. It has 64 GB ..."
    return out


# How an item's numbers are said in a sentence of their own, sizes first: what a shopper
# compares ("It is 120 cm wide and 60 cm deep.", "It has a 5-inch screen and 16 GB of storage.")
SIZES = {"width_cm": "{} cm wide", "depth_cm": "{} cm deep", "height_cm": "{} cm high",
         "length_cm": "{} cm long"}  # fmt: skip
# Not a screen's size: mined from an accessory's text it is the phone it fits ("for phones up
# to 5 inches"), so it is said only when asked ("a big screen", standing.sized).
HAS = {"storage_gb": "{} GB of storage", "ram_gb": "{} GB of RAM", "camera_mp": "a {} MP camera",
       "battery_mah": "a {} mAh battery", "power_w": "{} W of power",
       "volume_ml": "a capacity of {} ml", "weight_g": "a weight of {} g"}  # fmt: skip
KEY_FACTS = 2  # numbers named in one sentence
_NUMBER = re.compile(r"\d[\d,.]*\s*\w+")  # "64 GB" in a sentence already said


def _key_facts(items: Sequence[Item], said: set[str], asked: Sequence[str] = ()) -> list[str]:
    """For each item, a sentence with its numbers that differ among the items shown (the ones
    a shopper compares them by; those asked about first), none already said by a size
    sentence; "" where none."""

    def varied(name: str) -> bool:
        return name not in said and len({i.numbers[name] for i in items if name in i.numbers}) > 1

    out = []
    for item in items:
        sizes = [f.format(format_number(item.numbers[n])) for n, f in SIZES.items()
                 if n in item.numbers and varied(n)][:KEY_FACTS]  # fmt: skip
        names = sorted(HAS, key=lambda n: n not in asked)
        has = [HAS[n].format(format_number(item.numbers[n])) for n in names
               if n in item.numbers and varied(n)][:KEY_FACTS]  # fmt: skip
        if sizes:
            out.append(f"It is {_and(sizes)}.")
        elif has:
            out.append(f"It has {_and(has)}.")
        else:
            out.append("")
    return out


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def compared(
    items: Sequence[Item], need: Need, price_text: Callable[[float], str]
) -> list[tuple[list[str], list[str]]]:
    """For each item shown together: what sets it apart, and the asked-for parts it misses."""
    apart = standings(items, need, price_text)
    return [(a, misses(item, need, price_text)) for item, a in zip(items, apart, strict=True)]


def misses(item: Item, need: Need, price_text: Callable[[float], str]) -> list[str]:
    """Sentences saying plainly which asked-for parts the item does not meet (an item shown
    because nothing met them all)."""
    out = []
    for facet, values in need.include.items():
        have = item.facets.get(facet, ())
        if values and facet != TYPE_FACET and have and not set(values) & set(have):
            label = facet.replace("_", " ")
            out.append(f"It is not the {label} you asked for: its {label} is {', '.join(have)}.")
    for name, r in need.ranges.items():
        value = {"price": item.price, "rating": item.rating}.get(name, item.numbers.get(name))
        if value is None or r.is_open():
            continue
        unit = "stars" if name == "rating" else LABELS.get(name, "")
        show = price_text if name == "price" else (lambda v, unit=unit: f"{v:g} {unit}")
        if r.max is not None and value > r.max:
            what = "budget" if name == "price" else "maximum"
            bound = f"your {show(r.max).strip()} {what}" if r.said else "what you asked for"
            out.append(f"At {show(value).strip()} it is over {bound}.")
        elif r.min is not None and value < r.min:
            bound = f"your {show(r.min).strip()} minimum" if r.said else "what you asked for"
            out.append(f"It has {show(value).strip()}, under {bound}.")
    return out


def sized(items: Sequence[Item], need: Need) -> list[tuple[str, bool]]:
    """The numbers that answer a size the person asked for in words ("small", "light"), with
    whether less is what they asked: of each word's numbers, the one most shown items have."""
    said = {w for want in need.wants for w in re.findall(r"[a-z]+", want.lower())}
    out: list[tuple[str, bool]] = []
    for name, bound in need.ranges.items():  # "something light": read by measures.py
        if name in EXTREMES and not bound.said and bound.word in ("low", "high"):
            out.append((name, bound.word == "low"))
    for word in sorted(said & SIZE_WORDS.keys()):
        direction, names = SIZE_WORDS[word]
        having = {n: sum(n in i.numbers for i in items) for n in names}
        name = max(names, key=lambda n: having[n])
        if having[name] >= 2 and name not in {n for n, _ in out}:  # "a big screen" once
            out.append((name, direction == "low"))
    return out


def _measured(items: Sequence[Item], name: str, low: bool, out: list[list[str]]) -> None:
    """Each item's measure, and which is the smallest (or largest) of these when one is (and
    every item has the measure)."""
    sign = -1.0 if low else 1.0
    best = _unique(items, lambda i: sign * i.numbers[name] if name in i.numbers else None)
    for n, item in enumerate(items):
        if name not in item.numbers:
            continue
        value = f"{item.numbers[name]:g} {MEASURES.get(name, LABELS.get(name, ''))}".strip()
        if n == best:
            out[n].append(f"At {value}, it is the {EXTREMES[name][0 if low else 1]} of these.")
        else:
            out[n].append(f"It is {value}.")


def _most(items: Sequence[Item], name: str, out: list[list[str]]) -> None:
    best = _unique(items, lambda i: i.numbers.get(name))
    if best is not None:
        value = items[best].numbers[name]
        out[best].append(f"It has the most {MORE_IS_BETTER[name]} of these: "
                         f"{value:g} {LABELS.get(name, '')}.".replace(" .", "."))  # fmt: skip


def _only(items: Sequence[Item], facet: str) -> list[tuple[int, str]]:
    """(position, value) of each item whose value of `facet` no other shown item has, when
    every item has one and some of the others share one (an odd one out, not a list where
    every brand differs)."""
    values = [item.facets.get(facet, ()) for item in items]
    if not all(values):
        return []
    out = []
    for n, mine in enumerate(values):
        others = {v for m, theirs in enumerate(values) if m != n for v in theirs}
        fresh = [v for v in mine if v not in others]
        if fresh and len(others) < len(items) - 1:
            out.append((n, fresh[-1]))  # the finest level: "All Cell Phones with Plans"
    return out


def _unique(items: Sequence[Item], key: Callable[[Item], float | None]) -> int | None:
    """The position of the one item with the highest key, when every item has one and no other
    item ties it."""
    keys = [key(i) for i in items]
    if any(k is None for k in keys):
        return None
    top = max(k for k in keys if k is not None)
    return keys.index(top) if keys.count(top) == 1 else None
