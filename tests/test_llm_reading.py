"""An LLM that follows a schema reads the need (issue 31, part 4): against a local server that
speaks the OpenAI protocol, through langchain's structured output, checked and merged with the
offline reading, and a slow or failing server leaves the turn to the offline reading."""

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.llm import build_chat_model
from bot.local_http import free_port
from bot.settings import Settings
from bot.state import DialogueState, Need, Range
from bot.understanding.llm_reading import Reading, checked, merge, schema
from tests.catalogs import HOME as ROWS
from tests.conftest import engine_over

FACETS = {"type": ["heater", "desk", "notebook"], "brand": ["Warmco", "Heatly", "Deskly"],
          "colour": ["white", "black", "grey"]}  # fmt: skip


class FakeOpenAI:
    """A chat-completions server on loopback answering each request with `answer` (a JSON
    object as the message content), after `delay` seconds, or with HTTP 500 when `fail`."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}
        self.delay = 0.0
        self.fail = False
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if self.fail:
                return JSONResponse({"error": {"message": "down"}}, status_code=500)
            time.sleep(self.delay)
            message = {"role": "assistant", "content": json.dumps(self.answer)}
            return JSONResponse({
                "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })  # fmt: skip

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def engine(server, store, fake_embedder, tmp_path):
    settings = Settings(llm_base_url=f"http://127.0.0.1:{server.port}/v1", llm_model="reader")
    chat = build_chat_model(settings)
    return engine_over(store, fake_embedder, {"home": ROWS}, tmp_path, chat, k=3, drafts=0,
                       max_questions=0, read_by_llm=True, read_timeout_s=1.0)  # fmt: skip


def test_the_schema_offers_the_catalogs_own_types_and_values_only():
    found = schema(FACETS)
    assert found["properties"]["kinds"]["items"]["enum"] == ["heater", "desk", "notebook"]
    brands = found["properties"]["exclude"]["properties"]["brand"]["items"]["enum"]
    assert brands == ["Warmco", "Heatly", "Deskly"]
    assert "type" not in found["properties"]["include"]["properties"]


def test_values_outside_the_choices_and_numbers_not_in_the_message_are_dropped():
    raw = {"kinds": ["heater", "space heater", 3], "include": {"brand": ["Warmco", "Dyson"],
           "size": ["XL"]}, "exclude": {"colour": ["black"]}, "price_min": None,
           "price_max": 50}  # fmt: skip
    reading = checked(raw, FACETS, "it's freezing in my study, nothing black, under 60")
    assert reading.kinds == ["heater"]
    assert reading.include == {"brand": ["Warmco"]} and reading.exclude == {"colour": ["black"]}
    assert reading.price is None  # 50 is not in the message: made up
    assert checked(raw, FACETS, "under 50 please").price == Range(max=50)
    assert checked("not an object", FACETS, "hi") == Reading()


def test_the_offline_reading_wins_where_both_read_something():
    need = Need(include={"type": ["desk"], "brand": ["Deskly"]}, ranges={"price": Range(max=99)})
    reading = Reading(kinds=["heater"], include={"brand": ["Warmco"], "colour": ["white"]},
                      exclude={"brand": ["Heatly"]}, price=Range(max=10))  # fmt: skip
    taken = merge(need, reading, kind_read=True)
    assert need.include == {"type": ["desk"], "brand": ["Deskly"], "colour": ["white"]}
    assert need.exclude == {"brand": ["Heatly"]} and need.ranges["price"] == Range(max=99)
    assert taken == ["colour white, read by the LLM", "not brand Heatly, read by the LLM"]


def test_a_situation_is_read_by_the_llm_with_the_catalogs_choices(engine, server):
    server.answer = {"kinds": ["heater"], "include": {}, "exclude": {"brand": ["Heatly"]},
                     "price_min": None, "price_max": None}  # fmt: skip
    state = DialogueState(catalog="home")
    turn = engine.turn(state, "it's freezing in my study and I can't focus")
    titles = [i.title for i in turn.items]
    assert titles and all("heater" in t for t in titles), titles
    assert "Quartz room heater" not in titles  # Heatly, refused by the reading
    sent = server.requests[-1]
    enum = sent["response_format"]["json_schema"]["schema"]["properties"]["kinds"]["items"]
    assert enum["enum"] == ["heater", "desk", "notebook"]
    assert "freezing in my study" in sent["messages"][-1]["content"]
    assert any("read by the LLM" in r for r in state.need.readings)


def test_a_follow_up_is_read_with_what_was_said_before(engine, server):
    server.answer = {"kinds": ["desk"], "include": {}, "exclude": {}, "price_min": None,
                     "price_max": None}  # fmt: skip
    state = DialogueState(catalog="home")
    engine.turn(state, "a desk")
    server.answer = {**server.answer, "exclude": {"colour": ["black"]}}
    turn = engine.turn(state, "anything but the dark ones")
    assert "Said before: a desk" in server.requests[-1]["messages"][-1]["content"]
    assert turn.items and all(i.attributes["colour"] != ["black"] for i in turn.items)


@pytest.mark.parametrize("trouble", ["slow", "down"])
def test_a_slow_or_failing_llm_leaves_the_turn_to_the_offline_reading(engine, server, trouble):
    server.answer = {"kinds": ["notebook"], "include": {}, "exclude": {}, "price_min": None,
                     "price_max": None}  # fmt: skip
    server.delay, server.fail = (3.0, False) if trouble == "slow" else (0.0, True)
    state = DialogueState(catalog="home")
    started = time.monotonic()
    turn = engine.turn(state, "a writing desk")
    assert time.monotonic() - started < 2.5  # the 1 s budget, not the server's 3 s
    assert turn.items and all("desk" in i.title for i in turn.items)
    assert not any("LLM" in r for r in state.need.readings)
