"""One turn: read the message -> update the need -> retrieve -> reply (streamed)."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel

from bot.state import DialogueState, Message
from prompts.loader import Prompts
from retrieval.embed import Embedder
from retrieval.records import Candidate
from retrieval.store import ItemStore, Manifest

Action = Literal["ask", "recommend", "answer", "handoff"]
CURRENCY_MARKS = {"USD": "$", "INR": "₹", "EUR": "€", "GBP": "£"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Recommendation:
    """An item as the API and UI show it (the HTTP contract's item shape)."""

    id: str
    title: str
    price: float | None
    image_url: str | None
    url: str | None
    weight: float
    explanation: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_candidate(cls, candidate: Candidate) -> "Recommendation":
        item = candidate.item
        attributes: dict[str, Any] = {k: list(v) for k, v in item.facets.items()}
        attributes |= item.numbers | item.attributes
        if item.rating is not None:
            attributes["rating"] = item.rating
        return cls(item.id, item.title, item.price, item.image_url, item.url, candidate.score,
                   attributes=attributes)  # fmt: skip


@dataclass
class Turn:
    state: DialogueState
    message: str  # cleaned
    action: Action
    items: list[Recommendation]
    currency: str | None = None
    notes: list[str] = field(default_factory=list)  # said before the reply (e.g. truncation)
    reply: str = ""
    question: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.state.session_id,
            "reply": self.reply,
            "action": self.action,
            "question": self.question,
            "items": [asdict(i) for i in self.items],
            "need": self.state.need.model_dump(),
        }


class Engine:
    def __init__(
        self,
        embedder: Embedder,
        store: ItemStore,
        prompts: Prompts,
        chat: BaseChatModel | None = None,
        k: int = 5,
        max_message_chars: int = 2000,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.prompts = prompts
        self.chat = chat
        self.k = k
        self.max_message_chars = max_message_chars
        self._manifests: dict[str, Manifest] = {}

    def manifest(self, catalog: str) -> Manifest:
        """The catalog's manifest, read once per process: a re-ingest shows after a restart."""
        if catalog not in self._manifests:
            self._manifests[catalog] = self.store.manifest(catalog)
        return self._manifests[catalog]

    def turn(self, state: DialogueState, message: str, k: int | None = None) -> Turn:
        """Understand and retrieve; no text generation (what `concierge rank` uses)."""
        text, notes = self.observe(state, message)
        if not text:
            return Turn(state, text, "answer", [], notes=notes)
        manifest = self.manifest(state.catalog)
        vector = self.embedder.embed([state.need.query_text()])[0]
        found = self.store.query(state.catalog, vector, max(1, k or self.k))
        items = [Recommendation.from_candidate(c) for c in found]
        state.shown.extend(i.id for i in items)
        return Turn(state, text, "recommend", items, manifest.currency, notes)

    def observe(self, state: DialogueState, message: str) -> tuple[str, list[str]]:
        """Fold a user message into the state; returns the cleaned text and notes for the reply."""
        text, notes = self._clean(message)
        state.messages.append(Message(role="user", content=text))
        if text:
            state.need.wants.append(text)
        return text, notes

    def stream_reply(self, turn: Turn) -> Iterator[str]:
        """Yield the reply as it grows; turn.reply holds the whole text at the end."""
        head = "".join(f"{note}\n\n" for note in turn.notes)
        if turn.action == "answer":
            turn.reply = head + self.prompts.render("empty_message", example=self._example(turn))
            yield turn.reply
        elif not turn.items:
            turn.reply = head + self.prompts.render("no_results", catalog=turn.state.catalog)
            yield turn.reply
        else:
            lead = ""
            for lead in self._lead_in(turn.message):
                yield head + lead
            listing = "\n".join(
                f"{n}. {i.title}"
                + (f" ({format_price(i.price, turn.currency)})" if i.price else "")
                for n, i in enumerate(turn.items, start=1)
            )
            turn.reply = f"{head}{lead}\n\n{listing}"
            yield turn.reply
        turn.state.messages.append(Message(role="assistant", content=turn.reply))

    def respond(self, state: DialogueState, message: str, k: int | None = None) -> Turn:
        turn = self.turn(state, message, k)
        for _ in self.stream_reply(turn):
            pass
        return turn

    def _lead_in(self, message: str) -> Iterator[str]:
        """The LLM's one-sentence lead-in, streamed; replaced by a fixed one if it fails a check."""
        fallback = self.prompts.render("fallback_lead_in")
        if self.chat is None:
            yield fallback
            return
        text = ""
        for chunk in self.chat.stream(self.prompts.chat("lead_in", message=message[:300])):
            text += str(chunk.content)
            if "\n" in text.strip() or not lead_in_is_safe(text, message):
                break  # stop generating as soon as a draft fails
            yield text
        sentence = text.strip()
        yield sentence if sentence and lead_in_is_safe(sentence, message) else fallback

    def _clean(self, message: str) -> tuple[str, list[str]]:
        text = unicodedata.normalize("NFC", _CONTROL.sub(" ", message or "")).strip()
        notes = []
        if len(text) > self.max_message_chars:
            text = text[: self.max_message_chars]
            notes.append(self.prompts.render("truncated_note", limit=self.max_message_chars))
        return text, notes

    def _example(self, turn: Turn) -> str:
        facets = self.manifest(turn.state.catalog).facets
        values = next(iter(facets.values()), {})
        return f"something from {next(iter(values))}" if values else "a gift under 50"


_REFUSAL = re.compile(r"\b(sorry|unable|cannot|can't|not able|not equipped|apolog)", re.I)
MAX_LEAD_IN_WORDS = 15


def lead_in_is_safe(text: str, message: str) -> bool:
    """A lead-in (or a streamed prefix of one) states nothing about items: no numbers, no names
    the shopper did not say, no refusal, one short sentence. The grounded verifier replaces this
    with the explanations issue."""
    text = text.strip()
    if re.search(r"\d", text) or _REFUSAL.search(text) or '"' in text:
        return False
    if len(text.split()) > MAX_LEAD_IN_WORDS or re.search(r"[.!?:]\s+\S", text):
        return False
    said_words = re.findall(r"\w+", message.lower())
    words = " ".join(re.findall(r"\w+", text.lower()))
    echoes = (" ".join(said_words[i : i + 3]) for i in range(len(said_words) - 2))
    if any(f" {run} " in f" {words} " for run in echoes):
        return False
    names = re.findall(r"(?<!^)\b[A-Z]\w*", text)
    return all(n.lower() in said_words or n == "I" for n in names)


def format_price(price: float, currency: str | None) -> str:
    amount = f"{price:,.2f}".removesuffix(".00")
    mark = CURRENCY_MARKS.get(currency or "")
    if mark:
        return f"{mark}{amount}"
    return f"{currency} {amount}" if currency else amount
