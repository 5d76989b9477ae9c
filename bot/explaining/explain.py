"""Grounded explanations: one or two sentences per recommended item, tying what the person asked
for to what the item has.

The LLM drafts them for the top items in one batched call, from a prompt holding only the need
and that item's cleaned attributes (prompts/explain.yaml). Every sentence of a draft then goes
through the verifier (bot/explaining/verify.py); a sentence that fails is replaced by a template
sentence built from the reranker's evidence, which is verified too. What is shown is always
verified.
"""

import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

from langchain_core.language_models import BaseChatModel

from bot.explaining import standing
from bot.explaining.lead_in import UNSAID
from bot.explaining.verify import Check, Grounds, Names, Segment, verify
from bot.state import Need, Range
from bot.understanding.vocabulary import STOPWORDS, normalize
from prompts.loader import Prompts
from retrieval.candidates import Scored
from retrieval.records import Item
from retrieval.text import clean_text, sentences, shorten, singular
from retrieval.types import FACET as TYPE_FACET

MAX_SENTENCES = 2
MAX_QUOTE = 110  # characters of a field quoted in a template sentence
MAX_WANT = 60  # characters of the person's words repeated in one
MAX_PROMPT_DESCRIPTION = 240  # characters of the description the LLM sees
# Words that open a sentence rather than name a thing: "You said she mostly calls", not "wanted".
_CLAUSE = re.compile(r"(?:she|he|they|it|it['’]?s|there|this|that)\s", re.I)
# How a request opens, dropped when the person's words are repeated: "I need a lamp" -> "a lamp".
_REQUEST = re.compile(
    r"^\W*(?:(?:hi|hello|hey)\W+)?(?:i(?:'m| am) (?:looking|searching) for|i need|i want|"
    r"i'?d like|can you (?:help me )?find(?: me)?|show me|find me|looking for|do you have|"
    r"please)\s+",
    re.I,
)
FIELD_LABELS = {"title": "title", "facets": "details", "description": "description"}


@dataclass
class Explanation:
    text: str
    segments: list[Segment]  # the shown text, cut by source field
    draft: str = ""  # what the LLM wrote (not shown unless verified)
    drafted: int = 0  # whole sentences in the draft (one cut off by the token limit is dropped)
    accepted: int = 0  # sentences of the draft that passed
    rejected: list[str] = field(default_factory=list)  # why the others failed
    generation_s: float = 0.0  # the batched LLM call that drafted this turn's explanations

    def sources(self) -> list[dict[str, Any]]:
        return [{"text": s.text, "source": s.source} for s in self.segments]


