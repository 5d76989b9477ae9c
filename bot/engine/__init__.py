"""The engine: one turn (turn.py), its reply (reply.py), what it knows of each catalog
(knowledge.py) and what a turn produces (records.py)."""

from bot.engine.records import Action, Recommendation, Turn
from bot.engine.turn import Engine, EngineConfig

__all__ = ["Action", "Engine", "EngineConfig", "Recommendation", "Turn"]
