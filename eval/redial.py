"""ReDial offline benchmark: Recall@1/10/50 over all 6,583 movies, through `concierge rank`.

    python -m eval.redial [--quick] [--folds 10] [--out BENCHMARKS.md]

Data: ../shared/data/redial (the dev split: 2,716 cases from 1,000 dialogues). Interaction priors
are learned from dev_dialogs.jsonl by cross-fitting: the dialogues are split into folds by
dialogue id, and each fold's cases are ranked with priors learned from the other folds only, so
no case is ranked with anything learned from its own dialogue.

Two forms per (case, target) pair: "standard" (the ranking as it is), and "novel" (targets
already named in the context dropped, and the items named in the context removed from the
ranking). The baselines, measured in the same run: the last two utterances as a query over the
item texts, embedded with all-MiniLM-L6-v2 (cosine) and as BM25 terms.
"""

import argparse
import copy
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from eval.report import figure_path, machine, write_section
from eval.samples import QUICK_CASES, movie_slice, sample_cases

ROOT = Path(__file__).resolve().parent.parent
REDIAL = Path(os.environ.get("CONCIERGE_SHARED_DIR", ROOT.parent / "shared")) / "data/redial"
CUTOFFS = (1, 10, 50)
DEPTH = 100  # ranked items asked for: enough for R@50 after removing named items
THETAS = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
PUBLISHED = "UniCRS .050 / .215 / .413; KBRD .028 / .169 / .366; GPT-4 zero-shot R@10 ≈ .19"


def movie_catalog(data_dir: Path, quick: bool) -> Path:
    """The ReDial catalog file to ingest: the whole one, or with `quick` its slice, kept beside
    the store it goes into."""
    if not quick:
        return REDIAL / "catalog.json"
    cases = REDIAL / "dev_cases.jsonl"
    return movie_slice(REDIAL / "catalog.json", cases, data_dir / "quick-redial.json")


def fold_of(dialog_id: str, folds: int) -> int:
    return zlib.crc32(dialog_id.encode()) % folds


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def interactions(dialogs: Iterable[dict]) -> Iterable[dict]:
    """Events from ReDial dialogues: each movie mention, and a like where the seeker said so."""
    for dialog in dialogs:
        session = str(dialog["conversationId"])
        for order, message in enumerate(dialog["messages"]):
            for movie in re.findall(r"@(\d+)", message["text"]):
                yield {"session": session, "item": movie, "event": "mention", "order": order}
        answers = dialog.get("initiatorQuestions")
        for movie, answer in (answers if isinstance(answers, dict) else {}).items():
            if isinstance(answer, dict) and answer.get("liked") == 1:
                yield {"session": session, "item": movie, "event": "like", "order": 0}


