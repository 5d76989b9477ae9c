"""Sessions kept in memory (persistence in SQLite comes with the product-surfaces issue)."""

import threading
from collections import OrderedDict

from bot.state import DialogueState


class Sessions:
    def __init__(self, capacity: int = 10_000) -> None:
        self._states: OrderedDict[str, DialogueState] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def get(self, session_id: str | None, catalog: str) -> DialogueState:
        """The session with this id, or a new one; a different catalog starts afresh."""
        with self._lock:
            state = self._states.get(session_id or "")
            if state is None or state.catalog != catalog:
                state = DialogueState(catalog=catalog)
                if session_id:
                    state.session_id = session_id
            self._states[state.session_id] = state
            self._states.move_to_end(state.session_id)
            while len(self._states) > self.capacity:
                self._states.popitem(last=False)
            return state

    def find(self, session_id: str) -> DialogueState | None:
        with self._lock:
            return self._states.get(session_id)
