"""Budgets and ranges as people write them: "under $100", "between 200 and 400", "max 1k",
"₹500-₹800", "around 50", "cheaper", "4+ stars". Deterministic, because exactness matters."""

import re
from dataclasses import dataclass
from typing import Literal

from bot.state import Range
from retrieval.amounts import CURRENCY_WORDS, MARK
from retrieval.numbers import (
    ABOUT,
    AT_LEAST,
    AT_MOST,
    NUMBER,
    OR_LESS,
    OR_MORE,
    RANGE_JOIN,
    to_float,
)
from retrieval.quantities import UNIT_WORDS

_WORD = rf"(?:{CURRENCY_WORDS})"
# An amount: optional mark, number, optional k/thousand, optional currency word or mark after.
AMOUNT = (
    rf"(?P<{{n}}mark>{MARK})?\s*(?P<{{n}}num>{NUMBER})\s*(?P<{{n}}k>k\b|thousand\b|grand\b)?"
    rf"\s*(?P<{{n}}word>{_WORD}\b|{MARK}(?!\w))?"
)
# A number followed by a unit is a quantity, not money ("64GB", "5 inch", "4 stars"): the units
# of retrieval/quantities.py (a currency word such as "pounds" is money here), and counts.
_UNIT = re.compile(
    rf"\s*(?:(?!(?:{CURRENCY_WORDS})\b)(?:{UNIT_WORDS})(?![a-z0-9])|in\b|g\b|mb|oz|years?|months?|"
    r"hours?|hrs?|minutes?|mins?|%|hz|ghz|x\b|pack|pcs|pieces|people|seats?|seater|drawers?|"
    r"doors?|shelves|st\b|nd\b|rd\b|th\b)",
    re.I,
)
_STARS = re.compile(
    r"(?:(?:at least|min(?:imum)?|over|above)\s*(?P<a>[1-5](?:\.\d)?)\s*(?:\+\s*)?stars?"
    r"|(?P<b>[1-5](?:\.\d)?)\s*\+\s*stars?|(?P<c>[1-5](?:\.\d)?)\s*stars?\s*(?:or (?:more|better|"
    r"above|up)|and up|\+)|rated\s*(?:at least\s*)?(?P<d>[1-5](?:\.\d)?)\s*(?:\+|or (?:more|"
    r"better|above|higher)|and up))",
    re.I,
)
_UPPER = rf"{AT_MOST}|cheaper than|lower than|not over|within|budget(?: is| of)?|spend(?:ing)?"
_LOWER = rf"{AT_LEAST}|starting at|from|pricier than"
_ABOUT = ABOUT
_CHEAPER = re.compile(
    r"\b(cheaper|less expensive|lower price|too expensive|too pricey|too much money|budget option"
    r"s?|more affordable)\b",
    re.I,
)
# "not too expensive", "shouldn't be too pricey": a word for cheap, not "cheaper than those"
_DENIED_TOO = re.compile(r"(?:\bnot|n['’]t(?: be)?|\bnever)\s+$", re.I)


def _cheaper(text: str) -> bool:
    return any(not (m[0].lower().startswith("too") and _DENIED_TOO.search(text[: m.start()]))
               for m in _CHEAPER.finditer(text))  # fmt: skip


_PRICIER = re.compile(
    r"\b((a bit |slightly |a little |somewhat )?more expensive (is|would be|are)? ?(fine|ok|okay|"
    r"alright)|(can|could) spend more|higher budget|pricier is fine|money is no object|"
    r"don'?t mind paying more|price doesn'?t matter)\b",
    re.I,
)
ABOUT_SPREAD = 0.2  # "around 50" means 40 to 60


@dataclass
class RangeChange:
    price: Range | None = None
    rating: Range | None = None
    relative: Literal["cheaper", "pricier"] | None = None

    def __bool__(self) -> bool:
        return bool(self.price or self.rating or self.relative)


def _amount(n: str) -> str:
    return AMOUNT.replace("{n}", n)


