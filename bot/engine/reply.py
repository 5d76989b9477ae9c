"""The reply to a turn, streamed: fixed replies from templates, or for a recommendation a
lead-in (a template true of every item), the numbered listing and the verified explanations."""

import threading
from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel

from bot.engine.knowledge import CatalogKnowledge
from bot.engine.records import Turn
from bot.explaining.explain import Explainer
from bot.explaining.lead_in import lead_in
from bot.state import Message
from prompts.loader import Prompts
from retrieval.amounts import format_price


class Replier:
    def __init__(
        self,
        prompts: Prompts,
        chat: BaseChatModel | None,
        knowledge: CatalogKnowledge,
        drafts: int = 0,
        draft_tokens: int = 48,
        draft_slots: int = 1,
    ) -> None:
        self.prompts = prompts
        self.chat = chat
        self.knowledge = knowledge
        # The LLM drafts explanations for the top `drafts` items (templates explain the rest)
        self.drafts = drafts
        self.draft_tokens = draft_tokens
        self._slots = threading.BoundedSemaphore(draft_slots)  # turns drafting at once
        self._explainers: dict[str, Explainer] = {}

    def explainer(self, catalog: str) -> Explainer:
        if catalog not in self._explainers:
            names = self.knowledge.facet_names(catalog)
            self._explainers[catalog] = Explainer(self.prompts, self.chat, names, self.drafts,
                                                  self.draft_tokens)  # fmt: skip
        return self._explainers[catalog]

    def forget(self, catalog: str) -> None:
        self._explainers.pop(catalog, None)

    def forget_all(self) -> None:
        self._explainers = {}

    def stream(self, turn: Turn) -> Iterator[str]:
        """Yield the reply as it grows; turn.reply holds the whole text at the end."""
        head = "".join(f"{note}\n\n" for note in turn.notes)
        if turn.action in ("answer", "ask", "handoff"):
            turn.reply = head + self._fixed_reply(turn)
            yield turn.reply
        else:
            if turn.items and turn.items[0].closest:
                lead = self.prompts.render("closest_note")  # nothing matched
            else:
                lead = self._lead_in(turn)
            yield head + lead
            turn.reply = f"{head}{lead}\n\n{listing(turn)}"
            yield turn.reply
            if turn.picks:
                self.explain(turn)
                turn.reply = f"{head}{lead}\n\n{listing(turn)}"
                yield turn.reply
        turn.state.messages.append(Message(role="assistant", content=turn.reply))

    def explain(self, turn: Turn) -> None:
        """Verified explanations for the shown items (bot/explaining/explain.py)."""
        explainer = self.explainer(turn.state.catalog)
        drafting = self.drafts > 0 and self._slots.acquire(blocking=False)  # else templates
        try:
            price = lambda p: format_price(p, turn.currency)  # noqa: E731
            found = explainer.explain(turn.picks, turn.state.need, price, draft=drafting)
        finally:
            if drafting:
                self._slots.release()
        turn.explanations = found
        for item, explanation in zip(turn.items, found, strict=True):
            item.explanation = explanation.text
            item.explanation_sources = explanation.sources()

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

    def _lead_in(self, turn: Turn) -> str:
        """What the list is, true of every item on it (bot/explaining/lead_in.py)."""
        values = lead_in(turn.state.need, [p.item for p in turn.picks],
                         lambda p: format_price(p, turn.currency))  # fmt: skip
        return (
            self.prompts.render("lead_in", **values)
            if values
            else self.prompts.render("fallback_lead_in")
        )

    def _example(self, turn: Turn) -> str:
        facets = self.knowledge.manifest(turn.state.catalog).facets
        values = next(iter(facets.values()), {})
        return f"something from {next(iter(values))}" if values else "a gift under 50"


def listing(turn: Turn) -> str:
    lines = []
    for n, i in enumerate(turn.items, start=1):
        price = f" ({format_price(i.price, turn.currency)})" if i.price is not None else ""
        lines.append(f"{n}. {i.title}{price}")
        if i.explanation:
            lines.append(f"   {i.explanation}")
    return "\n".join(lines)
