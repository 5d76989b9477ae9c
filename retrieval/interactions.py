"""Interaction data -> priors: item popularity and item-to-item co-occurrence.

An interactions file (CSV, JSON, JSONL or Parquet) has one event per row:
`session` (or `user`), `item`, `event` (view, click, like, purchase, mention, dislike, shown) and,
optionally, `order` (a timestamp or turn number). Events for unknown items are counted and
skipped; rows without a session or item are reported.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.readers import read_records

# "shown": the bot showed the item (an impression, kept in the app's feedback log): no signal.
# "rejected": shown in a list the person turned down ("none of these"); a list merely passed
# over is no evidence against its items.
EVENT_WEIGHTS = {"view": 1.0, "click": 1.0, "mention": 1.0, "like": 2.0, "purchase": 3.0,
                 "shown": 0.0, "rejected": -0.5, "dislike": -2.0}  # fmt: skip
SESSION_KEYS = ("session", "session_id", "user", "user_id", "dialog_id", "conversation")
ITEM_KEYS = ("item", "item_id", "id", "product", "product_id", "movie")
MAX_NEIGHBOURS = 50  # co-occurring items kept per item


@dataclass
class Priors:
    """popularity in [0, 1]; co[a][b] in [0, 1]: how strongly b goes with a."""

    popularity: dict[str, float] = field(default_factory=dict)
    co: dict[str, dict[str, float]] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)  # the most popular items, best first
    sessions: int = 0
    events: int = 0
    unknown_items: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"interactions: {self.events} events in {self.sessions} sessions -> "
            f"popularity for {len(self.popularity)} items, co-occurrence for {len(self.co)}; "
            f"{self.unknown_items} events for unknown items, {len(self.skipped)} rows skipped"
        )


def _pick(record: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def learn_priors(path: Path, known: set[str], top: int = 200) -> Priors:
    """Read an interactions file and learn priors for the items in `known`."""
    priors = Priors()
    events = []
    for n, (where, record) in enumerate(read_records(path, [])):
        if not isinstance(record, dict):
            priors.skipped.append(f"{where}: {record}")
            continue
        session, item = _pick(record, SESSION_KEYS), _pick(record, ITEM_KEYS)
        event = str(record.get("event") or "view").lower()
        if session is None or item is None or event not in EVENT_WEIGHTS:
            priors.skipped.append(f"{where}: needs session, item and a known event")
            continue
        try:
            order = float(record.get("order") or 0)
        except (TypeError, ValueError):
            order = 0.0
        events.append(Event(session, item, event, order, n))
    return learn(events, known, Guards(), top=top, priors=priors)


@dataclass(frozen=True)
class Event:
    session: str
    item: str
    event: str  # a key of EVENT_WEIGHTS
    at: float = 0.0  # when (seconds since the epoch), or a turn number
    n: int = 0  # the order it was logged in, for events at the same time
    client: str = ""  # who sent it (a hashed address "address:..." or key "key:..."), if known


@dataclass(frozen=True)
class Guards:
    """What keeps learning from a log honest. A session counts once per item (its last word on
    it: the strongest like or the strongest dislike); a client known by its address adds at most
    `client_cap` to an item, whatever its sessions did (a client with a key, a shop's backend
    chatting for many shoppers, is not capped); an event `half_life_days` old counts half
    (None: age does not matter); `exclude`d items learn nothing. Priors from fewer than
    `full_after` sessions count in proportion (a shop's first two likes would otherwise make
    one item the most popular there is, and outweigh what the person asks for)."""

    client_cap: float = EVENT_WEIGHTS["like"]
    half_life_days: float | None = None
    exclude: frozenset[str] = frozenset()
    full_after: int = 0


def learn(
    events: Iterable[Event], known: set[str], guards: Guards, now: float | None = None,
    top: int = 200, priors: Priors | None = None,
) -> Priors:  # fmt: skip
    """Priors for the items in `known` from events, under `guards`."""
    priors = priors or Priors()
    said: dict[str, dict[str, float]] = defaultdict(dict)  # session -> item -> its last word
    client_of: dict[str, str] = {}
    for e in sorted(events, key=lambda e: (e.at, e.n)):
        if e.item not in known:
            priors.unknown_items += 1
            continue
        if e.item in guards.exclude:
            continue
        priors.events += 1
        client_of[e.session] = e.client
        w = EVENT_WEIGHTS[e.event] * _decay(e.at, now, guards.half_life_days)
        if w == 0:
            continue  # shown: no signal
        last = said[e.session].get(e.item, 0.0)
        same_sign = (last > 0) == (w > 0) and last != 0
        said[e.session][e.item] = (max(last, w) if w > 0 else min(last, w)) if same_sign else w
    priors.sessions = len(client_of)
    weight: dict[str, float] = defaultdict(float)
    by_client: dict[tuple[str, str], float] = defaultdict(float)
    for session, items in said.items():
        client = client_of[session]
        for item, w in items.items():
            if client.startswith("address:"):
                by_client[client, item] += w
            else:
                weight[item] += w
    for (_, item), w in by_client.items():
        weight[item] += max(-guards.client_cap, min(guards.client_cap, w))
    trust = min(1.0, priors.sessions / guards.full_after) if guards.full_after else 1.0
    positive = {i: w for i, w in weight.items() if w > 0}
    if positive:
        scale = math.log1p(max(positive.values())) / trust
        priors.popularity = {i: math.log1p(w) / scale for i, w in positive.items()}
        priors.top = sorted(positive, key=positive.__getitem__, reverse=True)[:top]
    co = _co_occurrence([[i for i, w in items.items() if w > 0] for items in said.values()])
    priors.co = {a: {b: v * trust for b, v in n.items()} for a, n in co.items()}
    return priors


def _decay(at: float, now: float | None, half_life_days: float | None) -> float:
    if now is None or half_life_days is None:
        return 1.0
    return float(0.5 ** (max(0.0, now - at) / 86_400 / half_life_days))


def _co_occurrence(sessions: list[list[str]]) -> dict[str, dict[str, float]]:
    pairs: dict[str, Counter[str]] = defaultdict(Counter)
    for positive in sessions:
        for a in positive:
            for b in positive:
                if a != b:
                    pairs[a][b] += 1
    co = {}
    for a, counts in pairs.items():
        # Divide by the square root of a's total so very common items do not swamp the rest.
        norm = math.sqrt(sum(counts.values())) + 1
        co[a] = {b: c / norm for b, c in counts.most_common(MAX_NEIGHBOURS)}
    return co


def merge(base: Priors, learned: Priors, top: int = 200) -> Priors:
    """Priors from an interactions file (at ingest) and from the app's own log, together: each
    item's stronger popularity and neighbours."""
    if not learned.popularity and not learned.co:
        return base
    if not base.popularity and not base.co:
        return learned
    popularity = dict(base.popularity)
    for item, p in learned.popularity.items():
        popularity[item] = max(p, popularity.get(item, 0.0))
    co = {a: dict(n) for a, n in base.co.items()}
    for a, neighbours in learned.co.items():
        mine = co.setdefault(a, {})
        for b, w in neighbours.items():
            mine[b] = max(w, mine.get(b, 0.0))
    ranked = sorted(popularity, key=popularity.__getitem__, reverse=True)[:top]
    return Priors(popularity=popularity, co=co, top=ranked,
                  sessions=base.sessions + learned.sessions,
                  events=base.events + learned.events)  # fmt: skip
