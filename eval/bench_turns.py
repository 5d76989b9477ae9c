"""Whole chat turns with the default chat model: time to the first piece of the reply and to the
complete reply, p50 and p95, and the process's peak memory.

    python -m eval.bench_turns [--quick] [--dialogues 30] [--out BENCHMARKS.md]

The turns are real dialogues: the simulated shopper of eval/simulator.py (vague opener) talks to
the bot on the demo phones catalog, so questions, recommendations and "none of these" come in the
mix a real session has. Each turn runs as the app runs it: engine.turn, then stream_reply (the
template lead-in, the listing, the explanations; the model drafts only with drafts > 0).
"""

import argparse
import random
import resource
import statistics
import time
from pathlib import Path

from eval.report import machine, percentile, write_section
from eval.simulate import ROOT, build

TURNS = 5


def row(label: str, first: list[float], complete: list[float]) -> str:
    """A table row: how many turns, then p50 and p95 in ms to the first piece and to the end."""
    cells = [f"{v * 1000:.0f}" for times in (first, complete)
             for v in (statistics.median(times), percentile(times, 0.95))]  # fmt: skip
    return f"| {label} | {len(first)} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 dialogues")
    parser.add_argument("--dialogues", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data")
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    dialogues = 5 if args.quick else args.dialogues
    from bot.llm import build_chat_model
    from bot.settings import Settings
    from bot.state import DialogueState
    from eval.simulator import broad_category, opener, shopper

    engine, store = build(args.data_dir, ["phones"], args.quick)
    engine = engine.variant(chat=build_chat_model(Settings()))
    ids = sorted(store.titles("phones"))
    rng = random.Random(args.seed)
    targets = store.get("phones", rng.sample(ids, dialogues))
    timings: dict[str, tuple[list[float], list[float]]] = {}
    for _ in engine.stream_reply(engine.turn(DialogueState(catalog="phones"), "a phone")):
        pass  # the first generation pays for loading the model: not a turn anyone waits on twice
    for target in targets:
        user = shopper(target, broad_category(target, {}), "USD", random.Random(target.id))
        message = opener(broad_category(target, {}), rng)
        state = DialogueState(catalog="phones")
        for _ in range(TURNS):
            started = time.perf_counter()
            turn = engine.turn(state, message)
            first = None
            for _piece in engine.stream_reply(turn):
                first = first or time.perf_counter() - started
            complete = time.perf_counter() - started
            first_times, complete_times = timings.setdefault(turn.action, ([], []))
            first_times.append(first or complete)
            complete_times.append(complete)
            if target.id in {i.id for i in turn.items}:
                break
            message = user.reply(turn)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [row(action, first, complete) for action, (first, complete) in sorted(timings.items())]
    rows.append(row("**all turns**", [t for f, _ in timings.values() for t in f],
                    [t for _, c in timings.values() for t in c]))  # fmt: skip
    text = (
        f"Machine: {machine()}. {dialogues} simulated shoppers (vague opener) on the demo phones "
        f"catalog, up to {TURNS} turns each, default chat model (packaged SmolLM2-135M, CPU), "
        "models loaded and warmed by one turn first. Times in ms, from the message to the first "
        "piece of the reply and to the complete reply.\n\n"
        "| action | turns | first piece p50 | first piece p95 | complete p50 | complete p95 |\n"
        "|---|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n\n"
        f"Peak memory of the process (models, the phones catalog index, Chroma): "
        f"**{peak:.0f} MiB** RSS.\n"
    )
    print(text)
    if args.out:
        command = "python -m eval.bench_turns" + (" --quick" if args.quick else "")
        write_section(args.out, "bench_turns", text, command)


if __name__ == "__main__":
    main()
