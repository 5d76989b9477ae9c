"""How each catalog's items group into products (retrieval/variants.py), with a seeded sample of
groups to check by hand: `python -m eval.variants [--out BENCHMARKS.md]`."""

import argparse
import random
import time
from pathlib import Path

from eval.report import machine, write_section
from eval.simulate import PRODUCTS, ROOT

SAMPLE = 8  # groups shown per catalog


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    from retrieval.catalog import load_catalog
    from retrieval.variants import Products

    rows = ["| catalog | items | products | products in several variants | items in them | "
            "grouping (s) |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    samples = []
    for name, (file, mapping) in PRODUCTS.items():
        path = ROOT / "data" / file
        if not path.exists():
            continue
        items = load_catalog(path, ROOT / "data" / mapping if mapping else None).items
        started = time.perf_counter()
        products = Products(items)
        took = time.perf_counter() - started
        count, grouped = products.counts()
        groups = [m for m in products.members.values() if len(m) > 1]
        rows.append(f"| {name} | {len(items):,} | {count:,} | {grouped:,} | "
                    f"{sum(len(m) for m in groups):,} | {took:.2f} |")  # fmt: skip
        titles = {i.id: i.title for i in items}
        samples.append(f"\n{name}, {SAMPLE} groups drawn at random (seed {args.seed}):\n")
        for group in random.Random(args.seed).sample(groups, min(SAMPLE, len(groups))):
            shown = "; ".join(f"{titles[i][:70]} [{' · '.join(products.parts[i])}]"
                              for i in group[:3])  # fmt: skip
            more = f" (and {len(group) - 3} more)" if len(group) > 3 else ""
            samples.append(f"- {shown}{more}")
    text = f"Machine: {machine()}.\n\n" + "\n".join(rows) + "\n" + "\n".join(samples) + "\n"
    print(text)
    if args.out:
        write_section(args.out, "variants", text, "python -m eval.variants --out BENCHMARKS.md")


if __name__ == "__main__":
    main()
