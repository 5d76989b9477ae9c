"""Explanations with the default chat model: how often the verifier accepts the LLM's drafts,
that every shown explanation is verified, the verifier's catch rate on planted facts, and the
latency of a recommend turn with explanations beside raw generation of the same tokens.

    python -m eval.explanations [--quick] [--pairs 200] [--out BENCHMARKS.md]

Needs come from targets sampled (seeded) on three catalogs: phones and IKEA (the shopper's
opener plus two of its clues: brand, price band, features, colour) and ReDial movies (a genre and
a star of the target). Each need is one recommend turn of 3 items, run as the app runs it, so
every turn gives 3 (need, item) pairs. Three configurations: the default (no LLM drafts with the
packaged model: template sentences and a template lead-in), then LLM drafts for the top item and
for the top 3 on 30 pairs each (slow on this CPU). Shown explanations are then verified again from
scratch (the item read back from the store). Planted facts: one invented fact appended to a shown
explanation, cycling through a number with a unit, another brand (a star for movies), a feature
the item's text never mentions, another item's price, and another colour or genre.
"""

import argparse
import random
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Precision, Settings, resolved_precision
from eval.report import machine, percentile, write_section
from eval.simulate import REDIAL, ROOT, build

CATALOGS = ("phones", "ikea", "redial")
FEATURES = ["waterproof", "a headphone jack", "wireless charging", "a lifetime warranty",
            "a stain-resistant finish", "Oscar-winning music", "a solar panel"]  # fmt: skip
KINDS = ("number", "brand", "feature", "price", "colour")


def need_message(item: Any, catalog: str, rng: random.Random) -> str:
    from eval.simulator import finest_category, opener, shopper

    if catalog == "redial":
        genre = next(iter(item.facets.get("genre", ())), "good")
        star = next(iter(item.facets.get("star", ())), "")
        return f"I'd like a {genre} movie" + (f" with {star}" if star else "")
    user = shopper(item, finest_category(item), None, rng)
    return " ".join([opener(finest_category(item) or "something", rng), *user.clues[:2]])


def plant(kind: str, text: str, item: Any, values: dict[str, list[str]], prices: list[float],
          price_text: Any, rng: random.Random) -> str:  # fmt: skip
    """The explanation with one invented fact about `item` added to its first sentence."""
    lowered = " ".join([item.title, item.description,
                        *(v for vs in item.facets.values() for v in vs)]).lower()  # fmt: skip
    first, _, rest = text.partition(". ")
    if kind == "price" and item.price is not None and len(set(prices)) > 1:
        fact = f"it costs {price_text(rng.choice([p for p in prices if p != item.price]))}"
    elif kind in ("brand", "colour"):
        facets = ("brand", "star") if kind == "brand" else ("colour", "genre")
        facet = next((f for f in facets if values.get(f)), facets[0])
        others = [v for v in values.get(facet, []) if v.lower() not in lowered] or ["Zorblax"]
        fact = f"its {facet} is {rng.choice(others)}"
    elif kind == "feature":
        fact = f"it has {rng.choice([f for f in FEATURES if f.split()[-1] not in lowered])}"
    else:
        numbers = {f"{v:g}" for v in item.numbers.values()}
        free = [n for n in ("48", "96", "512", "7000") if n not in lowered and n not in numbers]
        fact = f"it has {rng.choice(free)} GB of storage"
    return f"{first.rstrip('.')}, and {fact}." + (f" {rest}" if rest else "")


PRECISIONS: tuple[Precision, ...] = ("float32", "bfloat16", "int8")  # of the packaged model
DRAFTS = [("the top item, 48 tokens", 1, 48), ("the top 3, one batched call, 48 tokens", 3, 48)]
SPEED_PROMPT = (
    "Shopper wants: a cheap Samsung phone with a big screen. Item: Samsung Galaxy J7 Prime "
    "32GB Unlocked, $199.99, 5.5 inch screen. Say why it suits them."
)


def decode_speed(model: Any, tokens: int = 64, repeats: int = 3) -> tuple[float, float, int]:
    """(tokens/s of greedy decoding after the prompt, prompt time in s, prompt tokens), best of
    `repeats`: the packaged model's own speed on this CPU, apart from any turn."""
    import torch

    tokenizer, lm = model._tokenizer, model._model
    chat = [{"role": "user", "content": SPEED_PROMPT}]
    inputs = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)  # fmt: skip
    best_decode, best_prompt = float("inf"), float("inf")
    with torch.inference_mode():
        for _ in range(repeats):
            started = time.perf_counter()
            lm(**inputs)
            prompt = time.perf_counter() - started
            started = time.perf_counter()
            lm.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False,
                        pad_token_id=tokenizer.eos_token_id)  # fmt: skip
            best_decode = min(best_decode, time.perf_counter() - started - prompt)
            best_prompt = min(best_prompt, prompt)
    return tokens / best_decode, best_prompt, int(inputs["input_ids"].shape[1])


