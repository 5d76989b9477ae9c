"""A simulated user who knows a hidden target and talks to the bot about it.

It answers the bot's questions from the target's attributes only (facet values, price, mined
numbers), never its title or id, in phrasings drawn from a seeded random generator. When a
recommendation misses, it turns the list down and, if it has any left, volunteers one more clue.

Two kinds:
- `movie_user`: iEvaLM's "attribute" mode on ReDial. The targets are the case's recommended
  movies; asked about genre, star, director or writer, it names every value its targets have
  (as iEvaLM does) or, half the time, one of them; a list that misses is turned down in one of
  several phrasings ("I don't like them", "No, that's not it") and nothing more.
- `shopper`: a shopper after one product of a catalog. It opens with the product's category
  (the finest, or only the broad one for the "vague" opener), answers questions about brand,
  category, colour and the like, and volunteers the price band and features one by one.
- `natural_shopper`: the same, in everyday words: it opens with what people call the thing ("I
  need a new mobile phone.", "a couch for my mom please", sometimes with a typo), never a
  category name, and has no preference when asked for a category.
"""

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.engine import Turn
from retrieval.records import Item

ANSWERS = {
    "genre": ["I'm in the mood for {v}.", "Something {v}, please.", "{v} would be great."],
    "star": ["Something with {v}.", "I'd like a movie starring {v}.", "I'm a fan of {v}."],
    "director": ["Something directed by {v}.", "A film by {v} would be nice."],
    "writer": ["Something written by {v}.", "Written by {v}, ideally."],
    "brand": ["{v}, please.", "I'd prefer {v}.", "Something from {v}."],
    "category": ["{v}.", "I'm after {v}.", "{v}, please."],
    "colour": ["In {v}, please.", "{v} would be nice.", "I'd like it in {v}."],
    "material": ["Made of {v}.", "Preferably {v}."],
    "designer": ["Something designed by {v}.", "By {v}, if possible."],
}
DEFAULT_ANSWER = ["{v}, please.", "{v}."]
NO_PREFERENCE = ["No preference.", "I don't mind.", "Doesn't matter."]
# Several ways to say each thing, drawn by the seeded generator: the bot must not depend on one.
TURN_DOWN = (
    "None of these.",
    "Not those.",
    "Hmm, none of these.",
    "No, that's not it.",
    "Hmm, something else?",
    "Not what I'm looking for.",
    "Those aren't it.",
)
MOVIE_TURN_DOWN = ("I don't like them.", "None of those, sorry.", "Not those.",
                   "No, that's not it.", "Hmm, something else.", "Not really my thing.",
                   "Not what I had in mind.")  # fmt: skip
ONE_VALUE = 0.5  # how often the movie-seeker names one value of several (as people do)
FEATURES = {
    "storage_gb": "With {v:g}GB of storage.",
    "ram_gb": "With {v:g}GB of RAM.",
    "size_in": "With a {v:g} inch screen.",
    "camera_mp": "With a {v:g} MP camera.",
    "battery_mah": "With a {v:g} mAh battery.",
    "width_cm": "About {v:g} cm wide.",
    "height_cm": "About {v:g} cm tall.",
    "depth_cm": "About {v:g} cm deep.",
}
OPENERS = ["I'm looking for {v}.", "Can you help me find {v}?", "I need {v}."]
MONEY = {"USD": "${n}", "INR": "₹{n}", "EUR": "€{n}", "GBP": "£{n}", "SAR": "{n} riyals"}
MOVIE_FACETS = ("genre", "star", "director", "writer")


@dataclass
class SimulatedUser:
    facets: dict[str, list[str]]  # the targets' own values: what it can answer
    clues: list[str]  # sentences it volunteers, one per missed list, in order
    rng: random.Random
    turn_down: Sequence[str] = TURN_DOWN
    names_all: bool = False  # name every value it has, not only those the bot offered
    said: list[str] = field(default_factory=list)  # its messages, for the transcript

    def reply(self, turn: Turn) -> str:
        """What it says to the bot's turn (which did not show the target)."""
        if turn.action == "ask" and turn.question:
            text = self.answer(turn.question["facet"], turn.question["options"])
        elif turn.action == "recommend":
            text = " ".join([self.rng.choice(self.turn_down), *self._clue()])
        else:  # the bot found nothing, or did not understand
            text = self._relax(turn.blocker) or " ".join(self._clue()) or "What else do you have?"
        self.said.append(text)
        return text

    def answer(self, facet: str, options: Sequence[str]) -> str:
        values = self.facets.get(facet, [])
        if not values:
            return self.rng.choice(NO_PREFERENCE)
        offered = [] if self.names_all else [v for v in values if v in options]
        chosen = offered or values
        if self.names_all and len(chosen) > 1 and self.rng.random() < ONE_VALUE:
            chosen = chosen[:1]  # "Something with Tom Hanks", not every star of every target
        if facet == "category":  # the finest of its categories
            chosen = chosen[-1:]
        self.clues = [c for c in self.clues if not any(v in c for v in values)]
        template = self.rng.choice(ANSWERS.get(facet, DEFAULT_ANSWER))
        return capitalised(template.format(v=spoken_list(chosen)))

    def _relax(self, blocker: str) -> str:
        """When the bot says a facet value rules everything out ("star Bette Davis") and the
        target does not have it, let the facet go, as the bot suggests."""
        facet = blocker.split(" ")[0]
        if not blocker or facet == "the" or facet not in ANSWERS:
            return ""  # no blocker, or a range (the user's own budget or size): keep it
        if any(value in blocker for value in self.facets.get(facet, [])):
            return ""
        return f"Any {facet} is fine."

    def _clue(self) -> list[str]:
        return [self.clues.pop(0)] if self.clues else []


