"""The `concierge` command: ingest, rank, chat, serve. User errors print one line and exit 2."""

import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.settings import Settings
from bot.wiring import offline_environment
from retrieval.errors import ConciergeError

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True)


@cli.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="CSV, TSV, JSON, JSONL or Parquet file")],
    catalog: Annotated[str, typer.Option(help="name to ingest it under")],
    mapping: Annotated[Path | None, typer.Option(help="YAML field mapping")] = None,
    prune: Annotated[bool, typer.Option(help="remove items no longer in the file")] = False,
    interactions: Annotated[
        Path | None, typer.Option(help="events {session, item, event}: learned into priors")
    ] = None,
) -> None:
    """Load a catalog into the store (idempotent: unchanged items are not re-embedded)."""
    from bot.wiring import build_embedder, build_store
    from retrieval.catalog import load_catalog
    from retrieval.ingest import ingest_catalog
    from retrieval.interactions import learn_priors
    from retrieval.store import check_name

    check_name(catalog)
    loaded = load_catalog(path, mapping)  # an unreadable file fails before any model loads
    priors = learn_priors(interactions, {i.id for i in loaded.items}) if interactions else None
    settings = Settings()
    store = build_store(settings)
    report = ingest_catalog(loaded, path, catalog, store, build_embedder(), prune)
    print(report.summary())
    if priors is not None:
        store.save_priors(catalog, priors)
        print(priors.summary())


@cli.command()
def policies(
    folder: Annotated[Path, typer.Argument(help="a folder of Markdown policy documents")],
    catalog: Annotated[str, typer.Option(help="the catalog they belong to")],
) -> None:
    """Load a store's policy documents (shipping, returns, warranty...) for the support desk;
    replaces the catalog's earlier ones."""
    from bot.wiring import build_embedder, build_store
    from retrieval.policies import ingest_policies, read_policies

    read_policies(folder)  # unreadable documents fail before any model loads
    print(ingest_policies(folder, catalog, build_store(Settings()), build_embedder()))


@cli.command("export-interactions")
def export_interactions(
    catalog: Annotated[str, typer.Option(help="an ingested catalog")],
    out: Annotated[Path, typer.Option(help="JSONL file to write")],
) -> None:
    """Write the app's logged feedback (shown, click, like, dislike) as an interactions file,
    for `concierge ingest ... --interactions`."""
    from bot.web.sessions import EventLog
    from bot.wiring import build_database

    text = EventLog(build_database(Settings())).export_jsonl(catalog)
    out.write_text(text, encoding="utf-8")
    print(f"{text.count(chr(10))} events for {catalog} written to {out}")


@cli.command()
def learn(catalog: Annotated[str, typer.Option(help="an ingested catalog")]) -> None:
    """Learn the catalog's priors from the app's event log now (the app does it in the
    background every CONCIERGE_LEARN_EVERY_SECONDS); running apps read them within a poll."""
    from bot.web.handoffs import Handoffs
    from bot.web.sessions import Sessions
    from bot.wiring import build_database, build_learner, build_store

    settings = Settings()
    store = build_store(settings)
    store.manifest(catalog)  # an unknown catalog fails here, with the known ones
    database = build_database(settings)
    learner = build_learner(settings, store, lambda name: set(store.titles(name)),
                            Sessions(database), Handoffs(database))  # fmt: skip
    priors = learner.learn(catalog)
    if priors is None:
        raise ConciergeError(f"the event log cannot be read: {database.error}")
    print(f"{catalog}: {priors.summary()}")


@cli.command("export-handoffs")
def export_handoffs(
    out: Annotated[Path, typer.Option(help="JSONL file to write")],
    since: Annotated[float, typer.Option(help="only those after this time (epoch seconds)")] = 0,
) -> None:
    """Write the handoffs to a person (summary, need, last messages), oldest first."""
    from bot.web.handoffs import Handoffs
    from bot.wiring import build_database

    rows = Handoffs(build_database(Settings())).since(since)
    out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    print(f"{len(rows)} handoffs written to {out}")


