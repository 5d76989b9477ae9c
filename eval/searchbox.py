"""Short search-box queries, graded: is the ranking at least as good as its own ingredients?

    python -m eval.searchbox [--show-losses] [--out BENCHMARKS.md]

The queries (eval/searchbox_queries.yaml) are two to five words, as typed into a shop's search
box, on the phones, IKEA and Myntra catalogs; each item is graded by rule: 2 for what the query
asks for, 1 for the right kind of product, 0 otherwise. Every ranking is of products (the
colours and carriers of one product are one place, as Concierge shows them; the ingredients'
rankings are grouped the same way), graded by the item that stands for each. NDCG@10 (gain
2^grade - 1, the ideal from the best item of every product of the catalog) and recall@50 of
grade-2 products, for Concierge (the whole engine, one message, no questions, as `concierge
rank`) and, in the same run on the same store, BM25 alone, MiniLM alone and their
reciprocal-rank fusion.
"""

import argparse
import math
from pathlib import Path
from typing import Any

import yaml

from eval.natural import ROOT, Request, acceptable, rankers
from eval.report import machine, write_section
from retrieval.records import Item

QUERIES = Path(__file__).with_name("searchbox_queries.yaml")
HELD_OUT = Path(__file__).with_name("searchbox_heldout.yaml")  # by a helper; never tuned on
DEPTH = 10  # NDCG@10
RECALL = 50


def load(path: Path = QUERIES) -> list[tuple[Request, dict[str, Any], dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(Request(catalog, (q["q"],), q["exact"], q.get("tag", "")), q["exact"], q["related"])
            for catalog, queries in data.items() for q in queries]  # fmt: skip


def grade(item: Item, exact: dict[str, Any], related: dict[str, Any]) -> int:
    return 2 if acceptable(item, exact) else 1 if acceptable(item, related) else 0


def product_grades(engine: Any, catalog: str, items: list[Item], exact: dict[str, Any],
                   related: dict[str, Any]) -> list[int]:  # fmt: skip
    """The best grade of each product: a ranking shows one item per product, so the ideal
    ranking is one of products too."""
    products = engine.knowledge.index(catalog).products
    best: dict[str, int] = {}
    for item in items:
        key = products.key.get(item.id, item.id)
        best[key] = max(best.get(key, 0), grade(item, exact, related))
    return list(best.values())


def ndcg(grades: list[int], ideal: list[int]) -> float:
    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(n + 2) for n, g in enumerate(values[:DEPTH]))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(grades) / best if best else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data",
                        help="the benchmark's store (reused between runs)")  # fmt: skip
    parser.add_argument("--catalog", action="append", help="only these catalogs")
    parser.add_argument("--show-losses", action="store_true",
                        help="print where Concierge is below the best ingredient")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="the catalogs' slices: checks code")
    parser.add_argument("--held-out", action="store_true",
                        help="the held-out queries (eval/searchbox_heldout.yaml)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    from eval.simulate import build

    path = HELD_OUT if args.held_out else QUERIES
    queries = [q for q in load(path) if not args.catalog or q[0].catalog in args.catalog]
    engine, store = build(args.data_dir, sorted({q[0].catalog for q in queries}), args.quick)
    everything = {c: store.get(c, sorted(store.titles(c))) for c in {q[0].catalog for q in queries}}
    ranked = rankers(engine, k=RECALL, fusion=True)
    scores: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for request, exact, related in queries:
        ideal = product_grades(engine, request.catalog, everything[request.catalog], exact,
                               related)  # fmt: skip
        if args.quick and not any(g == 2 for g in ideal):
            continue  # a slice may lack what the query asks for
        if not any(g == 2 for g in ideal):
            raise SystemExit(f"no item in {request.catalog} is graded 2 for {request.text!r}")
        found = {}
        for name, rank in ranked.items():
            grades = [grade(i, exact, related) for i in store.get(request.catalog, rank(request))]
            found[name] = (
                ndcg(grades, ideal),
                sum(g == 2 for g in grades) / min(RECALL, sum(g == 2 for g in ideal)),
            )
            scores.setdefault((request.catalog, name), []).append(found[name])
            if request.tag:
                scores.setdefault((f"tag: {request.tag}", name), []).append(found[name])
        best = max(v[0] for k, v in found.items() if k != "Concierge")
        if args.show_losses and found["Concierge"][0] < best - 0.05:
            print(f"[{request.catalog}] {request.text!r}: Concierge {found['Concierge'][0]:.2f}, "
                  f"best ingredient {best:.2f}")  # fmt: skip
    lines = ["| catalog | queries | ranker | NDCG@10 | recall@50 (grade 2) |",
             "|---|---:|---|---:|---:|"]  # fmt: skip
    overall: dict[str, list[tuple[float, float]]] = {}
    for (catalog, name), values in sorted(scores.items(), key=lambda s: s[0][0].startswith("tag")):
        if not catalog.startswith("tag: "):
            overall.setdefault(name, []).extend(values)
        lines.append(_row(catalog, name, values))
    lines += [_row("all", name, values) for name, values in overall.items()]
    judged = len(overall["Concierge"])
    source = (
        "written by a helper that did not see the code (eval/searchbox_heldout.yaml; held out, "
        "never tuned on)"
        if args.held_out
        else "written by the team (eval/searchbox_queries.yaml; the development set, tuned on)"
    )
    text = f"{judged} queries {source}. {machine()}.\n\n" + "\n".join(lines)
    print(text)
    if args.out:
        flags = (" --quick" if args.quick else "") + (" --held-out" if args.held_out else "")
        section = "searchbox-heldout" if args.held_out else "searchbox"
        command = f"python -m eval.searchbox{flags} --out BENCHMARKS.md"
        write_section(args.out, section, text, command)


def _row(catalog: str, name: str, values: list[tuple[float, float]]) -> str:
    n = len(values)
    return (f"| {catalog} | {n} | {name} | {sum(v[0] for v in values) / n:.3f} | "
            f"{sum(v[1] for v in values) / n:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
