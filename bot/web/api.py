"""HTTP API (FastAPI). The Gradio UI and the widget are mounted on the same server by app.py."""

import hmac
import logging
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.settings import Settings
from bot.web.learning import Learner
from bot.web.limits import BodyLimit, Busy, Gate, RateLimited, RateLimiter
from bot.web.services import Services, logged_client
from retrieval.errors import ConciergeError, UnknownCatalogError
from retrieval.ingest import IngestReport, ingest
from retrieval.policies import ingest_policies

log = logging.getLogger("concierge.api")
MAX_K = 50
FORMATS = ("csv", "tsv", "json", "jsonl", "parquet")
STORE_DOWN = ("the catalog store (Chroma) cannot be reached; catalogs already in memory still "
              "answer, the rest will once it is back")  # fmt: skip


class ChatRequest(BaseModel):
    session_id: str | None = Field(default=None, max_length=64, pattern=r"^[\w-]+$")
    message: str = Field(max_length=200_000)  # longer is refused; over the engine limit, truncated
    catalog: str | None = Field(default=None, max_length=64)
    k: int | None = Field(default=None, ge=1, le=MAX_K)
    diversity: float | None = Field(default=None, ge=0.0, le=1.0)  # variety among the items,
    # for this session from now on (0: the ranking's order); unset: the server's default


class FeedbackRequest(BaseModel):
    session_id: str = Field(max_length=64)
    item_id: str = Field(max_length=512)
    value: Literal["like", "dislike", "click", "purchase"]  # a purchase: the shop reports it


class ExclusionsRequest(BaseModel):
    items: list[Annotated[str, Field(max_length=512)]] = Field(max_length=100_000)


class PoliciesRequest(BaseModel):
    documents: dict[str, str] = Field(description="file name (*.md) -> Markdown text")


@dataclass
class Edge:
    """How the server meets the world: the limits, the admin key and the allowed origins."""

    default_catalog: str
    api_key: str | None = None
    origins: list[str] = field(default_factory=list)
    max_concurrent_turns: int = Settings.model_fields["max_concurrent_turns"].default
    max_queued_turns: int = Settings.model_fields["max_queued_turns"].default
    rate_limit_per_minute: int = Settings.model_fields["rate_limit_per_minute"].default
    max_request_bytes: int = Settings.model_fields["max_request_bytes"].default
    max_ingest_bytes: int = Settings.model_fields["max_ingest_bytes"].default
    client_keys: dict[str, int] = field(default_factory=dict)  # key -> its chats a minute

    @classmethod
    def from_settings(cls, settings: Settings) -> "Edge":
        return cls(settings.default_catalog, settings.api_key, settings.origins,
                   settings.max_concurrent_turns, settings.max_queued_turns,
                   settings.rate_limit_per_minute, settings.max_request_bytes,
                   settings.max_ingest_bytes, settings.client_limits)  # fmt: skip


def frame_policy(origins: list[str]) -> str:
    """Which pages may show ours in a frame: this server's own, and the allowed origins."""
    return "frame-ancestors " + " ".join(["'self'", *origins])


