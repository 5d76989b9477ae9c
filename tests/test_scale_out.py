"""Several app processes on one database and one store, with fakes: a conversation that moves
between them keeps everything, and a catalog one of them re-ingests is read again by the other
while it keeps serving the old. (The same with real processes, PostgreSQL and a Chroma server
is in test_scale_out_real.py.)"""

import asyncio
import json
import subprocess

import pytest
from fastapi.testclient import TestClient

from bot.engine import Engine, EngineConfig
from bot.serve import Balancer, Worker, check_shared
from bot.web.api import Edge, create_api
from bot.web.database import Database
from bot.web.handoffs import Handoffs
from bot.web.services import Services
from bot.web.sessions import EventLog, Sessions
from prompts.loader import load_prompts
from retrieval.errors import ConciergeError
from retrieval.ingest import ingest
from retrieval.interactions import Priors
from retrieval.store import ItemStore, make_client
from tests.catalogs import PHONES
from tests.conftest import engine_over

KEY = "k"


def process(engine: Engine, database_url: str) -> TestClient:
    """One app process: its own engine, database connections and memory."""
    database = Database(database_url)
    services = Services(engine, Sessions(database), EventLog(database), Handoffs(database))
    return TestClient(create_api(services, Edge("phones", api_key=KEY,
                                                rate_limit_per_minute=10_000)))  # fmt: skip


def other_engine(tmp_path, fake_embedder) -> Engine:
    """An engine over the same embedded store, with nothing of it read yet."""
    store = ItemStore(make_client(tmp_path / "data"))
    return Engine(embedder=fake_embedder, store=store, prompts=load_prompts(),
                  config=EngineConfig(k=3))  # fmt: skip


def say(client: TestClient, message: str, session_id: str | None = None) -> dict:
    response = client.post("/api/v1/chat", json={"message": message, "session_id": session_id})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_conversation_alternating_between_processes_loses_nothing(
    tmp_path, store, fake_embedder, database_url
):
    one = process(engine_over(store, fake_embedder, {"phones": PHONES}, tmp_path, k=3),
                  database_url)  # fmt: skip
    two = process(other_engine(tmp_path, fake_embedder), database_url)
    sid = say(one, "a samsung phone")["session_id"]
    shown = say(two, "under $600", sid)
    assert shown["need"]["include"]["brand"] == ["Samsung"]  # what was said to the other
    liked = shown["items"][0]["id"]
    response = one.post("/api/v1/feedback", json={"session_id": sid, "item_id": liked,
                                                  "value": "like"})  # fmt: skip
    assert response.status_code == 200
    last = say(two, "a black one", sid)
    need = last["need"]
    assert need["include"]["brand"] == ["Samsung"] and need["ranges"]["price"]["max"] == 600
    assert need["liked"] == [liked]
    assert one.get(f"/api/v1/sessions/{sid}").json()["need"] == need
    say(one, "can I talk to a person?", sid)
    headers = {"x-api-key": KEY}
    events = two.get("/api/v1/admin/interactions", params={"catalog": "phones"}, headers=headers)
    logged = [json.loads(line) for line in events.text.splitlines()]
    assert {"shown", "like"} <= {e["event"] for e in logged} and {e["session"] for e in logged} == {
        sid
    }
    handoffs = two.get("/api/v1/admin/handoffs", headers=headers).json()["handoffs"]
    assert [h["session_id"] for h in handoffs] == [sid]
    assert "brand: Samsung" in handoffs[0]["summary"]


def test_a_catalog_reingested_by_one_process_is_read_again_by_the_other(
    tmp_path, store, fake_embedder
):
    one = engine_over(store, fake_embedder, {"phones": PHONES}, tmp_path, k=3)
    two = other_engine(tmp_path, fake_embedder)
    two.warm("phones")
    assert two.refresh() == []  # nothing changed since it was read
    path = tmp_path / "phones-v2.json"
    new = {"id": "z1", "name": "Zephyr Z1 rugged smartphone", "brand": "Zephyr", "price": 299,
           "category": "Cell Phones", "colour": "Green"}  # fmt: skip
    path.write_text(json.dumps([*PHONES, new]))
    ingest(path, "phones", one.store, fake_embedder, progress=False)

    def brands(engine: Engine) -> dict:
        return engine.vocabulary("phones").facets["brand"]

    assert "Zephyr" not in brands(two)  # the old knowledge serves until it is read again
    old_index = two.knowledge.index("phones")
    assert two.refresh() == ["phones"]
    assert "Zephyr" in brands(two) and two.knowledge.index("phones") is not old_index
    assert two.manifest("phones").count == len(PHONES) + 1
    assert two.refresh() == []

    one.store.save_priors("phones", Priors(popularity={"p3": 1.0}, top=["p3"]))  # new priors
    assert two.refresh() == ["phones"] and two.priors("phones").top == ["p3"]


def test_the_balancer_takes_turns_for_the_api_and_keeps_a_browser_on_one_worker(tmp_path):
    workers = [Worker(port, {}, tmp_path / "log", ready=True) for port in (1, 2, 3)]
    for worker in workers:
        worker.process = subprocess.Popen(["sleep", "60"])
    try:
        balancer = Balancer(workers)
        api = [balancer.choose(b"/api/v1/chat", "10.0.0.1")[0].port for _ in range(6)]
        assert api == [1, 2, 3, 1, 2, 3]
        page = {balancer.choose(path, "10.0.0.1")[0].port
                for path in (b"/", b"/gradio_api/queue/join", b"/widget/")}  # fmt: skip
        assert len(page) == 1  # Gradio keeps a page's events in the process that served it
        workers[1].process.kill()
        workers[1].process.wait()
        assert {balancer.choose(b"/api/v1/chat", "x")[0].port for _ in range(4)} == {1, 3}
        workers[0].ready = False  # restarted, not answering yet
        assert [w.port for w in balancer.choose(b"/", "10.0.0.1")] == [3]
    finally:
        for worker in workers:
            worker.process.kill()


def test_several_workers_need_a_chroma_server():
    with pytest.raises(ConciergeError, match="CONCIERGE_CHROMA_HOST"):
        check_shared(2, None)
    check_shared(1, None)
    check_shared(2, "127.0.0.1")


def test_the_balancer_tells_the_worker_who_the_client_is_on_every_request(tmp_path):
    """Each request on a kept-alive connection reaches the worker with the client's address in
    X-Forwarded-For (a forged one dropped), bodies intact: rate limits and the event log count
    the client, not the balancer."""
    received = bytearray()

    async def run() -> None:
        async def upstream(reader, writer):
            while data := await reader.read(65536):
                received.extend(data)
            writer.close()

        server = await asyncio.start_server(upstream, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        worker = Worker(port, {}, tmp_path / "log", ready=True)
        worker.process = subprocess.Popen(["sleep", "60"])
        front = await asyncio.start_server(Balancer([worker]).handle, "127.0.0.1", 0)
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", front.sockets[0].getsockname()[1]
            )
            writer.write(b"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\n"
                         b"Content-Length: 5\r\n\r\nhello"
                         b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # fmt: skip
            await writer.drain()
            writer.write_eof()
            await reader.read()
        finally:
            worker.process.kill()
            front.close()
            server.close()

    asyncio.run(run())
    text = bytes(received).decode()
    assert "6.6.6.6" not in text
    assert text.count("x-forwarded-for: 127.0.0.1\r\n") == 2
    assert "\r\n\r\nhello" + "GET /healthz HTTP/1.1\r\n" in text
