"""Variety among the shown items: maximal marginal relevance over the item vectors.

The first item is always the most relevant; each next one is the candidate with the best
    (1 - λ) · relevance - λ · (its highest cosine to an item already chosen),
relevance being the ranking's score scaled to [0, 1] over the pool. λ = 0 keeps the ranking as
it is; higher λ trades relevance for items unlike the ones already shown.
"""

from collections.abc import Sequence

import numpy as np

POOL = 30  # how far down the ranking variety may reach
DIVERSITY = 0.15  # the default λ for vague requests (BENCHMARKS.md, bias: what it costs)


def mmr(scores: Sequence[float], vectors: np.ndarray, k: int, diversity: float) -> list[int]:
    """The positions of the k items to show, in the order to show them."""
    n = min(len(scores), POOL)
    if diversity <= 0 or n <= 1:
        return list(range(min(k, len(scores))))
    relevance = np.asarray(scores[:n], np.float64)
    spread = relevance.max() - relevance.min()
    relevance = (relevance - relevance.min()) / spread if spread > 0 else np.ones(n)
    unit = vectors[:n] / np.maximum(np.linalg.norm(vectors[:n], axis=1, keepdims=True), 1e-9)
    chosen = [0]
    closest = unit @ unit[0]  # each candidate's highest similarity to the chosen ones
    while len(chosen) < min(k, n):
        value = (1 - diversity) * relevance - diversity * closest
        value[chosen] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        closest = np.maximum(closest, unit @ unit[best])
    return chosen
