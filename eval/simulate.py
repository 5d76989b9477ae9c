"""`concierge eval simulate`: the bot talks with a simulated user who knows a hidden target.

    python -m eval.simulate [--quick] [--cases N] [--targets N] [--out BENCHMARKS.md]

- ReDial (iEvaLM's "attribute" mode): each dev case's context is replayed, then for up to 5
  turns the bot asks or recommends and `eval.simulator.movie_user` answers. A dialogue ends when
  a target is in a recommended list of 50 (iEvaLM's recommender lists 50). Recall@1/10/50 per
  (case, target) of the bot's ranking after each turn; success rate; average turns. Priors are
  cross-fitted as in eval/redial.py (10 folds by dialogue id).
- Products (the demo phones and IKEA catalogs, shipped in data/): seeded random targets;
  `eval.simulator.shopper` opens with the target's category (or only its broad category: the
  "vague" opener) and answers; `natural_shopper` opens in everyday words and never names a
  category (the "natural" opener); success@5 within 5 turns and the average number of turns. The
  retrieval ablation of the retrieval issue runs here too, every row on the same targets.
"""

import argparse
import copy
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.redial import (
    REDIAL,
    fold_events,
    messages,
    movie_catalog,
    movie_ids,
    read_jsonl,
    use_priors,
)
from eval.report import figure_path, machine, write_section
from eval.samples import sample_cases

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.state import DialogueState
    from eval.simulator import SimulatedUser

ROOT = Path(__file__).resolve().parent.parent
SHARED_CATALOGS = REDIAL.parent / "catalogs"
TURNS = 5
CUTOFFS = (1, 10, 50)
MOVIE_LIST = 50  # iEvaLM's recommender lists 50 movies; success is a target among them
SHOP_LIST = 5  # success@5
PUBLISHED = "ChatGPT in iEvaLM's attribute mode (5 turns): R@1 .191, R@10 .536"
PRODUCTS = {  # name -> (file, mapping) in data/, or a file of ../shared (no mapping)
    "phones": ("bestbuy_phones.json", "mappings/bestbuy_phones.yaml"),
    "ikea": ("ikea_sa.csv", "mappings/ikea_sa.yaml"),
    "myntra": (str(SHARED_CATALOGS / "myntra.csv"), None),
}
# Catalogs the request sets also read (eval/natural.py), beyond the simulator's shops.
CATALOGS = {
    **PRODUCTS,
    "amazon_in": (str(SHARED_CATALOGS / "amazon_in.csv"), None),
    "bigbasket": (str(SHARED_CATALOGS / "bigbasket.csv"), "mappings/bigbasket.yaml"),
}


@dataclass
class Dialogue:
    rankings: list[list[str]]  # the bot's ranking after each turn; the last one carried on
    success: int | None  # the turn at which a target was in a recommended list
    questions: int
    said: list[str]  # the simulated user's messages after the first
    shown: list[list[str]] = field(default_factory=list)  # each recommendation's items


def talk(
    engine: "Engine",
    state: "DialogueState",
    first: str,
    user: "SimulatedUser",
    targets: set[str],
    listed: int,
    turns: int = TURNS,
) -> Dialogue:
    """Up to `turns` bot turns; ends when a recommendation lists a target in its top `listed`."""
    message, rankings, questions, shown = first, [], 0, []
    for n in range(1, turns + 1):
        turn = engine.turn(state, message, listed)
        rankings.append(turn.ranking)
        questions += turn.action == "ask"
        if turn.action == "recommend":
            shown.append([i.id for i in turn.items])
        if turn.action == "recommend" and targets & {i.id for i in turn.items}:
            return Dialogue(rankings + [turn.ranking] * (turns - n), n, questions, user.said,
                            shown)  # fmt: skip
        message = user.reply(turn)
    return Dialogue(rankings, None, questions, user.said, shown)


@dataclass(frozen=True)
class Config:
    name: str
    max_questions: int = 2
    weights: Any = None  # retrieval.candidates.Weights; None: the default
    diversity: float | None = None  # a client's variety setting; None: the engine's default


def configured(engine: "Engine", config: Config) -> "Engine":
    """The engine under a config's question cap and weights (sharing what it has read)."""
    from retrieval.candidates import Weights

    return engine.variant(max_questions=config.max_questions, weights=config.weights or Weights())


# ReDial ----------------------------------------------------------------------------------------
def redial_configs() -> list[Config]:
    return [Config("Concierge (asks at most 2 questions, the default)"),
            Config("Concierge, never asks", max_questions=0)]  # fmt: skip


