"""One turn: read the message -> update the need -> retrieve -> decide (ask, recommend, answer or
hand off). The reply is worded and streamed by bot/engine/reply.py."""

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.language_models import BaseChatModel

from bot.answering.items import answer, item_question
from bot.answering.support import (
    answer_policy,
    handoff_summary,
    is_policy_question,
    is_shop_question,
    wants_a_person,
)
from bot.asking import choose_question
from bot.engine.knowledge import CatalogKnowledge
from bot.engine.records import Action, Recommendation, Turn
from bot.engine.reply import Replier
from bot.explaining.explain import Explainer
from bot.state import DialogueState, Message, Need
from bot.understanding.chinese import Translator, is_chinese
from bot.understanding.grammar import Grammar
from bot.understanding.likelihood import TypeLikelihood
from bot.understanding.llm_reading import NeedReader, merge
from bot.understanding.meaning import Guess
from bot.understanding.understand import Understanding, understand
from bot.understanding.vocabulary import NAME_FACETS, Vocabulary, normalize
from prompts.loader import Prompts
from retrieval.amounts import format_price
from retrieval.candidates import Constraints, NeedVectors, Scored, Weights, retrieve
from retrieval.diversity import DIVERSITY, POOL, mmr
from retrieval.embed import Embedder
from retrieval.interactions import Priors
from retrieval.records import Item
from retrieval.store import ItemStore, Manifest
from retrieval.types import FACET as TYPE_FACET
from retrieval.variants import Variant

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Terminal escape sequences ("\x1b[31m"): dropped whole, or "[31m" would read as 31 metres.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
MAX_PARTS = 3  # the latest wants and avoid-phrases that become query vectors of their own
LIKED_DECAY = 0.7  # the latest liked item weighs 1, the one before 0.7, then 0.49 ...
MENTIONED_WEIGHT = 0.5  # an item the other side named, that the person did not react to


@dataclass(frozen=True)
class EngineConfig:
    k: int = 5  # items shown per recommendation
    max_message_chars: int = 2000  # longer messages are truncated, with a note
    max_questions: int = 2  # questions before recommending anyway
    weights: Weights = field(default_factory=Weights)  # fusion, rerank temperature and θ
    drafts: int = 0  # top items whose explanation the LLM drafts (templates explain the rest)
    draft_tokens: int = 48  # the length of each draft
    # Turns drafting at once. A turn that finds none free explains with templates, so that under
    # load turns do not queue behind the LLM (an in-process model drafts one call at a time).
    draft_slots: int = 1
    diversity: float = DIVERSITY  # variety among the shown items, for vague requests
    # How the kind of thing is read when no word names it (bot/understanding/meaning.py):
    # "words" (not at all), "embedder", or "chat" (the embedder, and an in-process chat model's
    # likelihoods where one is loaded)
    kinds_by: str = "words"
    # Whether the chat model also reads each message into the need by structured output
    # (bot/understanding/llm_reading.py): for a server that follows a schema, not the packaged
    # model; and how long a turn waits for it before going on with the offline reading
    read_by_llm: bool = False
    read_timeout_s: float = 3.0


