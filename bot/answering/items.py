"""Questions about the items just shown: "does the second one have a headphone jack?", "how much
is the Moto?", "what's the screen size?". Answered from the item's attributes, quoting the field;
when the listing does not say, the answer says so instead of guessing."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.state import Need
from bot.understanding.understand import by_position
from bot.understanding.vocabulary import STOPWORDS, normalize, singular
from retrieval.quantities import LABELS, find_quantities
from retrieval.records import Item
from retrieval.text import clean_text, sentences, shorten

MAX_QUOTE = 200  # characters of a field quoted in an answer
_QUESTION = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|hmm|also)\W+)?(?:does|do|is|are|has|have|can|will|what|what'?s|"
    r"which|how|who|tell me)\b",
    re.I,
)
# A request for other items, not a question about these: "do you have...", "can you show...".
_REQUEST = re.compile(
    r"\b(?:do|does|can|could|would|have|did)\s+you\b|\byou\s+(?:have|got|sell|carry)\b|"
    r"\bshow me\b|\bany (?:other|more)\b|\bsomething\b|\banything\b|\b(?:how|what) about\b|"
    r"\b(?:is|are) there\b",
    re.I,
)
_THE = re.compile(r"\bthe\s+([\w-]+(?:\s+[\w-]+)?)", re.I)
_ONE = re.compile(r"\b(?:it|its|this one|that one|this|that)\b", re.I)
_ALL = re.compile(r"\b(?:they|them|these|those|their|each|all of them|both)\b", re.I)
_PRICE = re.compile(r"\bhow much\b|\bprice\b|\bcosts?\b|\bexpensive\b|\bcheap(?:er|est)?\b", re.I)
_RATING = re.compile(r"\brat(?:ing|ed)\b|\bstars?\b|\breviews?\b", re.I)
# words that ask for one of the numbers mined at ingest
NUMBER_WORDS = {
    "screen": "size_in", "display": "size_in", "inch": "size_in", "inches": "size_in",
    "storage": "storage_gb", "gb": "storage_gb", "ram": "ram_gb", "memory": "ram_gb",
    "camera": "camera_mp", "megapixel": "camera_mp", "mp": "camera_mp",
    "battery": "battery_mah", "mah": "battery_mah",
    "weight": "weight_g", "heavy": "weight_g", "weigh": "weight_g",
    "wide": "width_cm", "width": "width_cm", "tall": "height_cm", "height": "height_cm",
    "high": "height_cm", "deep": "depth_cm", "depth": "depth_cm", "long": "length_cm",
    "length": "length_cm", "dose": "dose_mg", "mg": "dose_mg", "volume": "volume_ml",
    "power": "power_w", "watt": "power_w",
}  # fmt: skip
# Superlatives over the shown items ("which one has the biggest battery?", "which is the
# lightest?"): 1 for the most, -1 for the least; and the number a word names by itself.
MOST = {"biggest": 1, "largest": 1, "longest": 1, "most": 1, "highest": 1, "best": 1,
        "heaviest": 1, "widest": 1, "tallest": 1, "deepest": 1, "strongest": 1, "fastest": 1,
        "smallest": -1, "lightest": -1, "least": -1, "lowest": -1, "shortest": -1,
        "narrowest": -1, "thinnest": -1, "cheapest": -1, "priciest": 1, "dearest": 1}  # fmt: skip
_IMPLIED = {"heaviest": "weight_g", "lightest": "weight_g", "widest": "width_cm",
            "narrowest": "width_cm", "tallest": "height_cm", "deepest": "depth_cm",
            "cheapest": "price", "priciest": "price", "dearest": "price"}  # fmt: skip
FACET_WORDS = {"color": "colour", "directed": "director", "directs": "director",
               "stars": "star", "starring": "star", "actor": "star", "actors": "star",
               "made": "material", "kind": "category", "type": "category"}  # fmt: skip
_ASKING = frozenset(
    "does do is are has have can will what whats which how who tell me about it its this that "
    "they them these those their one ones the a an of on in there any much big many long with "
    "come comes get support supports work works include includes"
    .split()
)  # fmt: skip


@dataclass(frozen=True)
class ItemQuestion:
    items: list[str]  # the ids asked about
    topic: str  # what is asked, without the question words and the reference


def item_question(text: str, need: Need, titles: dict[str, str]) -> ItemQuestion | None:
    """The message as a question about items just shown, or None."""
    shown = need.last_shown
    if not shown or not (text.rstrip().endswith("?") or _QUESTION.match(text)):
        return None
    if _REQUEST.search(text) or not _QUESTION.match(text):
        return None
    picked, rest = _referenced(text, shown, titles)
    topic = " ".join(w for w in normalize(rest).split() if w not in _ASKING)
    if not topic and not _PRICE.search(text):
        return None
    if not picked:
        picked = shown[:1] if _ONE.search(rest) and not _ALL.search(rest) else list(shown)
    return ItemQuestion(picked, topic or "price")


def answer(
    question: ItemQuestion, items: Sequence[Item], price_text, text: str
) -> tuple[str, list[str]]:
    """The answer and the ids of the items it is about: one line per item, each quoting where it
    found the answer (or saying it found none); a question with a superlative about several
    items, one answer comparing them, about the one it names."""
    compared = compare(items, text, price_text) if len(items) > 1 else None
    if compared:
        said, best = compared
        return said, [best] if best else []
    lines = [_answer_one(item, question.topic, price_text, text) for item in items]
    if not lines:
        return "I can't find that item any more.", []
    return "\n".join(lines), [i.id for i in items]


def _answer_one(item: Item, topic: str, price_text, text: str) -> str:
    title = clean_text(item.title)
    words = [singular(w) for w in topic.split()]
    if _PRICE.search(text) or topic == "price":
        if item.price is None:
            return f"The listing for {title} doesn't give a price."
        return f"{title} is listed at {price_text(item.price)}."
    if _RATING.search(text):
        if item.rating is None:
            return f"The listing for {title} doesn't give a rating."
        return f"{title} is rated {item.rating:g}."
    for word in words:
        facet = FACET_WORDS.get(word, word)
        if item.facets.get(facet):
            values = ", ".join(item.facets[facet])
            return f"The {facet} of {title} is {values} (from its listing)."
    number = next((NUMBER_WORDS[w] for w in words if w in NUMBER_WORDS), None)
    if number:
        quote = _quote_quantity(item, number)
        if quote:
            return quote
        if number in item.numbers:
            value = f"{item.numbers[number]:g} {LABELS.get(number, '')}".strip()
            return f"{title}: {value} (from its listing)."
    found = _quote_words(item, [w for w in words if w not in STOPWORDS] or words)
    if found:
        field, sentence = found
        if field == "title":
            return f'{title}: its title says "{topic}".'
        return f'The {field} of {title} says: "{sentence}"'
    return f"The listing for {title} doesn't mention {topic}."


def compare(items: Sequence[Item], text: str, price_text) -> tuple[str, str | None] | None:
    """ "Which one has the biggest battery?": the item with the most (or least) of the number
    asked, from the listings that give it, and its id (None when no listing gives it); None
    when the question has no superlative or names no number."""
    words = [singular(w) for w in normalize(text).split()]
    most = next((w for w in words if w in MOST), None)
    if most is None:
        return None
    following = words[words.index(most) + 1 :]
    after = following[0] if following else ""
    name = _IMPLIED.get(most) or NUMBER_WORDS.get(after)
    if name is None and _PRICE.search(after):  # "the most expensive", "the least expensive"
        name = "price"
    if name is None and _RATING.search(after):  # "the highest rated"
        name = "rating"
    if name is None:
        return None
    given = [(v, i) for i in items if (v := _number(i, name)) is not None]
    what = after if after in NUMBER_WORDS else name.rsplit("_", 1)[0]
    if not given:
        return f"None of their listings gives the {what}, so I can't compare them on it.", None
    value, best = (max if MOST[most] > 0 else min)(given, key=lambda vi: vi[0])
    shown = price_text(value) if name == "price" else f"{value:g} {LABELS.get(name, '')}".strip()
    if after in NUMBER_WORDS:  # a part: "the biggest battery"
        said = f"has the {most} {after}"
    elif most in _IMPLIED:  # the word says it all: "the lightest"
        said = f"is the {most}"
    else:  # "the most expensive", "the highest rated"
        said = f"is the {most} {after}"
    out = f"Of these, {clean_text(best.title)} {said}: {shown} (from their listings)."
    if len(given) < len(items):
        verb = "gives" if len(given) == 1 else "give"
        out += f" Only {len(given)} of the {len(items)} listings {verb} it."
    return out, best.id


def _number(item: Item, name: str) -> float | None:
    """The item's price, rating or mined number of that name, if it has one."""
    return {"price": item.price, "rating": item.rating}.get(name, item.numbers.get(name))