def simulate_redial(
    engine: "Engine", store: Any, cases: list[dict], folds: int, seed: int,
    log: Callable[[str], None], configs: Sequence[Config] = (),
) -> dict[str, list[tuple[list[str], Dialogue]]]:  # fmt: skip
    """Each config's (targets, dialogue) per case, priors cross-fitted by dialogue id."""
    ids_by_name = movie_ids()
    dialogs = read_jsonl(REDIAL / "dev_dialogs.jsonl")
    configs = configs or redial_configs()
    out: dict[str, list[tuple[list[str], Dialogue]]] = {c.name: [] for c in configs}
    variants = [(c, configured(engine, c)) for c in configs]
    with tempfile.TemporaryDirectory() as tmp:
        for fold, (todo, _, events) in enumerate(fold_events(cases, dialogs, folds, Path(tmp))):
            use_priors(engine, events)
            for n, case in todo:
                targets = [ids_by_name[t] for t in case["rec"] if t in ids_by_name]
                if not targets:
                    continue
                pairs = [(m["role"], m["content"]) for m in messages(case)]
                history = engine.replay("redial", pairs)
                items = store.get("redial", targets)
                for config, variant in variants:
                    user = movie_user_for(items, seed, n)
                    state = copy.deepcopy(history)
                    state.diversity = config.diversity
                    dialogue = talk(variant, state, pairs[-1][1], user, set(targets), MOVIE_LIST)
                    out[config.name].append((targets, dialogue))
            log(f"fold {fold + 1}/{folds}: {len(todo)} cases")
    return out


def movie_user_for(items: Sequence[Any], seed: int, case: int) -> "SimulatedUser":
    from eval.simulator import movie_user

    return movie_user(items, random.Random(f"{seed}-{case}"))


def recall_by_turn(runs: list[tuple[list[str], Dialogue]]) -> list[dict[int, float]]:
    """Recall@k per (case, target) of the ranking after each turn."""
    out = []
    for t in range(TURNS):
        hits = dict.fromkeys(CUTOFFS, 0)
        pairs = 0
        for targets, dialogue in runs:
            ranking = dialogue.rankings[min(t, len(dialogue.rankings) - 1)]
            for target in targets:
                pairs += 1
                for cut in CUTOFFS:
                    hits[cut] += target in ranking[:cut]
        out.append({cut: hits[cut] / max(pairs, 1) for cut in CUTOFFS})
    return out


def summary(dialogues: Sequence[Dialogue]) -> tuple[float, float, float, float]:
    """(success rate, mean turns of the successes, mean turns of all with a failure counted as
    the turn limit, mean questions asked)."""
    won = [d.success for d in dialogues if d.success]
    every = [d.success or TURNS for d in dialogues]
    return (len(won) / max(len(dialogues), 1), statistics.fmean(won) if won else 0.0,
            statistics.fmean(every) if every else 0.0,
            statistics.fmean(d.questions for d in dialogues) if dialogues else 0.0)  # fmt: skip


def redial_text(runs: dict[str, list[tuple[list[str], Dialogue]]], cases: int, folds: int) -> str:
    rows = []
    for name, pairs in runs.items():
        final = recall_by_turn(pairs)[-1]
        won, turns_won, turns_all, asked = summary([d for _, d in pairs])
        rows.append(f"| {name} | {final[1]:.3f} | {final[10]:.3f} | {final[50]:.3f} | {won:.3f} "
                    f"| {turns_won:.2f} | {turns_all:.2f} | {asked:.2f} |")  # fmt: skip
    default = next(iter(runs))
    per_turn = recall_by_turn(runs[default])
    dialogues = [d for _, d in runs[default]]
    turn_rows = [
        f"| {t + 1} | {r[1]:.3f} | {r[10]:.3f} | {r[50]:.3f} | "
        f"{sum(1 for d in dialogues if d.success and d.success <= t + 1) / len(dialogues):.3f} |"
        for t, r in enumerate(per_turn)
    ]
    pair_count = sum(len(targets) for targets, _ in runs[default])
    return (
        f"{cases:,} dev cases with a target in the catalog ({pair_count:,} case-target pairs), "
        f"{folds}-fold cross-fitted priors, up to {TURNS} turns; success: a target in a "
        f"recommended list of {MOVIE_LIST}. Recall is of the bot's ranking after the last turn.\n\n"
        "| system | R@1 | R@10 | R@50 | success | turns (successes) | turns (all; failure = 5) "
        "| questions asked |\n|---|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) +
        f"\n\nPublished: {PUBLISHED}.\n\nAfter each turn ({default}):\n\n"
        "| after turn | R@1 | R@10 | R@50 | success so far |\n|---:|---:|---:|---:|---:|\n"
        + "\n".join(turn_rows) + "\n"
    )  # fmt: skip


# Products --------------------------------------------------------------------------------------
def product_configs() -> list[Config]:
    from eval.redial import ablation_rows

    rows = [Config(name, weights=weights) for name, weights in ablation_rows()]
    return [*rows, Config("Concierge, never asks", max_questions=0)]


