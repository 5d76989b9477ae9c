"""Builds the real objects from Settings. Only app.py and the CLI call this."""

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from bot.background import every
from bot.engine import Engine, EngineConfig
from bot.settings import Settings
from bot.web.database import Database
from bot.web.handoffs import Handoffs
from bot.web.learning import Learner
from bot.web.sessions import EventLog, Sessions
from prompts.loader import load_prompts
from retrieval.candidates import Weights
from retrieval.embed import CachedEmbedder, Embedder, MiniLMEmbedder
from retrieval.errors import ConciergeError
from retrieval.ingest import ingest
from retrieval.interactions import Guards
from retrieval.policies import ingest_policies
from retrieval.store import ItemStore, make_client


def offline_environment() -> None:
    """No hub downloads, no analytics, no telemetry: set before the libraries are imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def build_store(settings: Settings) -> ItemStore:
    return ItemStore(make_client(settings.data_dir, settings.chroma_host, settings.chroma_port))


def build_engine(settings: Settings, store: ItemStore, embedder: Embedder, chat: bool) -> Engine:
    model = None
    if chat and uses_chat_model(settings):  # drafts explanations, reads the need: with
        from bot.llm import build_chat_model  # neither, none loads

        model = build_chat_model(settings)
    in_process = settings.resolved_llm_provider == "local"  # drafts one call at a time
    config = EngineConfig(
        k=settings.k,
        max_message_chars=settings.max_message_chars,
        max_questions=settings.max_questions,
        weights=Weights(theta=settings.theta, temperature=settings.temperature),
        drafts=settings.resolved_explain_drafts,
        draft_tokens=settings.explain_max_tokens,
        draft_slots=1 if in_process else settings.max_concurrent_turns,  # a server takes several
        diversity=settings.diversity,
        kinds_by=settings.kinds_by,
        read_by_llm=settings.resolved_llm_reads_need,
        read_timeout_s=settings.llm_read_timeout_s,
    )
    # The engine embeds only short query texts, which repeat turn after turn: cache them.
    return Engine(embedder=CachedEmbedder(embedder), store=store, prompts=load_prompts(),
                  chat=model, config=config)  # fmt: skip


def uses_chat_model(settings: Settings) -> bool:
    """Whether anything needs the chat model: drafting explanations or reading the need."""
    return bool(settings.resolved_explain_drafts) or settings.resolved_llm_reads_need


def start_chat_model(settings: Settings, engine: Engine) -> threading.Thread | None:
    """Load the chat model that drafts explanations in the background (the packaged model's
    first start converts it, about 20 s; loading takes a few seconds more): the app answers at
    once, with template explanations until the model is ready. None when nothing drafts."""
    if not uses_chat_model(settings):
        return None
    from bot.llm import build_chat_model

    local = settings.resolved_llm_provider == "local" and settings.llm_model
    if local and not Path(str(settings.llm_model)).exists():  # fails the start, not later
        raise ConciergeError(f"CONCIERGE_LLM_MODEL: no model at {settings.llm_model}")

    def load() -> None:
        try:
            engine.use_chat(build_chat_model(settings))
        except Exception as error:  # the app keeps serving, with template explanations
            print(f"The chat model could not be loaded ({error}): explanations stay templates",
                  file=sys.stderr)  # fmt: skip

    thread = threading.Thread(target=load, name="chat-model", daemon=True)
    thread.start()
    return thread


def watch_catalogs(engine: Engine, seconds: float) -> threading.Thread | None:
    """Every `seconds`, read again the catalogs another process has re-ingested (several app
    processes share a Chroma server); None when seconds is 0."""

    def look() -> None:
        for catalog in engine.refresh():
            print(f"Catalog {catalog!r} changed in the store: read again", file=sys.stderr)

    return every(seconds, look, "catalog-watch")


def build_database(settings: Settings) -> Database:
    """Sessions, the feedback log and handoffs: CONCIERGE_DATABASE_URL, or a SQLite file."""
    return Database(settings.database_url or settings.data_dir / "sessions.db")


def build_learner(settings: Settings, store: ItemStore, known: Callable[[str], set[str]],
                  sessions: Sessions, handoffs: Handoffs) -> Learner:  # fmt: skip
    """Learning from the log, with the settings' guards and retention; `known`: a catalog's
    item ids."""
    guards = Guards(client_cap=settings.learn_client_cap,
                    half_life_days=settings.learn_half_life_days,
                    full_after=settings.learn_full_after)  # fmt: skip
    return Learner(EventLog(sessions.db), sessions, store, known, guards,
                   settings.retention_days, handoffs)  # fmt: skip


def build_embedder() -> Embedder:
    return MiniLMEmbedder()


def ensure_demo_catalog(settings: Settings, store: ItemStore, embedder: Embedder) -> None:
    """On an empty store, ingest the demo phones catalog (once; about 3 minutes on 2 cores); and
    its sample policy documents, when the demo catalog has none (a store made before they
    shipped gets them too)."""
    name = settings.default_catalog
    if name not in store.catalogs():
        print(f"First start: ingesting the demo catalog as {name!r}...", file=sys.stderr)
        report = ingest(settings.demo_catalog_path, name, store, embedder,
                        settings.demo_mapping_path)  # fmt: skip
        print(report.summary(), file=sys.stderr)
    is_demo = Path(store.manifest(name).source).name == settings.demo_catalog_path.name
    if is_demo and settings.demo_policies_path.is_dir() and not store.policies(name)[0]:
        print(ingest_policies(settings.demo_policies_path, name, store, embedder), file=sys.stderr)
