"""The support desk: questions about the store's policies, answered by quoting its documents (or
"I don't know" when they do not say), and the handoff to a person."""

import itertools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.state import DialogueState
from bot.understanding.vocabulary import STOPWORDS, normalize, singular
from retrieval.records import Passage
from retrieval.text import sentences, shorten

log = logging.getLogger("concierge.support")

_PERSON = re.compile(
    r"\b(?:talk|speak|chat|connect|transfer|put)\b.{0,25}\b(?:person|human|someone|somebody|"
    r"agent|representative|rep|staff|operator|manager|support|customer service)\b|"
    r"\b(?:real|live)\s+(?:person|human|agent)\b|\bhuman\s+(?:please|agent)\b|"
    r"^\W*(?:agent|operator|human|representative)\W*(?:please)?\W*$",
    re.I,
)
# Words that make a message about the store rather than its items.
TOPICS = frozenset(
    """ship shipping shipped deliver delivery delivered return returns returned refund refunds
    exchange exchanges warranty warranties guarantee policy policies cancel cancellation order
    orders payment pay paying installment track tracking pickup damaged broken defective repair
    repairs restocking receipt store hours contact accept financing""".split()
)
# One word for a few ways of saying the same thing, so "send it back" finds "Returns".
_SAME = {"deliver": "ship", "delivery": "ship", "delivered": "ship", "shipping": "ship",
         "shipped": "ship", "returns": "return", "returned": "return", "refunds": "refund",
         "warranties": "warranty", "guarantee": "warranty", "exchanges": "exchange",
         "cancellation": "cancel", "cancelled": "cancel", "canceled": "cancel",
         "repairs": "repair", "defective": "broken", "damaged": "broken"}  # fmt: skip
_PHRASES = {"send back": "return", "send it back": "return", "money back": "refund"}
_GENERIC = frozenset({"policy", "policies", "store", "shop", "item", "order"}) | STOPWORDS
_QUESTION = re.compile(r"\?\s*$|^\W*(?:how|what|when|where|can|could|do|does|is|are|will|may|"
                       r"if|who|which|tell me|i want to know)\b", re.I)  # fmt: skip
# A question put to the shop itself ("do you price match?", "can I pick it up today?"): asked of
# "you" or about what "I" may do, asking for no items and about none shown.
_TO_THE_SHOP = re.compile(r"^\W*(?:(?:and|so|ok|okay|hi|hey|also)\W+)?(?:do|does|can|could|will|"
                          r"would|are|may)\s+(?:you|i|we|y'?all)\b", re.I)  # fmt: skip
_FOR_ITEMS = re.compile(
    r"\b(?:have|has|sell|carry|stock|got|show|recommend|suggest|find|need|want|looking|get me|"
    r"any|some|something|anything|this|that|it|these|those|them|one|ones)\b",
    re.I,
)
MAX_QUOTE = 320  # characters quoted from a policy
MIN_COVERED = 0.5  # a passage must hold more than this share of the question's words


@dataclass(frozen=True)
class PolicyAnswer:
    text: str
    passage: Passage | None  # None: the documents do not say


def wants_a_person(text: str) -> bool:
    return bool(_PERSON.search(text))


def terms(text: str) -> list[str]:
    low = " " + normalize(text) + " "
    for phrase, word in _PHRASES.items():
        low = low.replace(f" {phrase} ", f" {word} ")
    return [_SAME.get(w, singular(w)) for w in low.split()]


def is_policy_question(text: str) -> bool:
    words = set(normalize(text).split()) | set(terms(text))
    return bool(words & TOPICS) and bool(_QUESTION.search(text) or "policy" in words)


def is_shop_question(text: str) -> bool:
    """A question about the shop that names no policy word: answered from the documents (or
    as one they do not cover), never turned into a product search."""
    return bool(_TO_THE_SHOP.search(text)) and not _FOR_ITEMS.search(text)


def answer_policy(
    text: str, passages: Sequence[Passage], vectors: np.ndarray | None, query: np.ndarray | None
) -> PolicyAnswer:
    """The passage that covers the question's words best, quoted; "don't know" when none covers
    more than half of them (a word in its heading counts half again, one only in its document's
    title half). Embedding similarity only breaks ties."""
    asked = {w for w in terms(text) if w not in _GENERIC and not w.isdigit()}
    covered = list(dict.fromkeys(p.doc for p in passages))
    if not asked or not passages:
        return PolicyAnswer(dont_know(covered), None)
    best, best_score = None, 0.0
    for n, passage in enumerate(passages):
        # the section's own words count fully, its document's title half; its heading adds half
        own = asked & set(terms(f"{passage.section} {passage.text}"))
        titled = asked & set(terms(passage.doc)) - own
        headed = asked & set(terms(passage.section))
        score = (len(own) + 0.5 * len(titled) + 0.5 * len(headed)) / len(asked)
        if vectors is not None and query is not None:
            score += 0.01 * float(vectors[n] @ query)
        if (own or titled) and score > best_score:
            best, best_score = passage, score
    if best is None or best_score <= MIN_COVERED:
        return PolicyAnswer(dont_know(covered), None)
    return PolicyAnswer(quote(best, asked), best)


def quote(passage: Passage, asked: set[str]) -> str:
    """The one or two sentences of the passage that share the most words with the question, in
    their order; " … " stands for what is left out between them."""
    found = sentences(passage.text)
    ranked = sorted(range(len(found)), key=lambda n: -len(asked & set(terms(found[n]))))
    chosen = sorted(ranked[:2])
    text = found[chosen[0]]
    for before, n in itertools.pairwise(chosen):
        text += (" " if n == before + 1 else " … ") + found[n]
    where = f"{passage.doc}, {passage.section}" if passage.section else passage.doc
    return f'Our {where} policy ({passage.source}) says: "{shorten(text, MAX_QUOTE)}"'


def dont_know(covered: Sequence[str] = ()) -> str:
    """ "I don't know", with what the documents do cover and the offer of a person."""
    cover = ""
    if covered:
        names = [c.lower() for c in covered]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        cover = f" (they cover {listed})"
    return (f"I don't know: the store's policy documents don't say{cover}. Say \"talk to a "
            "person\" and I'll pass the question to someone who can answer.")  # fmt: skip


def handoff_summary(state: DialogueState, titles: dict[str, str]) -> dict[str, Any]:
    """What a person taking over needs: the need in words, what was shown, the last messages."""
    need = state.need
    parts = []
    if need.wants:
        parts.append("said: " + "; ".join(f'"{w}"' for w in need.wants))
    for facet, values in need.include.items():
        parts.append(f"{facet}: {', '.join(values)}")
    for facet, values in need.exclude.items():
        parts.append(f"not {facet}: {', '.join(values)}")
    for name, bounds in need.ranges.items():
        low = "" if bounds.min is None else f"from {bounds.min:g}"
        high = "" if bounds.max is None else f"up to {bounds.max:g}"
        parts.append(f"{name} {' '.join(p for p in (low, high) if p)}")
    liked = [titles.get(i, i) for i in need.liked]
    if liked:
        parts.append("liked " + ", ".join(liked))
    shown = [titles.get(i, i) for i in need.last_shown]
    summary = "; ".join(parts) or "no need stated yet"
    return {
        "session_id": state.session_id,
        "catalog": state.catalog,
        "summary": f"Customer {summary}. Last shown: {'; '.join(shown) or 'nothing'}.",
        "need": need.model_dump(),
        "messages": [m.model_dump() for m in state.messages[-10:]],
    }
