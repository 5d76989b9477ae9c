"""HTTP API (FastAPI). The Gradio UI is mounted on the same server by app.py."""

from typing import Literal

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.engine import Engine
from bot.errors import ConciergeError, UnknownCatalogError
from bot.sessions import Sessions

MAX_K = 50


class ChatRequest(BaseModel):
    session_id: str | None = Field(default=None, max_length=64)
    message: str = Field(max_length=200_000)  # longer is refused; over the engine limit, truncated
    catalog: str | None = None
    k: int | None = Field(default=None, ge=1, le=MAX_K)


class FeedbackRequest(BaseModel):
    session_id: str
    item_id: str
    value: Literal["like", "dislike"]


def create_api(engine: Engine, sessions: Sessions, default_catalog: str) -> FastAPI:
    api = FastAPI(title="Concierge", version="0.1.0")

    @api.exception_handler(ConciergeError)
    async def user_error(_request: object, err: ConciergeError) -> JSONResponse:
        status = 404 if isinstance(err, UnknownCatalogError) else 400
        return JSONResponse({"detail": str(err)}, status_code=status)

    @api.post("/api/v1/chat")
    def chat(request: ChatRequest) -> dict:
        catalog = request.catalog or default_catalog
        engine.manifest(catalog)  # raises UnknownCatalogError before a session is made
        state = sessions.get(request.session_id, catalog)
        return engine.respond(state, request.message, request.k).to_dict()

    @api.post("/api/v1/feedback")
    def feedback(request: FeedbackRequest) -> dict:
        state = sessions.find(request.session_id)
        if state is None:
            raise HTTPException(404, f"no session {request.session_id!r}")
        need = state.need
        (need.like if request.value == "like" else need.dislike)(request.item_id)
        return {"session_id": state.session_id, "liked": need.liked, "disliked": need.disliked,
                "need": need.model_dump()}  # fmt: skip

    @api.get("/healthz")
    def healthz() -> JSONResponse:
        chroma = engine.store.heartbeat()
        body = {"status": "ok" if chroma else "degraded", "chroma": chroma,
                "catalogs": engine.store.catalogs() if chroma else []}  # fmt: skip
        return JSONResponse(body, status_code=200 if chroma else 503)

    return api
