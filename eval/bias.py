"""Whom the recommender favours, and what variety costs: `python -m eval.bias`.

Simulated shoppers (eval/simulator.py: vague and everyday openers, seeded targets) on the product
catalogs, and the ReDial dev cases (the seeker's own words, priors cross-fitted by dialogue),
each run under several variety settings (retrieval/diversity.py) in the same run. For every
setting and catalog, over all the lists shown:
- popular share: the share of shown places that go to the most popular 10% of the catalog
  (its own popularity field: the phones' sales rank figure; ReDial's mentions in other
  dialogues; a catalog with neither says so);
- coverage: the share of the catalog's items ever shown;
- brand Gini: the Gini coefficient of the shown places over brands, beside the catalog's own
  (its items over brands): higher than the catalog's means a few brands take the lists;
- and what it costs: success@5 within 5 turns (products) or R@10 of the first answer (ReDial).
"""

import argparse
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from eval.redial import REDIAL, read_jsonl
from eval.report import figure_path, machine, write_section
from eval.samples import sample_cases
from eval.simulate import (
    PRODUCTS,
    ROOT,
    Config,
    Dialogue,
    build,
    simulate_products,
    simulate_redial,
)
from retrieval.diversity import DIVERSITY

SETTINGS = [
    Config("off (λ = 0)", diversity=0.0),
    Config(f"default: vague requests only, λ = {DIVERSITY}"),
    Config("every request, λ = 0.3", diversity=0.3),
    Config("every request, λ = 0.6", diversity=0.6),
]
POPULAR = 0.10  # the most popular tenth of a catalog
SHOPS = ("phones", "ikea", "myntra")


def gini(counts: Iterable[float]) -> float:
    """0 when every brand has the same share, towards 1 when one has everything."""
    values = sorted(counts)
    n, total = len(values), sum(values)
    if n < 2 or not total:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(values))
    return (2 * weighted) / (n * total) - (n + 1) / n


def measures(shown: Sequence[Sequence[str]], items: dict[str, Any],
             popular: set[str] | None) -> dict[str, float | None]:  # fmt: skip
    places = [i for found in shown for i in found if i in items]
    brands = Counter(b for i in places for b in items[i].facets.get("brand", ())[:1])
    return {
        "popular": sum(i in popular for i in places) / len(places) if popular and places else None,
        "coverage": len(set(places)) / len(items),
        "gini": gini(brands.values()) if brands else None,
    }


def most_popular(items: dict[str, Any], popularity: Callable[[Any], float | None]) -> set[str]:
    """The top POPULAR share of the items by `popularity`; empty when the catalog has none."""
    known = [(p, i) for i, item in items.items() if (p := popularity(item)) is not None]
    if len(known) < len(items) / 2:
        return set()
    known.sort(reverse=True)
    return {i for _, i in known[: max(1, int(len(items) * POPULAR))]}


def row(catalog: str, setting: str, cost: float, m: dict[str, float | None],
        catalog_gini: float | None) -> str:  # fmt: skip
    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    return (f"| {catalog} | {setting} | {cost:.3f} | {fmt(m['popular'])} | {fmt(m['coverage'])} "
            f"| {fmt(m['gini'])} | {fmt(catalog_gini)} |")  # fmt: skip


def plot(points: dict[str, list[tuple[float, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for catalog, values in points.items():
        ax.plot([c for c, _ in values], [s for _, s in values], marker="o", label=catalog)
        for (c, s), config in zip(values, SETTINGS, strict=True):
            ax.annotate(str(config.diversity if config.diversity is not None else "default"),
                        (c, s), fontsize=7, xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("coverage (share of the catalog ever shown)")
    ax.set_ylabel("success@5 (products) / R@10 (ReDial)")
    ax.set_title("What variety costs, per setting (λ)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 targets, 20 cases, slices")
    parser.add_argument("--targets", type=int, default=100, help="targets per product catalog")
    parser.add_argument("--cases", type=int, default=300, help="ReDial dev cases (seeded)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data")
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    if args.quick:
        args.targets, args.cases, args.folds = 10, 20, 2
    started = time.perf_counter()
    have_redial = (REDIAL / "dev_cases.jsonl").exists()
    shops = [c for c in SHOPS if (ROOT / "data" / PRODUCTS[c][0]).exists()]  # Myntra: ../shared
    engine, store = build(args.data_dir, shops + (["redial"] if have_redial else []), args.quick)
    lines = ["| catalog | variety | success@5 or R@10 | popular share | coverage | brand Gini "
             "(shown) | brand Gini (catalog) |", "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    points: dict[str, list[tuple[float, float]]] = {}
    for catalog in shops:
        items = {i.id: i for i in store.get(catalog, sorted(store.titles(catalog)))}
        popular = most_popular(items, lambda i: i.numbers.get("popularity"))
        catalog_gini = gini(Counter(i.facets["brand"][0] for i in items.values()
                                    if i.facets.get("brand")).values()) or None  # fmt: skip
        runs = simulate_products(engine, store, catalog, args.targets, args.seed, SETTINGS,
                                 ("vague", "natural"))  # fmt: skip
        for config in SETTINGS:
            dialogues: list[Dialogue] = [d for (name, _), ds in runs.items()
                                         if name == config.name for d in ds]  # fmt: skip
            success = sum(d.success is not None for d in dialogues) / len(dialogues)
            m = measures([s for d in dialogues for s in d.shown], items, popular)
            lines.append(row(catalog, config.name, success, m, catalog_gini))
            points.setdefault(catalog, []).append((m["coverage"] or 0.0, success))
        print(f"{catalog}: done", flush=True)
    if have_redial:
        cases = sample_cases(read_jsonl(REDIAL / "dev_cases.jsonl"), args.cases)
        movie_runs = simulate_redial(engine, store, cases, args.folds, args.seed, print, SETTINGS)
        items = {i.id: i for i in store.get("redial", sorted(store.titles("redial")))}
        mentions = engine.priors("redial").popularity  # the last fold's priors: other dialogues
        popular = most_popular(items, lambda i: mentions.get(i.id, 0.0))
        for config in SETTINGS:
            found = movie_runs[config.name]
            r10 = sum(len(set(t) & set(d.rankings[0][:10])) / len(t) for t, d in found) / len(found)
            m = measures([d.shown[0][:10] for _, d in found if d.shown], items, popular)
            lines.append(row("redial (first 10)", config.name, r10, m, None))
            points.setdefault("redial", []).append((m["coverage"] or 0.0, r10))
    text = (f"Machine: {machine()}. {args.targets} simulated shoppers per product catalog (vague "
            f"and everyday openers, seed {args.seed}); {args.cases} ReDial dev cases, "
            f"{args.folds}-fold priors. Every setting in the same run, on the same shoppers.\n\n"
            + "\n".join(lines))  # fmt: skip
    if args.out:
        figure = figure_path(args.out, "variety.png")
        plot(points, figure)
        text += "\n\n![coverage against success, per variety setting](docs/variety.png)\n"
    print(text)
    if args.out:
        flags = " --quick" if args.quick else f" --targets {args.targets} --cases {args.cases}"
        write_section(
            args.out, "bias", text, "python -m eval.bias" + flags + " --out BENCHMARKS.md"
        )
    print(f"{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
