"""What the API and the UI share: the engine, the sessions and the logs, and what a turn or a
piece of feedback does to them."""

import hashlib
from dataclasses import dataclass

from bot.engine import Engine, Turn
from bot.state import DialogueState
from bot.web.handoffs import Handoffs
from bot.web.learning import Learner
from bot.web.sessions import EventLog, Sessions
from retrieval.embed import Embedder


def logged_client(who: str) -> str:
    """Who sent an event, as the log keeps it: the kind ("address", "key") and a hash, never the
    address or key itself."""
    kind, _, name = who.partition(":")
    return f"{kind}:{hashlib.sha256(name.encode()).hexdigest()[:16]}"


@dataclass
class Services:
    engine: Engine
    sessions: Sessions
    events: EventLog | None = None
    handoffs: Handoffs | None = None
    embedder: Embedder | None = None  # for ingest over HTTP; the engine's when unset
    learner: Learner | None = None  # learning from the log, deleting sessions (admin API)

    def after_turn(self, turn: Turn, client: str = "") -> None:
        """Log what was shown and what was turned down, and deliver a handoff."""
        state = turn.state
        if self.events is not None and turn.turned_down:
            self.events.record(state.session_id, state.catalog, turn.turned_down, "rejected",
                               client)  # fmt: skip
        if self.events is not None and turn.items:
            self.events.record(state.session_id, state.catalog, [i.id for i in turn.items],
                               "shown", client)  # fmt: skip
        if self.handoffs is not None and turn.handoff is not None:
            self.handoffs.deliver(turn.handoff)

    def feedback(self, state: DialogueState, item_id: str, value: str, client: str = "") -> None:
        """A like or dislike feeds the session's need; it, a click and a purchase are logged."""
        with self.sessions.lock(state.session_id):
            if value == "like":
                state.need.like(item_id)
            elif value == "dislike":
                state.need.dislike(item_id)
            self.sessions.save(state)
        if self.events is not None:
            self.events.record(state.session_id, state.catalog, [item_id], value, client)
