"""How people turn a thing down in a request, as data: the cues before what they refuse ("anything
but", "steer clear of", "I can't eat"), the cues after it ("white is a no-go", "instant ones are
out", "crunchy? no thanks") and the word forms ("non-leather", "plastic-free").

The reader works on the prefix form alone: `prefixed` rewrites the other forms into it ("not
white, they look dirty"), and `cue` finds where a clause's refusal starts. A word form the
catalog itself uses is a thing it sells, not a refusal: "non-wired" bras, "sugar free" biscuits
and "non-stick" pans stay as they are written.

One phrase is one line here and one row in tests/test_understand.py.
"""

import re
from collections.abc import Callable

from bot.understanding.vocabulary import STOPWORDS

# A bare negation before what is refused; it may state a fact instead ("my phone doesn't last"):
# bot/understanding/grammar.py tells those apart.
BARE = ("never", "nothing", "none", "not", "no", "don't", "do not", "didn't", "did not",
        "doesn't", "does not", "isn't", "wasn't", "aren't", "won't")  # fmt: skip
# Before what is refused (matched longest first: "not a fan of" before "not").
BEFORE = (
    "anything but", "anything except", "anything other than", "everything but", "all but",
    "other than", "rather than", "instead of", "except for", "except", "excluding",
    "not a fan of", "not into", "no more", "no longer", "steer clear of", "stay away from",
    "keep away from", "sick of", "tired of", "fed up with", "allergic to", "intolerant to",
    "skip the", "leave out", "leave off", "avoid", "avoiding", "without",
    "can't stand", "cannot stand", "can't eat", "cannot eat", "can't have", "cannot have",
    "can't drink", "can't wear", "can't use", "can't tolerate", "don't want", "do not want",
    "don't like", "do not like", "didn't like", "doesn't like", "dislike", "disliked",
    "dislikes", "hate", "hated", "hates", *BARE,
)  # fmt: skip
# Cues that refuse only when they open the clause, after at most its subject: "hold the salt",
# "I'm done with crop tops", "she's over pink"; not "a stand to hold the phone", "when I'm done
# with the gym", "I'm over budget".
OPENING = ("hold the", "done with", "over")
_SUBJECT = r"(?:i['’]?m|i am|we['’]?re|we are|she['’]?s|she is|he['’]?s|he is|they['’]?re|just)"
_OPENS = re.compile(rf"^\W*(?:(?:and|but|so|oh|ok|okay|please)\W+)?(?:{_SUBJECT}\s+)?$", re.I)
_NOT_OVER = re.compile(r"\s*(?:the|budget|\d|\$|there|here|it|to)\b", re.I)
# After what is refused: "<thing> is a no-go", "black ones are out", "<thing>? no thanks".
AFTER = (
    r"(?:is|are|'s|'re)\s+(?:a\s+)?no-?go", r"(?:is|are|'s|'re)\s+a\s+(?:hard\s+)?no\b",
    r"(?:is|are|'s|'re)\s+a\s+deal-?breaker",
    r"(?:is|are|'s|'re)\s+out(?=\s*(?:[,.;!?]|$))", r"(?:is|are|'s|'re)\s+off the table",
    r"(?:is|are|'s|'re)\s+not (?:for me|my thing|an option|happening)",
    r"\??\s*no,?\s+thanks?(?:\s+you)?", r"\??\s*no,?\s+thank\s+you", r"\??\s*nope",
    r"need not apply",
)  # fmt: skip
# Words before a postfix cue that refuse nothing: "hmm no thanks" turns the list down.
FILLERS = frozenset("hmm hm um uh er ok okay oh ah well yeah so and but thanks".split())
# Words before "free" that are no ingredient: "feel free", "totally free", "something free".
NOT_FREED = frozenset("feel totally completely entirely something anything stay set break "
                      "comes come came shipping delivery".split())  # fmt: skip
