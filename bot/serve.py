"""`concierge serve --workers N`: N app processes behind one address, on one machine.

Each worker is `python app.py` on a loopback port of its own; they share the Chroma server and
the database, so a conversation may move between them (README, "Several processes"). The
balancer in front passes whole connections on: one whose first request is for the API goes to
the next worker in turn; any other (the chat page, the widget, Gradio's queue) to the worker its
client's address falls to, since Gradio keeps a page's events in the process that served it. A
worker that exits is started again. A shop with several machines puts its own balancer (nginx,
a cloud one) in front of `python app.py` on each, sticky for the pages, the same way.
"""

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from bot.local_http import free_port, wait_for_http
from retrieval.errors import ConciergeError

ROOT = Path(__file__).resolve().parent.parent
API_PATHS = (b"/api/", b"/healthz", b"/docs", b"/openapi.json")
FIRST_START = 900  # seconds for the first worker (it may ingest the demo catalog)


@dataclass
class Worker:
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    ready: bool = False  # answering its health check since it was last started

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT,
                                            env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT)  # fmt: skip
        self.ready = False

    def wait(self, seconds: float) -> None:
        wait_for_http(f"http://127.0.0.1:{self.port}/healthz", seconds, self.process)
        self.ready = True

    def rejoin(self) -> None:
        """After a restart: ready once it answers (if it exits again, the next look restarts
        it)."""
        try:
            self.wait(FIRST_START)
        except (RuntimeError, TimeoutError) as err:
            print(f"a restarted worker did not come up: {err}", file=sys.stderr, flush=True)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.alive:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Balancer:
    workers: list[Worker]
    _turn: itertools.count = field(default_factory=itertools.count)

    def choose(self, path: bytes, client: str) -> list[Worker]:
        """The workers to try, in order: the one chosen, then the others."""
        alive = [w for w in self.workers if w.ready and w.alive]
        if not alive:
            return []
        if path.startswith(API_PATHS):
            first = next(self._turn) % len(alive)
        else:
            first = zlib.crc32(client.encode()) % len(alive)
        return alive[first:] + alive[:first]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()  # "GET /path HTTP/1.1"
            parts = line.split(b" ")
            peer = writer.get_extra_info("peername") or ("?",)
            for worker in self.choose(parts[1] if len(parts) > 1 else b"/", str(peer[0])):
                try:  # a worker that has just died refuses: the next one takes the request
                    up_reader, up_writer = await asyncio.open_connection("127.0.0.1", worker.port)
                except OSError:
                    continue
                requests = _requests(reader, up_writer, line, str(peer[0]).encode())
                _, answered = await asyncio.gather(requests, _pipe(up_reader, writer))
                if not answered:  # the worker died with the request
                    writer.write(_status(b"502 Bad Gateway"))
                return
            writer.write(_status(b"503 Service Unavailable"))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def _requests(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes,
                    client: bytes) -> None:  # fmt: skip
    """Pass a connection's requests on, each with the client's address in X-Forwarded-For (the
    workers' uvicorn trusts it from 127.0.0.1, so rate limits and the event log see the client,
    not the balancer); one the client sent itself is dropped. A body goes on as it is; after a
    chunked body or an upgrade (a websocket), everything does."""
    try:
        while line:
            headers = []
            while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                if not header.lower().startswith(b"x-forwarded-for:"):
                    headers.append(header)
            writer.write(line + b"".join(headers) + b"x-forwarded-for: " + client + b"\r\n\r\n")
            await writer.drain()
            fields = dict(_field(h) for h in headers)
            if b"chunked" in fields.get(b"transfer-encoding", b"") or b"upgrade" in fields:
                await _pipe(reader, writer)
                return
            remaining = int(fields.get(b"content-length", b"0") or b"0")
            while remaining > 0 and (data := await reader.read(min(65536, remaining))):
                writer.write(data)
                remaining -= len(data)
                await writer.drain()
            line = await reader.readline()
    except (ConnectionError, ValueError):
        pass
    finally:
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()


def _field(header: bytes) -> tuple[bytes, bytes]:
    name, _, value = header.partition(b":")
    return name.strip().lower(), value.strip().lower()


def _status(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    """Copy until the end; the bytes copied."""
    copied = 0
    try:
        while data := await reader.read(65536):
            writer.write(data)
            copied += len(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        if copied and writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()
    return copied


def check_shared(workers: int, chroma_host: str | None) -> None:
    if workers > 1 and not chroma_host:
        raise ConciergeError(
            "several workers need a Chroma server (the embedded store is one process's): start "
            "one with `chroma run --path .concierge/chroma-server` and set CONCIERGE_CHROMA_HOST"
        )


def serve(host: str, port: int, workers: int, data_dir: Path) -> None:
    """Start the workers (the first alone: it may ingest the demo catalog), then the balancer;
    until stopped, start again any worker that exits."""
    logs = data_dir / "workers"
    logs.mkdir(parents=True, exist_ok=True)
    pool = []
    for n in range(workers):
        worker_port = free_port()
        env = {**os.environ, "CONCIERGE_HOST": "127.0.0.1", "CONCIERGE_PORT": str(worker_port)}
        pool.append(Worker(worker_port, env, logs / f"worker-{n + 1}.log"))
    try:
        pool[0].start()
        pool[0].wait(FIRST_START)
        for worker in pool[1:]:
            worker.start()
        for worker in pool[1:]:
            worker.wait(FIRST_START)
        asyncio.run(_run(Balancer(pool), host, port))
    finally:
        for worker in pool:
            worker.stop()


async def _run(balancer: Balancer, host: str, port: int) -> None:
    server = await asyncio.start_server(balancer.handle, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    count = len(balancer.workers)
    print(f"Concierge is serving on http://{host}:{port} with {count} workers (logs in "
          f"{balancer.workers[0].log.parent})", flush=True)  # fmt: skip
    restarts: set[asyncio.Task] = set()  # a restarted worker joins once it answers
    async with server:
        while not stop.is_set():
            for n, worker in enumerate(balancer.workers):
                if not worker.alive:
                    code = worker.process.poll() if worker.process else None
                    print(f"worker {n + 1} exited ({code}); starting it again", file=sys.stderr,
                          flush=True)  # fmt: skip
                    worker.start()  # not ready until it answers
                    restarts.add(asyncio.create_task(asyncio.to_thread(worker.rejoin)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
