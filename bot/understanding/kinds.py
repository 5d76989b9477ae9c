"""What kind of thing a message asks for, and what it is for.

The head of the request names the thing: in "a phone for my mom" it is a phone, in "a case for my
iPhone 7" a case, in "cheap samsung phone" a phone (the rightmost type word before the first
"for", "with", "under" ...). What follows "for", "to fit" or "compatible with" is what the thing
must suit: words to match in the item's text, never a filter on the catalog's facets ("for my
iPhone" must not filter to iPhones, "for my mom" must not become a brand or a category)."""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.text import normalize, singular
from retrieval.types import COUNTING, GENERIC, HYPERNYMS, head

# Everyday words -> the type word catalogs use. A catalog adds its own in its mapping file
# (`type_synonyms:`); only types the catalog has are ever read.
SYNONYMS = {
    "couch": "sofa", "settee": "sofa", "loveseat": "sofa", "cellphone": "phone",
    "telephone": "phone", "handset": "phone", "smartphone": "phone",
    "mobile phone": "phone", "power bank": "charger", "powerbank": "charger",
    "portable battery": "charger", "telly": "television tv", "tv": "television tv",
    "kicks": "shoe", "trainer": "shoe sneaker", "footwear": "shoe", "tee": "tshirt",
    "nightstand": "table", "bedside table": "table", "dresser": "chest", "closet": "wardrobe",
    "bookshelf": "bookcase shelf", "headphone": "headphone headset earphone",
    "earphone": "earphone headphone headset", "earbud": "earphone headphone headset",
    "slacks": "trouser", "purse": "bag", "handbag": "bag",
    "suitcase": "bag trolley luggage", "luggage": "bag trolley",
    "tempered glass": "protector", "screen guard": "protector",
}  # fmt: skip
_UNITS = frozenset("inch inches in gb mb tb mah mp cm mm m ft feet w kg g lb oz ml l pack pcs "
                   "piece pieces x".split())  # fmt: skip
# What follows these describes the thing, never names it: "with a 20000 mAh battery".
_FEATURES = frozenset("with without featuring including has having".split())
_ARTICLES = frozenset("a an the some any this these those new good nice".split())
_PLACEHOLDERS = frozenset("something anything somewhere thing stuff".split())
# "something to charge my phone": the thing that does it is a charger (verb + "r", "er", "or").
_DOERS = ("r", "er", "or")
# Words that end one stretch of a request and start another.
_MARKERS = frozenset(
    """with without that which who so because since in on under below over above less more around
    about than from but between up at within costing priced to and or is are was has have she he
    they we it also please of""".split()
)
# After these comes a verb, never the thing: "it should seat three", "has to fit", "can hold".
_BEFORE_VERBS = frozenset("to should must can could will would shall may might cant cannot wont "
                          "dont doesnt didnt".split())  # fmt: skip
# Words for a thing not yet named: "something that covers my stomach".
_THINGS = frozenset("something anything one ones thing things stuff".split())
_RELATIVE = frozenset("that which who".split())
# The words a request is made with, never the thing requested.
REQUEST_WORDS = frozenset("need needs want wants like get buy looking find show help".split())
# What a person named after "my" does: "my dad needs a new phone" asks for a phone for him.
_SUBJECT_VERBS = frozenset("needs wants wanted asked uses likes prefers loves hates keeps is was "
                           "has had would will could".split())  # fmt: skip
# Words after which comes what the thing must suit: "for my iPhone 7", "fits a 2-seat sofa",
# "compatible with ...", "my phone" (what a person owns, not what they want).
OBJECT_WORDS = frozenset("for fit fits compatible work works go goes my his her their our your"
                         .split())  # fmt: skip
# What a person already has: "it's an iPhone 6s", "mine is a Galaxy", "I have a 2-seat sofa".
_OWNED = frozenset({"its", "mine"})
_OWNING = frozenset({"have", "own", "got", "ve"})
_OWNERS = frozenset({"i", "we", "ive", "weve", "i ve"})
_SEEKING = frozenset("looking searching shopping hunting asking shop look search hunt".split())
# A part named with how much of it is wanted describes the thing, never names it: "a big screen
# and long battery" asks for a phone, not a battery. Part -> (the number it is measured by, the
# words that say how much): the thing is of a type whose items carry that number.
_MUCH = frozenset("big large huge bigger larger good great better best excellent decent lot lots "
                  "plenty more extra".split())  # fmt: skip