class Explainer:
    def __init__(
        self,
        prompts: Prompts,
        chat: BaseChatModel | None,
        names: Iterable[str],
        draft_top: int = 0,
        max_new_tokens: int = 48,
    ) -> None:
        self.prompts = prompts
        self.chat = chat
        self.names = Names(names)
        self.draft_top = draft_top
        self.max_new_tokens = max_new_tokens

    def explain(self, picks: Sequence[Scored], need: Need, price_text: Any, draft: bool = True
                ) -> list[Explanation]:  # fmt: skip
        """One verified explanation per pick; the top ones drafted by the LLM if `draft`.
        `price_text(price)` formats a price."""
        started = time.perf_counter()
        drafts = self.drafts(picks[: self.draft_top], need, price_text) if draft else []
        generation = time.perf_counter() - started
        drafts += [""] * (len(picks) - len(drafts))
        compared = standing.compared([p.item for p in picks], need, price_text)
        common = shared_clauses([p.item for p in picks])
        found = [self.settle(p, need, price_text, d, *c, common=common)
                 for p, d, c in zip(picks, drafts, compared, strict=True)]  # fmt: skip
        for explanation in found:
            explanation.generation_s = generation
        return found

    def drafts(self, picks: Sequence[Scored], need: Need, price_text: Any) -> list[str]:
        """The LLM's drafts, in one batched call; empty without an LLM or on its failure."""
        if self.chat is None or not picks:
            return []
        try:
            replies = self.chat.batch(self.prompts_for(picks, need, price_text),  # type: ignore[arg-type]
                                      max_new_tokens=self.max_new_tokens)  # fmt: skip
        except Exception:  # a failing LLM must not lose the turn: the templates remain
            return []
        return [str(r.content) for r in replies]

    def prompts_for(
        self, picks: Sequence[Scored], need: Need, price_text: Any
    ) -> list[list[tuple[str, str]]]:
        asked = need_summary(need, price_text)
        return [self.prompts.chat("explain", need=asked, item=item_data(p, price_text))
                for p in picks]  # fmt: skip

    def settle(
        self, pick: Scored, need: Need, price_text: Any, draft: str = "",
        apart: Sequence[str] = (), missed: Sequence[str] = (), common: frozenset[str] = frozenset(),
    ) -> Explanation:  # fmt: skip
        """The draft's verified sentences, topped up with verified template sentences: what was
        wanted that the item has, then what sets it apart from the others shown (`apart`); and
        always, after the first, the asked-for parts it misses (`missed`)."""
        grounds = self.grounds(pick, need, price_text, [*apart, *missed])
        checks = verify(whole_sentences(draft), grounds)
        passed = [c for c in checks if c.ok and grounds.tells(c) and not repeats(c.sentence)]
        why = [p for c in checks
               for p in (c.problems or ([] if grounds.tells(c) else ["no item fact"]))]  # fmt: skip
        out = Explanation("", [], draft, len(checks), len(passed), why)
        first: dict[str, Check] = {}  # a small model may say the same sentence twice: once
        for check in passed:
            first.setdefault(normalize(check.sentence), check)
        kept = list(first.values())[:MAX_SENTENCES]
        said = {normalize(c.sentence) for c in kept}

        def fresh(sentences: Iterable[str]) -> list[Check]:
            """The sentences that pass and say something not said yet."""
            out = []
            for sentence in sentences:
                check = grounds.check(sentence)
                if check.ok and check.about_item and normalize(sentence) not in said:
                    said.add(normalize(sentence))
                    out.append(check)
            return out

        kept += fresh(templates(pick, need, price_text, apart, common))
        misses = fresh(missed)
        kept = (kept[:1] + misses + kept[1:])[: max(MAX_SENTENCES, 1 + len(misses))]
        if not kept:  # the item's own facts: always grounded
            kept.append(grounds.check(fallback(pick, price_text)))
        for n, check in enumerate(kept):
            if n:
                out.segments.append(Segment(" ", None))
            out.segments += check.segments
        out.text = " ".join(c.sentence for c in kept)
        return out

    def grounds_among(self, items: Sequence[Item], n: int, need: Need, price_text: Any) -> Grounds:
        """What may be said of the nth of the items shown together, as `settle` allowed it: for
        checking a shown explanation again from the items alone."""
        apart, missed = standing.compared(items, need, price_text)[n]
        return self.grounds(Scored(items[n], 0.0, {}), need, price_text, [*apart, *missed])

    def grounds(
        self, pick: Scored, need: Need, price_text: Any, compared: Sequence[str] = ()
    ) -> Grounds:
        """What may be said of the pick: its fields, the person's words, and the sentences
        computed from its place among the others shown (field "compared")."""
        said = [*need.wants, *need.avoid, *(v for vs in need.include.values() for v in vs)]
        price_range = need.ranges.get("price") or Range()
        bounds = [b for b in (price_range.min, price_range.max) if b]
        price = price_text(pick.item.price) if pick.item.price is not None else ""
        stated, read = (bounds, []) if price_range.said else ([], bounds)
        grounds = Grounds.of(pick.item, said, stated, self.names, price, read)
        if compared:
            grounds = replace(grounds, fields=grounds.fields | {standing.FIELD: " ".join(compared)})
        return grounds


def repeats(sentence: str, n: int = 3) -> bool:
    """Whether a sentence says the same n words twice, or a name twice in a row: a small model's
    loop ("a TUMI 19 Degree phone case, a TUMI 19 Degree phone case", "for Nokia Nokia Mobile
    Phones"), true but no explanation."""
    words = normalize(sentence).split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    said = sentence.split()
    twice = any(a == b and a[:1].isupper() for a, b in pairwise(said))
    return len(grams) != len(set(grams)) or twice


