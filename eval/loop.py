"""Does the app learn from its own traffic? `python -m eval.loop [--quick] [--out BENCHMARKS.md]`

ReDial's 1,000 dev dialogues arrive one block after another (in the order of a hash of their
id). A block's cases (the seeker's words so far, ReDial's dev cases) are first ranked by the app
with the priors it has learned so far, as new sessions; then the block's dialogues are logged as
the app logs its shoppers (each dialogue a session; a movie named in it is a click, one the
seeker said they liked a like; and from the app's own answer to each case, its first ten as
shown and, among them, the movies the seeker went on to ask for as likes: what the app shows
feeds what it learns) and the Learner (bot/web/learning.py, with the app's default settings)
learns the priors again from the whole log. The no-learning line (no priors at all) is ranked
in the same run on the same cases. Per block: R@10 and novel R@10 (targets already named left
out) of the new sessions, and the popular share: of the first ten places, the share that goes to
the most popular tenth of the catalog (by mentions over all 1,000 dialogues, a fixed yardstick).
Tuned on nothing: the dev split only.
"""

import argparse
import copy
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from eval.bias import POPULAR
from eval.redial import (
    REDIAL,
    fold_of,
    interactions,
    messages,
    movie_ids,
    read_jsonl,
    recall,
)
from eval.report import figure_path, machine, write_section
from eval.simulate import ROOT, build

DEPTH = 50
EVENT = {"mention": "click", "like": "like"}  # ReDial's events as the app logs them


def rank(engine: Any, cases: list[tuple[int, dict]]) -> dict[str, list[str]]:
    """Each case as a new session's ranking, with the priors the engine has now."""
    out = {}
    for n, case in cases:
        pairs = [(m["role"], m["content"]) for m in messages(case)]
        history = engine.replay("redial", pairs)
        turn = engine.turn(copy.deepcopy(history), pairs[-1][1], DEPTH, ask=False)
        out[str(n)] = [i.id for i in turn.items]
    return out


def log_answers(events: Any, cases: list[dict], ranked: dict[str, list[str]],
                ids: dict[str, str]) -> None:  # fmt: skip
    """What a seeker does with the app's answer: the first ten shown, the wanted ones liked."""
    for n, case in enumerate(cases):
        shown = ranked[str(n)][:10]
        wanted = {ids[t] for t in case["rec"] if t in ids}
        events.record(case["dialog_id"], "redial", shown, "shown")
        events.record(case["dialog_id"], "redial", [i for i in shown if i in wanted], "like")


def popular_share(ranked: dict[str, list[str]], popular: set[str]) -> float:
    places = [i for ids in ranked.values() for i in ids[:10]]
    return sum(i in popular for i in places) / max(1, len(places))