def run(engine: Any, store: Any, catalogs: list[str], want: int, rng: random.Random
        ) -> tuple[list["Pair"], list[float], list[float]]:  # fmt: skip
    """Recommend turns of 3 items until `want` pairs, spread evenly over the catalogs: the pairs,
    each turn's time from message to complete reply, and its drafts' generation time."""
    from bot.state import DialogueState
    from retrieval.amounts import format_price

    pairs: list[Pair] = []
    turn_times: list[float] = []
    raw_times: list[float] = []
    for n, catalog in enumerate(catalogs):
        quota = want * (n + 1) // len(catalogs)
        currency = engine.manifest(catalog).currency

        def price_text(p: float, c: str | None = currency) -> str:
            return format_price(p, c)

        ids = sorted(store.titles(catalog))
        while len(pairs) < quota:
            [target] = store.get(catalog, [rng.choice(ids)])
            state = DialogueState(catalog=catalog)
            started = time.perf_counter()
            turn = engine.turn(state, need_message(target, catalog, rng), k=3, ask=False)
            for _ in engine.stream_reply(turn):
                pass
            if turn.action != "recommend":
                continue
            turn_times.append(time.perf_counter() - started)
            raw_times.append(turn.explanations[0].generation_s)  # the batched call alone
            found = zip(turn.picks, turn.explanations, strict=True)
            shown = [p.item.id for p in turn.picks]
            pairs += [Pair(catalog, p, state.need, e, price_text, shown) for p, e in found]
            del pairs[quota:]
    return pairs, turn_times, raw_times


# A sentence that says more than the title, the price and the filters the item passed: a quote
# of what was wanted, its place among the items shown, or a part of the request it misses.
TELLS = re.compile(r"You wanted |of these|\bonly \S.* here\b|is not the |is over your |under your "
                   r"\S+ minimum")  # fmt: skip


