"""Requests as people type them, judged by rules: does the bot return acceptable items?

    python -m eval.natural [--show-failures] [--out BENCHMARKS.md]

The requests (eval/natural_requests.yaml) are everyday sentences on the phones, IKEA and Myntra
catalogs, one message or a few, each with a rule for an acceptable item (its kind, price, fit,
colour, gender), checked on the item's own data. Concierge runs each through the whole engine
(understanding, filters, retrieval, rerank; no questions asked, as `concierge rank`), and the
list after the last message is judged. Baselines in the same run, on the same store: BM25 alone
and MiniLM alone over the request's words (all its messages joined).

precision@5: acceptable items among the first five, out of five (or out of all the catalog's
acceptable items, when it has fewer). top-1: whether the first is acceptable.
"""

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eval.report import machine, write_section
from retrieval.records import Item

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = Path(__file__).with_name("natural_requests.yaml")
# Written by a helper that never saw the code, before the change it measures; never tuned on.
HELD_OUT = Path(__file__).with_name("natural_heldout.yaml")
SITUATIONS = Path(__file__).with_name("natural_situations.yaml")  # by a helper; tuned on
SITUATIONS_HELD_OUT = Path(__file__).with_name("natural_situations_heldout.yaml")
CHINESE = Path(__file__).with_name("natural_chinese.yaml")  # by a helper; tuned on
REFINEMENTS = Path(__file__).with_name("natural_refinements.yaml")  # by a helper; tuned on
REFINEMENTS_HELD_OUT = Path(__file__).with_name("natural_refinements_heldout.yaml")
_HELPER = "written by a helper that never saw the code"
# The flag that picks each set -> (its file, its BENCHMARKS.md section, how it was written)
SETS = {
    "held_out": (HELD_OUT, "natural-heldout", f"{_HELPER}, before the change; never tuned on"),
    "situations": (SITUATIONS, "natural-situations", f"{_HELPER}; a development set, tuned on"),
    "situations_held_out": (SITUATIONS_HELD_OUT, "natural-situations-heldout",
                            f"{_HELPER}; never tuned on"),
    "chinese": (CHINESE, "natural-chinese", f"{_HELPER}; a development set, tuned on"),
    "refinements": (REFINEMENTS, "natural-refinements",
                    f"{_HELPER}; a development set, tuned on"),
    "refinements_held_out": (REFINEMENTS_HELD_OUT, "natural-refinements-heldout",
                             f"{_HELPER}, before the change; never tuned on"),
}  # fmt: skip
DEVELOPMENT = (REQUESTS, "natural", "written by the team; the development set, tuned on")
K = 5
RRF_K = 60  # the usual constant of reciprocal-rank fusion
FUSION_DEPTH = 100  # how deep each ranking goes into the fusion
DEEPER = 4  # an ingredient reads this many times k items, to have k products once grouped


@dataclass(frozen=True)
class Request:
    catalog: str
    turns: tuple[str, ...]
    rule: dict[str, Any]
    tag: str = ""  # the kind of request: situation, followup, negation, chinese

    @property
    def text(self) -> str:
        return ". ".join(self.turns)


def load(path: Path = REQUESTS) -> list[Request]:
    """Every request, with its catalog's kinds folded into its rule."""
    out = []
    for catalog, spec in yaml.safe_load(path.read_text(encoding="utf-8")).items():
        kinds = spec.get("kinds", {})
        for entry in spec["requests"]:
            rule = dict(entry["accept"])
            kind = rule.pop("kind", None)
            turns = tuple(entry["turns"]) if "turns" in entry else (entry["say"],)
            rule = {"kind": kinds[kind], **rule} if kind else rule
            out.append(Request(catalog, turns, rule, entry.get("tag", "")))
    return out


def acceptable(item: Item, rule: dict[str, Any]) -> bool:
    """Whether the item meets every part of the rule."""
    texts = {"title": item.title, "description": item.description, "url": item.url or "",
             "category": " > ".join(item.facets.get("category", ())),
             "colour": " ".join([item.title, *item.facets.get("colour", ())])}  # fmt: skip
    price = item.price

    def meets(key: str, value: Any) -> bool:
        if key == "kind":
            return acceptable(item, value)
        if key.startswith("not_"):
            return not re.search(value, texts[key[4:]])
        if key == "gender":
            return value in item.facets.get("gender", ())
        if key in ("price_max", "price_min"):
            return price is not None and (price <= value if key == "price_max" else price >= value)
        return bool(re.search(value, texts[key]))

    return all(meets(key, value) for key, value in rule.items())


