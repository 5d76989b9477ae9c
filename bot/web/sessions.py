"""Sessions and the feedback log, kept in SQLite (the embedded default) so that a restart loses
nothing. A database that cannot be opened (corrupted, locked, on a read-only disk) never takes
the app down: a corrupted file is moved aside and a new one started; while the database cannot
be written, sessions live on in memory and each failure is logged once."""

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cachetools import LRUCache

from bot.state import DialogueState

log = logging.getLogger("concierge.sessions")

EVENTS = ("shown", "click", "like", "dislike")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, catalog TEXT NOT NULL, state TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    n INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, catalog TEXT NOT NULL,
    item TEXT NOT NULL, event TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_catalog ON events (catalog, n);
"""


class Database:
    """One SQLite file shared by the app's threads. `path=None` keeps everything in memory."""

    def __init__(self, path: Path | None, timeout: float = 2.0) -> None:
        self.path = path
        self.timeout = timeout
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.error = ""  # the last failure, for /healthz; empty while all is well

    def _open(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = self._connect(target)
        except sqlite3.DatabaseError as err:
            if self.path is None or (
                "not a database" not in str(err) and "malformed" not in str(err)
            ):
                raise
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            self.path.rename(aside)
            log.error("session database %s was corrupted (%s); moved to %s", self.path, err, aside)
            conn = self._connect(target)
        self._conn = conn
        return conn

    def _connect(self, target: str) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=self.timeout, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._open()
            with conn:  # one transaction
                yield conn

    def run(self, what: str, work: Any, default: Any = None) -> Any:
        """work(conn) in a transaction; on a database failure, log it and return default."""
        try:
            with self.connection() as conn:
                result = work(conn)
        except sqlite3.Error as err:
            if str(err) != self.error:
                log.error("session database: %s failed: %s", what, err)
            self.error = f"{what}: {err}"
            return default
        self.error = ""
        return result


class Sessions:
    """Dialogue states by id: an LRU in memory, written through to the database."""

    def __init__(self, database: Database | None = None, capacity: int = 2_000) -> None:
        self.db = database or Database(None)
        self._locks: dict[str, threading.Lock] = {}
        # a session pushed out of memory takes its lock with it (its state is in the database)
        self._states: LRUCache[str, DialogueState] = _Forgetting(capacity, self._locks.pop)
        self._lock = threading.Lock()
        self.capacity = capacity

    def get(self, session_id: str | None, catalog: str) -> DialogueState:
        """The session with this id, or a new one; a different catalog starts afresh."""
        state = self.find(session_id) if session_id else None
        if state is None or state.catalog != catalog:
            state = DialogueState(catalog=catalog)
            if session_id:
                state.session_id = session_id
            self._remember(state)
        return state

    def find(self, session_id: str) -> DialogueState | None:
        with self._lock:
            state = self._states.get(session_id)
        if state is not None:
            return state
        row = self.db.run("read session", lambda c: c.execute(
            "SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone())  # fmt: skip
        if row is None:
            return None
        try:
            state = DialogueState.model_validate_json(row[0])
        except ValueError as err:
            log.error("session %s could not be read (%s); it starts afresh", session_id, err)
            return None
        self._remember(state)
        return state

    def lock(self, session_id: str) -> threading.Lock:
        """Held around a turn, so that two requests of one session never interleave."""
        with self._lock:
            return self._locks.setdefault(session_id, threading.Lock())

    def save(self, state: DialogueState) -> None:
        self._remember(state)
        body = state.model_dump_json()
        self.db.run("save session", lambda c: c.execute(
            "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?)",
            (state.session_id, state.catalog, body, time.time())))  # fmt: skip

    def _remember(self, state: DialogueState) -> None:
        with self._lock:
            self._states[state.session_id] = state


class EventLog:
    """What was shown, clicked, liked and disliked: exported as an interactions file
    (retrieval/interactions.py reads it at the next ingest)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def record(self, session: str, catalog: str, items: list[str], event: str) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; one of {', '.join(EVENTS)}")
        at = time.time()
        rows = [(session, catalog, item, event, at) for item in items]
        self.db.run("log events", lambda c: c.executemany(
            "INSERT INTO events (session, catalog, item, event, at) VALUES (?, ?, ?, ?, ?)",
            rows))  # fmt: skip

    def export(self, catalog: str) -> list[dict[str, Any]]:
        """The catalog's events in the interactions format, oldest first."""
        rows = self.db.run("export events", lambda c: c.execute(
            "SELECT session, item, event, n FROM events WHERE catalog = ? ORDER BY n",
            (catalog,)).fetchall(), default=[])  # fmt: skip
        return [{"session": s, "item": i, "event": e, "order": n} for s, i, e, n in rows]

    def export_jsonl(self, catalog: str) -> str:
        return "".join(json.dumps(row) + "\n" for row in self.export(catalog))


class _Forgetting(LRUCache):
    """An LRU map that tells `forget(key, None)` of each key it pushes out."""

    def __init__(self, size: int, forget: Callable[[str, None], object]) -> None:
        super().__init__(size)
        self.forget = forget

    def popitem(self) -> tuple[str, DialogueState]:
        key, value = super().popitem()
        self.forget(key, None)
        return key, value