_PARTS = {
    "battery": ("battery_mah", _MUCH | {"long", "longer", "lasting", "strong", "all", "day"}),
    "screen": ("size_in", _MUCH), "display": ("size_in", _MUCH),
    "storage": ("storage_gb", _MUCH), "memory": ("storage_gb", _MUCH), "ram": ("ram_gb", _MUCH),
    "camera": ("camera_mp", _MUCH),
}  # fmt: skip
# Parts that are things of their own too ("a good camera"): a part only beside another part
# ("big screen, good camera and lots of storage").
_ALSO_THINGS = frozenset({"camera"})
# Facets a "for ..." phrase may still set: "shoes for men" is a gender, not a compatibility.
FOR_FACETS = frozenset({"gender"})


@dataclass(frozen=True)
class Kinds:
    """A catalog's types and the words that lead to them."""

    types: frozenset[str]
    synonyms: dict[str, str]  # a shopper's word -> the catalog's type
    general: dict[str, str]  # the catalog's type -> a more general one it also has
    hints: dict[str, str] = field(default_factory=dict)  # a synonym's words the catalog has as
    # no type, to find in the items ("suitcase": bag, and "trolley" first)

    @classmethod
    def of(cls, types: Iterable[str], extra: dict[str, str] | None = None) -> "Kinds":
        known = frozenset(types)
        words = {**SYNONYMS, **{_key(k): v for k, v in (extra or {}).items()}}
        # a synonym may name several types, best first: the first the catalog has is read
        chosen = {k: next((t for t in v.split() if t in known), None) for k, v in words.items()}
        hints = {k: next((t for t in words[k].split() if t not in known), "") for k in chosen}
        return cls(known, {k: v for k, v in chosen.items() if v},
                   {k: v for k, v in HYPERNYMS.items() if v in known},
                   {k: h for k, h in hints.items() if h and chosen[k]})  # fmt: skip

    def word(self, words: list[str], end: int) -> tuple[str, int] | None:
        """The type named by the phrase ending at `end` (exclusive), and the phrase's length."""
        two = " ".join(words[max(0, end - 2) : end]) if end >= 2 else ""
        if two and (found := self.synonyms.get(two) or self.synonyms.get(singular(two))):
            return found, 2
        compound = head(two) if two else None
        framed = end >= 2 and words[end - 1] in COUNTING  # "bed frame" is a bed
        if compound in self.types and (
            framed or compound not in {head(w) for w in words[end - 2 : end]}
        ):
            return compound, 2  # "t shirt" is a t-shirt, not a shirt
        one = words[end - 1]
        if one in REQUEST_WORDS:  # "I need ...": a shop may sell a "Need" but it is a verb
            return None
        found = self.synonyms.get(one) or self.synonyms.get(singular(one))
        if found:  # a shopper's word first: "smartphone" means any phone
            return found, 1
        # A kind of a more general type ("iPhone", "sneakers") is read as the general one: the
        # catalog may file some of them only under it; the word itself still ranks them first.
        found = self.general.get(one) or self.general.get(singular(one))
        if found:
            return found, 1
        h = head(one)
        return (h, 1) if h in self.types else None

    def read(self, words: list[str]) -> str | None:
        """The type the request wants: the rightmost type word of the first stretch that names
        one, leaving out what the thing is for ("a case for my phone" -> case)."""
        return self.read_phrase(words)[0]

    def read_phrase(self, words: list[str], beside: bool = False) -> tuple[str | None, str]:
        """The type, and the words that named it with the one before ("tv bench", "battery
        case"), to find as a phrase in the items' text."""
        if words and set(words[:3]) & _PLACEHOLDERS and (doer := self.doer(words)):
            return doer, ""  # "something to charge my phone": the head is "something to charge"
        objects = object_positions(words) | feature_positions(words, beside)
        stretch: list[str] = []
        features = next((i for i, w in enumerate(words) if w in _FEATURES), len(words))
        for i, word in enumerate([*words[:features], "."]):
            verb = i > 0 and (words[i - 1] in _BEFORE_VERBS or self._relative(words, i - 1))
            if i < features and word and word not in _MARKERS and i not in objects and not verb:
                stretch.append(word)
                continue
            found = self._head_of(stretch)
            if found:
                return found
            stretch = []
        return self.doer(words), ""

    def _relative(self, words: Sequence[str], at: int) -> bool:
        """Whether words[at] begins a relative clause, after which comes a verb: "that",
        "which" or "who" after a thing ("something that covers my stomach", "a case which
        fits"), not the "that" of "I want that phone" or the "which" of "which phone"."""
        before = words[at - 1] if at > 0 else ""
        return words[at] in _RELATIVE and (
            before in _THINGS or bool(before and self.read([before]))
        )

    def _head_of(self, stretch: list[str]) -> tuple[str, str] | None:
        """The rightmost type word of a stretch, unless it names a model ("iphone 7", "galaxy
        s7") after another type word: "battery case iphone 6" is a case for an iPhone 6."""
        found = []
        end = len(stretch)
        while end > 0:
            hit = self.word(stretch, end)
            if hit:
                found.append((hit[0], end))
                end -= hit[1]
            elif not found and singular(stretch[end - 1]) in GENERIC:
                return None  # "cell phone accessories": the head says any kind of thing
            else:
                end -= 1
        for n, (kind, end) in enumerate(found):
            if not _model(stretch[end:]) or n == len(found) - 1:
                named = [w for w in stretch[max(0, end - 2) : end]
                         if w.isalpha() and w not in _ARTICLES]  # fmt: skip
                hint = self.hints.get(stretch[end - 1]) or self.hints.get(
                    singular(stretch[end - 1])
                )
                return kind, " ".join(named) if len(named) > 1 else hint or ""
        return None

    def doer(self, words: list[str]) -> str | None:
        """The type that does what the request asks ("to charge" -> charger), if the catalog
        has one."""
        for before, verb in itertools.pairwise(words):
            if before == "to":
                stem = verb[:-1] if verb.endswith("e") else verb
                for ending in _DOERS:
                    for word in {verb + ending, stem + ending}:
                        if word in self.types and len(word) > 3:
                            return word
        return None


