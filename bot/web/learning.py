"""What shoppers do improves the next recommendations by itself: the priors (popularity and
co-occurrence, retrieval/interactions.py) are learned again from the app's own event log, in
the background, by `concierge learn` or by the admin API, without a restart or a re-embed. They
are kept beside the priors from ingest (the store merges the two), and every process reads them
again when they change. Retention and deleting a session are here too: what leaves the log
leaves the priors at the next update."""

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, delete, insert, select

from bot.background import every
from bot.web.database import exclusions_table
from bot.web.handoffs import Handoffs
from bot.web.sessions import EventLog, Sessions
from retrieval.interactions import Guards, Priors, learn
from retrieval.store import ItemStore

DAY = 86_400.0


@dataclass
class Learner:
    events: EventLog
    sessions: Sessions
    store: ItemStore
    known: Callable[[str], set[str]]  # a catalog's item ids
    guards: Guards = field(default_factory=Guards)
    retention_days: float | None = None  # events, sessions and handoffs older are deleted
    handoffs: Handoffs | None = None
    # what this learner last wrote of each catalog: priors learned the same again are not
    # written (a write changes the priors' stamp, and every process reads the catalog again)
    _written: dict[str, tuple[object, ...]] = field(default_factory=dict, init=False, repr=False)

    def learn(self, catalog: str) -> Priors | None:
        """Learn the catalog's priors from its events now (after dropping the expired ones);
        None when the log cannot be read. They are written only when they changed."""
        self.expire()
        events = self.events.events(catalog)
        if events is None:
            return None
        guards = replace(self.guards, exclude=frozenset(self.excluded(catalog)))
        priors = learn(events, self.known(catalog), guards, now=time.time())
        learned = _rounded(priors)
        if self._written.get(catalog) != learned:
            self.store.save_priors(catalog, priors, learned=True)
            self._written[catalog] = learned
        return priors

    def expire(self) -> dict[str, int]:
        """Delete what is older than the retention period; how much of each."""
        if self.retention_days is None:
            return {}
        cutoff = time.time() - self.retention_days * DAY
        dropped = {"events": self.events.drop_before(cutoff),
                   "sessions": self.sessions.drop_before(cutoff)}  # fmt: skip
        if self.handoffs is not None:
            dropped["handoffs"] = self.handoffs.drop_before(cutoff)
        return dropped

    def forget_session(self, session_id: str) -> dict[str, int]:
        """Delete a session, its events and its handoffs (its effect on the priors goes at the
        next update)."""
        gone = {"session": int(self.sessions.forget(session_id)),
                "events": self.events.forget_session(session_id)}  # fmt: skip
        if self.handoffs is not None:
            gone["handoffs"] = self.handoffs.forget_session(session_id)
        return gone

    def excluded(self, catalog: str) -> list[str]:
        t = exclusions_table
        query = select(t.c.item).where(t.c.catalog == catalog).order_by(t.c.item)
        rows = self.events.db.run("read exclusions", lambda c: c.execute(query).all(), default=[])
        return [item for (item,) in rows]

    def exclude(self, catalog: str, items: list[str]) -> bool:
        """Keep exactly these items of the catalog out of learning; whether it was saved."""
        t = exclusions_table

        def write(conn: Connection) -> bool:
            conn.execute(delete(t).where(t.c.catalog == catalog))
            if items:
                conn.execute(insert(t), [{"catalog": catalog, "item": i} for i in set(items)])
            return True

        return bool(self.events.db.run("save exclusions", write, default=False))

    def watch(self, seconds: float, events: int) -> threading.Thread | None:
        """In the background, learn each catalog in the log again once `events` new events were
        logged, or `seconds` after its last update if any were; None when seconds is 0."""
        learned: dict[str, tuple[int, float]] = {}  # catalog -> (last event seen, when)
        started = time.monotonic()  # the priors learned before are in the store already

        def look() -> None:
            now = time.monotonic()
            for catalog, last in (self.events.latest() or {}).items():
                seen, at = learned.get(catalog, (0, started))
                if last - seen >= events or (last > seen and now - at >= seconds):
                    learned[catalog] = (last, now)
                    priors = self.learn(catalog)
                    if priors is not None:
                        print(f"learned {catalog}: {priors.summary()}", file=sys.stderr)

        return every(min(10.0, seconds), look, "learning")  # None when seconds is 0


def _rounded(priors: Priors) -> tuple[object, ...]:
    """What the priors say, to three places: time-decayed weights drift a little on every
    reading of the same events, which is no change worth a write."""
    return (
        {i: round(p, 3) for i, p in priors.popularity.items()},
        {i: {j: round(p, 3) for j, p in co.items()} for i, co in priors.co.items()},
        priors.top,
    )
