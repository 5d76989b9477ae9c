"""Builds the real objects from settings and serves the web app (API + Gradio) on one server."""

import contextlib
from typing import TYPE_CHECKING, Any

from bot.wiring import offline_environment

if TYPE_CHECKING:
    from bot.settings import Settings


def create_app(settings: "Settings | None" = None) -> tuple[Any, "Settings"]:
    import gradio as gr

    from bot.api import create_api
    from bot.errors import UnknownCatalogError
    from bot.sessions import Sessions
    from bot.settings import Settings
    from bot.ui import create_ui
    from bot.wiring import build_embedder, build_engine, build_store, ensure_demo_catalog

    settings = settings or Settings()
    store = build_store(settings)
    embedder = build_embedder()
    ensure_demo_catalog(settings, store, embedder)
    engine = build_engine(settings, store, embedder, chat=True)
    with contextlib.suppress(UnknownCatalogError):  # the API says so per request instead
        engine.warm(settings.default_catalog)  # so that the first chat does not wait
    sessions = Sessions()
    api = create_api(engine, sessions, settings.default_catalog)
    ui = create_ui(engine, sessions, settings.default_catalog)
    return gr.mount_gradio_app(api, ui, path="/"), settings


def main() -> None:
    offline_environment()
    import uvicorn

    app, settings = create_app()
    print(f"Concierge is serving on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