class Engine:
    def __init__(
        self,
        *,
        embedder: Embedder,
        store: ItemStore,
        prompts: Prompts,
        chat: BaseChatModel | None = None,
        config: EngineConfig | None = None,
        knowledge: CatalogKnowledge | None = None,
        translator: Translator | None = None,
        grammar: Grammar | None = None,
    ) -> None:
        self.embedder = embedder
        self.translator = translator or Translator()  # loads its dictionary when first used
        self.grammar = grammar or Grammar()  # loads its parser when first used
        self.store = store
        self.prompts = prompts
        self.chat = chat
        self.config = config or EngineConfig()
        self.knowledge = knowledge or CatalogKnowledge(store, embedder)
        self.replier = Replier(prompts, chat, self.knowledge, self.config.drafts,
                               self.config.draft_tokens, self.config.draft_slots)  # fmt: skip
        self._likelihood = TypeLikelihood.of(chat) if chat is not None else None
        self._reader = self._need_reader(chat)

    def _need_reader(self, chat: BaseChatModel | None) -> NeedReader | None:
        if chat is None or not self.config.read_by_llm:
            return None
        return NeedReader(chat, self.config.read_timeout_s)

    def use_chat(self, chat: BaseChatModel) -> None:
        """Draft explanations with `chat` from the next turn on (the app loads its model in
        the background; until then, explanations are templates)."""
        self.chat = self.replier.chat = chat
        self._likelihood = TypeLikelihood.of(chat)
        self._reader = self._need_reader(chat)
        self.replier.forget_all()

    def variant(self, chat: BaseChatModel | None = None, **config: Any) -> "Engine":
        """This engine with another chat model or config values, sharing what it has read of the
        catalogs (benchmarks compare configurations on one store)."""
        return Engine(embedder=self.embedder, store=self.store, prompts=self.prompts,
                      chat=chat or self.chat, config=replace(self.config, **config),
                      knowledge=self.knowledge, translator=self.translator,
                      grammar=self.grammar)  # fmt: skip

    @property
    def k(self) -> int:
        return self.config.k

    @property
    def weights(self) -> Weights:
        return self.config.weights

    # what the engine knows of each catalog (bot/engine/knowledge.py) --------------------------
    def manifest(self, catalog: str) -> Manifest:
        return self.knowledge.manifest(catalog)

    def vocabulary(self, catalog: str) -> Vocabulary:
        return self.knowledge.vocabulary(catalog)

    def priors(self, catalog: str) -> Priors:
        return self.knowledge.priors(catalog)

    def explainer(self, catalog: str) -> Explainer:
        return self.replier.explainer(catalog)

    def refresh(self) -> list[str]:
        """Read again each catalog written since it was read here, by this process or another
        (its stamp changed: a re-ingest, new priors or policies); turns use the old until the
        new is whole. The catalogs read again."""
        stale = self.knowledge.stale()
        for catalog, what in stale.items():
            self.knowledge.reload(catalog, what)
            if what is None:
                self.replier.forget(catalog)
        return list(stale)

    def warm(self, catalog: str) -> None:
        """Read what a catalog's first turn would (vocabulary, priors, index, speller, parser,
        explainer) ahead of it."""
        self.vocabulary(catalog), self.priors(catalog), self.knowledge.index(catalog)
        self.knowledge.speller(catalog)
        self.grammar.load()
        if self.config.kinds_by != "words":
            self.knowledge.meaning(catalog)
        self.explainer(catalog)

    # one turn ---------------------------------------------------------------------------------
    def turn(
        self, state: DialogueState, message: str, k: int | None = None, ask: bool = True
    ) -> Turn:
        """Understand, retrieve, decide; no text generation (`concierge rank` uses ask=False)."""
        shown, rejections = list(state.need.last_shown), state.need.rejections
        turn = self._decide(state, message, k, ask)
        if state.need.rejections > rejections:
            turn.turned_down = shown  # "none of these": evidence against them (learning)
        return turn

    def _decide(self, state: DialogueState, message: str, k: int | None, ask: bool) -> Turn:
        need = state.need
        text, notes = self.clean(message)

        def plain(action: Action, **fields: Any) -> Turn:
            return self._turn(state, text, notes, action, **fields)

        if ask:
            asked = self._support(state, text, notes) or self._item_question(state, text, notes)
            if asked is not None:
                return asked
        pending = need.pending
        understood = self._understand(state, text)
        if understood is None:
            return plain("answer", reply_key="empty")
        if understood.reset and not understood.content:
            return plain("answer", reply_key="reset")
        notes += [self.prompts.render("unlisted_note", facet=f) for f in understood.unlisted]
        if understood.corrections:
            notes.append(self.prompts.render("spelling_note", corrections=understood.corrections))
        if not stated(need):
            return plain("answer", reply_key="unclear")
        candidates = self.candidates(state, understood.more)
        if not candidates and not understood.more:  # relax one constraint rather than say none
            candidates, dropped = self._relaxed(state)
            if candidates:
                notes.append(self.prompts.render("relaxed_note", dropped=dropped))
        if not ask:  # a ranking, as `concierge rank` wants: k items when the catalog has them
            candidates = self._filled(state, candidates, understood.more, k or self.k)
        if not candidates:
            key = "no_more" if understood.more else "empty_set"
            return plain("answer", reply_key=key, blocker=self._blocker(state))
        ranking = [c.item.id for c in candidates]
        choice = None
        # a question passed over to say something else: they said what matters, so show items
        passed_over = pending is not None and pending not in need.answered and understood.content
        if not understood.more and not passed_over:
            facets = list(self.manifest(state.catalog).facets)
            choice = choose_question(need, candidates, facets, self.config.max_questions)
        if ask and choice:
            need.asked.append(choice.facet)
            need.pending = choice.facet
            question = {"facet": choice.facet, "options": choice.options,
                        "text": self.prompts.render("question", facet=choice.facet)}  # fmt: skip
            return plain("ask", question=question, ranking=ranking)
        top = self._offered(state, self._varied(state, candidates, max(1, k or self.k)))
        shown = [c.item.id for c in top]  # the ranking as shown: variety may reorder its head
        ranking = shown + [i for i in ranking if i not in shown]
        return plain("recommend", items=show(need, top), ranking=ranking, picks=top,
                     would_ask=choice.facet if choice else None)  # fmt: skip

    def _support(self, state: DialogueState, text: str, notes: list[str]) -> Turn | None:
        """ "Talk to a person" (a handoff), or a question about the store's policies, answered
        from its documents; the need is left as it was. `text` is the cleaned message."""
        if wants_a_person(text):
            state.messages.append(Message(role="user", content=text))
            shown = state.need.last_shown + state.need.liked
            titles = {i.id: i.title for i in self.store.get(state.catalog, shown)}
            return self._turn(state, text, notes, "handoff", reply_key="handoff",
                              handoff=handoff_summary(state, titles))  # fmt: skip
        passages, vectors = self.knowledge.policies(state.catalog)
        if not passages or not (is_policy_question(text) or is_shop_question(text)):
            return None
        state.messages.append(Message(role="user", content=text))
        found = answer_policy(text, passages, vectors, self.embedder.embed([text])[0])
        sources = []
        if found.passage is not None:
            p = found.passage
            sources = [{"doc": p.doc, "source": p.source, "section": p.section, "text": p.text}]
        return self._turn(state, text, notes, "answer", reply_key="policy", answer=found.text,
                          sources=sources)  # fmt: skip

    def _item_question(self, state: DialogueState, text: str, notes: list[str]) -> Turn | None:
        """A question about the items just shown, answered from their attributes; the need is
        left as it was. `text` is the cleaned message."""
        question = item_question(text, state.need, self.vocabulary(state.catalog).titles)
        if question is None:
            return None
        state.messages.append(Message(role="user", content=text))
        currency = self.manifest(state.catalog).currency
        items = self.store.get(state.catalog, question.items)
        reply, about = answer(question, items, lambda p: format_price(p, currency), text)
        return self._turn(state, text, notes, "answer", reply_key="item", answer=reply,
                          asked_about=about)  # fmt: skip

    def _turn(
        self, state: DialogueState, text: str, notes: list[str], action: Action, **fields: Any
    ) -> Turn:
        currency = self.manifest(state.catalog).currency
        return Turn(state=state, message=text, action=action, currency=currency, notes=notes,
                    **fields)  # fmt: skip

    def observe(
        self, state: DialogueState, message: str
    ) -> tuple[str, list[str], Understanding | None]:
        """Fold a user message into the need: the cleaned text, notes for the reply, and what
        was understood (None for an empty message)."""
        text, notes = self.clean(message)
        return text, notes, self._understand(state, text)

    def _understand(self, state: DialogueState, text: str) -> Understanding | None:
        """Fold an already cleaned message into the need (None when it is empty)."""
        state.messages.append(Message(role="user", content=text))
        if not text:
            return None

        def shown() -> list[Item]:  # read only for "cheaper" and "not that brand"
            return self.store.get(state.catalog, state.need.last_shown)

        vocabulary = self.vocabulary(state.catalog)
        grammar: Grammar | None = self.grammar
        if is_chinese(text):  # read in English words (no English grammar to read in them)
            text, grammar = self.translator.english(text, vocabulary.knows), None
        text, corrections = self.knowledge.speller(state.catalog).correct(text)
        before = "; ".join(state.need.wants[-2:])
        understood = understand(state.need, text, vocabulary, shown, self._guesser(state.catalog),
                                grammar)  # fmt: skip
        understood.corrections = corrections
        if self._reader is not None:
            context = f"Said before: {before}" if before else ""
            system = self.prompts.render("read_need")
            reading = self._reader.read(text, vocabulary.facets, system, context)
            taken = merge(state.need, reading, understood.kind is not None) if reading else []
            if taken:
                state.need.readings = [*taken, *state.need.readings]
                understood.content = True
        return understood

    def _guesser(self, catalog: str) -> Callable[[str, str, frozenset[str]], Guess] | None:
        """How this engine reads the kind of thing by meaning in a catalog, if it does."""
        meaning = self.knowledge.meaning(catalog) if self.config.kinds_by != "words" else None
        if meaning is None:
            return None
        likelihood = self._likelihood if self.config.kinds_by == "chat" else None

        def guess(said: str, without: str, owned: frozenset[str]) -> Guess:
            vectors = self.embedder.embed([said, without] if without else [said])
            return meaning.guess(said, list(vectors), likelihood, owned)

        return guess

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

    def replay(self, catalog: str, messages: list[tuple[str, str]]) -> DialogueState:
        """The state after a logged dialogue's (role, content) messages, all but the last (the
        user message to answer)."""
        state = DialogueState(catalog=catalog)
        for role, content in messages[:-1]:
            if role == "user":
                self.observe(state, content)
            else:
                self.observe_assistant(state, content)
        return state

    def candidates(
        self, state: DialogueState, more: bool = False, constraints: Constraints | None = None
    ) -> list[Scored]:
        need = state.need
        weights = self.weights if state.theta is None else replace(self.weights, theta=state.theta)
        if need.include.get(TYPE_FACET):  # the kind is known: its filter focuses the search,
            weights = replace(weights, feedback=0.0)  # no need to lean on the nearest items
        constraints = constraints or self.constraints(need, more)
        vocabulary = self.vocabulary(state.catalog)
        titled = {p: vocabulary.titles_saying(p) for p in need.avoid[-MAX_PARTS:]}
        avoided = frozenset().union(*titled.values())
        if avoided:
            constraints = replace(constraints, banned=constraints.banned | avoided)
        said = frozenset(p for p, ids in titled.items() if ids)
        return retrieve(self.store, state.catalog, self.need_vectors(need, said), constraints,
                        priors=self.priors(state.catalog), liked=taste(need),
                        disliked=need.disliked, index=self.knowledge.index(state.catalog),
                        weights=weights)  # fmt: skip

    def _varied(self, state: DialogueState, candidates: list[Scored], k: int) -> list[Scored]:
        """The k items to show: the ranking's first, and for a vague need (no brand named, no
        item named or liked, nothing it must fit) items unlike each other
        (retrieval/diversity.py); a client's own setting wins. A catalog too large to hold in
        memory keeps its order."""
        need = state.need
        named = any(need.include.get(f) for f in NAME_FACETS)  # a brand, a designer, a star
        exact = need.requested or need.liked or need.suits or named
        diversity = state.diversity
        if diversity is None:
            diversity = 0.0 if exact else self.config.diversity
        index = self.knowledge.index(state.catalog)
        if not diversity or index is None or len(candidates) <= k:
            return candidates[:k]
        pool = candidates[:POOL]
        vectors = index.vectors_of([c.item.id for c in pool])
        return [pool[n] for n in mmr([c.score for c in pool], vectors, k, diversity)]

    def _offered(self, state: DialogueState, top: list[Scored]) -> list[Scored]:
        """The items to show, each with its product's other colours, sizes or carriers, none
        the person refused (seen in Chromium: "not a fan of black" offered "Black")."""
        index = self.knowledge.index(state.catalog)
        if index is None:  # a catalog too large to hold: its variants are not grouped
            return top
        need = state.need

        def offered(v: Variant) -> bool:
            return not need.refuses(v.id, f"{v.label} {v.title}")

        return [replace(c, variants=tuple(filter(offered, index.products.variants(c.item.id))))
                for c in top]  # fmt: skip

    def _relaxed(self, state: DialogueState) -> tuple[list[Scored], str]:
        """The candidates with one constraint left out, and which: the most recent facet value
        first, then the ranges, never the product type (a phone is not a case). The need keeps
        the constraint: the person decides."""
        constraints = self.constraints(state.need)
        parts = [p for p in reversed(constraints.parts()) if p != f"include:{TYPE_FACET}"]
        for part in parts:
            found = self.candidates(state, constraints=constraints.without(part))
            if found:
                return found, "the " + describe(part, state.need).removeprefix("the ")
        return [], ""

    def _filled(
        self, state: DialogueState, candidates: list[Scored], more: bool, k: int
    ) -> list[Scored]:
        """The candidates, then, when fewer than k, the best of the rest: first those of the
        wanted type that miss another constraint, then anything not turned down. The chat
        shows only what fits; a ranking is judged on its first k, and a near miss there beats
        an empty place."""
        if len(candidates) >= k:
            return candidates
        strict = self.constraints(state.need, more)
        wider = [Constraints(include={f: v for f, v in strict.include.items() if f == TYPE_FACET},
                             banned=strict.banned), Constraints(banned=strict.banned)]  # fmt: skip
        for constraints in wider:
            if len(candidates) >= k:
                break
            seen = {c.item.id for c in candidates}
            found = self.candidates(state, more, constraints)
            candidates = candidates + [c for c in found if c.item.id not in seen]
        return candidates

    def swap(self, state: DialogueState, item_id: str, variant_id: str) -> Recommendation | None:
        """Another colour, size or carrier of a shown product in its place (a card's choice),
        explained against the need and numbered where the first was; None if it is not one."""
        index = self.knowledge.index(state.catalog)
        need = state.need
        if index is None or item_id not in need.last_shown:
            return None
        if variant_id not in {v.id for v in index.products.variants(item_id)}:
            return None
        [item] = self.store.get(state.catalog, [variant_id])
        [pick] = self._offered(state, [Scored(item, 0.0, {})])
        currency = self.manifest(state.catalog).currency
        explainer = self.explainer(state.catalog)
        [why] = explainer.explain([pick], need, lambda p: format_price(p, currency))
        shown = Recommendation.from_scored(pick)
        shown.explanation, shown.explanation_sources = why.text, why.sources()
        need.last_shown = [variant_id if i == item_id else i for i in need.last_shown]
        need.shown += [variant_id] if variant_id not in need.shown else []
        return shown

    def reshow(self, state: DialogueState, k: int | None = None) -> Turn:
        """The current need's items again, explained (after the session's θ changed); no
        message is read and the need is unchanged but for what counts as shown."""
        currency = self.manifest(state.catalog).currency
        if not stated(state.need):
            return Turn(state=state, message="", action="answer", currency=currency,
                        reply_key="unclear")  # fmt: skip
        top = self._offered(state, self.candidates(state)[: max(1, k or self.k)])
        turn = Turn(state=state, message="", action="recommend", items=show(state.need, top),
                    currency=currency, picks=top)  # fmt: skip
        if top:
            self.replier.explain(turn)
        return turn

    def need_vectors(self, need: Need, banned: frozenset[str] = frozenset()) -> NeedVectors:
        """The need's text and query vectors: the whole need, each want and facet value, and
        each phrase to avoid, embedded in one batch. A phrase to avoid that titles say
        (`banned`) has left its items out already ("headphones that aren't wireless", "not
        Fire-Boltt"): ranked away from too, it would push away all that resembles them (seen:
        after "not Fire-Boltt" no smartwatch was left); a phrase no title says stays a direction
        to rank away from."""
        whole = need.query_text()
        parts = [(f"want: {w}", w) for w in need.wants[-MAX_PARTS:]]
        parts += [(f"{f}: {v}", v) for f, values in need.include.items() for v in values]
        avoid = [(f"avoid: {a}", a) for a in need.avoid[-MAX_PARTS:] if a not in banned]
        texts = ([whole] if whole else []) + [text for _, text in parts + avoid]
        vectors = list(self.embedder.embed(texts)) if texts else []
        whole_vector = vectors.pop(0) if whole else None  # parts exist only with a whole need
        labelled = [(label, v) for (label, _), v in zip(parts + avoid, vectors, strict=True)]
        return NeedVectors(need.words_to_match(), whole_vector, tuple(labelled[: len(parts)]),
                           tuple(labelled[len(parts) :]),
                           tuple(need.suits + ([need.named] if need.named else [])))  # fmt: skip

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
                return describe(part, state.need)
        return ""

    def stream_reply(self, turn: Turn) -> Iterator[str]:
        """Yield the reply as it grows; turn.reply holds the whole text at the end."""
        return self.replier.stream(turn)

    def respond(self, state: DialogueState, message: str, k: int | None = None) -> Turn:
        turn = self.turn(state, message, k)
        for _ in self.stream_reply(turn):
            pass
        return turn

    def clean(self, message: str) -> tuple[str, list[str]]:
        """The message without control characters and terminal escapes, NFC, and cut to the
        limit; notes for the reply (a truncation)."""
        text = _CONTROL.sub(" ", _ESCAPE.sub(" ", message or ""))
        text = unicodedata.normalize("NFC", text).strip()
        notes = []
        limit = self.config.max_message_chars
        if len(text) > limit:
            text = text[:limit]
            notes.append(self.prompts.render("truncated_note", limit=limit))
        return text, notes