def scores(cases: list[dict], ranked: dict[str, list[str]], ids: dict[str, str],
           popular: set[str]) -> tuple[float, float, float]:  # fmt: skip
    """R@10, novel R@10, popular share."""
    plain, _ = recall(cases, ranked, ids, novel=False)
    novel, _ = recall(cases, ranked, ids, novel=True)
    return plain[10], novel[10], popular_share(ranked, popular)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seen = [r["seen"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(seen, [r["learning"][0] for r in rows], marker="o", label="R@10, learning")
    ax.plot(seen, [r["none"][0] for r in rows], marker="o", ls="--", label="R@10, no learning")
    ax.set_xlabel("dialogues seen before the block")
    ax.set_ylabel("R@10 of the block's new sessions")
    share = ax.twinx()
    share.plot(seen, [r["learning"][2] for r in rows], color="grey", marker=".",
               label="popular share, learning")  # fmt: skip
    share.set_ylabel("popular share of the first ten places")
    share.set_ylim(0, 1)
    ax.set_title("Learning from the app's own log (ReDial dev)")
    fig.tight_layout()
    fig.subplots_adjust(bottom=0.24)
    fig.legend(loc="lower center", ncol=3, fontsize=7)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 blocks of 10 cases, a slice")
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--cases", type=int, default=100, help="new sessions ranked per block")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data")
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    if args.quick:
        args.blocks, args.cases = 3, 10
    from bot.settings import Settings
    from bot.web.database import Database
    from bot.web.handoffs import Handoffs
    from bot.web.sessions import Sessions
    from bot.wiring import build_learner
    from retrieval.interactions import Priors

    started = time.perf_counter()
    engine, store = build(args.data_dir, ["redial"], args.quick)
    ids = movie_ids()
    known = set(engine.vocabulary("redial").titles)
    dialogs = read_jsonl(REDIAL / "dev_dialogs.jsonl")
    mentions = Counter(e["item"] for e in interactions(dialogs) if e["item"] in known)
    popular = {i for i, _ in mentions.most_common(max(1, int(len(known) * POPULAR)))}
    by_block: dict[int, list[dict]] = {}
    for d in dialogs:
        by_block.setdefault(fold_of(str(d["conversationId"]), args.blocks), []).append(d)
    all_cases = read_jsonl(REDIAL / "dev_cases.jsonl")
    # the app starts with no priors at all: none from ingest, none learned
    store.save_priors("redial", Priors())
    store.save_priors("redial", Priors(), learned=True)
    engine.refresh()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        database = Database(Path(folder) / "events.db")
        learner = build_learner(
            Settings(data_dir=args.data_dir),
            store,
            lambda name: known,
            Sessions(database),
            Handoffs(database),
        )  # the app's guards
        plans = []
        for block in range(args.blocks):
            block_ids = {str(d["conversationId"]) for d in by_block.get(block, [])}
            cases = [c for c in all_cases if c["dialog_id"] in block_ids
                     and any(t in ids for t in c["rec"])][: args.cases]  # fmt: skip
            plans.append((block, cases))
        none = {b: rank(engine, list(enumerate(cases))) for b, cases in plans}  # no priors
        seen = 0
        for block, cases in plans:
            ranked = rank(engine, list(enumerate(cases)))
            rows.append({"block": block + 1, "seen": seen, "cases": len(cases),
                         "learning": scores(cases, ranked, ids, popular),
                         "none": scores(cases, none[block], ids, popular)})  # fmt: skip
            log_answers(learner.events, cases, ranked, ids)
            for e in interactions(by_block.get(block, [])):
                if e["item"] in known:
                    learner.events.record(e["session"], "redial", [e["item"]], EVENT[e["event"]])
            seen += len(by_block.get(block, []))
            priors = learner.learn("redial")
            engine.refresh()  # the new priors, as every app process reads them
            print(f"block {block + 1}: {rows[-1]}; then {priors.summary() if priors else '?'}",
                  flush=True)  # fmt: skip
    store.save_priors("redial", Priors(), learned=True)  # the bench store as it was
    text = report(rows, args)
    if args.out:
        plot(rows, figure_path(args.out, "loop.png"))
        text += "\n\n![R@10 and popular share against the dialogues seen](docs/loop.png)\n"
    print(text)
    print(f"{time.perf_counter() - started:.0f} s in all")
    if args.out:
        flags = " --quick" if args.quick else f" --blocks {args.blocks} --cases {args.cases}"
        command = "python -m eval.loop" + flags + " --out BENCHMARKS.md"
        write_section(args.out, "loop", text, command)


def report(rows: list[dict], args: argparse.Namespace) -> str:
    lines = ["| block | dialogues seen before | new sessions | R@10 learning | R@10 none | "
             "novel R@10 learning | novel R@10 none | popular share learning | popular share "
             "none |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        (a, an, ap), (b, bn, bp) = r["learning"], r["none"]
        lines.append(f"| {r['block']} | {r['seen']} | {r['cases']} | {a:.3f} | {b:.3f} | "
                     f"{an:.3f} | {bn:.3f} | {ap:.3f} | {bp:.3f} |")  # fmt: skip
    return (
        f"Machine: {machine()}. ReDial dev: {args.blocks} blocks of dialogues in turn, "
        f"up to {args.cases} of each block's cases ranked as new sessions before the block "
        "is logged and learned from (the app's Learner and default guards); the no-learning "
        "line in the same run on the same cases.\n\n" + "\n".join(lines)
    )


if __name__ == "__main__":
    main()
