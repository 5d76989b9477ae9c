"""What a session knows: the structured need and the dialogue so far."""

import uuid
from typing import Literal

from pydantic import BaseModel, Field

MAX_WANTS = 3  # the most recent statements of need that shape the query


class Need(BaseModel):
    """The person's need as understood so far. The conversation issue adds facets and budgets."""

    wants: list[str] = Field(default_factory=list)  # free-text statements, oldest first

    def query_text(self) -> str:
        return ". ".join(self.wants[-MAX_WANTS:])


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class DialogueState(BaseModel):
    session_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    catalog: str
    need: Need = Field(default_factory=Need)
    messages: list[Message] = Field(default_factory=list)
    shown: list[str] = Field(default_factory=list)  # item ids, most recent turn last
    liked: list[str] = Field(default_factory=list)
    disliked: list[str] = Field(default_factory=list)