def simulate_products(
    engine: "Engine", store: Any, catalog: str, targets: int, seed: int, configs: list[Config],
    openers: Sequence[str] = ("standard", "vague", "natural"),
) -> dict[tuple[str, str], list[Dialogue]]:  # fmt: skip
    """(config, opener) -> one dialogue per target, the same targets for every pair."""
    from bot.state import DialogueState
    from eval.simulator import (
        broad_category,
        finest_category,
        natural_opener,
        natural_shopper,
        opener,
        shopper,
    )

    items = store.get(catalog, sorted(store.titles(catalog)))
    shares = category_shares(items)
    chosen = random.Random(seed).sample(items, min(targets, len(items)))
    currency = engine.manifest(catalog).currency
    out: dict[tuple[str, str], list[Dialogue]] = {}
    for config in configs:
        variant = configured(engine, config)
        for kind in openers:
            dialogues = out.setdefault((config.name, kind), [])
            for target in chosen:
                rng = random.Random(f"{seed}-{target.id}-{kind}")
                broad = broad_category(target, shares)
                if kind == "natural":
                    user = natural_shopper(target, currency, rng)
                    first = natural_opener(target, rng)
                else:
                    user = shopper(target, broad, currency, rng)
                    first = opener(broad if kind == "vague" else finest_category(target), rng)
                if kind == "standard" and user.clues:
                    first += " " + user.clues.pop(0)
                state = DialogueState(session_id=target.id, catalog=catalog,
                                      diversity=config.diversity)  # fmt: skip
                wanted = product_of(engine, catalog, target)
                dialogues.append(talk(variant, state, first, user, wanted, SHOP_LIST))
    return out


def category_shares(items: Sequence[Any]) -> dict[str, float]:
    shares: dict[str, float] = {}
    for item in items:
        for value in item.facets.get("category", ()):
            shares[value] = shares.get(value, 0.0) + 1 / len(items)
    return shares


def products_text(results: dict[str, dict[tuple[str, str], list[Dialogue]]], targets: int) -> str:
    rows = []
    for catalog, runs in results.items():
        for (name, kind), dialogues in runs.items():
            won, turns_won, turns_all, asked = summary(dialogues)
            hit = [
                sum(d.success is not None and d.success <= t for d in dialogues) / len(dialogues)
                for t in range(1, TURNS + 1)
            ]
            rows.append(f"| {catalog} | {kind} | {name} | **{won:.3f}** | {turns_won:.2f} | "
                        f"{turns_all:.2f} | {asked:.2f} | " + " / ".join(f"{h:.2f}" for h in hit)
                        + " |")  # fmt: skip
    return (
        f"{targets} seeded random targets per catalog; the same targets and seeded phrasings "
        f"for every row. Success: the target among the {SHOP_LIST} items of a recommendation "
        f"within {TURNS} turns, or on one of their cards as another colour, size or carrier of "
        f"the product shown.\n\n"
        "| catalog | opener | system | success@5 | turns (successes) | turns (all; failure = 5) "
        "| questions asked | success by turn 1 / 2 / 3 / 4 / 5 |\n"
        "|---|---|---|---:|---:|---:|---:|---|\n" + "\n".join(rows) + "\n"
    )


def example_dialogue(engine: "Engine", store: Any, catalog: str, seed: int) -> str:
    """One vague-opener dialogue, as a transcript, so a reader can see what the simulator says."""
    from bot.state import DialogueState
    from eval.simulator import broad_category, opener, shopper

    engine = configured(engine, Config("default"))
    items = store.get(catalog, sorted(store.titles(catalog)))
    target = items[seed % len(items)]
    rng = random.Random(seed)
    broad = broad_category(target, category_shares(items))
    user = shopper(target, broad, engine.manifest(catalog).currency, rng)
    lines = [f"target: {target.title} (hidden from the simulator's words)"]
    message = opener(broad, rng)
    state = DialogueState(catalog=catalog)
    for _ in range(TURNS):
        lines.append(f"user: {message}")
        turn = engine.turn(state, message, SHOP_LIST)
        if turn.action == "ask" and turn.question:
            lines.append(f"bot asks about {turn.question['facet']}: {turn.question['options']}")
        elif turn.action == "recommend":
            lines.append("bot recommends: " + "; ".join(i.title[:50] for i in turn.items))
        else:
            lines.append(f"bot answers ({turn.reply_key}) {turn.blocker}")
        if product_of(engine, catalog, target) & {i.id for i in turn.items}:
            break
        message = user.reply(turn)
    return "\n".join(lines)