def movie_ids() -> dict[str, str]:
    """ReDial names movies "Title (Year)": the catalog id of each name (the first, if repeated)."""
    catalog = json.loads((REDIAL / "catalog.json").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for item_id, record in catalog.items():
        out.setdefault(record["name"], item_id)
    return out


def fold_events(
    cases: list[dict], dialogs: list[dict], folds: int, work: Path
) -> Iterator[tuple[list[tuple[int, dict]], int, Path]]:
    """Per fold: its (number, case) pairs, how many dialogues the others hold, and a file of
    the events in those (the fold's priors are learned from it)."""
    for fold in range(folds):
        todo = [(n, c) for n, c in enumerate(cases) if fold_of(c["dialog_id"], folds) == fold]
        if not todo:
            continue
        train = [d for d in dialogs if fold_of(str(d["conversationId"]), folds) != fold]
        events = work / f"interactions-{fold}.jsonl"
        events.write_text("".join(json.dumps(e) + "\n" for e in interactions(train)))
        yield todo, len(train), events


def messages(case: dict) -> list[dict]:
    """The context as chat messages: it ends with the seeker (user); roles alternate back."""
    context = case["context"]
    out = []
    for n, text in enumerate(context):
        role = "user" if (len(context) - 1 - n) % 2 == 0 else "assistant"
        if text.strip():
            out.append({"role": role, "content": text})
    return out


def named_items(case: dict, ids_by_name: dict[str, str]) -> set[str]:
    """Items named anywhere in the context (ReDial writes them as "Title (Year)")."""
    text = " ".join(case["context"])
    return {ids_by_name[e] for e in case["entity"] if e in ids_by_name and e in text}


def recall(
    cases: list[dict], ranked: dict[str, list[str]], ids_by_name: dict[str, str], novel: bool
) -> tuple[dict[int, float], int]:
    hits = dict.fromkeys(CUTOFFS, 0)
    pairs = 0
    for n, case in enumerate(cases):
        named = named_items(case, ids_by_name) if novel else set()
        ranking = [i for i in ranked.get(str(n), []) if i not in named]
        for target in case["rec"]:
            item = ids_by_name.get(target)
            if item is None or item in named:
                continue
            pairs += 1
            for cut in CUTOFFS:
                hits[cut] += item in ranking[:cut]
    return {cut: hits[cut] / max(pairs, 1) for cut in CUTOFFS}, pairs


def concierge(*args: str, env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "bot.cli", *args]
    out = subprocess.run(command, env=env, cwd=ROOT, text=True, capture_output=True)
    if out.returncode:
        raise RuntimeError(f"concierge {args[0]} failed:\n{out.stderr[-2000:]}")
    return out.stdout


def ablation_rows() -> list[tuple[str, Any]]:
    from dataclasses import replace

    from retrieval.candidates import Weights

    full = Weights()
    dense = replace(full, lexical=0, popularity=0, co=0, liked=0, disliked=0, matched=0,
                    shared=0, fields=False)  # fmt: skip
    priors = replace(full, fields=False, matched=0, shared=0)
    return [
        ("dense only (whole need vs item vector)", dense),
        ("+ lexical (BM25)", replace(dense, lexical=full.lexical)),
        ("+ priors and neighbours of liked items", priors),
        ("+ facet values shared with liked items", replace(priors, shared=full.shared)),
        ("+ attention rerank (field keys, need parts, values matched) = Concierge", Weights()),
    ]


def use_priors(engine: Any, events: Path) -> None:
    """Learn priors from a fold's events and have the engine rank with them (in-process, what
    `concierge ingest --interactions` does)."""
    from retrieval.interactions import learn_priors

    known = set(engine.vocabulary("redial").titles)
    engine.store.save_priors("redial", learn_priors(events, known))
    engine.refresh()  # the new priors' stamp: read them again
    engine.warm("redial")


class Ablation:
    """The same cases ranked in-process under each row's weights, fold by fold."""

    def __init__(self, data_dir: Path, catalog: Path) -> None:
        from bot.settings import Settings
        from bot.wiring import build_embedder, build_engine, build_store
        from retrieval.ingest import ingest

        settings = Settings(data_dir=data_dir)
        embedder = build_embedder()
        store = build_store(settings)
        ingest(catalog, "redial", store, embedder, progress=False)
        # as the app builds it; its cache embeds the rows' shared need texts once
        self.engine = build_engine(settings, store, embedder, chat=False)
        # each row's engine, sharing what was read of the catalog
        self.rows = [(name, self.engine.variant(weights=w)) for name, w in ablation_rows()]
        self.ranked: dict[str, dict[str, list[str]]] = {name: {} for name, _ in self.rows}
        self.weights: dict[str, list[float]] = {}  # the full system's w per ranked item

    def fold(self, todo: list[tuple[int, dict]], events: Path) -> list[dict]:
        """Rank the fold's cases under every row, with priors learned from `events`; the last
        row's lines as `concierge rank` writes them (ids, policy, ms)."""
        engine = self.engine
        use_priors(engine, events)
        lines = []
        for n, case in todo:
            pairs = [(m["role"], m["content"]) for m in messages(case)]
            history = engine.replay("redial", pairs)  # the same for every row
            # Concierge (the last row) first, so that its time includes embedding the need's
            # texts, as a new message does; the other rows find them cached.
            for name, variant in [self.rows[-1], *self.rows[:-1]]:
                started = time.perf_counter()
                turn = variant.turn(copy.deepcopy(history), pairs[-1][1], DEPTH, ask=False)
                ms = round((time.perf_counter() - started) * 1000, 1)
                self.ranked[name][str(n)] = [i.id for i in turn.items]
                if name == self.rows[-1][0]:
                    self.weights[str(n)] = [i.weight for i in turn.items]
                    lines.append({"id": str(n), "items": self.ranked[name][str(n)], "ms": ms,
                                  "policy": "ask" if turn.would_ask else turn.action})  # fmt: skip
        return lines


def theta_sweep(
    cases: list[dict], ablation: Ablation, ids_by_name: dict[str, str], name: str
) -> list[tuple[float, float, float, float]]:
    """(θ, R@10, novel R@10, mean items kept of the top 10) for θ over a grid."""
    full = ablation.ranked[name]
    out = []
    for theta in THETAS:
        cut = {
            n: [
                i
                for i, w in zip(items, ablation.weights[n], strict=True)
                if theta == 0 or w > theta
            ][:10]
            or items[:3]  # nothing passes: the closest three, as the engine shows them
            for n, items in full.items()
        }
        kept = sum(len(v) for v in cut.values()) / max(len(cut), 1)
        std = recall(cases, cut, ids_by_name, False)[0]
        nov = recall(cases, cut, ids_by_name, True)[0]
        out.append((theta, std[10], nov[10], kept))
    return out


def plot_sweep(sweep: list[tuple[float, float, float, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120)
    thetas = [s[0] for s in sweep]
    ax.plot(thetas, [s[1] for s in sweep], marker="o", label="R@10")
    ax.plot(thetas, [s[2] for s in sweep], marker="o", label="novel R@10")
    ax.set_xlabel("θ")
    ax.set_ylabel("recall@10 (ReDial dev)")
    other = ax.twinx()
    other.plot(thetas, [s[3] for s in sweep], color="grey", linestyle="--", label="items kept")
    other.set_ylabel("items kept of 10")
    fig.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)


def run_folds(
    cases: list[dict], dialogs: list[dict], folds: int, env: dict[str, str], work: Path,
    log: Callable[[str], None], catalog: Path, ablation: Ablation | None = None,
) -> tuple[dict[str, list[str]], list[dict]]:  # fmt: skip
    """Rank every case through `concierge rank`, each with priors from the other folds; the
    catalog file is ingested (once: ingest is idempotent)."""
    ranked: dict[str, list[str]] = {}
    lines: list[dict] = []
    for fold, (todo, trained, events) in enumerate(fold_events(cases, dialogs, folds, work)):
        if ablation is not None:  # in-process: the same replay and turn as `concierge rank`
            lines += ablation.fold(todo, events)
        else:
            concierge("ingest", str(catalog), "--catalog", "redial",
                      "--interactions", str(events), env=env)  # fmt: skip
            queries = work / f"cases-{fold}.jsonl"
            queries.write_text(
                "".join(json.dumps({"id": str(n), "messages": messages(c)}) + "\n" for n, c in todo)
            )
            out = concierge("rank", "--catalog", "redial", "--input", str(queries), "--k",
                            str(DEPTH), env=env)  # fmt: skip
            lines += [json.loads(line) for line in out.splitlines()]
        ranked |= {row["id"]: row["items"] for row in lines}
        log(f"fold {fold + 1}/{folds}: {len(todo)} cases, priors from {trained} dialogues")
    return ranked, lines


def baselines(cases: list[dict], data_dir: Path) -> dict[str, dict[str, list[str]]]:
    """The last two utterances as a query over the item texts, no filters, no dialogue state:
    embedded with MiniLM (cosine), and as BM25 terms."""
    from retrieval.embed import MiniLMEmbedder
    from retrieval.lexical import LexicalIndex
    from retrieval.store import ItemStore, make_client

    embedder = MiniLMEmbedder()
    store = ItemStore(make_client(data_dir))
    texts = [" ".join(c["context"][-2:]) for c in cases]
    vectors = embedder.embed(texts)
    rows = list(store.rows("redial"))
    lexical = LexicalIndex([r.id for r in rows], [r.text for r in rows])
    return {
        "baseline: MiniLM, last two utterances": {
            str(n): store.ids("redial", DEPTH, v, None) for n, v in enumerate(vectors)
        },
        "baseline: BM25, last two utterances": {
            str(n): lexical.top(lexical.scores(t), DEPTH) for n, t in enumerate(texts)
        },
    }


def table(rows: list[tuple[str, dict[int, float], dict[int, float]]]) -> str:
    out = ["| system | R@1 | R@10 | R@50 | novel R@1 | novel R@10 | novel R@50 |",
           "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name, std, nov in rows:
        cells = [f"{std[c]:.3f}" for c in CUTOFFS] + [f"{nov[c]:.3f}" for c in CUTOFFS]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES} cases, 2 folds")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--cases", type=int, default=0, help="a seeded sample of the dev cases")
    parser.add_argument("--rest", type=int, default=0, metavar="N",
                        help="the dev cases outside the seeded sample of N")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep the catalog in this store (default: a fresh one)")  # fmt: skip
    parser.add_argument(
        "--ablation", action="store_true", help="also rank in-process per ablation row; sweep θ"
    )
    args = parser.parse_args(argv)
    if not (REDIAL / "dev_cases.jsonl").exists():
        sys.exit(f"ReDial data not found under {REDIAL}: this benchmark needs ../shared")
    cases = read_jsonl(REDIAL / "dev_cases.jsonl")
    dialogs = read_jsonl(REDIAL / "dev_dialogs.jsonl")
    folds = 2 if args.quick else args.folds
    if args.quick or args.cases:
        cases = sample_cases(cases, args.cases or QUICK_CASES)
    elif args.rest:
        sample = {id(c) for c in sample_cases(cases, args.rest)}
        cases = [c for c in cases if id(c) not in sample]
    ids_by_name = movie_ids()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = args.data_dir or work / "data"
        env = {**os.environ, "CONCIERGE_DATA_DIR": str(data)}
        env.setdefault("CONCIERGE_MODEL_CACHE_DIR", str(ROOT / ".concierge/models"))
        catalog = movie_catalog(data, args.quick)
        ablation = Ablation(data, catalog) if args.ablation else None
        log = functools.partial(print, flush=True)
        ranked, lines = run_folds(cases, dialogs, folds, env, work, log, catalog, ablation)
        bases = baselines(cases, data)
    rows = [
        (name, recall(cases, r, ids_by_name, False)[0], recall(cases, r, ids_by_name, True)[0])
        for name, r in {
            f"Concierge ({'in-process, as ' if ablation else ''}`concierge rank`)": ranked,
            **bases,
        }.items()
    ]
    pairs, novel_pairs = (
        recall(cases, ranked, ids_by_name, False)[1],
        recall(cases, ranked, ids_by_name, True)[1],
    )
    asks = sum(line["policy"] == "ask" for line in lines) / max(len(lines), 1)
    ms = sorted(line["ms"] for line in lines)
    p50, p95 = statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]
    text = (
        f"Machine: {machine()}. {len(cases):,} cases ({pairs:,} case-target pairs; "
        f"{novel_pairs:,} novel), {folds}-fold cross-fitting by dialogue id for the priors; "
        f"{time.perf_counter() - started:.0f} s in all.\n\n{table(rows)}\n\n"
        f"Published (standard protocol): {PUBLISHED}.\n\n"
        f"At the last turn of each case the policy would **ask** a question in "
        f"{asks:.1%} of cases (recommend otherwise). Turn latency without explanations "
        f"(understanding + retrieval + policy, timed inside `concierge rank`): "
        f"p50 **{p50:.0f} ms**, p95 **{p95:.0f} ms**.\n"
    )
    if ablation is not None:
        figure = figure_path(args.out, "theta-sweep.png")
        text += "\n" + ablation_text(cases, ablation, ids_by_name, figure)
    print(text)
    if args.out:
        numbers = [("cases", args.cases), ("rest", args.rest)]
        flags = " --quick" if args.quick else ""
        flags += "".join(f" --{name} {value}" for name, value in numbers if value)
        flags += " --ablation" if args.ablation else ""
        write_section(args.out, "redial", text, "python -m eval.redial" + flags)


def ablation_text(
    cases: list[dict], ablation: Ablation, ids_by_name: dict[str, str], figure: Path
) -> str:
    rows = [
        (name, recall(cases, r, ids_by_name, False)[0], recall(cases, r, ids_by_name, True)[0])
        for name, r in ablation.ranked.items()
    ]
    full = ablation.rows[-1][0]
    sweep = theta_sweep(cases, ablation, ids_by_name, full)
    plot_sweep(sweep, figure)
    lines = "\n".join(f"| {t:g} | {s:.3f} | {n:.3f} | {k:.1f} |" for t, s, n, k in sweep)
    return (
        "Ablation, every row ranked in-process on the same cases and folds in this run (the last "
        "row is Concierge as above):\n\n"
        f"{table(rows)}\n\n"
        "θ sweep (the last row; τ = 0.1; the ranking does not depend on θ, only how many of the "
        "top 10 are kept; when none pass, the closest three are shown):\n\n"
        "| θ | R@10 | novel R@10 | items kept of 10 |\n|---:|---:|---:|---:|\n"
        f"{lines}\n\n![θ sweep](docs/theta-sweep.png)\n"
    )


if __name__ == "__main__":
    main()
