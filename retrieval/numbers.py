"""The one grammar of numbers in text, shared by ingest (catalog fields and mined quantities),
understanding (budgets and measures in a message) and the verifier: how a number is written, and
the words that bound, approximate or join numbers ("under", "at least", "around", "5 to 6")."""

# "1,099", "24,269.50", "4.2", "64": thousands separated by commas, or none.
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A number standing alone in running text (not inside a word, a version or an id).
LONE_NUMBER = rf"(?<![\w.])(?:{NUMBER})(?!\w)"

# Bounds written before a number. Budgets and measures add their own words to these
# ("cheaper than", "within"; "smaller than", "lighter than").
AT_MOST = r"under|below|less than|max(?:imum)?|up to|upto|at most|no more than|not more than|<=?"
AT_LEAST = r"over|above|more than|at least|min(?:imum)?|>=?"
ABOUT = r"around|about|approximately|approx\.?|roughly|~|ish|close to|near"
# Bounds written after a number: "64GB or more", "$100 or less".
OR_MORE = r"or more|\+|and up|or above|plus"
OR_LESS = r"or less|or under|or below|max"
# Between the two ends of a range: "5-6", "5 to 6", "between 5 and 6".
RANGE_JOIN = r"-|–|to|and"


def to_float(text: str) -> float:
    """A number as written ("1,099.50") as a float."""
    return float(text.replace(",", ""))