def product_of(engine: "Engine", catalog: str, target: Any) -> set[str]:
    """The target and its variants: a card of its product offers it (one card per product)."""
    index = engine.knowledge.index(catalog)
    if index is None:  # a catalog too large to hold: its variants are not grouped
        return {target.id}
    return {target.id, *(v.id for v in index.products.variants(target.id))}


def plot_turns(per_turn: list[dict[int, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120)
    turns = list(range(1, len(per_turn) + 1))
    for cut in CUTOFFS:
        ax.plot(turns, [r[cut] for r in per_turn], marker="o", label=f"R@{cut}")
    ax.set_xlabel("turn")
    ax.set_ylabel("recall (ReDial dev, simulated)")
    ax.set_xticks(turns)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def build(data_dir: Path, catalogs: Sequence[str], quick: bool = False) -> tuple["Engine", Any]:
    """An engine over a store holding the catalogs (ingest is idempotent: a second run of the
    benchmark embeds nothing); `quick`: their slices (eval/samples.py)."""
    from bot.settings import Settings
    from bot.wiring import build_embedder, build_engine, build_store
    from eval.samples import product_slice
    from retrieval.catalog import load_catalog
    from retrieval.ingest import ingest, ingest_catalog

    settings = Settings(data_dir=data_dir)
    embedder = build_embedder()
    store = build_store(settings)
    for name in catalogs:
        if name == "redial":
            ingest(movie_catalog(data_dir, quick), "redial", store, embedder, progress=False)
        else:
            file, mapping = CATALOGS[name]
            path = ROOT / "data" / file  # an absolute file stays itself
            loaded = load_catalog(path, ROOT / "data" / mapping if mapping else None)
            loaded = product_slice(loaded) if quick else loaded
            ingest_catalog(loaded, path, name, store, embedder, progress=False)
    engine = build_engine(settings, store, embedder, chat=False)  # as the app builds it
    for name in catalogs:
        engine.warm(name)
    return engine, store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small sample: 60 cases, 2 folds, "
                        "30 targets per catalog")  # fmt: skip
    parser.add_argument("--cases", type=int, default=600, help="ReDial dev cases (seeded sample)")
    parser.add_argument("--targets", type=int, default=200, help="targets per product catalog")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=["redial", "products"], default=None)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data",
                        help="the benchmark's own store (reused between runs)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    if args.quick:
        args.cases, args.targets, args.folds = 60, 30, 2
    log: Callable[[str], None] = lambda text: print(text, flush=True)  # noqa: E731
    have_redial = (REDIAL / "dev_cases.jsonl").exists()
    if args.only == "redial" and not have_redial:
        raise SystemExit(f"ReDial data not found under {REDIAL}: this benchmark needs ../shared")
    do_redial = have_redial and args.only != "products"
    do_products = args.only != "redial"
    # the shipped catalogs always; Myntra (../shared) where it is
    shops = [c for c, (file, _) in PRODUCTS.items() if (ROOT / "data" / file).exists()]
    catalogs = (["redial"] if do_redial else []) + (shops if do_products else [])
    started = time.perf_counter()
    engine, store = build(args.data_dir, catalogs, args.quick)
    flags = " --quick" if args.quick else f" --cases {args.cases} --targets {args.targets}"
    command = "python -m eval.simulate" + flags
    if do_redial:
        cases = sample_cases(read_jsonl(REDIAL / "dev_cases.jsonl"), args.cases)
        runs = simulate_redial(engine, store, cases, args.folds, args.seed, log)
        text = f"Machine: {machine()}. " + redial_text(runs, len(next(iter(runs.values()))),
                                                       args.folds)  # fmt: skip
        if args.out:
            figure = figure_path(args.out, "recall-per-turn.png")
            plot_turns(recall_by_turn(next(iter(runs.values()))), figure)
            text += "\n![recall after each turn](docs/recall-per-turn.png)\n"
        print(text)
        if args.out:
            write_section(args.out, "simulate_redial", text, command + " --only redial")
    elif not have_redial:
        log(f"ReDial data not found under {REDIAL}: the ReDial simulation is skipped")
    if do_products:
        results = {}
        for catalog in shops:
            # the retrieval ablation on phones; Concierge with and without questions on both
            configs = product_configs() if catalog == "phones" else product_configs()[-2:]
            results[catalog] = simulate_products(engine, store, catalog, args.targets, args.seed,
                                                 configs)  # fmt: skip
            log(f"{catalog}: done")
        text = f"Machine: {machine()}. " + products_text(results, args.targets)
        text += ("\nOne vague-opener dialogue from the simulator (phones):\n\n```\n"
                 + example_dialogue(engine, store, "phones", args.seed) + "\n```\n")  # fmt: skip
        print(text)
        if args.out:
            write_section(args.out, "simulate_products", text, command + " --only products")
    log(f"{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
