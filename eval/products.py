"""A one-turn shopper stand-in on the demo phones catalog, for the retrieval ablation.

    python -m eval.products [--targets 300] [--out BENCHMARKS.md]

For each sampled target item, a shopper who wants exactly that item types one message, in one
of two ways:
- "attributes": its brand, its most specific category and up to two mined attributes, as a
  shopper describes a product ("Samsung Unlocked Cell Phones 32GB black");
- "model": its title without the brand and without what follows the last " - " (usually the
  colour or carrier), as a shopper who knows the model types it ("Galaxy S7 edge 32GB").
The message goes through the whole engine (understanding, filters, retrieval, rerank; no
questions asked) and hit@10 and MRR@10 of the target are measured for each ablation row of
eval/redial.py. This is not the multi-turn simulator of the evaluation issue: it asks nothing
back and sees one message, so it measures retrieval, not the dialogue.
"""

import argparse
import random
from pathlib import Path

from eval.redial import ablation_rows
from eval.report import machine, write_section
from retrieval.records import Item

ROOT = Path(__file__).resolve().parent.parent
MINED = ("storage_gb", "size_in", "colour", "material")
SHOWN = {"storage_gb": "{:g}GB", "size_in": "{:g} inch"}


def attributes_message(item: Item, rng: random.Random) -> str:
    brand = item.facets.get("brand", ("",))[0]
    category = item.facets.get("category", ("",))[-1]
    extras = [SHOWN[k].format(item.numbers[k]) for k in SHOWN if k in item.numbers]
    extras += [item.facets[k][0] for k in ("colour", "material") if item.facets.get(k)]
    return " ".join([brand, category, *rng.sample(extras, min(2, len(extras)))]).strip()


def model_message(item: Item) -> str:
    brand = item.facets.get("brand", ("",))[0]
    name = item.title.removeprefix(f"{brand} - ")
    return name.rsplit(" - ", 1)[0] if " - " in name else name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="30 targets, the catalog's slice")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data",
                        help="the benchmark's own store (reused between runs)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    if args.quick:
        args.targets = 30
    from bot.state import DialogueState
    from eval.simulate import build

    rng = random.Random(5)
    engine, store = build(args.data_dir, ["phones"], args.quick)
    ids = sorted(store.titles("phones"))
    targets = store.get("phones", rng.sample(ids, min(args.targets, len(ids))))
    messages = {
        "attributes": [attributes_message(t, rng) for t in targets],
        "model": [model_message(t) for t in targets],
    }
    index = engine.knowledge.index("phones")
    assert index is not None  # the demo phones are held in memory
    products = index.products  # a list spends one place per product
    product = lambda item_id: products.key.get(item_id, item_id)  # noqa: E731
    rows = []
    for name, weights in ablation_rows():
        variant = engine.variant(weights=weights)
        cells = []
        for kind in ("attributes", "model"):
            hits = reciprocal = 0.0
            for target, message in zip(targets, messages[kind], strict=True):
                state = DialogueState(session_id=target.id, catalog="phones")
                turn = variant.turn(state, message, 10, ask=False)
                ranked = [product(i.id) for i in turn.items]
                if product(target.id) in ranked:  # the target, or another variant of it
                    hits += 1
                    reciprocal += 1 / (ranked.index(product(target.id)) + 1)
            cells += [hits / len(targets), reciprocal / len(targets)]
        rows.append(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
        print(rows[-1], flush=True)
    examples = "; ".join(f'"{messages[k][n]}"' for n in range(2) for k in ("attributes", "model"))
    text = (
        f"Machine: {machine()}. {len(targets)} random targets from the demo phones catalog "
        f"({len(ids):,} items), one message each of two kinds (examples: {examples}). A hit is "
        "the target's product (the target or another of its colours, sizes or carriers).\n\n"
        "| system | attributes hit@10 | attributes MRR@10 | model hit@10 | model MRR@10 |\n"
        "|---|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n"
    )
    print(text)
    if args.out:
        flags = " --quick" if args.quick else f" --targets {args.targets}"
        write_section(args.out, "products", text, "python -m eval.products" + flags)


if __name__ == "__main__":
    main()
