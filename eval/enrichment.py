"""Coverage of the attributes mined at ingest (retrieval/enrich.py), per shared catalog, and a
random sample of mined values to check by hand.

    python -m eval.enrichment [--sample 40 --sample-file eval/enrichment-sample.md] [--out F]

The sample (title, then what was mined) is for a person to mark each value right or wrong; the
hand-check result goes in BENCHMARKS.md. eval/enrichment-sample.md is the one checked.
"""

import argparse
import random
from pathlib import Path

from eval.bench_retrieval import CATALOGS
from eval.report import write_section
from retrieval.catalog import load_catalog
from retrieval.enrich import mine

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=40, help="mined items to list, in all")
    parser.add_argument("--sample-file", type=Path, default=None,
                        help="write the sample here (eval/enrichment-sample.md was checked by "
                        "hand: rewrite it only to check a new one)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    rng = random.Random(11)
    rows, names, sample = [], set(), []
    coverage: dict[str, dict[str, float]] = {}
    for name, path, mapping in CATALOGS:
        catalog = load_catalog(path, mapping)
        n = len(catalog.items)
        coverage[name] = {k: v / n for k, v in catalog.mined.items()}
        names |= set(catalog.mined)
        raw = load_catalog(path, mapping, enrich=False).items
        mined = [(item, mine(item)) for item in raw]
        mined = [(item, m) for item, m in mined if m[0] or m[1]]
        sample += [(name, *pair) for pair in rng.sample(mined, min(len(mined), args.sample // 5))]
        rows.append((name, n))
    columns = sorted(names)
    header = "| catalog | items | " + " | ".join(columns) + " |\n"
    header += "|---|---:|" + "---:|" * len(columns) + "\n"
    body = "\n".join(
        f"| {name} | {n:,} | "
        + " | ".join(
            f"{coverage[name].get(c, 0):.0%}" if coverage[name].get(c) else "" for c in columns
        )
        + " |"
        for name, n in rows
    )
    lines = ["# Mined attributes: a random sample to check by hand", ""]
    for name, item, (numbers, facets) in sample:
        found = [f"{k}={v:g}" for k, v in numbers.items()]
        found += [f"{k}={', '.join(v)}" for k, v in facets.items()]
        lines.append(
            f"- [{name}] {item.title[:120]} | {item.description[:160]} :: {'; '.join(found)}"
        )
    if args.sample_file:
        args.sample_file.write_text("\n".join(lines) + "\n")
    text = f"Share of items that gained each attribute:\n\n{header}{body}\n"
    print(text)
    if args.out:
        write_section(
            args.out, "enrichment", text, f"python -m eval.enrichment --sample {args.sample}"
        )


if __name__ == "__main__":
    main()