def whole_sentences(text: str) -> str:
    """The draft without a sentence cut off by the token limit."""
    text = " ".join(text.split())
    if text.endswith((".", "!", "?")):
        return text
    end = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    return text[: end + 1] if end >= 0 else ""


def templates(
    pick: Scored,
    need: Need,
    price_text: Any,
    apart: Sequence[str] = (),
    common: frozenset[str] = frozenset(),
) -> list[str]:
    """Sentences built from the evidence and the need, best first (verified by the caller):
    what was wanted, quoted from the item (never from its title, which the card shows); what
    sets it apart; a clause of its description that says more than its title; and last, only
    where nothing else can be said, the asked facets, type and budget (they restate the
    request)."""
    item = pick.item
    out, quoted = [], set()
    for e in sorted(pick.evidence, key=lambda e: -e.similarity):
        if (e.part.startswith("want: ") and e.field in FIELD_LABELS and e.field != "title"
                and e.snippet):  # fmt: skip
            want = shorten(_REQUEST.sub("", e.part.removeprefix("want: ")), MAX_WANT)
            # what the want was read as counts too: "outside" is looked for as "outdoor"
            said = e.part.removeprefix("want: ")
            quote = shorten(best_clause(clean_text(e.snippet), said, " ".join(need.suits)),
                            MAX_QUOTE)  # fmt: skip
            if quote and quote not in quoted:
                quoted.add(quote)
                # "You said she mostly calls", "You said the kids keep spilling juice on the
                # sofa" (a story, bot/understanding/grammar.py): not "You wanted" them
                wanted = "said" if _CLAUSE.match(want) or _told(want, need) else "wanted"
                out.append(f'You {wanted} {want}: its {FIELD_LABELS[e.field]} says "{quote}".')
    # one quote, then what sets it apart: a second quote is often the same on every card
    out[1:1] = apart
    more = description_fact(item, need, common)
    if more and not quoted:
        out.append(f'Its description says "{more}".')
    return out + restated(item, need, price_text, apart) if len(out) < MAX_SENTENCES else out


def _told(words: str, need: Need) -> bool:
    """Whether most of these words are of the shopper's story, not of what they asked for."""
    content = [w for w in normalize(words).split() if w not in STOPWORDS]
    return bool(content) and sum(w in need.told for w in content) * 2 > len(content)


def restated(item: Item, need: Need, price_text: Any, apart: Sequence[str] = ()) -> list[str]:
    """What the item has of what was asked, in the asked words: true, but it says only what
    the person said, so it comes last."""
    out = []
    for facet, values in need.include.items():
        have = [v for v in values if v in item.facets.get(facet, ())]
        if have and facet != TYPE_FACET:
            out.append(f"Its {facet.replace('_', ' ')} is {', '.join(have)}, as you asked.")
    price = need.ranges.get("price")
    at = price_text(item.price) if item.price is not None else ""
    stated = any(at in sentence for sentence in apart)  # "the cheapest of these, at $99"
    if price and at and not stated and not price.is_open() and price.admits(item.price):
        if not price.said:  # read from "cheap": no sum of the person's to call theirs, in words
            bound = UNSAID.get(price.word, "")
        elif price.min and price.max:
            bound = f"within your {price_text(price.min)} to {price_text(price.max)} budget"
        elif price.max:
            bound = f"under your {price_text(price.max)} budget"
        else:
            bound = f"above your {price_text(price.min)} minimum"
        if bound:
            out.append(f"At {at} it is {bound}.")
    kinds = [v for v in need.include.get(TYPE_FACET, ()) if v in item.facets.get(TYPE_FACET, ())]
    if kinds and not out:  # true of every item shown: said only when nothing else is
        out.append(f"It is {'an' if kinds[0][0] in 'aeiou' else 'a'} {kinds[0]}, as you asked.")
    return out


FACT_WORDS = (2, 16)  # the fewest and most words of a description sentence said as a fact
_JOINING = re.compile(r"(?:and|or|but|so|which|making|while|with|that)\b", re.I)


def shared_clauses(items: Sequence[Item]) -> frozenset[str]:
    """The description clauses more than one of the items has ("has regular styling"): said of
    one of them, they set nothing apart."""
    seen = Counter(c for i in items for c in set(_clauses(i.description)))
    return frozenset(c for c, n in seen.items() if n > 1)


