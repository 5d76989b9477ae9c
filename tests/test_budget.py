import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.understanding.budget import parse_ranges


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("under $100", None, 100),
        ("less than 300 dollars", None, 300),
        ("between 200 and 400", 200, 400),
        ("around 50", 40, 60),
        ("max 1k", None, 1000),
        ("₹500-₹800", 500, 800),
        ("from $50 to $80", 50, 80),
        ("my budget is 250", None, 250),
        ("a $100 phone", None, 100),
        ("no more than 1,200 rupees", None, 1200),
        ("SR 500 or less", None, 500),
        ("at least $300", 300, None),
        ("2 grand max", None, 2000),
        ("64GB for less than $400", None, 400),
        ("a 5 inch screen under 200", None, 200),
    ],
)
def test_budgets_in_common_forms(text, low, high):
    price = parse_ranges(text).price
    assert price is not None and (price.min, price.max) == (low, high)


@pytest.mark.parametrize(
    "text", ["at least 64GB", "iPhone 6 Plus", "a 5 inch screen", "for my 10 year old", "hello"]
)
def test_quantities_with_units_are_not_budgets(text):
    assert not parse_ranges(text)


def test_relative_budgets_and_ratings():
    assert parse_ranges("something cheaper").relative == "cheaper"
    assert parse_ranges("a bit more expensive is fine").relative == "pricier"
    assert parse_ranges("cheaper than $50").price.max == 50  # an absolute bound wins
    rating = parse_ranges("4+ stars under $300")
    assert rating.rating.min == 4 and rating.price.max == 300
    assert parse_ranges("rated 4 or more").rating.min == 4


amounts = st.integers(min_value=1, max_value=999_999)


def money(n: int, style: int) -> str:
    return [f"${n}", f"{n} dollars", f"${n:,}", f"{n:,} rupees", f"₹{n}", f"{n} bucks"][style]


UPPER_CUES = ["under", "below", "less than", "max", "up to", "at most", "no more than"]
RANGE_FORMS = ["{a}-{b}", "between {a} and {b}", "from {a} to {b}", "{a} to {b}"]


@given(amounts, st.integers(0, 5), st.sampled_from(UPPER_CUES))
def test_any_upper_bound_is_read_exactly(n, style, cue):
    price = parse_ranges(f"I want one {cue} {money(n, style)} please").price
    assert price is not None and price.max == n and price.min is None


@given(amounts, amounts, st.integers(0, 5), st.sampled_from(RANGE_FORMS))
def test_any_range_is_read_in_order(a, b, style, form):
    price = parse_ranges(form.format(a=money(a, style), b=money(b, style))).price
    assert price is not None and (price.min, price.max) == (min(a, b), max(a, b))


@given(st.integers(min_value=1, max_value=999), st.sampled_from(["k", "K", " thousand"]))
def test_thousands(n, suffix):
    assert parse_ranges(f"under {n}{suffix}").price.max == n * 1000


@given(st.text(max_size=200))
def test_any_text_parses_without_error_and_bounds_are_ordered(text):
    change = parse_ranges(text)
    for bound in (change.price, change.rating):
        if bound and bound.min is not None and bound.max is not None:
            assert bound.min <= bound.max


def test_not_too_expensive_is_a_word_for_cheap_not_cheaper_than_those():
    assert parse_ranges("a sofa, not too expensive").relative is None
    assert parse_ranges("it shouldn't be too pricey").relative is None
    assert parse_ranges("those are too expensive").relative == "cheaper"
