"""Builds the real objects from settings and serves the web app (API + Gradio) on one server."""

import contextlib
from typing import TYPE_CHECKING, Any

from bot.wiring import offline_environment

if TYPE_CHECKING:
    from bot.settings import Settings


def create_app(settings: "Settings | None" = None) -> tuple[Any, "Settings"]:
    import gradio as gr

    from bot.settings import Settings
    from bot.web.api import Edge, create_api
    from bot.web.handoffs import Handoffs
    from bot.web.services import Services
    from bot.web.sessions import Sessions
    from bot.web.ui import create_ui, create_widget, theme_and_css
    from bot.wiring import (
        build_database,
        build_embedder,
        build_engine,
        build_learner,
        build_store,
        ensure_demo_catalog,
        start_chat_model,
        watch_catalogs,  # fmt: skip
    )
    from retrieval.errors import UnknownCatalogError

    settings = settings or Settings()
    store = build_store(settings)
    embedder = build_embedder()
    ensure_demo_catalog(settings, store, embedder)
    engine = build_engine(settings, store, embedder, chat=False)
    start_chat_model(settings, engine)  # drafts explanations once loaded; templates until then
    with contextlib.suppress(UnknownCatalogError):  # the API says so per request instead
        engine.warm(settings.default_catalog)  # so that the first chat does not wait
    watch_catalogs(engine, settings.catalog_poll_seconds)
    database = build_database(settings)
    handoffs = Handoffs(database, settings.handoff_webhook, settings.data_dir / "handoffs.jsonl")
    sessions = Sessions(database)
    learner = build_learner(settings, store, lambda name: set(engine.vocabulary(name).titles),
                            sessions, handoffs)  # fmt: skip
    learner.watch(settings.learn_every_seconds, settings.learn_every_events)
    services = Services(engine, sessions, learner.events, handoffs, embedder, learner)
    api = create_api(services, Edge.from_settings(settings))
    look = theme_and_css()
    widget = create_widget(services, settings.default_catalog)
    gr.mount_gradio_app(api, widget, path=WIDGET, **look)
    add_slash_redirect(api, WIDGET)
    serve_gradio_script(api)
    ui = create_ui(services, settings.default_catalog)
    return gr.mount_gradio_app(api, ui, path="/", **look), settings


WIDGET = "/widget"


def add_slash_redirect(api: Any, path: str) -> None:
    """`path` without its trailing slash redirects to the mounted app, query kept (a mounted
    Gradio app serves only `path/`; without this, `/widget` is the root app's 404)."""
    from fastapi import Request
    from fastapi.responses import RedirectResponse

    def redirect(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{path}/{query}", status_code=307)

    api.add_api_route(path, redirect, methods=["GET", "HEAD"], include_in_schema=False)


def serve_gradio_script(api: Any) -> None:
    """Gradio's web-component loader at `/gradio.js`, from the installed package: a shop page
    embeds `<gradio-app>` with this server's script, not a CDN's (and of the same version). It
    imports `./assets/...`, which the mounted app serves."""
    from pathlib import Path

    import gradio
    from fastapi.responses import FileResponse

    script = Path(gradio.__file__).parent / "templates" / "frontend" / "gradio.js"

    def loader() -> FileResponse:
        return FileResponse(script, media_type="text/javascript")

    api.add_api_route("/gradio.js", loader, methods=["GET", "HEAD"], include_in_schema=False)


def main() -> None:
    offline_environment()
    import uvicorn

    app, settings = create_app()
    print(f"Concierge is serving on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