_RANGE = re.compile(
    rf"(?:between\s+|from\s+)?{_amount('a')}\s*(?:{RANGE_JOIN})\s*{_amount('b')}", re.I
)
_BOUND = re.compile(
    rf"(?P<cue>{_UPPER}|{_LOWER}|{_ABOUT})\s*(?:of\s+|than\s+|the\s+)?{_amount('a')}", re.I
)
_BARE = re.compile(rf"{_amount('a')}", re.I)


def _value(m: re.Match[str], n: str) -> float:
    number = to_float(m.group(f"{n}num"))
    if m.group(f"{n}k"):
        number *= 1000
    return number


def _is_money(m: re.Match[str], n: str) -> bool:
    grand = (m.group(f"{n}k") or "").lower() == "grand"
    return bool(m.group(f"{n}mark") or m.group(f"{n}word") or grand)


def _followed_by_unit(text: str, m: re.Match[str]) -> bool:
    return bool(_UNIT.match(text, m.end())) and not m.group(m.lastgroup or 0)


def parse_ranges(text: str) -> RangeChange:
    """Price and rating bounds in a message. Numbers with units ("64GB") are not prices."""
    change = RangeChange()
    stars = _STARS.search(text)
    if stars:
        low = next(g for g in stars.groups() if g)
        change.rating = Range(min=float(low))
        text = text[: stars.start()] + " " + text[stars.end() :]
    change.price = _price(text)
    if change.price is None:
        if _PRICIER.search(text):
            change.relative = "pricier"
        elif _cheaper(text) and not re.search(r"cheaper than\s*\S*\d", text, re.I):
            change.relative = "cheaper"
    return change


def _price(text: str) -> Range | None:
    for m in _RANGE.finditer(text):
        if _unit_after(text, m) or _unit_between(text, m):
            continue
        cued = text[max(0, m.start() - 8) : m.start()].lower()
        said = m.group(0).lower() + " " + cued
        money = _is_money(m, "a") or _is_money(m, "b")
        if not (money or any(cue in said for cue in ("between", "from", "budget", "price"))):
            continue
        a, b = _value(m, "a"), _value(m, "b")
        if m.group("bk") and not m.group("ak") and a < b / 100:
            a *= 1000  # "1-2k"
        return Range(min=min(a, b), max=max(a, b))
    for m in _BOUND.finditer(text):
        if _unit_after(text, m):
            continue
        cue = m.group("cue").lower()
        value = _value(m, "a")
        if re.fullmatch(_ABOUT, cue):
            return Range(min=round(value * (1 - ABOUT_SPREAD), 2),
                         max=round(value * (1 + ABOUT_SPREAD), 2))  # fmt: skip
        if re.fullmatch(_LOWER, cue):
            if cue == "from" and not _is_money(m, "a"):
                continue
            return Range(min=value)
        if cue.startswith("spend") and not _is_money(m, "a"):
            continue
        return Range(max=value)
    for m in _BARE.finditer(text):
        if _is_money(m, "a") and not _unit_after(text, m):
            value = _value(m, "a")
            if re.match(rf"\s*(?:{OR_LESS}|tops|at most)", text[m.end() :]):
                return Range(max=value)
            if re.match(rf"\s*(?:{OR_MORE})", text[m.end() :]):
                return Range(min=value)
            if re.match(r"\s*(?:-?ish)", text[m.end() :]):
                return Range(min=value * (1 - ABOUT_SPREAD), max=value * (1 + ABOUT_SPREAD))
            return Range(max=value)  # "a $100 phone": that is the budget
    return None


def _unit_after(text: str, m: re.Match[str]) -> bool:
    last = "b" if "bnum" in (m.groupdict() or {}) else "a"
    if m.group(f"{last}word") or m.group(f"{last}k"):
        return False
    return bool(_UNIT.match(text, m.end()))


def _unit_between(text: str, m: re.Match[str]) -> bool:
    return bool(_UNIT.match(text, m.end("anum")))
