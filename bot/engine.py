"""One turn: read the message -> update the need -> retrieve -> reply (streamed)."""

import copy
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
from langchain_core.language_models import BaseChatModel

from bot.explain import Explainer, Explanation
from bot.item_questions import answer, item_question
from bot.policy import choose_question
from bot.state import DialogueState, Message, Need
from bot.support import answer_policy, handoff_summary, is_policy_question, wants_a_person
from bot.understand import Understanding, understand
from bot.vocabulary import Vocabulary, normalize
from prompts.loader import Prompts
from retrieval.candidates import Constraints, NeedVectors, Scored, Weights, retrieve
from retrieval.embed import Embedder
from retrieval.index import MAX_ITEMS, CatalogIndex
from retrieval.interactions import Priors
from retrieval.policies import Passage
from retrieval.store import ItemStore, Manifest

Action = Literal["ask", "recommend", "answer", "handoff"]
CURRENCY_MARKS = {"USD": "$", "INR": "₹", "EUR": "€", "GBP": "£"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Terminal escape sequences ("\x1b[31m"): dropped whole, or "[31m" would read as 31 metres.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


@dataclass
class Recommendation:
    """An item as the API and UI show it (the HTTP contract's item shape)."""

    id: str
    title: str
    price: float | None
    image_url: str | None
    url: str | None
    weight: float
    explanation: str = ""  # verified against the item and the need (bot/verify.py)
    explanation_sources: list[dict[str, Any]] = field(default_factory=list)  # {text, source}
    evidence: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    closest: bool = False  # nothing passed θ: this is one of the closest items, not a match

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
        return cls(item.id, item.title, item.price, item.image_url, item.url,
                   round(candidate.weight, 4), evidence=evidence, attributes=attributes,
                   closest=not candidate.passed)  # fmt: skip


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
    reply_key: str = ""  # which fixed reply an "answer" turn gets
    blocker: str = ""  # the constraint that left no items, when none are left
    would_ask: str | None = None  # with ask=False: the facet the policy would have asked about
    ranking: list[str] = field(default_factory=list)  # every candidate's id, best first
    picks: list[Scored] = field(default_factory=list)  # the items shown, as retrieved
    answer: str = ""  # the reply to a question about items shown
    explanations: list[Explanation] = field(default_factory=list)  # with drafts, for benchmarks
    handoff: dict[str, Any] | None = None  # action "handoff": what the person taking over needs
    sources: list[dict[str, str]] = field(default_factory=list)  # policy passages quoted

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


class Engine:
    def __init__(
        self,
        embedder: Embedder,
        store: ItemStore,
        prompts: Prompts,
        chat: BaseChatModel | None = None,
        k: int = 5,
        max_message_chars: int = 2000,
        max_questions: int = 2,
        weights: Weights | None = None,
        drafts: int = 0,
        draft_tokens: int = 48,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.prompts = prompts
        self.chat = chat
        self.k = k
        self.max_message_chars = max_message_chars
        self.max_questions = max_questions
        self.weights = weights or Weights()
        # The LLM drafts explanations for the top `drafts` items (templates explain the rest)
        self.drafts = drafts
        self.draft_tokens = draft_tokens
        self._explainers: dict[str, Explainer] = {}
        self._manifests: dict[str, Manifest] = {}
        self._vocabularies: dict[str, Vocabulary] = {}
        self._priors: dict[str, Priors] = {}
        self._indexes: dict[str, CatalogIndex | None] = {}
        self._policies: dict[str, tuple[list[Passage], np.ndarray | None]] = {}

    # per-catalog knowledge, read once per process: a re-ingest shows after a restart ----------
    def manifest(self, catalog: str) -> Manifest:
        if catalog not in self._manifests:
            self._manifests[catalog] = self.store.manifest(catalog)
        return self._manifests[catalog]

    def vocabulary(self, catalog: str) -> Vocabulary:
        if catalog not in self._vocabularies:
            manifest = self.manifest(catalog)
            titles = self.store.titles(catalog)
            self._vocabularies[catalog] = Vocabulary(
                manifest.facets, titles, self.embedder.embed, manifest.quantiles
            )
        return self._vocabularies[catalog]

    def index(self, catalog: str) -> CatalogIndex | None:
        """The catalog in memory for search and BM25; None when it is too large to hold."""
        if catalog not in self._indexes:
            small = self.manifest(catalog).count <= MAX_ITEMS
            self._indexes[catalog] = CatalogIndex.read(self.store, catalog) if small else None
        return self._indexes[catalog]

    def forget(self, catalog: str) -> None:
        """Read the catalog afresh at its next turn (after this process re-ingested it)."""
        for cache in (self._manifests, self._vocabularies, self._priors, self._indexes,
                      self._explainers, self._policies):  # fmt: skip
            cache.pop(catalog, None)
        self.store.clear_cache()

    def warm(self, catalog: str) -> None:
        """Read what a catalog's first turn would (vocabulary, priors, index, explainer) ahead
        of it."""
        self.vocabulary(catalog), self.priors(catalog), self.index(catalog)
        self.explainer(catalog)

    def drafting(self, drafts: int, draft_tokens: int) -> "Engine":
        """This engine, sharing what it has read, with LLM drafts for the top `drafts` items."""
        other = copy.copy(self)
        other.drafts, other.draft_tokens, other._explainers = drafts, draft_tokens, {}
        return other

    def explainer(self, catalog: str) -> Explainer:
        if catalog not in self._explainers:
            names = [v for values in self.manifest(catalog).facets.values() for v in values]
            self._explainers[catalog] = Explainer(self.prompts, self.chat, names, self.drafts,
                                                  self.draft_tokens)  # fmt: skip
        return self._explainers[catalog]

    def policies(self, catalog: str) -> tuple[list[Passage], np.ndarray | None]:
        if catalog not in self._policies:
            self._policies[catalog] = self.store.policies(catalog)
        return self._policies[catalog]

    def priors(self, catalog: str) -> Priors:
        if catalog not in self._priors:
            self._priors[catalog] = self.store.priors(catalog)
        return self._priors[catalog]

    def reload_priors(self, catalog: str) -> None:
        """Read the catalog's priors again at its next turn (after new ones were saved)."""
        self._priors.pop(catalog, None)

    # one turn ---------------------------------------------------------------------------------
    def turn(
        self, state: DialogueState, message: str, k: int | None = None, ask: bool = True
    ) -> Turn:
        """Understand, retrieve, decide; no text generation (`concierge rank` uses ask=False)."""
        manifest = self.manifest(state.catalog)
        need = state.need
        text, notes = self._clean(message)
        if ask:
            asked = self._support(state, text, notes) or self._item_question(state, text, notes)
            if asked is not None:
                return asked
        understood = self._understand(state, text)
        if understood is None:
            return Turn(state, text, "answer", [], manifest.currency, notes, reply_key="empty")
        if understood.reset and not understood.content:
            return Turn(state, text, "answer", [], manifest.currency, notes, reply_key="reset")
        if not stated(need):
            return Turn(state, text, "answer", [], manifest.currency, notes, reply_key="unclear")
        candidates = self.candidates(state, understood.more)
        if not candidates:
            key = "no_more" if understood.more else "empty_set"
            turn = Turn(state, text, "answer", [], manifest.currency, notes, reply_key=key)
            turn.blocker = self._blocker(state)
            return turn
        ranking = [c.item.id for c in candidates]
        choice = None
        if not understood.more:
            choice = choose_question(need, candidates, list(manifest.facets), self.max_questions)
        if ask and choice:
            need.asked.append(choice.facet)
            need.pending = choice.facet
            question = {"facet": choice.facet, "options": choice.options,
                        "text": self.prompts.render("question", facet=choice.facet)}  # fmt: skip
            return Turn(state, text, "ask", [], manifest.currency, notes, question=question,
                        ranking=ranking)  # fmt: skip
        top = candidates[: max(1, k or self.k)]
        items = show(need, top)
        return Turn(state, text, "recommend", items, manifest.currency, notes,
                    would_ask=choice.facet if choice else None, ranking=ranking,
                    picks=top)  # fmt: skip

    def _support(self, state: DialogueState, text: str, notes: list[str]) -> Turn | None:
        """ "Talk to a person" (a handoff), or a question about the store's policies, answered
        from its documents; the need is left as it was. `text` is the cleaned message."""
        currency = self.manifest(state.catalog).currency
        if wants_a_person(text):
            state.messages.append(Message(role="user", content=text))
            shown = state.need.last_shown + state.need.liked
            titles = {i.id: i.title for i in self.store.get(state.catalog, shown)}
            handoff = handoff_summary(state, titles)
            return Turn(state, text, "handoff", [], currency, notes, reply_key="handoff",
                        handoff=handoff)  # fmt: skip
        passages, vectors = self.policies(state.catalog)
        if not passages or not is_policy_question(text):
            return None
        state.messages.append(Message(role="user", content=text))
        found = answer_policy(text, passages, vectors, self.embedder.embed([text])[0])
        sources = []
        if found.passage is not None:
            p = found.passage
            sources = [{"doc": p.doc, "source": p.source, "section": p.section, "text": p.text}]
        return Turn(state, text, "answer", [], currency, notes, reply_key="policy",
                    answer=found.text, sources=sources)  # fmt: skip

    def _item_question(self, state: DialogueState, text: str, notes: list[str]) -> Turn | None:
        """A question about the items just shown, answered from their attributes; the need is
        left as it was. `text` is the cleaned message."""
        question = item_question(text, state.need, self.vocabulary(state.catalog).titles)
        if question is None:
            return None
        state.messages.append(Message(role="user", content=text))
        currency = self.manifest(state.catalog).currency
        items = self.store.get(state.catalog, question.items)
        reply = answer(question, items, lambda p: format_price(p, currency), text)
        return Turn(state, text, "answer", [], currency, notes, reply_key="item", answer=reply)

    def observe(
        self, state: DialogueState, message: str
    ) -> tuple[str, list[str], Understanding | None]:
        """Fold a user message into the need: the cleaned text, notes for the reply, and what
        was understood (None for an empty message)."""
        text, notes = self._clean(message)
        return text, notes, self._understand(state, text)

    def _understand(self, state: DialogueState, text: str) -> Understanding | None:
        """Fold an already cleaned message into the need (None when it is empty)."""
        state.messages.append(Message(role="user", content=text))
        if not text:
            return None

        def shown_prices() -> list[float]:  # read only for "cheaper"
            return [
                i.price for i in self.store.get(state.catalog, state.need.last_shown) if i.price
            ]

        return understand(state.need, text, self.vocabulary(state.catalog), shown_prices)

    def candidates(self, state: DialogueState, more: bool = False) -> list[Scored]:
        need = state.need
        constraints = self.constraints(need, more)
        weights = self.weights if state.theta is None else replace(self.weights, theta=state.theta)
        return retrieve(self.store, state.catalog, self.need_vectors(need), constraints,
                        self.priors(state.catalog), taste(need), need.disliked,
                        self.index(state.catalog), weights)  # fmt: skip

    def reshow(self, state: DialogueState, k: int | None = None) -> Turn:
        """The current need's items again, explained (after the session's θ changed); no
        message is read and the need is unchanged but for what counts as shown."""
        manifest = self.manifest(state.catalog)
        need = state.need
        if not stated(need):
            return Turn(state, "", "answer", [], manifest.currency, reply_key="unclear")
        top = self.candidates(state)[: max(1, k or self.k)]
        turn = Turn(state, "", "recommend", show(need, top), manifest.currency, picks=top)
        if top:
            self._explain(turn)
        return turn

    def need_vectors(self, need: Need) -> NeedVectors:
        """The need's text and query vectors: the whole need, each want and facet value, and
        each phrase to avoid, embedded in one batch."""
        whole = need.query_text()
        parts = [(f"want: {w}", w) for w in need.wants[-MAX_PARTS:]]
        parts += [(f"{f}: {v}", v) for f, values in need.include.items() for v in values]
        avoid = [(f"avoid: {a}", a) for a in need.avoid[-MAX_PARTS:]]
        texts = ([whole] if whole else []) + [text for _, text in parts + avoid]
        vectors = list(self.embedder.embed(texts)) if texts else []
        whole_vector = vectors.pop(0) if whole else None  # parts exist only with a whole need
        labelled = [(label, v) for (label, _), v in zip(parts + avoid, vectors, strict=True)]
        return NeedVectors(whole, whole_vector, tuple(labelled[: len(parts)]),
                           tuple(labelled[len(parts) :]))  # fmt: skip

    def observe_assistant(self, state: DialogueState, text: str) -> None:
        """An assistant message from elsewhere (a logged dialogue): the items it names count as
        shown, numbered in the order named."""
        tokens = normalize(text).split()
        named = [h.value for h in self.vocabulary(state.catalog).match(tokens, only="item")]
        state.messages.append(Message(role="assistant", content=text))
        if named:
            need = state.need
            need.last_shown = list(dict.fromkeys(named))
            need.shown += [i for i in named if i not in need.shown]
            need.mentioned += [i for i in named if i not in need.mentioned]

    def constraints(self, need: Need, more: bool = False) -> Constraints:
        """The hard part of the need, as the store filters by it."""
        # Liked items are the person's references ("more like the MALM", "like Super Troopers"):
        # what they want is others like them, not the same items again; unless asked for by name.
        banned = set(need.disliked) | (set(need.liked) - set(need.requested))
        if more:
            banned |= set(need.shown)
        return Constraints(
            ranges={n: (r.min, r.max) for n, r in need.ranges.items() if not r.is_open()},
            include={f: tuple(v) for f, v in need.include.items() if v},
            exclude={f: tuple(v) for f, v in need.exclude.items() if v},
            banned=frozenset(banned),
        )

    def _blocker(self, state: DialogueState) -> str:
        """Which single constraint, dropped, would let items through: to say so in the reply."""
        constraints = self.constraints(state.need, more=False)
        for part in constraints.parts():  # ranges first: the easiest to change
            relaxed = constraints.without(part)
            if self.store.matches(state.catalog, relaxed.where()):
                kind, name = part.split(":", 1)
                values = state.need.include.get(name, [])
                return f"{name} {', '.join(values)}" if kind == "include" else f"the {name} range"
        return ""

    def stream_reply(self, turn: Turn) -> Iterator[str]:
        """Yield the reply as it grows; turn.reply holds the whole text at the end."""
        head = "".join(f"{note}\n\n" for note in turn.notes)
        if turn.action in ("answer", "ask", "handoff"):
            turn.reply = head + self._fixed_reply(turn)
            yield turn.reply
        else:
            lead = ""
            if turn.items and turn.items[0].closest:
                lead = self.prompts.render("closest_note")  # not the LLM: nothing matched
                yield head + lead
            elif self.chat is not None and self.drafts:  # the LLM's time goes to explanations
                lead = self.prompts.render("fallback_lead_in")
            else:
                for lead in self._lead_in(turn.message):
                    yield head + lead
            turn.reply = f"{head}{lead}\n\n{self._listing(turn)}"
            yield turn.reply
            if turn.picks:
                self._explain(turn)
                turn.reply = f"{head}{lead}\n\n{self._listing(turn)}"
                yield turn.reply
        turn.state.messages.append(Message(role="assistant", content=turn.reply))

    def _listing(self, turn: Turn) -> str:
        lines = []
        for n, i in enumerate(turn.items, start=1):
            price = f" ({format_price(i.price, turn.currency)})" if i.price is not None else ""
            lines.append(f"{n}. {i.title}{price}")
            if i.explanation:
                lines.append(f"   {i.explanation}")
        return "\n".join(lines)

    def _explain(self, turn: Turn) -> None:
        """Verified explanations for the shown items (bot/explain.py)."""
        need = turn.state.need
        explainer = self.explainer(turn.state.catalog)
        found = explainer.explain(turn.picks, need, lambda p: format_price(p, turn.currency))
        turn.explanations = found
        for item, explanation in zip(turn.items, found, strict=True):
            item.explanation = explanation.text
            item.explanation_sources = explanation.sources()

    def respond(self, state: DialogueState, message: str, k: int | None = None) -> Turn:
        turn = self.turn(state, message, k)
        for _ in self.stream_reply(turn):
            pass
        return turn

    def _fixed_reply(self, turn: Turn) -> str:
        if turn.answer:
            return turn.answer
        if turn.question is not None:
            options = turn.question["options"]
            return self.prompts.render("question_reply", text=turn.question["text"],
                                       options=options)  # fmt: skip
        if turn.reply_key == "handoff":
            return self.prompts.render("handoff")
        if turn.reply_key == "empty_set":
            return self.prompts.render("no_results", catalog=turn.state.catalog,
                                       blocker=turn.blocker)  # fmt: skip
        if turn.reply_key == "no_more":
            return self.prompts.render("no_more")
        if turn.reply_key == "reset":
            return self.prompts.render("started_over", example=self._example(turn))
        return self.prompts.render("empty_message", example=self._example(turn))

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
        text = _CONTROL.sub(" ", _ESCAPE.sub(" ", message or ""))
        text = unicodedata.normalize("NFC", text).strip()
        notes = []
        if len(text) > self.max_message_chars:
            text = text[: self.max_message_chars]
            notes.append(self.prompts.render("truncated_note", limit=self.max_message_chars))
        return text, notes

    def _example(self, turn: Turn) -> str:
        facets = self.manifest(turn.state.catalog).facets
        values = next(iter(facets.values()), {})
        return f"something from {next(iter(values))}" if values else "a gift under 50"


MAX_PARTS = 3  # the latest wants and avoid-phrases that become query vectors of their own
LIKED_DECAY = 0.7  # the latest liked item weighs 1, the one before 0.7, then 0.49 ...
MENTIONED_WEIGHT = 0.5  # an item the other side named, that the person did not react to


def stated(need: Need) -> bool:
    """Whether the person has said anything to search by."""
    return bool(need.wants or need.liked or need.include or need.constraints())


def show(need: Need, top: list[Scored]) -> list[Recommendation]:
    """The items as shown; the need remembers them (numbered, and as seen)."""
    items = [Recommendation.from_scored(c) for c in top]
    need.last_shown = [i.id for i in items]
    need.shown += [i.id for i in items if i.id not in need.shown]
    return items


def taste(need: Need) -> dict[str, float]:
    """The items the person's taste is drawn from, with weights."""
    out = {item: MENTIONED_WEIGHT * LIKED_DECAY**age
           for age, item in enumerate(reversed(need.mentioned))}  # fmt: skip
    out.update({item: LIKED_DECAY**age for age, item in enumerate(reversed(need.liked))})
    for item in need.disliked:
        out.pop(item, None)
    return out


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
