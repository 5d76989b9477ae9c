"""The grounding verifier: every claim in an explanation must come from the item's attributes or
from what the person said.

A sentence is checked token by token, strictly (anything unverified fails it):
- numbers with units ("128 GB", "6.1-inch", "1.5 kg") must equal a quantity of the same kind in
  the item or the need, after converting units;
- prices ("$199", "₹1,099", "200 dollars") must be the item's price or a bound the person stated;
- other numbers must appear in the item or the need;
- the catalog's own names (every facet value: brands, categories, colours, people, genres) must be
  the item's, even when the person named them: a Samsung is never called an Apple because
  the person asked for Apple;
- every other word must be a word of the item or of the need, or one of the few words that
  state nothing about an item (PHRASING).

Each grounded token keeps the field it came from, so the UI can show which words came from where.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.understanding.vocabulary import STOPWORDS, normalize, singular
from retrieval.amounts import MONEY
from retrieval.numbers import LONE_NUMBER, to_float
from retrieval.quantities import find_quantities
from retrieval.records import Item
from retrieval.text import clean_text, sentences

# Words that carry no claim about an item: how explanations are phrased, and mild evaluations.
# Superlatives and attribute words ("best", "durable", "lightweight") are deliberately absent.
PHRASING = frozenset(
    """you your it its it's this that these those they them their is are was be has have had
    with and or but so as at for from in into of on to by the a an which what who also just
    only both either one ones here there than then too very quite fairly rather
    wanted want wants asked ask said say says mentioned mention looking look after need needs
    like liked love similar close closer closest match matches matching matched fit fits suits
    suit suitable option options choice pick picks good great nice solid well fine handy
    within under over below above up around about less more most budget price priced costs
    among cheaper dearer end half before
    cost costing at listed lists listing list description title reads read shows show
    states state notes note according described describe what named name called item product
    has comes come offers weighs weigh holds hold measures measure sized starring directed
    written
    offer includes include including features feature made makes make rated rating stars
    star star_rating per each every all any some no not keeps keep gives give get gets
    can could will would should may might since because while if when where how
    i me my we our us he she his her him also plus yet still even""".split()
)
_CLAIMS = {"best", "new", "old", "ever", "lot", "lots", "many", "much", "really"}  # in STOPWORDS
PHRASING = frozenset(singular(w) for w in PHRASING | (STOPWORDS - _CLAIMS))  # plural-folded
# Where the sentence repeats what the person said: the person's words may stand only there.
_ATTRIBUTED = re.compile(
    r"\byou(?:'d| would)?\s+(?:also\s+)?(?:wanted|want|asked for|asked|said|mentioned|named|"
    r"are looking for|were looking for|need|needed)\b[^:;.!?]*|\byour\s[^:;,.!?]*",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I'd|I've|I'll)\b|\b(?:we|we're|us|our|my|me)\b", re.I)
_NUMBER = re.compile(LONE_NUMBER)
_WORD = re.compile(r"(?<![\w'’-])[^\W_](?:[\w'’-]*\w)?")


@dataclass(frozen=True)
class Segment:
    text: str
    source: str | None  # the field the words came from ("title", "price", "need" ...), or None


@dataclass
class Check:
    sentence: str
    problems: list[str] = field(default_factory=list)  # what could not be grounded
    segments: list[Segment] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def about_item(self) -> bool:
        """Whether it states anything taken from the item (not only the need, or phrasing)."""
        return any(s.source not in (None, "need") for s in self.segments)


READ = "read"  # the source of a bound read from a word ("cheap": the type's median price)


@dataclass
class Grounds:
    """What may be said about one item: its fields, and what the person said."""

    fields: dict[str, str]  # field -> text, item first ("title", "price", "brand", ...)
    need: str  # everything the person said that an explanation may echo
    price: float | None
    price_bounds: tuple[float, ...]  # the price limits the person stated
    numbers: dict[str, float]  # the item's numbers by name (ram_gb, size_in, rating ...)
    names: "Names"  # the catalog's facet values: item-only words
    read_bounds: tuple[float, ...] = ()  # price limits read from words, not stated: never "yours"

    def __post_init__(self) -> None:
        # an item's words, and the names of its fields ("its brand is ...")
        self._item_words = {f: set(_words(t)) | set(_words(f)) for f, t in self.fields.items()}
        self._item_runs = {f: f" {' '.join(_words(t))} " for f, t in self.fields.items()}
        self._need_words = set(_words(self.need))
        self._quantities = [(q.name, q.value, f) for f, t in self.fields.items()
                            for q in find_quantities(t)]  # fmt: skip
        self._quantities += [(q.name, q.value, "need") for q in find_quantities(self.need)]
        self._quantities += [(n, v, n) for n, v in self.numbers.items()]
        self._plain = [(to_float(m), f) for f, t in self.fields.items()
                       for m in _NUMBER.findall(t)]  # fmt: skip
        self._plain += [(v, n) for n, v in self.numbers.items()]
        self._plain += [(to_float(m), "need") for m in _NUMBER.findall(self.need)]

    @classmethod
    def of(cls, item: Item, need_texts: Iterable[str], price_bounds: Iterable[float],
           names: "Names", price_text: str = "", read_bounds: Iterable[float] = ()
           ) -> "Grounds":  # fmt: skip
        fields = {"title": clean_text(item.title)}
        fields |= {facet: ", ".join(values) for facet, values in item.facets.items() if values}
        fields |= {k: clean_text(str(v)) for k, v in item.attributes.items() if v}
        if item.description:
            fields["description"] = clean_text(item.description)
        if item.price is not None:
            fields["price"] = price_text or f"{item.price:g}"
        numbers = dict(item.numbers) | ({"rating": item.rating} if item.rating is not None else {})
        return cls(fields, " ".join(need_texts), item.price, tuple(price_bounds), numbers,
                   names, tuple(read_bounds))  # fmt: skip

    # the checks ---------------------------------------------------------------------------
    def check(self, sentence: str) -> Check:
        check = Check(sentence)
        spans: list[tuple[int, int, str | None]] = []  # (start, end, source) of checked tokens

        def taken(start: int, end: int) -> bool:
            return any(start < e and s < end for s, e, _ in spans)

        said = [m.span() for m in _ATTRIBUTED.finditer(sentence)]  # "you wanted ...", "your ..."

        def record(start: int, end: int, source: str | None, what: str) -> None:
            attributed = any(a <= start < b for a, b in said)
            if source == "need" and not attributed:
                source, what = None, f"{what} (the person's, stated of the item)"
            elif source == READ and attributed:
                source, what = None, f"{what} (not the person's, said to be theirs)"
            if source is None:
                check.problems.append(f"{what} {sentence[start:end]!r}")
            spans.append((start, end, source))

        if _FIRST_PERSON.search(sentence):
            check.problems.append("first person")

        for m in MONEY.finditer(sentence):
            record(m.start(), m.end(), self._price_source(to_float(m.group("a") or m.group("b"))),
                   "price")  # fmt: skip
        for q in find_quantities(sentence):
            if not taken(q.start, q.end):
                found = (
                    f for n, v, f in self._quantities if n == q.name and _same(v, q.value, 0.005)
                )
                record(q.start, q.end, next(found, None), "quantity")
        for m in _NUMBER.finditer(sentence):
            if not taken(m.start(), m.end()):
                value = to_float(m.group(0))
                record(m.start(), m.end(), next((f for v, f in self._plain if _same(v, value)),
                                                None), "number")  # fmt: skip
        # words, each with its token's span ("wi-fi" is two words of one token)
        words = [(w, m.start(), m.end()) for m in _WORD.finditer(sentence)
                 if not taken(m.start(), m.end()) for w in _words(m.group(0))]  # fmt: skip
        n = 0
        while n < len(words):
            name = self.names.at([w for w, _, _ in words[n:]])
            if name:
                start, end = words[n][1], words[n + len(name) - 1][2]
                run = f" {' '.join(name)} "
                source = next((f for f, text in self._item_runs.items() if run in text), None)
                record(start, end, source, "name")
                n += len(name)
                continue
            word, start, end = words[n]
            if word not in PHRASING:
                record(start, end, self._word_source(word), "word")
            n += 1
        check.segments = _segments(sentence, spans)
        return check

    def tells(self, check: Check) -> bool:
        """Whether a sentence states something of the item beyond the person's own words: "It
        is a phone for your mom, so it's a phone for your mom" passes every check, tells nothing."""
        return any(s.source not in (None, "need") and not set(_words(s.text)) <= self._need_words
                   for s in check.segments)  # fmt: skip

    def _price_source(self, amount: float) -> str | None:
        if self.price is not None and _same(self.price, amount):
            return "price"
        if any(_same(b, amount) for b in self.price_bounds):
            return "need"
        return READ if any(_same(b, amount) for b in self.read_bounds) else None

    def _word_source(self, word: str) -> str | None:
        source = next((f for f, words in self._item_words.items() if word in words), None)
        return source or ("need" if word in self._need_words else None)


