"""What one turn produces: the items as shown (the HTTP contract's item shape) and the turn."""

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.explaining.explain import Explanation
from bot.state import DialogueState
from retrieval.candidates import Scored

Action = Literal["ask", "recommend", "answer", "handoff"]


@dataclass
class Recommendation:
    """An item as the API and UI show it (the HTTP contract's item shape)."""

    id: str
    title: str
    price: float | None
    image_url: str | None
    url: str | None
    weight: float
    explanation: str = ""  # verified against the item and the need (bot/explaining/verify.py)
    explanation_sources: list[dict[str, Any]] = field(default_factory=list)  # {text, source}
    evidence: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    closest: bool = False  # nothing passed θ: this is one of the closest items, not a match
    variants: list[dict[str, Any]] = field(default_factory=list)  # {id, title, price, label}:
    # the same product in another colour, size or carrier (this one fits the need best)

    @classmethod
    def from_scored(cls, candidate: Scored) -> "Recommendation":
        item = candidate.item
        attributes: dict[str, Any] = {k: list(v) for k, v in item.facets.items()}
        attributes |= item.numbers | item.attributes
        if item.rating is not None:
            attributes["rating"] = item.rating
        # the contract's {facet, field, text, weight}, and the reranker's own names for them
        evidence = [asdict(e) | {"facet": e.part, "text": e.snippet, "weight": e.attention}
                    for e in candidate.evidence]  # fmt: skip
        return cls(
            id=item.id,
            title=item.title,
            price=item.price,
            image_url=item.image_url,
            url=item.url,
            weight=round(candidate.weight, 4),
            evidence=evidence,
            attributes=attributes,
            closest=not candidate.passed,
            variants=[asdict(v) for v in candidate.variants],
        )


@dataclass
class Turn:
    state: DialogueState
    message: str  # cleaned
    action: Action
    items: list[Recommendation] = field(default_factory=list)
    currency: str | None = None
    notes: list[str] = field(default_factory=list)  # said before the reply (e.g. truncation)
    reply: str = ""
    question: dict[str, Any] | None = None
    reply_key: str = ""  # which fixed reply an "answer" turn gets
    blocker: str = ""  # the constraint that left no items, when none are left
    would_ask: str | None = None  # with ask=False: the facet the policy would have asked about
    ranking: list[str] = field(default_factory=list)  # every candidate's id, best first
    picks: list[Scored] = field(default_factory=list)  # the items shown, as retrieved
    answer: str = ""  # the reply to a question about items shown
    asked_about: list[str] = field(default_factory=list)  # the shown items that question named
    explanations: list[Explanation] = field(default_factory=list)  # with drafts, for benchmarks
    handoff: dict[str, Any] | None = None  # action "handoff": what the person taking over needs
    sources: list[dict[str, str]] = field(default_factory=list)  # policy passages quoted
    turned_down: list[str] = field(default_factory=list)  # the shown list the person rejected

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.state.session_id,
            "reply": self.reply,
            "action": self.action,
            "question": self.question,
            "items": [asdict(i) for i in self.items],
            "need": self.state.need.model_dump(),
            "handoff": self.handoff,
            "sources": self.sources,
        }
