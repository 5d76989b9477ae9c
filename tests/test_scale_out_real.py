"""Two real app processes (`python app.py`, packaged models) on one PostgreSQL database and one
Chroma server, as `concierge serve --workers 2` runs them: a conversation alternating between
them keeps its need, likes and feedback, and a catalog re-ingested through one is served by the
other within a bounded time. Skips without PostgreSQL (.ci/run starts one)."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, empty_postgres, free_port, wait_for_http
from tests.real_app import API_KEY, RealApp

pytestmark = pytest.mark.real
POLL = 1  # seconds between each process's looks for re-ingested catalogs
ADMIN = {"x-api-key": API_KEY}
LAMPS = [
    {"id": "l1", "title": "Brass desk lamp", "price": 25, "brand": "Lumo",
     "description": "A bright LED desk lamp with a brass arm."},
    {"id": "l2", "title": "Linen floor lamp", "price": 60, "brand": "Lumo",
     "description": "A tall floor lamp with a linen shade."},
]  # fmt: skip
AURORA = {"id": "l3", "title": "Aurora reading lamp", "price": 35, "brand": "Aurora",
          "description": "A clip-on reading lamp with a warm light."}  # fmt: skip


@pytest.fixture(scope="module")
def two_apps(
    tmp_path_factory: pytest.TempPathFactory, model_cache: Path, chroma_server
) -> Iterator[tuple[RealApp, RealApp]]:
    postgres_url = empty_postgres()
    host, port = chroma_server
    folder = tmp_path_factory.mktemp("scale-out")
    demo = folder / "bestbuy_phones.json"  # every 16th demo item: a quick first start
    demo.write_text(json.dumps(json.loads((ROOT / "data/bestbuy_phones.json").read_text())[::16]))
    apps = []
    for n in (1, 2):
        (folder / f"app-{n}").mkdir()
        app = RealApp(folder / f"app-{n}" / "data", model_cache, "http://shop.invalid", demo)
        app.env |= {"CONCIERGE_CHROMA_HOST": host, "CONCIERGE_CHROMA_PORT": str(port),
                    "CONCIERGE_DATABASE_URL": postgres_url,
                    "CONCIERGE_CATALOG_POLL_SECONDS": str(POLL),
                    "CONCIERGE_RATE_LIMIT_PER_MINUTE": "100000"}  # fmt: skip
        app.start()  # the first ingests the demo into the server; the second finds it there
        apps.append(app)
    try:
        yield apps[0], apps[1]
    finally:
        for app in apps:
            app.stop()


def chat(app: RealApp, message: str, session: str | None, catalog: str | None = None) -> dict:
    status, body = app.call("/api/v1/chat", {"message": message, "session_id": session,
                                             "catalog": catalog})  # fmt: skip
    assert status == 200, body
    return body


def test_a_conversation_alternating_between_two_processes_keeps_everything(two_apps):
    one, two = two_apps
    sid = chat(one, "a samsung phone", None)["session_id"]
    shown = chat(two, "under $600", sid)
    assert shown["action"] == "recommend" and shown["need"]["include"]["brand"] == ["Samsung"]
    liked = shown["items"][0]["id"]
    status, _ = one.call("/api/v1/feedback", {"session_id": sid, "item_id": liked,
                                              "value": "like"})  # fmt: skip
    assert status == 200
    last = chat(two, "a black one", sid)
    need = last["need"]
    assert need["include"]["brand"] == ["Samsung"] and need["ranges"]["price"]["max"] == 600
    assert need["liked"] == [liked]
    _, state = one.call(f"/api/v1/sessions/{sid}")
    said = [m["content"] for m in state["messages"] if m["role"] == "user"]
    assert said == ["a samsung phone", "under $600", "a black one"]
    chat(one, "can I talk to a person?", sid)
    _, handoffs = two.call("/api/v1/admin/handoffs", headers=ADMIN)
    assert sid in [h["session_id"] for h in handoffs["handoffs"]]


def test_a_catalog_reingested_through_one_process_is_served_by_the_other(two_apps):
    one, two = two_apps

    def ingest(rows: list[dict]) -> None:  # exactly these rows (prune: no others are kept)
        status, body = one.call("/api/v1/admin/catalogs/lamps/items?format=json&prune=true",
                                json.dumps(rows).encode(), ADMIN)  # fmt: skip
        assert status == 200, body

    def titles(app: RealApp) -> list[str]:
        return [i["title"] for i in chat(app, "an aurora lamp", None, "lamps")["items"]]

    ingest(LAMPS)
    assert "Aurora reading lamp" not in titles(two)  # the other process has read the catalog
    ingest([*LAMPS, AURORA])
    assert "Aurora reading lamp" in titles(one)  # at once where it was ingested
    began = time.monotonic()
    while "Aurora reading lamp" not in titles(two):
        assert time.monotonic() - began < 20 * POLL, "the other process never read it again"
        time.sleep(POLL / 2)


def test_concierge_serve_balances_its_workers_and_restarts_one_that_dies(tmp_path, two_apps):
    """`concierge serve --workers 2` on the same Chroma server and database as the apps above."""
    public = free_port()
    env = two_apps[0].env | {"CONCIERGE_PORT": str(public), "CONCIERGE_DATA_DIR": str(tmp_path)}
    with open(tmp_path / "serve.log", "w") as log:
        serve = subprocess.Popen([Path(sys.executable).with_name("concierge"), "serve",
                                  "--workers", "2"], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{public}"
    try:
        wait_for_http(f"{base}/healthz", 300, serve)

        def answered_by() -> int:
            with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
                return json.loads(response.read())["process"]

        workers = {answered_by() for _ in range(4)}
        assert len(workers) == 2  # in turn
        with urllib.request.urlopen(f"{base}/", timeout=30) as page:
            assert page.status == 200  # the chat page, through the balancer
        os.kill(min(workers), signal.SIGKILL)
        time.sleep(1)  # a request in flight as a worker dies gets 502; the ones after, answers
        began = time.monotonic()
        while len(seen := {answered_by() for _ in range(4)}) < 2:
            assert time.monotonic() - began < 120, f"no second worker again: {seen}"
            time.sleep(1)
        assert min(workers) not in seen  # started again, in a new process
    finally:
        serve.terminate()
        serve.wait(60)
    assert "exited (-9); starting it again" in (tmp_path / "serve.log").read_text()
