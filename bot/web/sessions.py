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
from sqlalchemy import Connection, case, delete, func, insert, select

from bot.state import DialogueState
from bot.web.database import Database, events_table, sessions_table
from retrieval.interactions import Event

log = logging.getLogger("concierge.sessions")

EVENTS = ("shown", "click", "like", "dislike", "rejected", "purchase")


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
        t = sessions_table
        newer = case((t.c.updated != known, t.c.state), else_=None)  # only when it moved on
        query = select(newer.label("state"), t.c.updated).where(t.c.id == session_id)
        row = self.db.run("read session", lambda c: c.execute(query).first(), default=FAILED)
        if row is FAILED:  # the database is down: memory serves
            return kept.state if kept is not None else None
        if row is None:  # never saved, or deleted
            if kept is not None:
                with self._lock:
                    self._states.pop(session_id, None)
            return None
        if row.state is None:  # memory holds what the database does
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

    def forget(self, session_id: str) -> bool:
        """Delete the session (its need and messages); whether there was one."""
        with self._lock:
            kept = self._states.pop(session_id, None)
        t = sessions_table
        gone = self.db.delete("delete session", delete(t).where(t.c.id == session_id))
        return bool(gone) or kept is not None

    def drop_before(self, at: float) -> int:
        """Delete the sessions last saved before `at` (retention); how many."""
        t = sessions_table
        return self.db.delete("drop old sessions", delete(t).where(t.c.updated < at))

    def _remember(self, state: DialogueState, saved: float | None) -> None:
        with self._lock:
            self._states[state.session_id] = _Kept(state, saved)


class EventLog:
    """What was shown, clicked, liked, disliked and turned down: learned from in the background
    (bot/web/learning.py), or exported as an interactions file for the next ingest."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def record(self, session: str, catalog: str, items: list[str], event: str,
               client: str = "") -> None:  # fmt: skip
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; one of {', '.join(EVENTS)}")
        at = time.time()
        rows = [{"session": session, "catalog": catalog, "item": item, "event": event, "at": at,
                 "client": client} for item in items]  # fmt: skip
        self.db.run("log events", lambda c: c.execute(insert(events_table), rows))

    def events(self, catalog: str) -> list[Event] | None:
        """The catalog's events, oldest first; None when the database cannot be read."""
        t = events_table
        query = (select(t.c.session, t.c.item, t.c.event, t.c.at, t.c.n, t.c.client)
                 .where(t.c.catalog == catalog).order_by(t.c.n))  # fmt: skip
        rows = self.db.run("read events", lambda c: c.execute(query).all())
        return None if rows is None else [Event(*row) for row in rows]

    def latest(self) -> dict[str, int] | None:
        """Each catalog's last event's number (they only grow); None when unreadable."""
        t = events_table
        query = select(t.c.catalog, func.max(t.c.n)).group_by(t.c.catalog)
        rows = self.db.run("read events", lambda c: c.execute(query).all())
        return None if rows is None else {catalog: int(n) for catalog, n in rows}

    def forget_session(self, session: str) -> int:
        """Delete the session's events; how many."""
        t = events_table
        return self.db.delete("delete events", delete(t).where(t.c.session == session))

    def drop_before(self, at: float) -> int:
        """Delete the events logged before `at` (retention); how many."""
        t = events_table
        return self.db.delete("drop old events", delete(t).where(t.c.at < at))

    def export(self, catalog: str) -> list[dict[str, Any]]:
        """The catalog's events in the interactions format, oldest first."""
        return [{"session": e.session, "item": e.item, "event": e.event, "order": e.n}
                for e in self.events(catalog) or []]  # fmt: skip

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