# "<word>-free" that is a quality, not a refusal of the word: "hands-free", "wrinkle-free".
FREE_QUALITIES = frozenset("hands wrinkle scratch hassle tax duty toll stress worry clutter care "
                           "maintenance tangle rust spill leak drip lint glare fog streak smudge "
                           "fingerprint clog trouble pain risk".split())  # fmt: skip

# Every word of a cue ("steer", "clear", "stand"): a reader of kinds leaves them be.
CUE_WORDS = frozenset(w.replace("'", "") for cue in (*BEFORE, *OPENING) for w in cue.split())
_PATTERN = "|".join(
    re.escape(cue).replace("'", "['’]?").replace(r"\ ", r"\s+")
    for cue in sorted({*BEFORE, *OPENING}, key=len, reverse=True)
)
_BEFORE = re.compile(rf"\b(?:{_PATTERN})\b", re.I)
THING_CHARS = 80  # the most a postfix refusal reaches back (bounded: a 50,000-character message
# must not cost a quadratic search)
# The refused words after a postfix cue run back to the start of their part of the clause.
_AFTER = re.compile(
    rf"(?P<thing>[^.;!?\n,]{{0,{THING_CHARS}}}?[\w)])\s*(?:{'|'.join(AFTER)})(?=\W|$)",
    re.I,
)
_KINDS_OF = frozenset("one ones kind kinds type types those these".split())
_JOINS = re.compile(r"\b(?:but|and|however|so|because|though)\b\s*", re.I)
_NON = re.compile(r"\bnon[\s-]+(?P<thing>[a-z][\w-]*)", re.I)
_CLAUSE_END = re.compile(r"[.;!?\n,]")
_FREE = re.compile(r"\b(?P<thing>[a-z]{3,})[\s-]+free\b", re.I)


def by_word(found: re.Match[str]) -> bool:
    """Whether a cue turns something down by its own words ("steer clear of", "done with",
    "hate"), not by a bare negation ("not", "never", "doesn't"), which may state a fact
    instead ("my phone doesn't last"): bot/understanding/grammar.py tells those apart."""
    return " ".join(found[0].lower().replace("’", "'").split()) not in BARE


def cue(clause: str) -> re.Match[str] | None:
    """The first cue in the clause that what follows it is refused."""
    for found in _BEFORE.finditer(clause):
        said = " ".join(found[0].lower().split())
        if said in OPENING and not _OPENS.match(clause[: found.start()]):
            continue
        if said == "over" and _NOT_OVER.match(clause, found.end()):
            continue
        return found
    return None


def prefixed(text: str, says: Callable[[str], bool] = lambda phrase: False) -> str:
    """The text with every refusal in prefix form: "white is a no-go" -> "not white";
    "a non-leather strap, please" -> "a strap, not leather, please" (what the word form refuses
    is the word alone, so it moves to the end of its clause, away from the thing wanted);
    `says` is whether the catalog's titles use a phrase, which then stays as written
    ("non-wired", "sugar free")."""

    def after(m: re.Match[str]) -> str:
        whole = m["thing"]
        joined = list(_JOINS.finditer(whole))  # "a case but black ones are out": only black
        at = joined[-1].end() if joined else len(whole) - len(whole.lstrip())
        thing = whole[at:].strip()
        said = m[0][len(whole) :]
        if not thing or thing.lower() in FILLERS:
            return m[0]
        if re.search(r"\bout\b", said) and thing.split()[-1].lower() not in _KINDS_OF:
            return m[0]  # "black ones are out", not "the new Samsung is out"
        return f"{whole[:at]}not {thing}"

    text = _AFTER.sub(after, text)
    forms = [
        m
        for pattern in (_NON, _FREE)
        for m in pattern.finditer(text)
        if m["thing"].lower() not in FREE_QUALITIES | NOT_FREED | STOPWORDS
        and not says(m[0].replace("-", " "))
    ]
    for m in sorted(forms, key=lambda m: m.start(), reverse=True):
        end = _CLAUSE_END.search(text, m.end())
        at = end.start() if end else len(text)
        text = f"{text[: m.start()]}{text[m.end() : at]}, not {m['thing']}{text[at:]}"
    return " ".join(text.split())
