"""Sessions and the feedback log, kept in the database (bot/web/database.py) so that a restart
loses nothing and several app processes share them. While the database cannot be written,
sessions live on in memory."""

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Connection, insert, select

from bot.state import DialogueState
from bot.web.database import Database, events_table, sessions_table

log = logging.getLogger("concierge.sessions")

EVENTS = ("shown", "click", "like", "dislike")


class Sessions:
    """Dialogue states by id, written through to the database. The latest are kept in memory
    with the time they were saved; a copy is used while the database holds the same save, so a
    session another process moved on is read again."""

    def __init__(self, database: Database | None = None, capacity: int = 2_000) -> None:
        self.db = database or Database(None)
        self._locks: dict[str, threading.Lock] = {}
        # a session pushed out of memory takes its lock with it (its state is in the database)
        self._states: LRUCache[str, _Kept] = _Forgetting(capacity, self._locks.pop)
        self._lock = threading.Lock()
        self.capacity = capacity

    def get(self, session_id: str | None, catalog: str) -> DialogueState:
        """The session with this id, or a new one; a different catalog starts afresh."""
        state = self.find(session_id) if session_id else None
        if state is None or state.catalog != catalog:
            state = DialogueState(catalog=catalog)
            if session_id:
                state.session_id = session_id
            self._remember(state, UNSAVED)
        return state

    def find(self, session_id: str) -> DialogueState | None:
        with self._lock:
            kept = self._states.get(session_id)
        if kept is not None and kept.saved is UNSAVED:
            return kept.state  # newer than the database (which could not be written)
        known = kept.saved if kept is not None else -1.0
        table = sessions_table
        newer = (select(table.c.state, table.c.updated)
                 .where(table.c.id == session_id, table.c.updated != known))  # fmt: skip
        row = self.db.run("read session", lambda c: c.execute(newer).first(), default=FAILED)
        if row is FAILED or row is None:  # the database is down, or holds what memory does
            return kept.state if kept is not None else None
        try:
            state = DialogueState.model_validate_json(row.state)
        except ValueError as err:
            log.error("session %s could not be read (%s); it starts afresh", session_id, err)
            return None
        self._remember(state, row.updated)
        return state

    def lock(self, session_id: str) -> threading.Lock:
        """Held around a turn, so that two requests of one session never interleave (within a
        process: behind a load balancer, the later of two requests at once is the one kept)."""
        with self._lock:
            return self._locks.setdefault(session_id, threading.Lock())

    def save(self, state: DialogueState) -> None:
        now = time.time()
        row = {"id": state.session_id, "catalog": state.catalog,
               "state": state.model_dump_json(), "updated": now}  # fmt: skip

        def write(conn: Connection) -> bool:
            conn.execute(self.db.upsert(sessions_table, row))
            return True

        written = self.db.run("save session", write, default=False)
        self._remember(state, now if written else UNSAVED)

    def _remember(self, state: DialogueState, saved: float | None) -> None:
        with self._lock:
            self._states[state.session_id] = _Kept(state, saved)


class EventLog:
    """What was shown, clicked, liked and disliked: exported as an interactions file
    (retrieval/interactions.py reads it at the next ingest)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def record(self, session: str, catalog: str, items: list[str], event: str) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; one of {', '.join(EVENTS)}")
        at = time.time()
        rows = [{"session": session, "catalog": catalog, "item": item, "event": event, "at": at}
                for item in items]  # fmt: skip
        self.db.run("log events", lambda c: c.execute(insert(events_table), rows))

    def export(self, catalog: str) -> list[dict[str, Any]]:
        """The catalog's events in the interactions format, oldest first."""
        t = events_table
        query = select(t.c.session, t.c.item, t.c.event, t.c.n).where(t.c.catalog == catalog)
        rows = self.db.run("export events", lambda c: c.execute(query.order_by(t.c.n)).all(),
                           default=[])  # fmt: skip
        return [{"session": s, "item": i, "event": e, "order": n} for s, i, e, n in rows]

    def export_jsonl(self, catalog: str) -> str:
        return "".join(json.dumps(row) + "\n" for row in self.export(catalog))


UNSAVED = None  # kept in memory only: the database could not be written
FAILED = object()


@dataclass
class _Kept:
    state: DialogueState
    saved: float | None  # the `updated` it was saved with, or UNSAVED


class _Forgetting(LRUCache):
    """An LRU map that tells `forget(key, None)` of each key it pushes out."""

    def __init__(self, size: int, forget: Callable[[str, None], object]) -> None:
        super().__init__(size)
        self.forget = forget

    def popitem(self) -> tuple[str, _Kept]:
        key, value = super().popitem()
        self.forget(key, None)
        return key, value