@dataclass
class Pair:
    catalog: str
    pick: Any  # the Scored item
    need: Any
    explanation: Any  # bot.explaining.explain.Explanation
    price_text: Any
    shown: list[str]  # the ids of the items shown with it, in order


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="12 + 3 + 3 pairs, 10 planted facts, the default precision only",
    )
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--planted", type=int, default=100)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data")
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    want, planted = (12, 10) if args.quick else (args.pairs, args.planted)
    from bot.explaining.verify import verify
    from bot.llm import build_chat_model
    from bot.state import DialogueState

    catalogs = [c for c in CATALOGS if c != "redial" or REDIAL.exists()]
    engine, store = build(args.data_dir, catalogs, args.quick)
    default = resolved_precision(Settings().llm_precision)
    precisions = (default,) if args.quick else PRECISIONS  # quick: the code, not the comparison
    models = {p: build_chat_model(Settings(llm_precision=p)) for p in precisions}
    speeds = {p: decode_speed(model, repeats=1 if args.quick else 3) for p, model in models.items()}
    size = next(iter(speeds.values()))[2]
    engine = engine.variant(chat=models[default])
    rng = random.Random(args.seed)
    # (label, precision, drafts, tokens, pairs): the default first, then LLM drafts on fewer
    # turns, in each precision of the model
    few = 3 if args.quick else 30
    configs: list[tuple[str, Precision, int, int, int]] = [("templates", default, 0, 48, want)]
    configs += [(f"{what}, {p}", p, n, tokens, few) for what, n, tokens in DRAFTS
                for p in precisions]  # fmt: skip
    runs = []
    for label, precision, drafts, tokens, count in configs:
        variant = engine.variant(chat=models[precision], drafts=drafts, draft_tokens=tokens)
        for catalog in catalogs:
            variant.warm(catalog)
        for _ in variant.stream_reply(variant.turn(DialogueState(catalog="phones"), "a phone")):
            pass  # warm the model
        runs.append((label, *run(variant, store, catalogs, count, rng)))
    pairs = [p for _, found, _, _ in runs for p in found]

    # every shown explanation, verified again from scratch with the items read back from the store
    def grounds(p: Pair) -> Any:
        items = store.get(p.catalog, p.shown)
        n = p.shown.index(p.pick.item.id)
        return engine.explainer(p.catalog).grounds_among(items, n, p.need, p.price_text)

    verified = sum(bool(p.explanation.text) and all(c.ok for c in verify(p.explanation.text,
                   grounds(p))) for p in pairs)  # fmt: skip
    reasons = Counter(r.split(" ")[0] for p in pairs for r in p.explanation.rejected)
    caught: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    values = {c: {f: list(v) for f, v in engine.manifest(c).facets.items()} for c in catalogs}
    prices = {c: sorted({i.price for i in store.get(c, sorted(store.titles(c))[:300]) if i.price})
              for c in catalogs}  # fmt: skip
    for n in range(planted):
        p = pairs[(n * 7) % len(pairs)]
        kind = KINDS[n % len(KINDS)]
        kind = "number" if kind == "price" and p.pick.item.price is None else kind
        bad = plant(kind, p.explanation.text, p.pick.item, values[p.catalog], prices[p.catalog],
                    p.price_text, rng)  # fmt: skip
        tried[kind] += 1
        caught[kind] += not all(c.ok for c in verify(bad, grounds(p)))

    def ms(times: list[float]) -> str:
        return f"{statistics.median(times) * 1000:.0f} | {percentile(times, 0.95) * 1000:.0f}"

    def row(label: str, found: list[Pair], turns: list[float], raw: list[float]) -> str:
        drafts = [p.explanation for p in found if p.explanation.draft]
        if not drafts:
            return f"| {label} | {len(turns)} | | | {ms(turns)} | | | |"
        whole = sum(1 for d in drafts if d.drafted and d.accepted == d.drafted)
        accepted, drafted = sum(d.accepted for d in drafts), sum(d.drafted for d in drafts)
        ratio = statistics.median(turns) / statistics.median(raw)
        return (f"| {label} | {len(turns)} | {whole}/{len(drafts)} | {accepted}/{drafted} | "
                f"{ms(turns)} | {ms(raw)} | {ratio:.2f} |")  # fmt: skip

    defaults = [p.explanation.text for p in runs[0][1]]  # templates alone, no drafts
    telling = sum(bool(TELLS.search(t)) for t in defaults)
    quoting = sum("You wanted " in t for t in defaults)  # all the templates said before
    text = (
        f"Machine: {machine()}. {len(pairs)} (need, item) pairs from recommend turns of 3 items "
        f"on {', '.join(catalogs)}, the packaged chat model (SmolLM2-135M, CPU; {default} "
        "by default).\n\n"
        f"| | |\n|---|---:|\n"
        f"| shown explanations verified again from scratch | {verified}/{len(pairs)} "
        f"({verified / len(pairs):.0%}) |\n"
        f"| planted facts caught | {sum(caught.values())}/{sum(tried.values())} |\n"
        f"| template explanations that say more than the title, price and filters asked (a "
        f"quote of what was wanted, what sets the item apart, what it misses) | "
        f"{telling}/{len(defaults)} ({telling / max(1, len(defaults)):.0%}) |\n"
        f"| of them, with a quote of what was wanted (the only such sentence before standings "
        f"and misses) | {quoting}/{len(defaults)} ({quoting / max(1, len(defaults)):.0%}) |\n\n"
        "Planted facts caught, by kind: "
        + ", ".join(f"{k} {caught[k]}/{tried[k]}" for k in KINDS if tried[k])
        + ". Why draft sentences failed (the kind of each unverified claim): "
        + (", ".join(f"{k} {v}" for k, v in reasons.most_common()) or "none")
        + ".\n\n"
        "| LLM drafts for | turns | drafts accepted whole | sentences accepted | turn p50 (ms) | "
        "turn p95 (ms) | generation p50 (ms) | generation p95 (ms) | turn / generation |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(row(*r) for r in runs)
        + "\n\nTurn: from the message to the complete reply (understanding, retrieval, lead-in "
        "or drafts, verification, templates). Generation: the batched LLM call alone, the same "
        "tokens. Drafts accepted whole: every whole sentence of the draft passed the verifier "
        "(a sentence cut off by the token limit is dropped before).\n\n"
        f"| packaged model | decoding (tokens/s) | reading a {size}-token prompt (ms) |\n"
        "|---|---:|---:|\n"
        + "\n".join(
            f"| {p} | {speed:.1f} | {read * 1000:.0f} |" for p, (speed, read, _) in speeds.items()
        )
        + "\n\nDecoding: greedy, 64 new tokens after the prompt, best of 3 (of 1 with --quick), "
        "in the same run.\n"
    )
    print(text)
    if args.out:
        command = "python -m eval.explanations" + (" --quick" if args.quick else "")
        write_section(args.out, "explanations", text, command)


if __name__ == "__main__":
    main()
