"""Coverage of the product types read at ingest (retrieval/types.py), per shared catalog, and a
random sample to check by hand.

    python -m eval.product_types [--sample 40 --sample-file eval/types-sample.md] [--out F]

The sample lists each item's title (and short description or finest category) with the types
read; a person marks each right or wrong, and the result goes in BENCHMARKS.md.
eval/types-sample.md is the one checked.
"""

import argparse
import random
from pathlib import Path

from eval.bench_retrieval import CATALOGS
from eval.report import write_section
from retrieval.catalog import load_catalog
from retrieval.types import FACET


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=40, help="items to list, in all")
    parser.add_argument("--sample-file", type=Path, default=None,
                        help="write the sample here (eval/types-sample.md was checked by hand: "
                        "rewrite it only to check a new one)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    rng = random.Random(17)
    rows, lines = [], ["# Product types: a random sample to check by hand", ""]
    for name, path, mapping in CATALOGS:
        items = load_catalog(path, mapping).items
        typed = [i for i in items if i.facets.get(FACET)]
        kinds = {k for i in typed for k in i.facets[FACET]}
        rows.append(f"| {name} | {len(items):,} | {len(typed) / len(items):.0%} | {len(kinds):,} |")
        for item in rng.sample(items, min(len(items), args.sample // len(CATALOGS))):
            where = item.description[:60] if len(item.title.split()) <= 2 else ""
            where = where or " > ".join(item.facets.get("category", ())[-1:])
            found = ", ".join(item.facets.get(FACET, ())) or "(none)"
            lines.append(f"- [{name}] {item.title[:90]} | {where} :: {found}")
    if args.sample_file:
        args.sample_file.write_text("\n".join(lines) + "\n")
    text = ("| catalog | items | with a type | types |\n|---|---:|---:|---:|\n"
            + "\n".join(rows) + "\n")  # fmt: skip
    print(text)
    if args.out:
        write_section(
            args.out, "types", text, f"python -m eval.product_types --sample {args.sample}"
        )


if __name__ == "__main__":
    main()
