"""The kind of thing a request needs when no word of it names one ("it's freezing in my study",
"something to hang my coats on"), read from what the request means against the catalog's own
types, never from a list of phrases.

Each of the catalog's types is scored by the embedder three ways: the request's similarity to the
type's centroid (the mean of its items' vectors: what the type's items are about), to the type's
name, and the type's share of the request's nearest items. The best few form a shortlist; where a
local chat model is loaded, its calibrated likelihood of each shortlisted name as the answer to
"which kind of product do they need?" (bot/understanding/likelihood.py) is added, since the
embedder alone pulls in types that merely share a word with the request (a "study" -> desks).
The types whose combined score is near the best are the reading: a filter the shopper can see
in the "Why these?" panel and change.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.understanding.kinds import REQUEST_WORDS
from bot.understanding.likelihood import TypeLikelihood

MIN_ITEMS = 3  # a type with fewer items is a stray word, never a guess
NEAREST = 50  # items whose types vote
SHORTLIST = 8  # types the chat model ranks
KEEP = 3  # the most types a reading keeps
NEAR_BEST = 0.5  # ... within this much of the best combined score (in standard deviations)
VOTE_WEIGHT = 0.5  # the nearest items' vote beside the two similarities
LLM_WEIGHT = 1.0  # the chat model's calibrated score, standardised over the shortlist
MIN_SHARE = 0.15  # of the nearest items' votes the guessed types must hold (set on dev)


@dataclass(frozen=True)
class Guess:
    kinds: tuple[str, ...]  # best first
    how: str  # "embedder" or "embedder and chat model"


class KindsByMeaning:
    """A catalog's types, as vectors to compare a request with."""

    def __init__(
        self,
        names: Sequence[str],
        centroids: np.ndarray,
        name_vectors: np.ndarray,
        item_vectors: np.ndarray,
        item_types: Sequence[Sequence[int]],
    ) -> None:
        self.names = list(names)
        self.centroids = centroids
        self.name_vectors = name_vectors
        self.item_vectors = item_vectors
        self.item_types = item_types  # each item's types, as positions in names

    @classmethod
    def of(
        cls,
        vectors: np.ndarray,
        rows: dict[str, list[int]],
        embed: Callable[[Sequence[str]], np.ndarray],
    ) -> "KindsByMeaning | None":
        """From the items' vectors and each type's rows; None for a catalog without types."""
        names = [t for t, r in rows.items() if len(r) >= MIN_ITEMS and t not in REQUEST_WORDS]
        if len(names) < 2:
            return None
        centroids = np.array([vectors[rows[t]].mean(0) for t in names], np.float32)
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9
        item_types: list[list[int]] = [[] for _ in range(len(vectors))]
        for n, t in enumerate(names):
            for row in rows[t]:
                item_types[row].append(n)
        return cls(names, centroids, np.asarray(embed(names), np.float32), vectors, item_types)

    def votes(self, vector: np.ndarray) -> np.ndarray:
        """Each type's share of the request's nearest items, weighted by their similarity."""
        sims = self.item_vectors @ vector
        nearest = np.argpartition(-sims, min(NEAREST, len(sims) - 1))[:NEAREST]
        votes = np.zeros(len(self.names), np.float32)
        for row in nearest:
            for n in self.item_types[row]:
                votes[n] += max(float(sims[row]), 0.0)
        return votes / (votes.sum() or 1.0)

    def guess(
        self,
        text: str,
        vectors: Sequence[np.ndarray],
        likelihood: TypeLikelihood | None = None,
        owned: frozenset[str] = frozenset(),
    ) -> Guess:
        """The types the request most likely needs, best first. `vectors`: the request's, and
        the request's without what the person has or where ("in my study"), whose words pull
        in the things named for them (a study -> notebooks); the scores are summed. Never one
        of `owned`, the types of what they have ("my phone dies": not a phone)."""
        votes = np.mean([self.votes(v) for v in vectors], axis=0)
        similar = np.sum([self.centroids @ v + self.name_vectors @ v for v in vectors], axis=0)
        scores = similar + len(vectors) * VOTE_WEIGHT * votes
        scores[[n for n, t in enumerate(self.names) if t in owned]] = -np.inf
        top = [n for n in np.argsort(-scores)[:SHORTLIST] if np.isfinite(scores[n])]
        names = [self.names[n] for n in top]
        combined = _standard(scores[top])
        how = "embedder"
        if likelihood is not None:
            said = likelihood.scores(text, names)
            combined = combined + LLM_WEIGHT * _standard(np.array([said[n] for n in names]))
            how = "embedder and chat model"
        order = np.argsort(-combined)
        kept = [n for n in order[:KEEP] if combined[n] >= combined[order[0]] - NEAR_BEST]
        # A guess the request's own nearest items do not bear out is only a word's echo in a
        # type's name: no filter then, the words rank as they are.
        if sum(votes[top[n]] for n in kept) < MIN_SHARE:
            return Guess((), how)
        return Guess(tuple(names[n] for n in kept), how)


def _standard(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)