@cli.command()
def rank(
    catalog: Annotated[str, typer.Option(help="an ingested catalog")],
    input: Annotated[Path, typer.Option("--input", help="JSONL: {id, text} or {id, messages}")],
    k: Annotated[int, typer.Option(min=1, max=1000)] = 10,
) -> None:
    """Rank items for each input line; writes {id, items} JSONL to stdout, best first.

    Each line also says what the chat policy would do at that turn ("policy": ask or
    recommend) and how long understanding and retrieval took ("ms")."""
    from bot.wiring import build_embedder, build_engine, build_store

    if not input.exists():
        raise ConciergeError(f"input file not found: {input}")
    settings = Settings()
    store = build_store(settings)
    store.manifest(catalog)  # an unknown catalog fails before the model loads
    engine = build_engine(settings, store, build_embedder(), chat=False)
    engine.warm(catalog)  # before the timing starts
    for number, line in enumerate(input.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        case_id: Any = None
        try:
            case = json.loads(line)
            case_id = case.get("id")
            messages = _messages(case)
        except (json.JSONDecodeError, AttributeError, ValueError) as err:
            print(f"line {number}: skipped ({err})", file=sys.stderr)
            print(json.dumps({"id": case_id, "items": [], "error": str(err)}), flush=True)
            continue
        state = engine.replay(catalog, messages)
        started = time.perf_counter()
        turn = engine.turn(state, messages[-1][1], k, ask=False)
        ms = round((time.perf_counter() - started) * 1000, 1)
        policy = "ask" if turn.would_ask else turn.action
        ranked = {"id": case_id, "items": [i.id for i in turn.items], "policy": policy, "ms": ms}
        print(json.dumps(ranked), flush=True)


def _messages(case: dict) -> list[tuple[str, str]]:
    if "messages" in case:
        pairs = [(str(m["role"]), str(m["content"])) for m in case["messages"]]
        users = [p for p in pairs if p[0] == "user"]
        if not users:
            raise ValueError("no user message")
        # Rank for the last user message, with everything before it as context.
        last = max(i for i, p in enumerate(pairs) if p[0] == "user")
        return pairs[: last + 1]
    if "text" in case:
        return [("user", str(case["text"]))]
    raise ValueError("a line needs 'text' or 'messages'")


@cli.command()
def chat(catalog: Annotated[str | None, typer.Option(help="an ingested catalog")] = None) -> None:
    """Chat in the terminal."""
    from bot.state import DialogueState
    from bot.wiring import build_embedder, build_engine, build_store

    settings = Settings()
    store = build_store(settings)
    name = catalog or settings.default_catalog
    store.manifest(name)
    engine = build_engine(settings, store, build_embedder(), chat=True)
    state = DialogueState(catalog=name)
    print(f"Chatting about the {name!r} catalog. Ctrl-D or 'quit' to leave.")
    while True:
        try:
            message = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if message.strip().lower() in {"quit", "exit"}:
            return
        print("bot> ", end="")
        for piece in terminal_pieces(engine.stream_reply(engine.turn(state, message))):
            print(piece, end="", flush=True)
        print()


def terminal_pieces(drafts: Iterable[str]) -> Iterator[str]:
    """What to print for a growing reply: the new tail of each draft, or, when a draft was
    replaced (a lead-in that failed its check), the replacement on a fresh line."""
    printed = ""
    for draft in drafts:
        if draft.startswith(printed):
            yield draft[len(printed) :]
        else:
            yield "\n     " + draft
        printed = draft


evaluate = typer.Typer(no_args_is_help=True, help="Benchmarks on the ReDial dev split and the "
                       "simulated user (flags: see --help of each)")  # fmt: skip
cli.add_typer(evaluate, name="eval")
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def _run_benchmark(module: str, args: list[str]) -> None:
    """Run a benchmark script of eval/ in its own process: the product never imports eval/,
    which ships with the source tree, not the package."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    if not (root / "eval" / f"{module}.py").exists():
        raise ConciergeError(f"eval/{module}.py not found: benchmarks run from a source checkout")
    raise SystemExit(subprocess.call([sys.executable, "-m", f"eval.{module}", *args], cwd=root))


@evaluate.command(context_settings=PASS_THROUGH)
def offline(ctx: typer.Context) -> None:
    """ReDial dev split through `concierge rank`, with the baselines (python -m eval.redial)."""
    _run_benchmark("redial", ctx.args)


@evaluate.command(context_settings=PASS_THROUGH)
def simulate(ctx: typer.Context) -> None:
    """The simulated user on ReDial and the product catalogs (python -m eval.simulate)."""
    _run_benchmark("simulate", ctx.args)


@cli.command()
def serve(
    workers: Annotated[int, typer.Option(min=1, max=64, help="app processes")] = 1,
) -> None:
    """Serve the web app and API (one worker: the same as python app.py). Several workers
    serve behind one address (CONCIERGE_HOST and _PORT) and share the Chroma server
    (CONCIERGE_CHROMA_HOST) and the database (CONCIERGE_DATABASE_URL)."""
    from bot.serve import check_shared
    from bot.serve import serve as run

    if workers == 1:
        import app

        return app.main()
    settings = Settings()
    check_shared(workers, settings.chroma_host)
    run(settings.host, settings.port, workers, settings.data_dir)


@cli.command("prepare-models")
def prepare_models() -> None:
    """Convert the packaged chat model from its GGUF file and keep its int8 weights in the model
    cache, once (`make run` does it after installing): the app's first start then converts
    nothing while it serves, and holds about 0.5 GB less at its peak."""
    settings = Settings()
    if settings.resolved_llm_provider == "openai" or settings.llm_model:
        print("nothing to prepare: the chat model is configured (CONCIERGE_LLM_*)")
        return
    from bot.llm import kept_int8_path, load_causal_lm, packaged_model_dir
    from bot.settings import resolved_precision

    started = time.perf_counter()
    folder = packaged_model_dir(settings.models_dir, settings.llm_precision)  # keeps int8 too
    if resolved_precision(settings.llm_precision) == "int8" and not kept_int8_path(folder).exists():
        load_causal_lm(str(folder), "int8", keep_int8=True)  # converted before, in float32
    print(f"the packaged chat model is ready in {folder} ({time.perf_counter() - started:.0f} s)")


@cli.command(context_settings=PASS_THROUGH)
def bench(ctx: typer.Context) -> None:
    """Regenerate every figure in BENCHMARKS.md; --quick: a small sample (python -m eval.bench)."""
    _run_benchmark("bench", ctx.args)


def main() -> None:
    offline_environment()
    try:
        cli()
    except ConciergeError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