@dataclass
class Score:
    precision: list[float] = field(default_factory=list)
    top1: list[float] = field(default_factory=list)

    def add(self, ranked: Sequence[Item], rule: dict[str, Any], available: int) -> float:
        good = [acceptable(i, rule) for i in ranked[:K]]
        self.precision.append(sum(good) / max(1, min(K, available)))
        self.top1.append(float(bool(good) and good[0]))
        return self.precision[-1]

    def row(self) -> str:
        n = max(1, len(self.precision))
        return f"{sum(self.precision) / n:.3f} | {sum(self.top1) / n:.3f}"


Ranker = Callable[[Request], list[str]]
READINGS = {"words": "words only", "embedder": "the embedder",
            "chat": "the embedder and the chat model"}  # fmt: skip


def rankers(
    engine: Any, k: int = K, fusion: bool = False, compare: bool = False
) -> dict[str, Ranker]:
    """Concierge, and its ingredients alone (BM25, MiniLM, and with `fusion` their reciprocal-
    rank fusion), over the same in-memory index: each returns its first k products (one item
    each: the colours and carriers of one product are one place, as Concierge shows them)."""
    from bot.state import DialogueState

    def one_each(catalog: str, ids: list[str]) -> list[str]:
        products = engine.knowledge.index(catalog).products
        return [ids[n] for n in products.one_each(ids)][:k]

    def concierge(request: Request, reader: Any = engine) -> list[str]:
        state = DialogueState(catalog=request.catalog)
        ranking: list[str] = []
        for message in request.turns:
            ranking = reader.turn(state, message, k=k, ask=False).ranking
        return ranking[:k]

    def reading(kinds_by: str) -> Ranker:
        variant = engine.variant(kinds_by=kinds_by)
        return lambda request: concierge(request, variant)

    def lexical(request: Request, n: int) -> list[str]:
        index = engine.knowledge.index(request.catalog)
        return index.lexical.top(index.lexical.scores(request.text), n)

    def dense(request: Request, n: int) -> list[str]:
        index = engine.knowledge.index(request.catalog)
        return index.nearest(engine.embedder.embed([request.text])[0], n)

    def bm25(request: Request) -> list[str]:
        return one_each(request.catalog, lexical(request, k * DEEPER))

    def minilm(request: Request) -> list[str]:
        return one_each(request.catalog, dense(request, k * DEEPER))

    def fused(request: Request) -> list[str]:
        scores: dict[str, float] = {}
        for ranking in (lexical(request, FUSION_DEPTH), dense(request, FUSION_DEPTH)):
            for rank, item_id in enumerate(ranking):
                scores[item_id] = scores.get(item_id, 0.0) + 1 / (RRF_K + rank + 1)
        return one_each(request.catalog, sorted(scores, key=scores.__getitem__, reverse=True))

    out: dict[str, Ranker] = {"Concierge": concierge}
    if compare:  # the kind of thing read the other ways (bot/understanding/meaning.py)
        for kinds_by, label in READINGS.items():
            if kinds_by != engine.config.kinds_by and (kinds_by != "chat" or engine.chat):
                out[f"Concierge, kinds by {label}"] = reading(kinds_by)
    out |= {"BM25 alone": bm25, "MiniLM alone": minilm}
    if fusion:
        out["BM25 + MiniLM, reciprocal-rank fusion"] = fused
    return out