def create_api(services: Services, edge: Edge) -> FastAPI:
    engine, sessions = services.engine, services.sessions
    api = FastAPI(title="Concierge", version="0.2.0")
    gate = Gate(edge.max_concurrent_turns, edge.max_queued_turns)
    limiter = RateLimiter(edge.rate_limit_per_minute)
    if edge.origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=edge.origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "x-gradio-user"],  # the web component's queue calls
        )
    api.add_middleware(BodyLimit, default=edge.max_request_bytes,
                       larger={"/api/v1/admin/": edge.max_ingest_bytes})  # fmt: skip
    frames = frame_policy(edge.origins)

    @api.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = frames
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @api.exception_handler(ConciergeError)
    async def user_error(_request: Request, err: ConciergeError) -> JSONResponse:
        status = 404 if isinstance(err, UnknownCatalogError) else 400
        return JSONResponse({"detail": str(err)}, status_code=status)

    @api.exception_handler(Busy)
    async def busy(_request: Request, err: Busy) -> JSONResponse:
        return JSONResponse({"detail": "busy, try again in a moment"}, status_code=429,
                            headers={"Retry-After": str(err.retry_after)})  # fmt: skip

    @api.exception_handler(RateLimited)
    async def rate_limited(_request: Request, err: RateLimited) -> JSONResponse:
        detail = (f"rate limited: at most {err.per_minute} chat requests a minute from one "
                  f"client; try again in {err.retry_after} s")  # fmt: skip
        return JSONResponse({"detail": detail}, status_code=429,
                            headers={"Retry-After": str(err.retry_after)})  # fmt: skip

    def client(request: Request) -> tuple[str, int | None]:
        """Who counts against a rate limit: a known client key, else the address."""
        given = request.headers.get("x-client-key")
        if given is None:
            return f"address:{request.client.host if request.client else 'unknown'}", None
        for key, per_minute in edge.client_keys.items():
            if hmac.compare_digest(given.encode(), key.encode()):
                return f"key:{key}", per_minute
        raise HTTPException(401, "unknown client key (header X-Client-Key)")

    @api.exception_handler(Exception)
    async def failure(request: Request, err: Exception) -> JSONResponse:
        # Logged with its type only: the message may quote prompts or user text.
        log.error("%s %s failed: %s", request.method, request.url.path, type(err).__name__)
        if not await run_in_threadpool(engine.store.heartbeat):
            return JSONResponse({"detail": STORE_DOWN}, status_code=503,
                                headers={"Retry-After": "10"})  # fmt: skip
        return JSONResponse({"detail": "something went wrong on our side; please try again"},
                            status_code=500)  # fmt: skip

    def admin(request: Request) -> None:
        if not edge.api_key:
            raise HTTPException(403, "admin endpoints are off: set CONCIERGE_API_KEY to use them")
        given = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        given = given.removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), edge.api_key.encode()):
            raise HTTPException(401, "a valid API key is needed (header X-API-Key)")

    @api.post("/api/v1/chat")
    def chat(body: ChatRequest, request: Request) -> dict:
        who, per_minute = client(request)
        limiter.check(who, per_minute=per_minute)
        catalog = body.catalog or edge.default_catalog
        engine.manifest(catalog)  # raises UnknownCatalogError before a session is made
        session_id = body.session_id or uuid.uuid4().hex
        with gate.enter(), sessions.lock(session_id):
            state = sessions.get(session_id, catalog)
            if body.diversity is not None:
                state.diversity = body.diversity
            turn = engine.respond(state, body.message, body.k)
            sessions.save(state)
        services.after_turn(turn, logged_client(who))
        return turn.to_dict()

    @api.post("/api/v1/feedback")
    def feedback(body: FeedbackRequest, request: Request) -> dict:
        state = services.sessions.find(body.session_id)
        if state is None:
            raise HTTPException(404, f"no session {body.session_id!r}")
        services.feedback(state, body.item_id, body.value, logged_client(client(request)[0]))
        need = state.need
        return {"session_id": state.session_id, "liked": need.liked, "disliked": need.disliked,
                "need": need.model_dump()}  # fmt: skip

    @api.get("/api/v1/sessions/{session_id}")
    def session(session_id: str) -> dict:
        state = sessions.find(session_id)
        if state is None:
            raise HTTPException(404, f"no session {session_id!r}")
        return state.model_dump()

    @api.get("/api/v1/catalogs")
    def catalogs() -> dict:
        return {"default": edge.default_catalog, "catalogs": engine.store.catalogs()}

    @api.get("/api/v1/items/{item_id}")
    def item(item_id: str, catalog: str | None = Query(default=None, max_length=64)) -> dict:
        name = catalog or edge.default_catalog
        engine.manifest(name)
        found = engine.store.get(name, [item_id])
        if not found:
            raise HTTPException(404, f"no item {item_id!r} in {name!r}")
        return {"catalog": name, **asdict(found[0])}

    @api.get("/healthz")
    def healthz() -> JSONResponse:
        chroma = engine.store.heartbeat()
        database = sessions.db.error or "ok"
        body = {
            "status": "ok" if chroma and database == "ok" else "degraded",
            "chroma": chroma,
            "sessions": database,
            "catalogs": engine.store.catalogs() if chroma else [],
            "process": os.getpid(),  # which worker answered, behind `concierge serve --workers`
        }
        if not chroma:
            body["error"] = STORE_DOWN
        return JSONResponse(body, status_code=200 if chroma else 503)

    # admin: needs the API key -------------------------------------------------------------
    @api.post("/api/v1/admin/catalogs/{name}/items", dependencies=[Depends(admin)])
    async def ingest_items(
        name: str, request: Request, format: str = Query(pattern="^(" + "|".join(FORMATS) + ")$"),
        prune: bool = False,
    ) -> dict:  # fmt: skip
        data = await request.body()
        report = await run_in_threadpool(ingest_upload, name, data, format, prune)
        return {"summary": report.summary(), "added": report.added, "updated": report.updated,
                "unchanged": report.unchanged, "removed": report.removed,
                "skipped": [str(s) for s in report.skipped]}  # fmt: skip

    def ingest_upload(name: str, data: bytes, format: str, prune: bool) -> IngestReport:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload.{format}"
            path.write_bytes(data)
            report = ingest(path, name, engine.store, services.embedder or engine.embedder,
                            prune=prune, progress=False)  # fmt: skip
        engine.refresh()
        return report

    @api.post("/api/v1/admin/catalogs/{name}/policies", dependencies=[Depends(admin)])
    def policies(name: str, body: PoliciesRequest) -> dict:
        with tempfile.TemporaryDirectory() as folder:
            for file_name, text in body.documents.items():
                safe = Path(file_name).name
                if not safe.endswith(".md"):
                    raise HTTPException(400, f"{file_name!r}: policy documents are *.md files")
                (Path(folder) / safe).write_text(text, encoding="utf-8")
            summary = ingest_policies(Path(folder), name, engine.store,
                                      services.embedder or engine.embedder)  # fmt: skip
        engine.refresh()
        return {"summary": summary}

    @api.get("/api/v1/admin/interactions", dependencies=[Depends(admin)])
    def interactions(catalog: str = Query(max_length=64)) -> PlainTextResponse:
        text = services.events.export_jsonl(catalog) if services.events else ""
        return PlainTextResponse(text, media_type="application/x-ndjson")

    def learner() -> Learner:
        if services.learner is None:
            raise HTTPException(404, "learning from the log is not set up in this server")
        return services.learner

    @api.post("/api/v1/admin/catalogs/{name}/learn", dependencies=[Depends(admin)])
    def learn(name: str) -> dict:
        """Learn the catalog's priors from the log now (the background does it every
        CONCIERGE_LEARN_EVERY_SECONDS); every process reads them within its poll."""
        engine.manifest(name)
        priors = learner().learn(name)
        if priors is None:
            raise HTTPException(503, "the event log cannot be read: " + sessions.db.error)
        engine.refresh()
        return {"summary": priors.summary(), "top": priors.top[:10]}

    @api.get("/api/v1/admin/catalogs/{name}/learning/exclusions", dependencies=[Depends(admin)])
    def exclusions(name: str) -> dict:
        return {"items": learner().excluded(name)}

    @api.put("/api/v1/admin/catalogs/{name}/learning/exclusions", dependencies=[Depends(admin)])
    def exclude(name: str, body: ExclusionsRequest) -> dict:
        """Keep exactly these items out of learning (out of stock, sponsored), from the next
        update on."""
        if not learner().exclude(name, body.items):
            raise HTTPException(503, "the exclusions could not be saved: " + sessions.db.error)
        return {"items": learner().excluded(name)}

    @api.delete("/api/v1/admin/sessions/{session_id}", dependencies=[Depends(admin)])
    def forget(session_id: str) -> dict:
        """Delete a session: its need, messages, events and handoffs (its effect on the priors
        goes at the next update)."""
        return {"deleted": learner().forget_session(session_id)}

    @api.get("/api/v1/admin/handoffs", dependencies=[Depends(admin)])
    def handoffs(since: float = Query(default=0.0, ge=0.0)) -> dict:
        """The handoffs to a person made after `since` (seconds since the epoch), oldest first,
        from every app process."""
        return {"handoffs": services.handoffs.since(since) if services.handoffs else []}

    return api
