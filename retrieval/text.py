"""Catalog text is data: before it reaches a prompt, a quoted explanation or an answer, markup is
removed and sentences that address the assistant ("ignore previous instructions...") are dropped,
so a listing can neither inject markup nor steer the LLM, and cannot vouch for a claim."""

import html
import re
import unicodedata

import nh3

# Sentences end at . ! ? followed by white space (so "$49.99" and "5.5 inch" stay whole), or at
# a line break.
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Words a product listing has no reason to say to an assistant.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|rules?|above|"
    r"previous|everything)\b|\bsystem\s+prompt\b|\byou\s+are\s+(?:now\s+)?(?:an?\s+)?(?:ai|"
    r"assistant|chatbot|language model)\b|\b(?:assistant|system)\s*:|\bas an ai\b|"
    r"\b(?:praise|recommend|rank)\s+this\s+(?:item|product)\b|\bjailbreak\b|\bprompt\s+injection\b",
    re.I | re.S,
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def fold(text: str) -> str:
    """Lower case without accents ("Poäng" -> "poang"): how words are compared everywhere."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """Folded words joined by single spaces ("Don't", "POÄNG!" -> "dont poang")."""
    return " ".join(re.findall(r"\w+", fold(text).replace("'", "")))


def singular(words: str) -> str:
    """A crude plural folding, for matching only: "sofas", "batteries", "watches" meet "sofa",
    "battery", "watch"."""
    return " ".join(_singular_word(w) for w in words.split())


_IRREGULAR = {"shelves": "shelf", "knives": "knife", "leaves": "leaf", "halves": "half",
              "scarves": "scarf", "loaves": "loaf"}  # fmt: skip


def _singular_word(w: str) -> str:
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 3 or not w.endswith("s") or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "sses", "zes")):
        return w[:-2]
    return w[:-1]


def clean_text(text: str) -> str:
    """The text with tags removed, entities decoded, whitespace collapsed, and instruction-like
    sentences dropped."""
    # nh3 (the Ammonia sanitizer) drops every tag, and script and style with their content; a
    # space before each "<" keeps the words on either side of a tag apart.
    markup_free = nh3.clean((text or "").replace("<", " <"), tags=set(),
                            clean_content_tags={"script", "style"})  # fmt: skip
    plain = html.unescape(markup_free)
    plain = plain.replace("<", " ").replace(">", " ")  # stray brackets: never markup
    kept = [s for s in sentences(plain) if not _INSTRUCTION.search(s)]
    return " ".join(" ".join(kept).split())


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word, with "..." when cut."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "..."
