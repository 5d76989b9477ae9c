"""The same store code against a real `chroma run` server (HttpClient)."""

import json

import pytest

from bot.engine import Engine, EngineConfig
from bot.state import DialogueState
from prompts.loader import load_prompts
from retrieval.errors import ConciergeError
from retrieval.ingest import ingest
from retrieval.store import ItemStore, make_client

pytestmark = pytest.mark.real


def test_ingest_and_query_through_a_chroma_server(tmp_path, chroma_server, fake_embedder):
    host, port = chroma_server
    rows = [
        {"id": "1", "name": "Walnut dining table", "category": "Tables", "price": "SR 1,200"},
        {"id": "2", "name": "Oak bookcase", "category": "Storage", "price": "SR 450"},
    ]
    path = tmp_path / "f.json"
    path.write_text(json.dumps(rows))
    store = ItemStore(make_client(tmp_path / "unused", host=host, port=port))
    assert ingest(path, "furniture", store, fake_embedder, progress=False).added == 2
    assert not (tmp_path / "unused" / "chroma").exists(), "server mode writes no local store"
    embedded = fake_embedder.embedded  # each item's title and facet line; its vector is their sum
    assert embedded == 4
    again = ingest(path, "furniture", store, fake_embedder, progress=False)
    assert again.unchanged == 2 and fake_embedder.embedded == embedded
    nearest = store.ids("furniture", 2, fake_embedder.embed(["dining table"])[0])
    found = store.get("furniture", nearest)
    assert found[0].title == "Walnut dining table" and found[0].price == 1200.0
    assert store.manifest("furniture").currency == "SAR"
    assert store.heartbeat()
    # A whole turn through the server: lexical index, dense search, field keys and the rerank.
    engine = Engine(embedder=fake_embedder, store=store, prompts=load_prompts(),
                    config=EngineConfig(k=2))  # fmt: skip
    turn = engine.turn(DialogueState(session_id="s", catalog="furniture"), "a walnut table")
    assert turn.items[0].id == "1"
    assert {e["field"] for e in turn.items[0].evidence} <= {"item", "title", "facets"}
    assert any(e["snippet"] == "Walnut dining table" for e in turn.items[0].evidence)


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    from tests.conftest import free_port

    with pytest.raises(ConciergeError, match="cannot reach the Chroma server"):
        make_client(tmp_path, host="127.0.0.1", port=free_port())


def test_a_chroma_server_that_goes_away_is_reported_and_the_app_recovers(tmp_path, fake_embedder):
    from fastapi.testclient import TestClient

    from bot.web.api import Edge, create_api
    from bot.web.services import Services
    from bot.web.sessions import Sessions
    from tests.conftest import engine_over, free_port, start_chroma, stop

    port = free_port()
    server = start_chroma(tmp_path, port)
    rows = [{"id": str(n), "name": f"{c} {kind}", "category": kind}
            for n, (c, kind) in enumerate([("Walnut", "table"), ("Oak", "bookcase"),
                                           ("Pine", "chair"), ("Steel", "lamp")])]  # fmt: skip
    store = ItemStore(make_client(tmp_path, "127.0.0.1", port))
    engine = engine_over(store, fake_embedder, {"furniture": rows, "spare": rows}, tmp_path, k=2)
    api = create_api(Services(engine, Sessions()), Edge("furniture"))
    client = TestClient(api, raise_server_exceptions=False)  # as a real server answers
    chat = {"message": "a walnut table", "catalog": "furniture"}
    assert client.post("/api/v1/chat", json=chat).status_code == 200  # the catalog is in memory

    stop(server)
    health = client.get("/healthz")
    assert health.status_code == 503 and "cannot be reached" in health.json()["error"]
    kept = client.post("/api/v1/chat", json=chat)
    assert kept.status_code == 200 and kept.json()["items"][0]["id"] == "0"  # served from memory
    other = client.post("/api/v1/chat", json={**chat, "catalog": "spare"})
    assert other.status_code == 503 and "cannot be reached" in other.json()["detail"]

    server = start_chroma(tmp_path, port)  # back, with its data
    try:
        assert client.get("/healthz").status_code == 200
        back = client.post("/api/v1/chat", json={**chat, "catalog": "spare"})
        assert back.status_code == 200 and back.json()["items"][0]["id"] == "0"
    finally:
        stop(server)