def _clauses(text: str) -> list[str]:
    """The description's sentences (and parts between semicolons) that stand as a fact: not a
    fragment that starts lower-case or with a joining word ("and it offers ...")."""
    parts = [p.strip() for s in sentences(clean_text(text)) for p in s.split(";")]
    return [
        p.rstrip(".")
        for p in parts
        if (p[:1].isupper() or p[:1].isdigit()) and not _JOINING.match(p)
    ]


def description_fact(item: Item, need: Need, common: frozenset[str] = frozenset()) -> str:
    """A clause of the item's description whose words are mostly not its title's or the
    request's ("Loft bed frame" for TUFFING; not "A pair of black running shoes" beside the
    title "Men Black Running Shoes"): one that shares a word with what was wanted first, else
    the first such."""
    known = _content(item.title) | _content(" ".join(need.wants))
    kinds = {
        singular(k) for k in [*item.facets.get(TYPE_FACET, ()), *need.include.get(TYPE_FACET, ())]
    }
    wanted = _content(" ".join(need.wants[-2:])) - _content(item.title) - kinds
    fresh = [
        c
        for c in _clauses(item.description)
        if c not in common
        and FACT_WORDS[0] <= len(c.split()) <= FACT_WORDS[1]
        and 2 * len(_content(c) - known) >= len(_content(c)) > 0
    ]  # mostly new words
    relevant = [c for c in fresh if _content(c) & wanted]
    return shorten((relevant or fresh or [""])[0], MAX_QUOTE).replace('"', "'")


def fallback(pick: Scored, price_text: Any) -> str:
    item = pick.item
    title = clean_text(item.title) or "This item"
    return f"{title}, at {price_text(item.price)}." if item.price is not None else f"{title}."


def best_clause(text: str, want: str, read_as: str = "") -> str:
    """The sentence or clause of `text` that shares the most words with `want` (not counting
    words like "a", "to", "for"), or with how it was read (`read_as`: "outdoor" for "outside")
    when the words themselves share none; clauses of one sentence that tie are quoted together
    ("Chair, outdoor" for "outdoor chairs"); the whole text when none shares a word (the
    evidence was found by meaning)."""
    pieces = [(n, p.strip()) for n, s in enumerate(sentences(text))
              for p in re.split(r"[;,]\s+", s) if p.strip()]  # fmt: skip
    if not pieces:
        return ""
    shared = [len(_content(want) & _content(p)) for _, p in pieces]
    if not max(shared) and read_as:
        shared = [len(_content(read_as) & _content(p)) for _, p in pieces]
    if not max(shared):
        return text.strip().rstrip(".").replace('"', "'")
    best = [n for n, k in enumerate(shared) if k == max(shared)]
    together = best == list(range(best[0], best[-1] + 1))
    if together and len({pieces[n][0] for n in best}) == 1:
        quote = ", ".join(pieces[n][1] for n in best)
    else:
        quote = pieces[best[0]][1]
    return quote.rstrip(".").replace('"', "'")


def _content(text: str) -> set[str]:
    return {singular(w) for w in normalize(text).split() if w not in STOPWORDS}


def need_summary(need: Need, price_text: Any) -> str:
    """What the person asked for, in a few words, for the prompt."""
    parts = list(need.wants[-3:])
    parts += [f"{facet}: {', '.join(v)}" for facet, v in need.include.items() if v]
    parts += [f"not {a}" for a in need.avoid[-2:]]
    price = need.ranges.get("price")
    if price and price.max:
        parts.append(f"under {price_text(price.max)}")
    return "; ".join(parts)[:300]


def item_data(pick: Scored, price_text: Any) -> str:
    """The item's attributes as a JSON object: quoted data, cleaned, never instructions."""
    item = pick.item
    data: dict[str, Any] = {"title": clean_text(item.title)}
    if item.price is not None:
        data["price"] = price_text(item.price)
    data |= {facet: ", ".join(v) for facet, v in item.facets.items() if v}
    if item.rating is not None:
        data["rating"] = item.rating
    description = clean_text(item.description)
    if description:
        data["description"] = description[:MAX_PROMPT_DESCRIPTION]
    return json.dumps(data, ensure_ascii=False)
