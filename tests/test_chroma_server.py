"""The same store code against a real `chroma run` server (HttpClient)."""

import json

import pytest

from bot.engine import Engine
from bot.errors import ConciergeError
from bot.state import DialogueState
from prompts.loader import load_prompts
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
    embedded = fake_embedder.embedded  # each item, and its title and facets fields
    assert embedded == 6
    again = ingest(path, "furniture", store, fake_embedder, progress=False)
    assert again.unchanged == 2 and fake_embedder.embedded == embedded
    nearest = store.ids("furniture", 2, fake_embedder.embed(["dining table"])[0])
    found = store.get("furniture", nearest)
    assert found[0].title == "Walnut dining table" and found[0].price == 1200.0
    assert store.manifest("furniture").currency == "SAR"
    assert store.heartbeat()
    # A whole turn through the server: lexical index, dense search, field keys and the rerank.
    engine = Engine(fake_embedder, store, load_prompts(), None, k=2)
    turn = engine.turn(DialogueState(session_id="s", catalog="furniture"), "a walnut table")
    assert turn.items[0].id == "1"
    assert {e["field"] for e in turn.items[0].evidence} <= {"item", "title", "facets"}
    assert any(e["snippet"] == "Walnut dining table" for e in turn.items[0].evidence)


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    from tests.conftest import free_port

    with pytest.raises(ConciergeError, match="cannot reach the Chroma server"):
        make_client(tmp_path, host="127.0.0.1", port=free_port())