class Names:
    """A catalog's facet values as word sequences, found in a sentence longest first. Built once
    per catalog: a movie catalog has tens of thousands of people."""

    def __init__(self, values: Iterable[str]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for name in sorted({tuple(_words(v)) for v in values} - {()}, key=len, reverse=True):
            self._by_first.setdefault(name[0], []).append(name)

    def at(self, words: list[str]) -> tuple[str, ...] | None:
        """The longest name the words start with."""
        for name in self._by_first.get(words[0], ()):
            if tuple(words[: len(name)]) == name:
                return name
        return None


def verify(text: str, grounds: Grounds) -> list[Check]:
    """Each sentence of `text`, checked."""
    return [grounds.check(s) for s in sentences(text)]


def _same(a: float, b: float, tolerance: float = 1e-6) -> bool:
    """Equal, up to `tolerance` relative (0.5% for quantities: units convert with rounding)."""
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1.0)


def _words(text: str) -> list[str]:
    """Normalised, plural-folded words: what claims and sources are compared by."""
    return [w[:-3] + "y" if w.endswith("ies") and len(w) > 4 else singular(w)
            for w in normalize(text).split()]  # fmt: skip


def _segments(sentence: str, spans: list[tuple[int, int, str | None]]) -> list[Segment]:
    """The sentence cut into runs of text with one source each (None: phrasing)."""
    out: list[Segment] = []
    at = 0
    for start, end, source in sorted(spans, key=lambda s: s[:2]):
        if start < at:
            continue
        if start > at:
            _add(out, sentence[at:start], None)
        _add(out, sentence[start:end], source)
        at = end
    if at < len(sentence):
        _add(out, sentence[at:], None)
    return out


def _add(out: list[Segment], text: str, source: str | None) -> None:
    if out and out[-1].source == source:
        out[-1] = Segment(out[-1].text + text, source)
    elif out and source is None and not text.strip():
        out[-1] = Segment(out[-1].text + text, out[-1].source)
    else:
        out.append(Segment(text, source))
