"""The small catalogs that `--quick` runs on: a slice of each catalog, the same in every step, so
that the shared benchmark store is embedded once and `concierge bench --quick` checks the code in
minutes. Quick figures check that the code works; they are not the reported ones."""

import json
import random
from dataclasses import replace
from pathlib import Path

from retrieval.catalog import Catalog

QUICK_ITEMS = 400  # items of each product catalog, spread over the file
QUICK_CASES = 200  # ReDial dev cases (a seeded sample; smaller quick samples are its prefixes)
OTHER_MOVIES = 400  # movies no quick case names, so that the targets have company


def product_slice(catalog: Catalog) -> Catalog:
    """Every n-th item, QUICK_ITEMS in all: all kinds of item, not only the file's first."""
    step = max(1, len(catalog.items) // QUICK_ITEMS)
    return replace(catalog, items=catalog.items[::step][:QUICK_ITEMS])


def sample_cases(cases: list[dict], count: int = QUICK_CASES) -> list[dict]:
    """A seeded sample of the cases. random.sample draws one index at a time here, so a smaller
    count gives a prefix of a larger one: every quick step's cases are among QUICK_CASES."""
    return random.Random(0).sample(cases, count)


def movie_slice(catalog_path: Path, cases_path: Path, out: Path) -> Path:
    """ReDial's catalog cut to the movies the quick cases name (targets and mentions) and
    OTHER_MOVIES others; written once to `out`, so that every step ingests the same file."""
    if out.exists():
        return out
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    cases = [json.loads(line) for line in cases_path.read_text(encoding="utf-8").splitlines()]
    named = {name for case in sample_cases(cases) for name in case["rec"] + case["entity"]}
    kept = [i for i, record in catalog.items() if record["name"] in named]
    others = [i for i, record in catalog.items() if record["name"] not in named]
    kept += random.Random(1).sample(others, min(OTHER_MOVIES, len(others)))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({i: catalog[i] for i in sorted(kept)}), encoding="utf-8")
    return out
