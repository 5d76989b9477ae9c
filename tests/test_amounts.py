import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.amounts import currency_in_name, parse_amount, parse_number


@pytest.mark.parametrize(
    ("text", "number", "currency"),
    [
        ("₹1,099", 1099.0, "INR"),
        ("SR 1,234", 1234.0, "SAR"),
        ("$49.99", 49.99, "USD"),
        ("49.99 USD", 49.99, "USD"),
        ("Rs. 500", 500.0, "INR"),
        ("2,095.50", 2095.5, None),
        (265, 265.0, None),
        ("  12 ", 12.0, None),
    ],
)
def test_currency_strings_become_numbers(text, number, currency):
    assert parse_amount(text) == (number, currency)


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_price_is_no_price(empty):
    assert parse_amount(empty) == (None, None)


@pytest.mark.parametrize("bad", ["free", "12 dollars 50", "1,09", "$", "N/A", float("nan"), True])
def test_anything_else_is_refused(bad):
    with pytest.raises(ValueError):
        parse_amount(bad)


def test_percentages_and_counts_are_numbers():
    assert parse_number("64%") == 64.0
    assert parse_number("24,269") == 24269.0


def test_currency_is_read_from_a_column_name():
    assert currency_in_name("Price (INR)") == "INR"
    assert currency_in_name("price") is None


@given(st.floats(min_value=0, max_value=1e8, allow_nan=False).map(lambda x: round(x, 2)))
def test_formatted_amounts_round_trip(value):
    for text in (f"${value:,.2f}", f"₹{value:,.2f}", f"SR {value:,.2f}", f"{value:.2f}"):
        number, _ = parse_amount(text)
        assert number is not None and math.isclose(number, value, rel_tol=1e-9, abs_tol=1e-9)
