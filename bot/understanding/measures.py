"""Ranges on numbers with units in a message: "at least 64GB", "under 1 kg", "5000mAh or more",
"a big screen", "something light". Units are read by the same parser that mined the catalog at
ingest, so the message and the items speak of the same quantity in the same unit."""

import re

from bot.state import Range
from retrieval.numbers import AT_LEAST, AT_MOST, NUMBER, OR_LESS, OR_MORE, RANGE_JOIN, to_float
from retrieval.quantities import find_quantities

_AT_MOST = re.compile(rf"(?:{AT_MOST}|smaller than|lighter than)\s*$", re.I)
_AT_LEAST = re.compile(rf"(?:{AT_LEAST}|bigger than|larger than)\s*$", re.I)
_FROM = re.compile(rf"(?P<low>{NUMBER})\s*(?:{RANGE_JOIN})\s*$")  # "5 to 6 inch"
_AFTER_MORE = re.compile(rf"\s*(?:{OR_MORE}|or bigger|or larger)\b", re.I)
_AFTER_LESS = re.compile(rf"\s*(?:{OR_LESS}|or smaller|or lighter)\b", re.I)
EXACT_SPREAD = 0.1  # a bare "64GB" means 57.6 to 70.4: that size, give or take rounding
# Words for "a lot" or "a little" of a quantity -> (quantity, "high" or "low").
RELATIVE = [
    (r"\b(?:big|large|huge|bigger|larger)\s+(?:screen|display)", "size_in", "high"),
    (r"\b(?:small|compact|smaller)\s+(?:screen|display|phone)", "size_in", "low"),
    (
        r"\b(?:light(?:weight|er)?|not heavy)\b(?!\s*(?:-\s*)?(?:blue|green|pink|grey|gray|brown|"
        r"yellow|purple|colou?r|wood|oak))",
        "weight_g",
        "low",
    ),
    (r"\b(?:long|big|large|good|great)\s+battery", "battery_mah", "high"),
    (r"\b(?:lots of|plenty of|more|a lot of|large|big)\s+storage", "storage_gb", "high"),
    (r"\b(?:lots of|more|plenty of)\s+ram\b", "ram_gb", "high"),
    (r"\b(?:powerful|high power)\b", "power_w", "high"),
    # "cheap": the cheaper half of the wanted type (of the catalog when no type is wanted)
    (
        r"\b(?:cheap(?:er)?|inexpensive|affordable|economical|bargain|budget[- ]friendly|"
        r"low[- ](?:cost|priced?|budget)|reasonably priced|(?:good|great|best) value|"
        r"value for money|on an? (?:tight |small |limited |low |student |)budget)\b|"
        r"(?:\bnot|n['’]t be|\btoo) (?:too |very |that |so |overly |super |)(?:expensive|"
        r"pricey|pricy|costly|dear)\b|(?:\bnot|n['’]t|\bnever) break(?:s|ing)? the bank\b",
        "price",
        "median",
    ),
]
# "not cheap", "I don't want anything cheap": the word is there, the wish is the opposite
_NEGATION_WORD = re.compile(r"(?:not|too|never|n['’]t)\b", re.I)
_DENIED = re.compile(r"(?:\b(?:no|nothing)|(?:\bnot|n['’]t|\bnever)(?:\s+\w+){0,3})\s+$", re.I)


def parse_measures(
    text: str, quantiles: dict[str, list[float]], relative_to: dict[str, list[float]] | None = None
) -> dict[str, Range]:
    """Ranges keyed by the catalog's number names; only quantities the catalog has count.

    `quantiles` maps a number name to its [25th, 50th, 75th] percentiles over the catalog;
    `relative_to` the same among the items words like "big" compare with (the wanted type's;
    the catalog's by default). "A big screen" means at least the 75th, "something light" at most
    the 25th, "cheap" at most the median."""
    relative_to = quantiles if relative_to is None else relative_to
    ranges: dict[str, Range] = {}
    for q in find_quantities(text):
        if q.name not in quantiles:
            continue
        before = text[max(0, q.start - 24) : q.start]
        span = _FROM.search(before)
        if span:
            ranges[q.name] = Range(min=round(to_float(span["low"]) * q.factor, 3), max=q.value)
        elif _AT_MOST.search(before) or _AFTER_LESS.match(text, q.end):
            ranges[q.name] = Range(max=q.value)
        elif _AT_LEAST.search(before) or _AFTER_MORE.match(text, q.end):
            ranges[q.name] = Range(min=q.value)
        else:
            ranges[q.name] = Range(min=round(q.value * (1 - EXACT_SPREAD), 3),
                                   max=round(q.value * (1 + EXACT_SPREAD), 3))  # fmt: skip
    for pattern, name, side in RELATIVE:
        if name in relative_to and name not in ranges and _said(pattern, text):
            low, middle, high = relative_to[name]
            bound = {"high": Range(min=high), "low": Range(max=low), "median": Range(max=middle)}
            ranges[name] = bound[side].model_copy(update={"said": False, "word": side})
    return ranges


def _said(pattern: str, text: str) -> bool:
    """Whether a word for the quantity is in the text and not denied: "not cheap" and "nothing
    cheap" are not "cheap" ("don't want it too expensive" is: its own negation is the word)."""
    return any(_NEGATION_WORD.match(m.group())
               or not _DENIED.search(text[max(0, m.start() - 40) : m.start()])
               for m in re.finditer(pattern, text, re.I))  # fmt: skip
