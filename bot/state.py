"""What a session knows: the structured need and the dialogue so far."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from retrieval.text import normalize

MAX_WANTS = 3  # the most recent statements of need that shape the query


class Range(BaseModel):
    min: float | None = None
    max: float | None = None
    said: bool = True  # False: read from a word ("cheap", "a big screen"), not a number given
    word: str = ""  # said instead of a number: "low", "median", "high", "cheaper", "pricier"

    def admits(self, value: float | None) -> bool:
        if value is None:
            return self.min is None and self.max is None
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def is_open(self) -> bool:
        return self.min is None and self.max is None


class Need(BaseModel):
    """The person's need as understood so far. Later statements override earlier ones."""

    wants: list[str] = Field(default_factory=list)  # free-text statements, oldest first
    avoid: list[str] = Field(default_factory=list)  # phrases said with a negation
    include: dict[str, list[str]] = Field(default_factory=dict)  # facet -> wanted values
    exclude: dict[str, list[str]] = Field(default_factory=dict)  # facet -> refused values
    ranges: dict[str, Range] = Field(default_factory=dict)  # "price", "rating", numbers
    liked: list[str] = Field(default_factory=list)  # item ids
    requested: list[str] = Field(default_factory=list)  # liked items asked for by name, not as
    # a reference ("the iPhone 6 Plus 64GB" vs "something like the iPhone"): these stay eligible
    disliked: list[str] = Field(default_factory=list)
    shown: list[str] = Field(default_factory=list)  # every item shown, oldest first
    last_shown: list[str] = Field(default_factory=list)  # the latest list, as numbered
    mentioned: list[str] = Field(default_factory=list)  # named by the other side of a logged chat
    answered: list[str] = Field(default_factory=list)  # facets settled (a value, or "any")
    asked: list[str] = Field(default_factory=list)  # facets the bot has asked about
    pending: str | None = None  # the facet of the question awaiting an answer
    rejections: int = 0  # whole lists turned down ("none of these")
    suits: list[str] = Field(default_factory=list)  # what the thing is for ("iphone 7", "mom"):
    # matched against the items' text, never a filter
    named: str = ""  # the words that named the type ("tv bench"): items saying them come first
    told: list[str] = Field(default_factory=list)  # words of the shopper's story, not of what
    # they ask for ("freezing in my study"): searched by meaning, never matched as words
    readings: list[str] = Field(default_factory=list)  # how the latest request's phrases were
    # read, for the "Why these?" panel ("for my mom": words to match, not a filter)

    def query_text(self) -> str:
        parts = self.wants[-MAX_WANTS:]
        parts += [", ".join(values) for values in self.include.values() if values]
        return ". ".join(parts)

    def words_to_match(self) -> str:
        """The query's words that name what is wanted, for lexical matching: the story's words
        left out (they are searched by meaning)."""
        told = set(self.told)
        return " ".join(w for w in normalize(self.query_text()).split() if w not in told)

    def constraints(self) -> int:
        """How many hard constraints the need carries (facet values and bounded ranges)."""
        return sum(bool(v) for v in self.include.values()) + sum(
            not r.is_open() for r in self.ranges.values()
        )

    def clear(self) -> None:
        """Start over: everything back to empty, in place."""
        for name, value in Need().__dict__.items():
            setattr(self, name, value)

    def like(self, item_id: str) -> None:
        _move(item_id, self.liked, self.disliked)

    def request(self, item_id: str) -> None:
        self.like(item_id)
        if item_id not in self.requested:
            self.requested.append(item_id)

    def dislike(self, item_id: str) -> None:
        _move(item_id, self.disliked, self.liked)
        if item_id in self.requested:
            self.requested.remove(item_id)

    def want_value(self, facet: str, value: str, replace: bool) -> None:
        values = self.include.setdefault(facet, [])
        if replace:
            values.clear()
        if value not in values:
            values.append(value)
        _discard(self.exclude, facet, value)
        self._settle(facet)

    def refuse_value(self, facet: str, value: str) -> None:
        values = self.exclude.setdefault(facet, [])
        if value not in values:
            values.append(value)
        _discard(self.include, facet, value)
        self._settle(facet)

    def refuses(
        self, item_id: str, title: str, facets: Mapping[str, Sequence[str]] | None = None
    ) -> bool:
        """Whether the person has turned this down: the item itself, a value of it they
        refused, or a refused value or phrase its title says (a variant's "Black", a card kept
        on screen after "not that brand")."""
        if item_id in self.disliked:
            return True
        facets = facets or {}
        if any(set(vs) & set(facets.get(f) or ()) for f, vs in self.exclude.items()):
            return True
        said = f" {normalize(title)} "
        refused = [*(v for vs in self.exclude.values() for v in vs), *self.avoid]
        return any(f" {normalize(r)} " in said for r in refused if normalize(r))

    def settle(self, facet: str) -> None:
        """ "any" / "don't care": no constraint on the facet, and no more asking about it."""
        self.include.pop(facet, None)
        self.ranges.pop(facet, None)
        self._settle(facet)

    def _settle(self, facet: str) -> None:
        if facet not in self.answered:
            self.answered.append(facet)
        if self.pending == facet:
            self.pending = None


def _move(item_id: str, into: list[str], out_of: list[str]) -> None:
    if item_id in out_of:
        out_of.remove(item_id)
    if item_id not in into:
        into.append(item_id)


def _discard(table: dict[str, list[str]], facet: str, value: str) -> None:
    if value in table.get(facet, []):
        table[facet].remove(value)
        if not table[facet]:
            del table[facet]


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class DialogueState(BaseModel):
    session_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    catalog: str
    need: Need = Field(default_factory=Need)
    messages: list[Message] = Field(default_factory=list)
    theta: float | None = Field(default=None, ge=0.0, le=1.0)  # this session's θ (the UI slider)
    diversity: float | None = Field(default=None, ge=0.0, le=1.0)  # asked for by the client
