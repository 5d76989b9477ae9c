"""Attention rerank: the need's query vectors attend over each candidate's keys.

Queries are the whole need and each part of it (a stated want, a facet value, a phrase to
avoid). Keys are the item's own vector and one vector per field (title, facets, description)
computed at ingest. For query q and candidate i the similarity is the best key,

    s_qi = max_f q·k_if        (vectors are unit length; the temperature τ plays the role of √d)

and the attention of q over the candidates is a softmax at temperature τ,

    α_qi = exp(s_qi / τ) / Σ_j exp(s_qj / τ).

An item's weight is its joint attention over the parts of the need, β_q weighing each part
(negative for a phrase to avoid, so it subtracts), times a bias b_i from the non-vector signals
(lexical match, popularity, co-occurrence, neighbours of liked items), relative to the best item:

    w_i = Π_q α_qi^β_q · exp(b_i / τ) / max_j (...) = exp((S_i − max_j S_j) / τ),
    S_i = b_i + Σ_q β_q s_qi.

So w_i lies in (0, 1] and the best candidate has w = 1: θ = 0 keeps every candidate, θ = 1 keeps
none. Items with w_i > θ are kept; if none pass, the closest few are returned, marked as such.
"""

from dataclasses import dataclass

import numpy as np

from retrieval.records import FIELD_NAMES

FIELDS = ("item", *FIELD_NAMES)  # the key kinds; "item" (the whole item's vector) is always there
FALLBACK = 3  # how many of the closest items to show when none pass θ


@dataclass(frozen=True)
class Query:
    part: str  # which part of the need: "need", "want: good camera", "genre: horror", ...
    vector: np.ndarray  # (d,), unit length
    weight: float = 1.0  # β; negative for a phrase to avoid


@dataclass(frozen=True)
class Keys:
    vectors: np.ndarray  # (n, F, d); rows of absent fields are ignored
    present: np.ndarray  # (n, F) bool
    snippets: list[list[str]]  # [n][F]: the text each key was computed from


@dataclass(frozen=True)
class Evidence:
    """For one part of the need, the field of the item that drew the most attention."""

    part: str
    field: str
    snippet: str
    similarity: float  # s_qi
    attention: float  # α_qi: this item's share of that part's attention over the candidates


@dataclass(frozen=True)
class Ranked:
    index: int  # position in the candidate list given to `rerank`
    score: float  # S_i
    weight: float  # w_i in (0, 1]
    passed: bool  # w_i > θ; False for the closest few shown when nothing passed
    evidence: tuple[Evidence, ...]


def attend(
    queries: np.ndarray, keys: np.ndarray, present: np.ndarray, temperature: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(s, f, α), each (Q, n): the best key's similarity, which field it was, and the softmax
    of s / τ across the n candidates."""
    assert queries.ndim == 2 and keys.ndim == 3 and present.shape == keys.shape[:2]
    assert queries.shape[1] == keys.shape[2] and temperature > 0
    sims = np.einsum("qd,nfd->qnf", queries, keys)
    sims = np.where(present[None], sims, -np.inf)
    field = sims.argmax(-1)
    best = np.take_along_axis(sims, field[..., None], -1)[..., 0]
    logits = best / temperature
    logits -= logits.max(1, keepdims=True)
    alpha = np.exp(logits)
    alpha /= alpha.sum(1, keepdims=True)
    return best, field, alpha


def rerank(
    queries: list[Query],
    keys: Keys,
    bias: np.ndarray,
    theta: float,
    temperature: float,
    fallback: int = FALLBACK,
) -> list[Ranked]:
    """The candidates with w_i > θ, best first; if none pass, the `fallback` closest."""
    n = len(bias)
    assert keys.vectors.shape[0] == keys.present.shape[0] == len(keys.snippets) == n
    if n == 0:
        return []
    if queries:
        q = np.stack([x.vector for x in queries]).astype(np.float32)
        sims, field, alpha = attend(q, keys.vectors, keys.present, temperature)
        beta = np.array([x.weight for x in queries], dtype=np.float32)
        score = bias + beta @ sims
    else:
        sims = field = alpha = np.zeros((0, n))
        score = bias.astype(np.float32)
    log_weight = (score.astype(np.float64) - score.max()) / temperature
    weight = np.exp(log_weight)
    order = np.argsort(-score, kind="stable")
    # Compared in log space, so a tiny weight that underflows to 0 still passes θ = 0.
    floor = np.log(theta) if theta > 0 else -np.inf
    kept = [int(i) for i in order if log_weight[i] > floor]
    passed = bool(kept)
    if not passed:
        kept = [int(i) for i in order[:fallback]]

    def evidence(i: int) -> tuple[Evidence, ...]:
        return tuple(
            Evidence(
                x.part,
                FIELDS[field[j, i]],
                keys.snippets[i][field[j, i]],
                float(sims[j, i]),
                float(alpha[j, i]),
            )
            for j, x in enumerate(queries)
            if x.weight > 0
        )

    return [Ranked(i, float(score[i]), float(weight[i]), passed, evidence(i)) for i in kept]
