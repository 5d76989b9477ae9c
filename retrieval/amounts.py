"""Numbers as catalogs write them: "₹1,099", "SR 1,234", "$49.99", "4.2", "64%", "24,269"."""

import math
import re

# Currency marks, by how they are written, to ISO codes.
CURRENCIES = {
    "$": "USD", "US$": "USD", "USD": "USD",
    "₹": "INR", "RS": "INR", "RS.": "INR", "INR": "INR",
    "SR": "SAR", "SAR": "SAR", "﷼": "SAR",
    "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP",
}  # fmt: skip
_MARK = r"(?P<mark>US\$|\$|₹|Rs\.?|INR|SR|SAR|﷼|€|EUR|£|GBP|USD)"
_NUMBER = r"(?P<num>-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
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
