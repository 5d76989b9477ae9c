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

# Before what is refused. Longest first where one begins another ("not a fan of" before "not").
BEFORE = (
    "anything but", "anything except", "anything other than", "everything but", "all but",
    "other than", "rather than", "instead of", "apart from", "except for", "except",
    "excluding", "not a fan of", "not into", "no more", "no longer", "steer clear of",
    "stay away from", "keep away from", "sick of", "tired of", "done with", "fed up with",
    "i'm over", "im over", "i am over", "she's over", "he's over", "we're over", "they're over",
    "she is over", "he is over", "allergic to", "intolerant to", "hold the", "skip the", "skip",
    "leave out", "leave off", "rather avoid", "avoid", "avoiding", "without", "minus",
    "can't stand", "cannot stand", "can't eat", "cannot eat", "can't have", "cannot have",
    "can't drink", "can't wear", "can't use", "can't tolerate", "don't want", "do not want",
    "don't like", "do not like", "don't need", "didn't like", "doesn't like", "dislike",
    "disliked", "dislikes", "hate", "hated", "hates", "never", "nothing", "none", "not",
    "no", "don't", "do not", "didn't", "did not", "doesn't", "does not", "isn't", "wasn't",
    "aren't", "won't",
)  # fmt: skip
# After what is refused: "<thing> is a no-go", "<thing> ones are out", "<thing>? no thanks".
AFTER = (
    r"(?:is|are|'s|'re)\s+(?:a\s+)?no-?go", r"(?:is|are|'s|'re)\s+a\s+(?:hard\s+)?no\b",
    r"(?:is|are|'s|'re)\s+a\s+deal-?breaker",
    r"(?:is|are|'s|'re)\s+out(?!\s+of)", r"(?:is|are|'s|'re)\s+off the table",
    r"(?:is|are|'s|'re)\s+not (?:for me|my thing|an option|happening)",
    r"\??\s*no,?\s+thanks?(?:\s+you)?", r"\??\s*no,?\s+thank\s+you", r"\??\s*nope",
    r"need not apply",
)  # fmt: skip
# Words before a postfix cue that refuse nothing: "hmm no thanks" turns the list down.
FILLERS = frozenset("hmm hm um uh er ok okay oh ah well yeah so and but thanks".split())
# Words before "free" that are no ingredient or part: "feel free", "for free", "totally free".
NOT_FREED = frozenset("feel for is are be was were totally completely entirely its it set "
                      "stay break".split())  # fmt: skip

_PATTERN = "|".join(
    re.escape(cue).replace("'", "['’]?").replace(r"\ ", r"\s+")
    for cue in sorted(set(BEFORE), key=len, reverse=True)
)
_BEFORE = re.compile(rf"\b(?:{_PATTERN})\b", re.I)
# The refused words after a postfix cue run back to the start of their clause.
_AFTER = re.compile(
    rf"(?P<thing>[^.;!?\n,]*?[\w)])\s*(?:{'|'.join(AFTER)})(?=\W|$)",
    re.I,
)
_NON = re.compile(r"\bnon[\s-]+(?P<thing>[a-z][\w-]*)", re.I)
_CLAUSE_END = re.compile(r"[.;!?\n,]")
_FREE = re.compile(r"\b(?P<thing>[a-z][\w]*)[\s-]+free\b", re.I)


def cue(clause: str) -> re.Match[str] | None:
    """The first cue in the clause that what follows it is refused."""
    return _BEFORE.search(clause)


def prefixed(text: str, says: Callable[[str], bool] = lambda phrase: False) -> str:
    """The text with every refusal in prefix form: "white is a no-go" -> "not white";
    "a non-leather strap, please" -> "a strap, not leather, please" (what the word form refuses
    is the word alone, so it moves to the end of its clause, away from the thing wanted);
    `says` is whether the catalog's titles use a phrase, which then stays as written
    ("non-wired", "sugar free")."""

    def after(m: re.Match[str]) -> str:
        thing = m["thing"].strip()
        return m[0] if thing.lower() in FILLERS else f"not {thing}"

    text = _AFTER.sub(after, text)
    forms = [
        m
        for pattern in (_NON, _FREE)
        for m in pattern.finditer(text)
        if m["thing"].lower() not in NOT_FREED and not says(m[0].replace("-", " "))
    ]
    for m in sorted(forms, key=lambda m: m.start(), reverse=True):
        end = _CLAUSE_END.search(text, m.end())
        at = end.start() if end else len(text)
        text = f"{text[: m.start()]}{text[m.end() : at]}, not {m['thing']}{text[at:]}"
    return " ".join(text.split())
