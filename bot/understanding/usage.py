"""Who the thing is for and where it is used ("for my husband", "for my 6 year old", "for the
balcony"), read as what the catalog can check: a gender it holds, words its children's or outdoor
items carry. Never a filter on something the catalog does not hold: on a catalog without a
gender facet, "for my mom" is only words."""

from dataclasses import dataclass, field

from retrieval.text import normalize

# A person -> the gender value a fashion catalog files their things under.
PEOPLE = {
    "husband": "men", "dad": "men", "daddy": "men", "father": "men", "boyfriend": "men",
    "brother": "men", "grandpa": "men", "grandfather": "men", "uncle": "men", "him": "men",
    "guy": "men", "gentleman": "men", "man": "men", "gent": "men", "woman": "women",
    "ladies": "women", "wife": "women", "mom": "women", "mum": "women",
    "mother": "women", "mommy": "women", "girlfriend": "women", "sister": "women",
    "grandma": "women", "grandmother": "women", "aunt": "women", "lady": "women",
    "son": "boys", "nephew": "boys", "boy": "boys", "daughter": "girls", "niece": "girls",
    "girl": "girls",
}  # fmt: skip
# Words that say the thing is for a child, and the words children's items are described by.
CHILD = frozenset("baby babies toddler toddlers kid kids child children son daughter infant "
                  "newborn nursery boy girl".split())  # fmt: skip
CHILD_WORDS = ("children", "childrens", "child", "junior", "kids", "baby", "toddler", "infant")
# Places outside -> the word outdoor items are described by.
OUTSIDE = frozenset("garden balcony patio terrace outside outdoors yard backyard porch deck "
                    "poolside veranda".split())  # fmt: skip


@dataclass
class Usage:
    gender: str | None = None  # the catalog's own value
    suits: list[str] = field(default_factory=list)  # words to find in the items' text


def read_usage(text: str, genders: list[str]) -> Usage:
    """The person and place words of a message, as the catalog can check them."""
    words = normalize(text).split()
    usage = Usage()
    by_name = {g.lower(): g for g in genders}
    for word in words:
        person = PEOPLE.get(word)
        if person and usage.gender is None:
            usage.gender = by_name.get(person)
    said = " ".join(words)
    aged = " year old" in said or " years old" in said or " yr old" in said  # "my 6 year old"
    if aged or CHILD & {w for w in words if w not in ("son", "daughter", "boy", "girl")}:
        usage.suits += CHILD_WORDS
    if OUTSIDE & set(words):
        usage.suits.append("outdoor")
    return usage
