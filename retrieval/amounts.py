"""Money as catalogs and people write it ("₹1,099", "SR 1,234", "$49.99", "200 dollars") and as
the bot shows it: the one currency table, read by ingest, budgets, the verifier and the UI.
Plain numbers and percentages in catalog fields ("4.2", "64%", "24,269") are read here too."""

import math
import re

from retrieval.numbers import NUMBER

# Currency marks, by how they are written (upper-cased), to ISO codes.
CURRENCIES = {
    "$": "USD", "US$": "USD", "USD": "USD",
    "₹": "INR", "RS": "INR", "RS.": "INR", "INR": "INR",
    "SR": "SAR", "SAR": "SAR", "﷼": "SAR",
    "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP",
}  # fmt: skip
# How a price is shown, by ISO code; other codes are written before the amount ("SAR 1,234").
SYMBOLS = {"USD": "$", "INR": "₹", "EUR": "€", "GBP": "£"}


def _alternatives(marks: list[str]) -> str:
    return "|".join(re.escape(m) for m in sorted(marks, key=len, reverse=True))


# Any mark of the table (match case-insensitively); one in letters ("Rs", "SAR") not inside a word.
MARK = (
    rf"(?:(?<![A-Za-z])(?:{_alternatives([m for m in CURRENCIES if m[0].isalpha()])})"
    rf"|{_alternatives([m for m in CURRENCIES if not m[0].isalpha()])})"
)
# Currency names people write after a number ("200 dollars", "50 bucks").
CURRENCY_WORDS = r"dollars?|bucks|rupees?|riyals?|euros?|pounds?|quid"
# A price in running text: a mark then a number, or a number then a currency word or code.
MONEY = re.compile(
    rf"{MARK}\s*(?P<a>{NUMBER})"
    rf"|(?<![\w.])(?P<b>{NUMBER})\s*(?:{CURRENCY_WORDS}|USD|INR|SAR|EUR|GBP)\b",
    re.I,
)
_MARK = rf"(?P<mark>{MARK})"
_NUMBER = rf"(?P<num>-?(?:{NUMBER}))"
_AMOUNT = re.compile(
    rf"^\s*(?:{_MARK}\s*)?{_NUMBER}\s*(?:{_MARK.replace('mark', 'mark2')})?\s*$", re.I
)
_PERCENT = re.compile(rf"^\s*{_NUMBER}\s*%\s*$")
MAX_AMOUNT = 1e9  # anything larger in a catalog is a data error, not a price


def parse_amount(value: object) -> tuple[float | None, str | None]:
    """Return (number, ISO currency or None); (None, None) for an empty value.

    Raises ValueError when a value is present but is not a finite amount.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"not a finite number: {value!r}")
        return number, None
    text = str(value)
    match = _AMOUNT.match(text)
    if not match:
        raise ValueError(f"not an amount: {text[:40]!r}")
    mark = match.group("mark") or match.group("mark2")
    number = float(match.group("num").replace(",", ""))
    return number, CURRENCIES.get(mark.upper()) if mark else None


def parse_number(value: object) -> float | None:
    """A plain number, an amount or a percentage; None when empty. Raises ValueError otherwise."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            return float(match.group("num").replace(",", ""))
    return parse_amount(value)[0]


def currency_in_name(name: str) -> str | None:
    """'Price (INR)' -> 'INR'."""
    for token in re.findall(r"[A-Za-z$₹€£]+", name):
        code = CURRENCIES.get(token.upper())
        if code:
            return code
    return None


def format_price(price: float, currency: str | None) -> str:
    """49.99 USD -> "$49.99"; 1234.5 SAR -> "SAR 1,234.50"; 7 with no currency -> "7"."""
    amount = f"{price:,.2f}".removesuffix(".00")
    mark = SYMBOLS.get(currency or "")
    if mark:
        return f"{mark}{amount}"
    return f"{currency} {amount}" if currency else amount
