"""Ask or recommend; and if ask, about which facet: the one with the highest expected
information gain over the current candidates, weighted by their scores."""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.state import Need
from retrieval.candidates import Scored
from retrieval.text import normalize
from retrieval.types import FACET as TYPE_FACET

TOP = 50  # candidates the question is about
MIN_GAIN_BITS = 1.0  # below this the candidates already agree enough: recommend
# People behind the items: a shopper seldom chooses a chair by its designer or knows the names
# offered, so these are never asked about (they still match when the person names one).
NOT_ASKED = frozenset({"designer", "director", "writer", "star", "author", "artist"})
# Both are asked as "What kind of thing are you after?" (prompts): one answers the other. After
# "a phone" and "none of these", the category question offered "Cell Phone Accessories".
KIND_FACETS = frozenset({"category", TYPE_FACET})
MIN_COVERAGE = 0.5  # a facet most candidates lack tells little
UBIQUITOUS = 0.9  # a value nearly all candidates share ("Cell Phones") is no option
# How readily people answer a question about a facet: gains are scaled by this, so "what kind of
# thing?" comes before "which designer?" when both split the candidates alike. Unlisted: 0.8.
EASE = {"category": 1.0, "genre": 1.0, "type": 1.0, "brand": 0.9, "colour": 0.8, "color": 0.8,
        "material": 0.7, "star": 0.6, "director": 0.5, "writer": 0.4, "designer": 0.4}  # fmt: skip
DEFAULT_EASE = 0.8
MAX_OPTIONS = 6


@dataclass
class Choice:
    facet: str
    gain: float  # bits, scaled by how easy the facet is to answer
    options: list[str]


def weights(candidates: Sequence[Scored]) -> np.ndarray:
    """The rerank's weights w_i (a softmax of the score at the rerank's temperature), summing
    to one over the top candidates."""
    w = np.array([c.weight for c in candidates[:TOP]])
    return w / w.sum()


def facet_gain(candidates: Sequence[Scored], w: np.ndarray, facet: str) -> Choice:
    """Expected information gain of asking about `facet`: the entropy of the answer, with an
    item's weight split over its values and the values shared by nearly all left out."""
    top = candidates[: len(w)]
    # Values that differ only in case or spacing ("SIMPLE Mobile", "Simple Mobile") are one.
    spellings: dict[str, Counter[str]] = {}
    values_of = []
    for c in top:
        keys = []
        for v in c.item.facets.get(facet, ()):
            key = _key(v)
            spellings.setdefault(key, Counter())[v] += 1
            keys.append(key)
        values_of.append(list(dict.fromkeys(keys)))
    shares = {k: float(sum(wi for wi, ks in zip(w, values_of, strict=True) if k in ks))
              for k in spellings}  # fmt: skip
    informative = {k for k, s in shares.items() if s < UBIQUITOUS}
    mass: dict[str, float] = {}
    covered = 0.0
    for wi, keys in zip(w, values_of, strict=True):
        values = [k for k in keys if k in informative]
        if values:
            covered += wi
            for k in values:
                mass[k] = mass.get(k, 0.0) + wi / len(values)
    if covered < MIN_COVERAGE:
        return Choice(facet, 0.0, [])
    probs = [m / covered for m in mass.values()]
    gain = -sum(p * math.log2(p) for p in probs if p > 0) * EASE.get(facet, DEFAULT_EASE)
    ranked = sorted(mass.items(), key=lambda kv: -kv[1])[:MAX_OPTIONS]
    return Choice(facet, gain, [spellings[k].most_common(1)[0][0] for k, _ in ranked])


def _key(value: str) -> str:
    return normalize(value).replace(" ", "")


def choose_question(
    need: Need,
    candidates: Sequence[Scored],
    facets: Sequence[str],
    max_questions: int,
) -> Choice | None:
    """The question to ask now, or None to recommend."""
    if len(need.asked) >= max_questions or len(candidates) < 2:
        return None
    if not need.rejections and (need.liked or need.constraints() >= 2):
        return None  # specific enough already, unless a list built on that was turned down
    settled = {*need.answered, *need.asked, *need.include}
    if settled & KIND_FACETS:  # the kind of thing is known: its other facet asks it again
        settled |= KIND_FACETS
    open_facets = [f for f in facets if f not in settled and f not in NOT_ASKED]
    if not open_facets:
        return None
    w = weights(candidates)
    best = max((facet_gain(candidates, w, f) for f in open_facets), key=lambda c: c.gain)
    if best.gain < MIN_GAIN_BITS or len(best.options) < 2:
        return None
    return best
