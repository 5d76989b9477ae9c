"""Numbers with units as catalogs and people write them: "64GB", "6.1-inch", "12 MP", "5000mAh",
"1.5 kg", "500 mg", "99x51x173 cm". Each is read into one canonical name and unit, so that the
same parser mines catalog text at ingest and reads "at least 64GB" in a chat message."""

import re
from dataclasses import dataclass

from retrieval.numbers import NUMBER, to_float

_NUM = rf"(?P<num>{NUMBER})"

# (canonical name, unit pattern, factor to the canonical unit). Order matters: first match wins.
UNITS: list[tuple[str, str, float]] = [
    ("ram_gb", r"gb\s*(?:of\s*)?ram", 1.0),
    ("storage_gb", r"tb", 1024.0),
    ("storage_gb", r"gb", 1.0),
    ("camera_mp", r"mp|megapixels?", 1.0),
    ("battery_mah", r"mah", 1.0),
    ("dose_mg", r"mg", 1.0),
    ("weight_g", r"kgs?|kilos?|kilograms?", 1000.0),
    ("weight_g", r"(?-i:g)|gms?|grams?", 1.0),  # a lower-case "g" only: "4G LTE" weighs nothing
    ("weight_g", r"lbs?|pounds?", 453.6),
    ("volume_ml", r"ml", 1.0),
    ("volume_ml", r"l|ltrs?|litres?|liters?", 1000.0),
    ("size_in", r"\"|”|″|-?inch(?:es)?|in\.", 1.0),
    ("length_cm", r"mm", 0.1),
    ("length_cm", r"cm", 1.0),
    ("length_cm", r"m|metres?|meters?", 100.0),
    ("length_cm", r"ft|feet|foot", 30.48),
    ("power_w", r"w|watts?", 1.0),
]
# Every unit above, as one alternation (a number followed by one is a quantity, not money).
UNIT_WORDS = "|".join(unit for _, unit, _ in UNITS)
_PATTERNS = [
    (name, re.compile(rf"(?<![\w.]){_NUM}\s*-?\s*(?:{unit})(?![a-z0-9])", re.I), factor)
    for name, unit, factor in UNITS
]
_DIMENSIONS = re.compile(
    r"(?<![\w.])(?P<a>\d+(?:\.\d+)?)\s*[x×]\s*(?P<b>\d+(?:\.\d+)?)"
    r"(?:\s*[x×]\s*(?P<c>\d+(?:\.\d+)?))?\s*(?P<unit>cm|mm)\b",
    re.I,
)
# "80 cm wide", "2 m tall": a length that names its side.
_SIDE = re.compile(r"\s*(?:in\s+)?(?P<side>wide|width|tall|high|height|deep|depth)\b", re.I)
SIDES = {"wide": "width_cm", "width": "width_cm", "tall": "height_cm", "high": "height_cm",
         "height": "height_cm", "deep": "depth_cm", "depth": "depth_cm"}  # fmt: skip
_PACK = re.compile(
    r"\b(?:pack of|set of|box of)\s*(?P<num>\d+)\b|\b(?P<n2>\d+)\s*-?\s*pack\b", re.I
)

# How each canonical quantity is shown to a person.
LABELS = {
    "ram_gb": "GB RAM", "storage_gb": "GB", "camera_mp": "MP", "battery_mah": "mAh",
    "dose_mg": "mg", "weight_g": "g", "volume_ml": "ml", "size_in": "inch", "length_cm": "cm",
    "power_w": "W", "pack_count": "pack", "width_cm": "cm wide", "depth_cm": "cm deep",
    "height_cm": "cm high",
}  # fmt: skip


@dataclass(frozen=True)
class Quantity:
    name: str
    value: float  # in the canonical unit
    start: int
    end: int
    factor: float = 1.0  # from the unit as written to the canonical unit


def find_quantities(text: str) -> list[Quantity]:
    """Every number-with-unit in `text`, in order of position; overlapping matches dropped."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []

    def add(name: str, number: float, factor: float, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Quantity(name, round(number * factor, 3), start, end, factor))

    for m in _DIMENSIONS.finditer(text):  # first, so that its sides are not read again
        factor = 0.1 if m.group("unit").lower() == "mm" else 1.0
        sides = [float(m.group(g)) * factor for g in ("a", "b", "c") if m.group(g)]
        names = ("width_cm", "depth_cm", "height_cm")
        found += [Quantity(n, round(v, 3), m.start(), m.end(), factor)
                  for n, v in zip(names, sides, strict=False)]  # fmt: skip
        taken.append((m.start(), m.end()))
    for name, pattern, factor in _PATTERNS:
        for m in pattern.finditer(text):
            side = _SIDE.match(text, m.end()) if name == "length_cm" else None
            named = SIDES[side["side"].lower()] if side else name
            add(named, to_float(m.group("num")), factor, m.start(), m.end())
    for m in _PACK.finditer(text):
        add("pack_count", float(m.group("num") or m.group("n2")), 1.0, m.start(), m.end())
    return sorted(found, key=lambda q: q.start)


def format_number(value: float) -> str:
    """A number as a shopper reads it: "10,000", "5.5"."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