def _model(after: list[str]) -> bool:
    """Whether the words after a type word make it a model's name ("iphone 7", "galaxy s7"),
    not a measure ("mounts 3.3 inch", "case 2 pack")."""
    if not after or not any(c.isdigit() for c in after[0]):
        return False
    following = after[1] if len(after) > 1 else ""
    return not following.isdigit() and following not in _UNITS


def object_positions(words: list[str]) -> set[int]:
    """The positions of the words that say what the thing is for ("for my iPhone 7"): from an
    object word to the next marker ("in black" after it is about the thing again)."""
    out: set[int] = set()
    inside = False
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        seeking = word == "for" and before in _SEEKING  # "looking for a phone"
        after = words[i + 1] if i + 1 < len(words) else ""
        # "it's an iPhone 7" (not "it's freezing"), "I have a 2-seat sofa"
        owned = (word in _OWNED and after in _ARTICLES) or (word in _OWNING and before in _OWNERS)
        if (word in OBJECT_WORDS and not seeking) or owned:
            inside = True
        elif word in _MARKERS or word in _SUBJECT_VERBS:
            inside = False
        if inside:
            out.add(i)
    return out


def feature_positions(words: list[str], beside: bool = False) -> set[int]:
    """Where a part is named with how much of it is wanted ("long battery", "big screen", "lots
    of storage"); a part that is a thing too ("good camera") only beside another part (in
    `words`, or elsewhere in the message: `beside`)."""

    def how_much(i: int) -> str:
        before = words[max(0, i - 2) : i]
        return before[0] if before[1:] == ["of"] else before[-1] if before else ""

    found = {i for i, w in enumerate(words) if w in _PARTS and how_much(i) in _PARTS[w][1]}
    parts = {i for i in found if words[i] not in _ALSO_THINGS}
    return found if parts or beside else set()


def implied(words: list[str], carried: dict[str, set[str]], sizes: dict[str, int]) -> str | None:
    """The type a request names only by its parts ("a big screen and long battery"): the one
    whose items carry the most of the parts' numbers (`carried`: type -> numbers its items
    carry), the commonest of those on a tie; None when no part is named or no type carries one."""
    numbers = {_PARTS[words[i]][0] for i in feature_positions(words)}
    scores = {kind: len(numbers & have) for kind, have in carried.items()}
    best = max(scores.items(), key=lambda ks: (ks[1], sizes.get(ks[0], 0)), default=(None, 0))
    return best[0] if best[1] else None


def _key(word: str) -> str:
    return singular(normalize(word))
