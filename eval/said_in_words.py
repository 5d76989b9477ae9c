"""Whether replies say what the shopper asked in their terms: lead-ins that present a price bound
the shopper never gave as a number (read from "cheap", "not too expensive", "cheaper"); for
requests that name a size in words ("small", "wide"), explanations that answer it with the
item's own measure; and how many shown explanations say something beyond the request: a
sentence that is not the title, the price or budget, a rank among the shown items ("the
cheapest", "the most popular", "the only <brand> here") or the filter asked ("as you asked").

    python -m eval.said_in_words [--out BENCHMARKS.md]

On the team's natural requests for phones, IKEA and Myntra (eval/natural_requests.yaml), each
run as the app runs it, with template explanations (no LLM drafts).
"""

import argparse
import re
from pathlib import Path

from bot.state import DialogueState
from eval.natural import REQUESTS, load
from eval.report import machine, write_section
from eval.simulate import ROOT, build

CATALOGS = ("phones", "ikea", "myntra")
SIZE = re.compile(r"\b(small|compact|narrow|tiny|slim|big|large|wide|spacious|roomy|huge|tall)\b",
                  re.I)  # fmt: skip
_AMOUNT = re.compile(r"\b(?:under|between|from)\s+\S*\d")
_MEASURE = re.compile(r"\b(?:It is|At) \d+(?:\.\d+)? (?:cm wide|cm long|cm deep|cm high|inches)")
# Sentences that only say back the request, the title, the price or a rank.
_RESTATING = re.compile(
    r"as you asked|your \S+ (?:budget|minimum)|its title says|the cheapest of these|"
    r"the most popular of these|the highest rating of these|^It is the only .* here\.$|"
    r"^At \S+ it is (?:at|in|cheaper|within)",
    re.I,
)


def beyond(explanation: str, title: str) -> list[bool]:
    """For each sentence of a shown explanation, whether it says more than the request, the
    title, the price and a rank."""
    return [not (_RESTATING.search(s) or s.startswith(title.split(" (")[0][:20]))
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", explanation.strip()) if s]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".concierge/bench-data")
    parser.add_argument("--out", type=Path, default=None, help="update this Markdown file")
    args = parser.parse_args(argv)
    requests = [r for r in load(REQUESTS) if r.catalog in CATALOGS]
    engine, _ = build(args.data_dir, list(CATALOGS))
    engine = engine.variant(drafts=0)
    worded = amounts = sized = shown = measured = explained = more = first = 0
    for request in requests:
        state = DialogueState(catalog=request.catalog)
        for message in request.turns:
            turn = engine.respond(state, message)
        if not turn.items:
            continue
        for item in turn.items:
            said = beyond(item.explanation, item.title)
            explained += 1
            more += any(said)
            first += bool(said) and said[0]
        price = state.need.ranges.get("price")
        if price is not None and not price.said:
            worded += 1
            amounts += bool(_AMOUNT.search(turn.reply.split("\n")[0]))
        if SIZE.search(" ".join(request.turns)):
            sized += 1
            shown += len(turn.items)
            measured += sum(bool(_MEASURE.search(i.explanation)) for i in turn.items)
    text = (
        f"{len(requests)} requests of eval/natural_requests.yaml ({', '.join(CATALOGS)}). "
        f"{machine()}.\n\n| what | count |\n|---|---:|\n"
        f"| lists whose price bound was read from a word | {worded} |\n"
        f"| ... whose lead-in states an amount for it | {amounts} |\n"
        f"| requests that name a size in words | {sized} |\n"
        f"| ... their shown explanations | {shown} |\n"
        f"| ... that state the item's own measure | {measured} |\n"
        f"| shown explanations | {explained} |\n"
        f"| ... holding a sentence beyond the request, title, price and rank | {more} |\n"
        f"| ... whose first sentence is one | {first} |"
    )
    print(text)
    if args.out:
        write_section(
            args.out, "said-in-words", text, "python -m eval.said_in_words --out BENCHMARKS.md"
        )


if __name__ == "__main__":
    main()