def evaluate(
    engine: Any,
    store: Any,
    requests: list[Request],
    show: bool = False,
    quick: bool = False,
    compare: bool = False,
) -> str:
    """The table of precision@5 and top-1 per catalog and ranker. A request no item of the
    catalog meets is an error, except on `quick`'s slices, where it is left out."""
    everything = {c: store.get(c, sorted(store.titles(c))) for c in {r.catalog for r in requests}}
    chosen = rankers(engine, compare=compare)
    scores: dict[tuple[str, str], Score] = {}
    by_tag: dict[tuple[str, str], Score] = {}
    for request in requests:
        products = engine.knowledge.index(request.catalog).products  # a ranking is of products
        available = len({products.key.get(i.id, i.id) for i in everything[request.catalog]
                         if acceptable(i, request.rule)})  # fmt: skip
        if not available and quick:
            continue
        if not available:
            raise SystemExit(f"no item in {request.catalog} meets the rule of {request.turns}")
        for name, rank in chosen.items():
            items = store.get(request.catalog, rank(request))
            p = scores.setdefault((request.catalog, name), Score()).add(items, request.rule,
                                                                        available)  # fmt: skip
            if request.tag:
                by_tag.setdefault((request.tag, name), Score()).add(items, request.rule, available)
            if show and name == "Concierge" and p < 1:
                print(f"[{request.catalog}] {' / '.join(request.turns)}  p@5={p:.2f}")
                for i in items:
                    print(f"    {'+' if acceptable(i, request.rule) else '-'} {i.title[:90]}")
    lines = ["| catalog | requests | ranker | precision@5 | top-1 acceptable |",
             "|---|---:|---|---:|---:|"]  # fmt: skip
    for (catalog, name), score in scores.items():
        lines.append(f"| {catalog} | {len(score.precision)} | {name} | {score.row()} |")
    if by_tag:
        lines += ["", "| kind of request | requests | ranker | precision@5 | top-1 acceptable |",
                  "|---|---:|---|---:|---:|"]  # fmt: skip
        for (tag, name), score in sorted(by_tag.items()):
            lines.append(f"| {tag} | {len(score.precision)} | {name} | {score.row()} |")
    return "\n".join(lines)


def packaged_chat_model(data_dir: Path) -> Any:
    """The packaged chat model as the app loads it (converted once into the settings' cache)."""
    from bot.llm import build_chat_model
    from bot.settings import Settings

    return build_chat_model(Settings(data_dir=data_dir))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data",
                        help="the benchmark's own store (reused between runs)")  # fmt: skip
    parser.add_argument("--catalog", action="append", help="only these catalogs")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--quick", action="store_true", help="the catalogs' slices: checks code")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="the held-out requests (eval/natural_heldout.yaml), never tuned on",
    )
    parser.add_argument(
        "--situations",
        action="store_true",
        help="situations and follow-ups written by a helper (eval/natural_situations.yaml), "
        "tuned on",
    )
    parser.add_argument(
        "--situations-held-out",
        action="store_true",
        help="50 more situations by another helper (eval/natural_situations_heldout.yaml), "
        "never tuned on",
    )
    parser.add_argument(
        "--chinese",
        action="store_true",
        help="requests in Chinese written by a helper (eval/natural_chinese.yaml), tuned on",
    )
    parser.add_argument(
        "--refinements",
        action="store_true",
        help="follow-ups and negations written by a helper (eval/natural_refinements.yaml), "
        "tuned on",
    )
    parser.add_argument(
        "--refinements-held-out",
        action="store_true",
        help="follow-ups and negations written by another helper "
        "(eval/natural_refinements_heldout.yaml), never tuned on",
    )
    parser.add_argument(
        "--llm",
        action="store_true",
        help="load the packaged chat model, as "
        "the app does where it drafts: it also reads the kind of thing",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also the kind of thing read by words only, and by the embedder only",
    )
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    from eval.simulate import build

    chosen = next((s for s in SETS if getattr(args, s)), "")
    path, section, about = SETS.get(chosen, DEVELOPMENT)
    requests = [r for r in load(path) if not args.catalog or r.catalog in args.catalog]
    engine, store = build(args.data_dir, sorted({r.catalog for r in requests}), args.quick)
    if args.llm:
        engine.use_chat(packaged_chat_model(args.data_dir))
    table = evaluate(engine, store, requests, args.show_failures, args.quick, args.compare)
    text = (f"{len(requests)} requests in everyday words (eval/{path.name}; {about}). "
            f"{machine()}.\n\n{table}")  # fmt: skip
    print(text)
    if args.out:
        flags = "".join(f" --{f.replace('_', '-')}" for f in ("quick", *SETS, "llm", "compare")
                        if getattr(args, f))  # fmt: skip
        write_section(args.out, section, text, f"python -m eval.natural{flags} --out BENCHMARKS.md")


if __name__ == "__main__":
    main()