def _fields(item: Item) -> dict[str, str]:
    out = {"title": clean_text(item.title), "description": clean_text(item.description)}
    out |= {k: clean_text(str(v)) for k, v in item.attributes.items()}
    return {k: v for k, v in out.items() if v}


def _quote_quantity(item: Item, name: str) -> str:
    for field, text in _fields(item).items():
        for sentence in sentences(text):
            if any(q.name == name for q in find_quantities(sentence)):
                quote = shorten(sentence, MAX_QUOTE)
                return f'The {field} of {clean_text(item.title)} says: "{quote}"'
    return ""


def _quote_words(item: Item, words: list[str]) -> tuple[str, str] | None:
    """The first sentence of a field that holds every asked word."""
    for field, text in _fields(item).items():
        for sentence in sentences(text):
            have = set(singular(normalize(sentence)).split())
            if words and all(w in have for w in words):
                return field, shorten(sentence, MAX_QUOTE)
    return None


def _referenced(text: str, shown: list[str], titles: dict[str, str]) -> tuple[list[str], str]:
    """The shown items the question names (by position or by title words), and the text
    without the words that named them."""
    picked, text = by_position(text, shown)
    if picked:
        return picked, text
    for m in _THE.finditer(text):  # "the Moto", "the Galaxy S7": words of one shown title
        named = [w for w in normalize(m.group(1)).split() if w not in _ASKING]
        for item_id in shown:
            title = set(normalize(titles.get(item_id, "")).split()) - STOPWORDS
            if (
                named
                and all(w in title for w in named)
                and _names_it(named, item_id, shown, titles)
            ):
                return [item_id], text[: m.start()] + " " + text[m.end() :]
    return picked, text


def _names_it(named: list[str], item_id: str, shown: list[str], titles: dict[str, str]) -> bool:
    """The words are in this title and in no other shown title: "the Moto" among phones."""
    others = [set(normalize(titles.get(i, "")).split()) for i in shown if i != item_id]
    return any(all(w not in other for other in others) for w in named)