def describe(part: str, need: Need) -> str:
    """A constraint part ("include:brand", "range:price") in words: "brand Google", "the price
    range"."""
    kind, name = part.split(":", 1)
    values = need.include.get(name, [])
    if kind == "include":
        return f"{name} {', '.join(values)}"
    return f"the {name.replace('_', ' ')} range"


def stated(need: Need) -> bool:
    """Whether the person has said anything to search by."""
    return bool(need.wants or need.liked or need.include or need.constraints())


def show(need: Need, top: list[Scored]) -> list[Recommendation]:
    """The items as shown; the need remembers them (numbered, and as seen)."""
    items = [Recommendation.from_scored(c) for c in top]
    need.last_shown = [i.id for i in items]
    # the variants offered on a card count as seen: "more" brings other products
    seen = [i.id for i in items] + [v.id for c in top for v in c.variants]
    need.shown += [i for i in seen if i not in need.shown]
    return items


def taste(need: Need) -> dict[str, float]:
    """The items the person's taste is drawn from, with weights."""
    out = {item: MENTIONED_WEIGHT * LIKED_DECAY**age
           for age, item in enumerate(reversed(need.mentioned))}  # fmt: skip
    out.update({item: LIKED_DECAY**age for age, item in enumerate(reversed(need.liked))})
    for item in need.disliked:
        out.pop(item, None)
    return out