def movie_user(targets: Sequence[Item], rng: random.Random) -> SimulatedUser:
    """iEvaLM's attribute-mode seeker: knows every genre, star, director and writer of its
    targets, volunteers nothing."""
    facets: dict[str, list[str]] = {}
    for item in targets:
        for facet in MOVIE_FACETS:
            for value in item.facets.get(facet, ()):
                if value not in facets.setdefault(facet, []):
                    facets[facet].append(value)
    return SimulatedUser(facets, [], rng, MOVIE_TURN_DOWN, names_all=True)


def shopper(target: Item, broad: str, currency: str | None, rng: random.Random) -> SimulatedUser:
    """A shopper after `target`: its clues are its brand, price band, features, colour and
    material (seeded order), then its finest category if the opener was the broad one."""
    facets = {f: list(v) for f, v in target.facets.items()}
    clues = [capitalised(rng.choice(ANSWERS["brand"]).format(v=v))
             for v in target.facets.get("brand", ())[:1]]  # fmt: skip
    if target.price:
        clues.append(price_band(target.price, currency, rng))
    clues += [FEATURES[n].format(v=target.numbers[n]) for n in FEATURES if n in target.numbers]
    for facet in ("colour", "material"):
        for value in target.facets.get(facet, ())[:1]:
            clues.append(capitalised(rng.choice(ANSWERS[facet]).format(v=value)))
    rng.shuffle(clues)
    finest = finest_category(target)
    if finest and finest != broad:
        clues.append(f"Specifically {finest}.")
    return SimulatedUser(facets, clues, rng)


# The natural shopper's first words: the thing in everyday words, often who it is for; never
# the catalog's category names.
NATURAL_OPENERS = ["I need a new {v}.", "Looking for a {v}, any ideas?", "Do you have a good {v}?",
                   "I want to buy a {v} for my {p}.", "hi, can you help me find a {v}",
                   "a {v} for my {p} please"]  # fmt: skip
PEOPLE = ["mom", "dad", "wife", "husband", "son", "daughter", "friend", "office"]
EVERYDAY = {"phone": ["phone", "mobile phone", "smartphone"], "sofa": ["couch", "sofa"],
            "tshirt": ["t-shirt", "tee"], "television": ["tv"], "charger": ["charger"],
            "protector": ["screen protector"], "shoe": ["pair of shoes", "shoe"]}  # fmt: skip
TYPO_RATE = 0.3  # a share of openers with two letters swapped in one word (not the thing's)


def natural_shopper(target: Item, currency: str | None, rng: random.Random) -> SimulatedUser:
    """A shopper who speaks in everyday words: it names the thing as people do (from the item's
    own type word), never a category name, answers brand, colour and price as `shopper` does,
    and says "no preference" to a category question."""
    user = shopper(target, "", currency, rng)
    user.facets.pop("category", None)
    user.clues = [c for c in user.clues if not c.startswith("Specifically")]
    return user


def natural_opener(target: Item, rng: random.Random) -> str:
    kind = (target.facets.get("type") or ("thing",))[0]
    words = rng.choice(EVERYDAY.get(kind, [kind]))
    text = rng.choice(NATURAL_OPENERS).format(v=words, p=rng.choice(PEOPLE))
    if rng.random() < TYPO_RATE:
        candidates = [w for w in text.split() if len(w) > 4 and w.isalpha() and w not in words]
        if candidates:
            word = rng.choice(candidates)
            i = rng.randrange(len(word) - 1)
            text = text.replace(word, word[:i] + word[i + 1] + word[i] + word[i + 2 :], 1)
    return text


def opener(category: str, rng: random.Random) -> str:
    return rng.choice(OPENERS).format(v=category)


def finest_category(item: Item) -> str:
    values = item.facets.get("category", ())
    return values[-1] if values else ""


def broad_category(item: Item, shares: dict[str, float], most: float = 0.6) -> str:
    """The coarsest category of the item that fewer than `most` of the catalog share ("Cell
    Phones" is every phone-catalog item's, so it says nothing)."""
    values = item.facets.get("category", ())
    return next((v for v in values if shares.get(v, 0.0) < most), values[-1] if values else "")


def price_band(price: float, currency: str | None, rng: random.Random) -> str:
    """The target's price as a shopper states a budget: a cap, a range or "around"."""
    money = MONEY.get(currency or "", "{n}")
    kind = rng.randrange(3 if price >= 20 else 2)  # "around $3" is too loose to mean much
    if kind == 0:
        return f"My budget is under {money.format(n=nice(price * 1.15, math.ceil))}."
    if kind == 1:
        low, high = nice(price * 0.75, math.floor), nice(price * 1.25, math.ceil)
        return f"Somewhere between {money.format(n=low)} and {money.format(n=high)}."
    return f"Around {money.format(n=nice(price, round))}."


def nice(amount: float, rounding: Callable[[float], int]) -> int:
    """Rounded as people round money: to 1 under 20, to 5 under 100, to 10 under 1,000, then
    to 50."""
    step = 1 if amount < 20 else 5 if amount < 100 else 10 if amount < 1000 else 50
    return int(rounding(amount / step)) * step


def spoken_list(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
