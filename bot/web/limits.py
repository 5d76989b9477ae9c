"""Load limits for the HTTP edge: a bounded queue of chat turns (beyond it, "busy, try again"
at once rather than a timeout), a per-client rate limit, and a cap on request bodies."""

import contextlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from cachetools import LRUCache

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Busy(Exception):
    """More work is waiting than the queue holds; the client should retry shortly."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


class RateLimited(Exception):
    """This client sent more requests than its limit allows; it may retry after `retry_after` s."""

    def __init__(self, retry_after: int, per_minute: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after
        self.per_minute = per_minute


class Gate:
    """At most `running` turns at once and `queued` waiting; one more is refused at once."""

    def __init__(self, running: int, queued: int) -> None:
        self._slots = threading.Semaphore(running)
        self._lock = threading.Lock()
        self._inside = 0
        self.capacity = running + queued
        self.refused = 0

    @contextlib.contextmanager
    def enter(self) -> Iterator[None]:
        with self._lock:
            if self._inside >= self.capacity:
                self.refused += 1
                raise Busy(retry_after=2)
            self._inside += 1
        try:
            with self._slots:
                yield
        finally:
            with self._lock:
                self._inside -= 1


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute (a client may have its own),
    in bursts of up to a quarter of that. Clients not seen for a while are forgotten (at most
    `clients` are kept). Per process: N processes admit N times as many."""

    def __init__(self, per_minute: int, clients: int = 10_000) -> None:
        self.per_minute = per_minute
        self._buckets: LRUCache[str, tuple[float, float]] = LRUCache(clients)
        self._lock = threading.Lock()

    def check(self, client: str, now: float | None = None, per_minute: int | None = None) -> None:
        """Take one request's token, or raise RateLimited with the seconds until one is free."""
        now = time.monotonic() if now is None else now
        limit = per_minute or self.per_minute
        rate, burst = limit / 60.0, max(1.0, limit / 4)
        with self._lock:
            tokens, then = self._buckets.pop(client, (burst, now))
            tokens = min(burst, tokens + (now - then) * rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                raise RateLimited(max(1, round((1 - tokens) / rate)), limit)
            self._buckets[client] = (tokens - 1, now)


class BodyLimit:
    """ASGI middleware: a request body over the limit gets 413 before the app reads it. The
    limit is per path prefix (admin uploads may be larger); Content-Length is checked first and
    a body sent without one is counted as it arrives."""

    def __init__(self, app: ASGIApp, default: int, larger: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.larger = larger

    def limit(self, path: str) -> int:
        return next((n for p, n in self.larger.items() if path.startswith(p)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit)
            return
        body, more = [], True
        size = 0
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _too_large(send, limit)
                return
            body.append(message.get("body", b""))
            more = message.get("more_body", False)
        whole = b"".join(body)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body over {limit:,} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
