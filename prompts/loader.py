"""Prompt templates as YAML files in this package, checked at start and rendered strictly."""

from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

ROLES = {"system", "user", "assistant"}
REQUIRED = {
    "lead_in", "fallback_lead_in", "no_results", "empty_message", "truncated_note", "question",
    "question_reply", "started_over", "no_more", "explain", "handoff",
}  # fmt: skip


class Prompts:
    def __init__(self, raw: dict[str, Any]) -> None:
        missing = REQUIRED - raw.keys()
        if missing:
            raise ValueError(f"prompt file lacks keys: {', '.join(sorted(missing))}")
        env = Environment(undefined=StrictUndefined, autoescape=False)
        self._templates: dict[str, Template | list[tuple[str, Template]]] = {}
        for key, value in raw.items():
            if isinstance(value, list):
                turns = [next(iter(turn.items())) for turn in value]
                bad = [role for role, _ in turns if role not in ROLES]
                if bad:
                    raise ValueError(f"prompt {key!r}: unknown roles {bad}; use {sorted(ROLES)}")
                self._templates[key] = [(role, env.from_string(text)) for role, text in turns]
            else:
                self._templates[key] = env.from_string(value)

    def render(self, key: str, **values: Any) -> str:
        template = self._templates[key]
        assert not isinstance(template, list), f"{key} is a chat prompt; use chat()"
        return template.render(**values)

    def chat(self, key: str, **values: Any) -> list[tuple[str, str]]:
        """(role, text) pairs for a chat model, in order."""
        template = self._templates[key]
        assert isinstance(template, list), f"{key} is a plain template; use render()"
        return [(role, t.render(**values)) for role, t in template]


def load_prompts(name: str = "chat.yaml") -> Prompts:
    text = resources.files("prompts").joinpath(name).read_text(encoding="utf-8")
    return Prompts(yaml.safe_load(text))
