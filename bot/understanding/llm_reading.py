"""A configured LLM reads the message into the need, by structured output.

Where the LLM is one that follows a JSON schema (an OpenAI-compatible server: CONCIERGE_LLM_*),
each message is read into the kinds of thing it needs, the facet values it wants and refuses, and
its price bounds, with the catalog's own types and values as the only choices (the schema's
enums). What comes back is checked before it is used: values outside the choices are dropped,
and a price is kept only when its number is in the message. It is merged with the offline
reading, which wins where both read something (bot/understanding/understand.py); a slow or
failing LLM leaves the offline reading alone, within the turn's budget. The packaged 135M model
cannot follow a schema (ARCHITECTURE.md), so it never reads the need."""

import logging
import re
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from bot.state import Need, Range
from retrieval.types import FACET as TYPE_FACET

log = logging.getLogger(__name__)
MAX_CHOICES = 300  # facets with more values (designers, people) are left to the offline reader
ANSWER_TOKENS = 256  # enough for the schema's answer
WORKERS = 4  # messages read at once; more wait for none
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass
class Reading:
    """What the LLM read, checked against the catalog and the message."""

    kinds: list[str] = field(default_factory=list)
    include: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    price: Range | None = None


def schema(facets: Mapping[str, Collection[str]]) -> dict[str, Any]:
    """The JSON schema the LLM answers in: the catalog's types and facet values as enums."""
    types = list(facets.get(TYPE_FACET, ()))[:MAX_CHOICES]
    choices = {f: list(v) for f, v in facets.items()
               if f != TYPE_FACET and 0 < len(v) <= MAX_CHOICES}  # fmt: skip
    values = {"type": "object", "additionalProperties": False,
              "properties": {f: {"type": "array", "items": {"type": "string", "enum": v}}
                             for f, v in choices.items()}}  # fmt: skip
    number = {"type": ["number", "null"]}
    kinds = {"kinds": {"type": "array", "items": {"type": "string", "enum": types},
                       "description": "the kinds of product that would meet the need, best first"}
             } if types else {}  # fmt: skip
    return {
        "title": "need",
        "description": "What the shopper's message asks for, in the shop's own terms.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **kinds,
            "include": {**values, "description": "attribute values the shopper wants"},
            "exclude": {**values, "description": "attribute values the shopper refuses"},
            "price_min": {**number, "description": "a lower price the shopper gave, else null"},
            "price_max": {**number, "description": "an upper price the shopper gave, else null"},
        },
        "required": [*kinds, "include", "exclude", "price_min", "price_max"],
    }  # fmt: skip


def checked(raw: Any, facets: Mapping[str, Collection[str]], message: str) -> Reading:
    """The LLM's answer with every value outside the catalog's choices dropped, and a price
    kept only when the message holds its number."""
    if not isinstance(raw, dict):
        return Reading()
    types = set(facets.get(TYPE_FACET, ()))
    kinds = [k for k in _strings(raw.get("kinds")) if k in types]

    def values(part: Any) -> dict[str, list[str]]:
        part = part if isinstance(part, dict) else {}
        out = {f: [v for v in _strings(vs) if v in set(facets.get(f, ()))]
               for f, vs in part.items() if f in facets and f != TYPE_FACET}  # fmt: skip
        return {f: list(dict.fromkeys(v)) for f, v in out.items() if v}

    said = {float(n.replace(",", "")) for n in _NUMBER.findall(message)}
    low, high = (_said_number(raw.get(k), said) for k in ("price_min", "price_max"))
    if low is not None and high is not None and low > high:
        low = high = None  # not a range anyone said
    price = Range(min=low, max=high) if low is not None or high is not None else None
    return Reading(list(dict.fromkeys(kinds)), values(raw.get("include")),
                   values(raw.get("exclude")), price)  # fmt: skip


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _said_number(value: Any, said: set[float]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if float(value) in said else None


def merge(need: Need, reading: Reading, kind_read: bool) -> list[str]:
    """Fold the LLM's reading into the need where the offline reader left a gap (a kind of
    thing when none was read, values of facets it read nothing for, a price when none was
    given); refusals are added. Returns what was taken, for the need panel."""
    taken = []
    if reading.kinds and not kind_read and not need.include.get(TYPE_FACET):
        need.include[TYPE_FACET] = reading.kinds[:3]
        taken.append(f"the kind of thing, read by the LLM: {' or '.join(reading.kinds[:3])}")
    for facet, values in reading.include.items():
        if not need.include.get(facet):
            wanted = [v for v in values if v not in need.exclude.get(facet, [])]
            for n, value in enumerate(wanted):
                need.want_value(facet, value, replace=n == 0)
            if wanted:
                taken.append(f"{facet} {' or '.join(wanted)}, read by the LLM")
    for facet, values in reading.exclude.items():
        said = [*need.exclude.get(facet, []), *need.include.get(facet, [])]
        for value in values:  # never one the offline reading wants
            if value not in said:
                need.refuse_value(facet, value)
                taken.append(f"not {facet} {value}, read by the LLM")
    current = need.ranges.get("price")
    if reading.price is not None and (current is None or not current.said):
        need.ranges["price"] = reading.price
        taken.append("the price, read by the LLM")
    return taken


class NeedReader:
    """Reads a message with a chat model that follows a JSON schema (langchain's structured
    output), giving up after `timeout_s`: the turn goes on with the offline reading."""

    def __init__(self, chat: Any, timeout_s: float = 3.0) -> None:
        # One whole answer, long enough for the schema (the chat model's own limit is set for
        # short explanations), given up by the server's client too, and never retried.
        wanted = {"streaming": False, "max_tokens": ANSWER_TOKENS, "request_timeout": timeout_s,
                  "max_retries": 0}  # fmt: skip
        fields = getattr(type(chat), "model_fields", {})
        self.chat = chat.model_copy(update={k: v for k, v in wanted.items() if k in fields})
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="need-reader")
        self._busy = threading.BoundedSemaphore(WORKERS)

    def read(self, message: str, facets: Mapping[str, Collection[str]], system: str,
             context: str = "") -> Reading | None:  # fmt: skip
        """The checked reading, or None when the LLM failed, was too slow, or is still busy
        with earlier messages (a slow server never makes turns queue behind it)."""
        if not self._busy.acquire(blocking=False):
            log.warning("the LLM is still reading earlier messages: read offline")
            return None
        ask = self._asker(facets)
        said = f"{context}\nNow: {message}" if context else message
        future = self._pool.submit(ask, [("system", system), ("human", said)])
        future.add_done_callback(lambda _: self._busy.release())
        try:
            raw = future.result(timeout=self.timeout_s)
        except FutureTimeout:
            log.warning("the LLM took over %.1f s to read a message: read offline", self.timeout_s)
            return None
        except Exception as error:  # a server down or an answer off the schema
            log.warning("the LLM could not read a message (%r): read offline", error)
            return None
        return checked(raw, facets, message)

    def _asker(self, facets: Mapping[str, Collection[str]]) -> Callable[[Any], Any]:
        structured = self.chat.with_structured_output(schema(facets), method="json_schema")
        return structured.invoke
