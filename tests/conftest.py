"""Shared fixtures. The suite fails on any connection that is not to this machine."""

import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.local_http import free_port, wait_for_http

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CONCIERGE_SHARED_DIR", ROOT.parent / "shared"))
SHARED_DATA = SHARED / "data"
needs_shared = pytest.mark.skipif(
    not SHARED_DATA.exists(),
    reason=f"needs the team's shared data at {SHARED_DATA} (present in CI, not in a user's clone)",
)


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is None or host in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return str(host).endswith(".localhost")
    return address.is_loopback or address.is_unspecified


def _offline_guard(event: str, args: tuple) -> None:
    if event == "socket.connect":
        sock, address = args
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise OSError(f"test suite is offline: connection to {address!r} refused")
    elif event == "socket.getaddrinfo" and not _is_local(args[0]):
        raise OSError(f"test suite is offline: name lookup of {args[0]!r} refused")


sys.addaudithook(_offline_guard)


class FakeEmbedder:
    """Deterministic bag-of-words vectors: texts sharing words are close. Counts what it embeds."""

    name = "fake-bow"

    def __init__(self, dimension: int = 2048) -> None:
        # 2048: few hash collisions, so unrelated words stay apart; tests about scale, not
        # similarity, pass fewer (Chroma's writes and index grow with the dimension)
        self.dimension = dimension
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word = "".join(ch for ch in word if ch.isalnum())
                if word:
                    out[row, hash_word(word) % self.dimension] += 1.0
            out[row, -1] += 1e-3  # never the zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def hash_word(word: str) -> int:
    return zlib.crc32(word.encode())


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


def engine_over(store, embedder, catalogs: dict[str, Any], folder: Path, chat=None, **config):
    """An engine over `store` once each catalog ({name: rows}) is ingested from a JSON file in
    `folder`; `config` holds EngineConfig values (k, max_questions, weights ...)."""
    from bot.engine import Engine, EngineConfig
    from prompts.loader import load_prompts
    from retrieval.ingest import ingest

    for name, rows in catalogs.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(rows))
        ingest(path, name, store, embedder, progress=False)
    return Engine(embedder=embedder, store=store, prompts=load_prompts(), chat=chat,
                  config=EngineConfig(**config))  # fmt: skip


@pytest.fixture
def store(tmp_path: Path):
    from retrieval.store import ItemStore, make_client

    return ItemStore(make_client(tmp_path / "data"))


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One converted-model cache for the whole run (conversion takes about 20 s)."""
    return Path(os.environ.get("CONCIERGE_TEST_MODEL_CACHE", tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="session")
def minilm():
    from retrieval.embed import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def minilm_phones(tmp_path_factory: pytest.TempPathFactory, minilm):
    """The demo catalog's first 300 rows and every 8th row after them in embedded Chroma with
    real MiniLM vectors, ingested once for the real-model tests that only read it: many
    near-identical titles (the same case for several phones), and every kind of item (handsets,
    cases for the iPhone 7 and the 7 Plus, power banks) in the demo's proportions."""
    from retrieval.ingest import ingest
    from retrieval.store import ItemStore, make_client

    folder = tmp_path_factory.mktemp("minilm-phones")
    path = folder / "phones.json"
    rows = json.loads((ROOT / "data/bestbuy_phones.json").read_text())
    path.write_text(json.dumps(rows[:300] + rows[300::8]))
    store = ItemStore(make_client(folder / "data"))
    ingest(path, "phones", store, minilm, ROOT / "data/mappings/bestbuy_phones.yaml",
           progress=False)  # fmt: skip
    return store


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """A real `chroma run` on 127.0.0.1:port keeping its data under path; waits until it
    answers."""
    chroma = Path(sys.executable).with_name("chroma")
    with open(path / "server.log", "a") as log:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(path / "db"), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", 60, process)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Chroma server: the one .ci/run started (CONCIERGE_TEST_CHROMA=host:port), else a
    `chroma run` on 127.0.0.1 at a free port."""
    given = os.environ.get("CONCIERGE_TEST_CHROMA")
    if given:
        host, _, port_text = given.rpartition(":")
        wait_for_http(f"http://{given}/api/v2/heartbeat", 60)
        yield host, int(port_text)
        return
    port = free_port()
    process = start_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    try:
        yield "127.0.0.1", port
    finally:
        stop(process)


POSTGRES = os.environ.get("CONCIERGE_TEST_DATABASE_URL")


def empty_postgres() -> str:
    """The PostgreSQL database .ci/run starts (Debian's postgresql), emptied."""
    if not POSTGRES:
        pytest.skip("no PostgreSQL: CONCIERGE_TEST_DATABASE_URL is unset (.ci/run starts one)")
    from bot.web.database import Database, metadata

    database = Database(POSTGRES)
    with database.connection() as conn:
        metadata.drop_all(conn)
        metadata.create_all(conn)
    database.close()
    return POSTGRES


@pytest.fixture
def postgres_url() -> str:
    return empty_postgres()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database the app runs on: a SQLite file, and PostgreSQL where there is one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sessions.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def shop_port() -> int:
    """The port of the example shop page (another origin than the app's)."""
    return free_port()


@pytest.fixture(scope="session")
def real_app(tmp_path_factory: pytest.TempPathFactory, model_cache: Path, shop_port: int):
    """The real app on a fresh data directory: its first start ingests the demo catalog (every
    fourth item of it, so that the first start takes a quarter of the time), its vectors read
    from the shipped file as the app's own first start reads them."""
    from retrieval.prebuilt import vectors_path
    from tests.real_app import RealApp

    folder = tmp_path_factory.mktemp("real-app")
    demo = folder / "bestbuy_phones.json"  # the demo's file name: its policies load with it
    demo.write_text(json.dumps(json.loads((ROOT / "data/bestbuy_phones.json").read_text())[::4]))
    shutil.copy(vectors_path(ROOT / "data/bestbuy_phones.json"), vectors_path(demo))
    app = RealApp(folder / "data", model_cache, f"http://127.0.0.1:{shop_port}", demo)
    app.ingest_hostile_catalog()
    app.start()
    try:
        yield app
    finally:
        app.stop()
