"""Builds the real objects from settings and serves the web app (API + Gradio) on one server."""

import contextlib
from typing import TYPE_CHECKING, Any

from bot.wiring import offline_environment

if TYPE_CHECKING:
    from bot.settings import Settings


def create_app(settings: "Settings | None" = None) -> tuple[Any, "Settings"]:
    import gradio as gr

    from bot.answering.support import Handoffs
    from bot.settings import Settings
    from bot.web.api import Edge, create_api
    from bot.web.services import Services
    from bot.web.sessions import EventLog, Sessions
    from bot.web.ui import create_ui, create_widget, theme_and_css
    from bot.wiring import (
        build_database,
        build_embedder,
        build_engine,
        build_store,
        ensure_demo_catalog,  # fmt: skip
    )
    from retrieval.errors import UnknownCatalogError

    settings = settings or Settings()
    store = build_store(settings)
    embedder = build_embedder()
    ensure_demo_catalog(settings, store, embedder)
    engine = build_engine(settings, store, embedder, chat=True)
    with contextlib.suppress(UnknownCatalogError):  # the API says so per request instead
        engine.warm(settings.default_catalog)  # so that the first chat does not wait
    database = build_database(settings)
    handoffs = Handoffs(settings.data_dir / "handoffs.jsonl", settings.handoff_webhook)
    services = Services(engine, Sessions(database), EventLog(database), handoffs, embedder)
    api = create_api(services, Edge.from_settings(settings))
    look = theme_and_css()
    widget = create_widget(services, settings.default_catalog)
    gr.mount_gradio_app(api, widget, path="/widget", **look)
    ui = create_ui(services, settings.default_catalog)
    return gr.mount_gradio_app(api, ui, path="/", **look), settings


def main() -> None:
    offline_environment()
    import uvicorn

    app, settings = create_app()
    print(f"Concierge is serving on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
