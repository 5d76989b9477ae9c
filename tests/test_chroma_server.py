"""The same store code against a real `chroma run` server (HttpClient)."""

import json

import pytest

from bot.errors import ConciergeError
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
    again = ingest(path, "furniture", store, fake_embedder, progress=False)
    assert again.unchanged == 2 and fake_embedder.embedded == 2
    nearest = store.ids("furniture", 2, fake_embedder.embed(["dining table"])[0])
    found = store.get("furniture", nearest)
    assert found[0].title == "Walnut dining table" and found[0].price == 1200.0
    assert store.manifest("furniture").currency == "SAR"
    assert store.heartbeat()


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    from tests.conftest import free_port

    with pytest.raises(ConciergeError, match="cannot reach the Chroma server"):
        make_client(tmp_path, host="127.0.0.1", port=free_port())
