"""Interaction data -> priors: item popularity and item-to-item co-occurrence.

An interactions file (CSV, JSON, JSONL or Parquet) has one event per row:
`session` (or `user`), `item`, `event` (view, click, like, purchase, mention, dislike, shown) and,
optionally, `order` (a timestamp or turn number). Events for unknown items are counted and
skipped; rows without a session or item are reported.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.readers import read_records

# "shown": the bot showed the item (an impression, kept in the app's feedback log): no signal.
EVENT_WEIGHTS = {"view": 1.0, "click": 1.0, "mention": 1.0, "like": 2.0, "purchase": 3.0,
                 "dislike": 0.0, "shown": 0.0}  # fmt: skip
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
    sessions: dict[str, list[tuple[float, int, str, float]]] = defaultdict(list)
    for n, (where, record) in enumerate(read_records(path, [])):
        if not isinstance(record, dict):
            priors.skipped.append(f"{where}: {record}")
            continue
        session, item = _pick(record, SESSION_KEYS), _pick(record, ITEM_KEYS)
        event = str(record.get("event") or "view").lower()
        if session is None or item is None or event not in EVENT_WEIGHTS:
            priors.skipped.append(f"{where}: needs session, item and a known event")
            continue
        if item not in known:
            priors.unknown_items += 1
            continue
        try:
            order = float(record.get("order") or 0)
        except (TypeError, ValueError):
            order = 0.0
        sessions[session].append((order, n, item, EVENT_WEIGHTS[event]))
        priors.events += 1
    priors.sessions = len(sessions)
    return _learn(sessions, priors, top)


def _learn(
    sessions: dict[str, list[tuple[float, int, str, float]]], priors: Priors, top: int
) -> Priors:
    weight: dict[str, float] = defaultdict(float)
    pairs: dict[str, Counter[str]] = defaultdict(Counter)
    for events in sessions.values():
        best: dict[str, float] = {}
        for _, _, item, w in sorted(events):
            best[item] = max(best.get(item, 0.0), w)
        positive = [i for i, w in best.items() if w > 0]
        for item in positive:
            weight[item] += best[item]
        for a in positive:
            for b in positive:
                if a != b:
                    pairs[a][b] += 1
    if weight:
        scale = math.log1p(max(weight.values()))
        priors.popularity = {i: math.log1p(w) / scale for i, w in weight.items()}
        priors.top = sorted(weight, key=weight.__getitem__, reverse=True)[:top]
    for a, counts in pairs.items():
        # Divide by the square root of a's total so very common items do not swamp the rest.
        norm = math.sqrt(sum(counts.values())) + 1
        priors.co[a] = {b: c / norm for b, c in counts.most_common(MAX_NEIGHBOURS)}
    return priors
