"""A user message -> changes to the Need: budgets, negation, references to shown items, "more",
"start over", "any", and the catalog's vocabulary. Deterministic: the small default model is not
trusted with structure (ARCHITECTURE.md), so nothing here asks it."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.state import Need, Range
from bot.understanding import negation
from bot.understanding.budget import parse_ranges
from bot.understanding.grammar import Grammar, Reading
from bot.understanding.kinds import (
    FOR_FACETS,
    OBJECT_WORDS,
    feature_positions,
    implied,
    object_positions,
)
from bot.understanding.meaning import Guess
from bot.understanding.measures import parse_measures
from bot.understanding.spelling import Correction
from bot.understanding.usage import Usage, read_usage
from bot.understanding.vocabulary import (
    ATTRIBUTES,
    NAME_FACETS,
    STOPWORDS,
    Hit,
    Vocabulary,
    normalize,
)
from retrieval.candidates import MODEL_SUFFIXES
from retrieval.records import Item
from retrieval.text import singular
from retrieval.types import FACET as TYPE_FACET
from retrieval.types import GENERIC, types_of_name

MAX_TOLD = 60  # story words kept from earlier messages (the query holds the last few wants)
# Clauses; not the "but" of "anything but X", which is the negation itself.
_CLAUSE = re.compile(
    r"[.;!?\n]+|,\s*|(?<!anything)(?<!everything)(?<!nothing)(?<!all)\s+\bbut\b\s+|"
    r"\s+\bhowever\b\s+",
    re.I,
)
# What a person lacks is what they need, not what they refuse: "we have no spare bed", "there's
# no hot water", "we ran out of dish soap" (but "no more than $50", "I have no preference").
_LACK = re.compile(
    r"\b(?:(?:we|i|you|they|he|she|it)\s*(?:['’]ve|ve|have|has|had|got)\s+(?:got\s+)?no|"
    r"(?:we|i|you|they|he|she)\s+(?:don['’]?t|do not|doesn['’]?t|does not|didn['’]?t|did not)"
    r"\s+have\s+(?:a|an|any)|there['’]?s no|there is no|there are no|(?:ran|run|running) out of|"
    r"(?:we|i)\s*(?:['’]re|re|are|am|['’]m|m)\s+out of)\b"
    r"(?!\s+(?:preference|idea|clue|budget|brand|colou?r|favou?rite|opinion|more than|time)\b)",
    re.I,
)
_SUBJECTS = frozenset("we i you they he she it".split())
_DESCRIBING = ("material", "colour")  # what a thing of a kind is made of or looks like
_DESCRIBED = frozenset("body one ones finish frame top".split())  # what a material word describes
# "I haven't seen it": a negation, but not a dislike.
_UNSEEN = re.compile(
    r"\b(haven'?t|have not|never|not|didn'?t|did not|yet to)\s+(yet\s+)?(seen|watched|heard of|"
    r"tried|read|see|watch)\b",
    re.I,
)
_START_OVER = re.compile(
    r"\b(start(ing)? (over|again|afresh)|restart|reset|new search|clear (everything|all|it)|"
    r"forget (everything|all that|it all)|from scratch)\b",
    re.I,
)
_MORE = re.compile(
    r"^\W*((show|give|got|any|see)( me)? )?(some )?more( please| options| results| ideas| "
    r"suggestions| of (those|these|them))?\W*$|\b(other|more|different|next) (options|ones|"
    r"suggestions|choices|results|items)\b|\bwhat else\b|\banything else\b|\bshow me others\b|"
    r"\bany others?\b|^\W*(and |what about |how about )?(the )?others?\W*$",
    re.I,
)
_ANY = re.compile(
    r"^\W*(any|anything|any ?one|whatever|either|either one|no preference|not fussy|not picky|"
    r"skip|pass|surprise me|up to you|you choose|you pick|doesn'?t matter|does not matter|"
    r"don'?t care|do not care|i don'?t mind|no idea|not sure|dunno|idk)\W*$|"
    r"\b(doesn'?t matter|does not matter|don'?t care|do not care|no preference)\b",
    re.I,
)
_ANY_FACET = re.compile(r"\bany (\w+)\b", re.I)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "last": -1}  # fmt: skip
_ORDINAL = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last)"
    r"(?:\s+(?:one|item|option|phone|pick|result|suggestion))?\b|#\s*(\d{1,2})\b|"
    r"\b(?:number|no\.|item|option)\s*(\d{1,2})\b",
    re.I,
)
# The whole list just shown is turned down: "none of these", "I don't like them", "nope".
_REJECT_ALL = re.compile(
    r"^\W*(?:(?:no|nah|nope|hmm+|sorry|not quite|not really)\W+)*(?:"
    r"none of (?:these|those|them|the above|what you showed)(?: (?:work|fit|appeal))?|"
    r"(?:i )?(?:don'?t|do not) (?:like|want|love) (?:any of )?(?:them|these|those)"
    r"(?: (?:at all|much))?|"
    r"not (?:these|those|them)(?: either)?|neither|nope|no good|none|no luck|not it|"
    r"(?:these|those|they) (?:are not|aren'?t) (?:it|right|what i want)|"
    # turned down in other words: "that's not it", "something else", "not my thing"
    r"(?:that'?s|thats|that is|it'?s|those are|these are) not (?:it|right|them|the ones?|what i"
    r"(?:'?m| am)? (?:looking for|after|want(?:ed)?|need(?:ed)?))|"
    r"not (?:what|the ones?|the kind) i(?:'?m| am)? (?:looking for|after|want(?:ed)?|meant|"
    r"had in mind)|"
    r"(?:try |show me |how about |maybe )?something (?:else|different)(?: (?:please|instead))?|"
    r"(?:show me |any )?(?:other|different) ones?(?: please)?|not (?:really )?(?:my|for me|"
    r"my (?:thing|taste|style|cup of tea))|not for me|not interested|"
    r"(?:i'?m )?not (?:really )?(?:into|keen on|feeling) (?:those|these|them|that|any of (?:them|"
    r"those|these))|(?:those|these|they) (?:don'?t|do not) (?:appeal|interest me|do it for me)|"
    r"(?:i )?(?:didn'?t|did not|don'?t|do not) (?:care for|fancy) (?:those|these|them|any)"
    r")(?:\W+(?:sorry|thanks|thank you))?\W*$",
    re.I,
)
_THAT_ONE = re.compile(r"\b(that|this) one\b", re.I)
# The kind already wanted, referred back to: "a flavoured one", "ones that fold", "another one".
_ONE = re.compile(
    r"\b(?:a|an|the|another|other)\s+(?:\w+\s+)?one\b(?![-\w]|\s+of\b)|"
    r"\b(?:the|these|those|some|any|other)\s+(?:\w+\s+)?ones\b|^\W*ones\s+(?:that|with|which)\b",
    re.I,
)
# A facet of the items just shown: "that brand", "those colours", "the same make".
_THAT_FACET = re.compile(r"\b(that|this|those|these|the same)\s+([a-z]+?)s?\b", re.I)
_MORE_LIKE = re.compile(r"\b(?:more like|similar to|like|something like)\s+(?:the\s+)?(.+)", re.I)
_ADDITIVE = re.compile(r"\b(also|too|as well|or|either|and)\b", re.I)
_MONEY_WORDS = frozenset(
    "dollars dollar bucks rupees rupee riyals euros pounds k price budget "
    "cheap cheaper expensive under less than max".split()
)
# An item named with one of these is a reference to taste, not a request for that item.
_TASTE = re.compile(
    r"\b(?:like[sd]?|lov(?:e|ed|es|ing)|enjoy(?:ed|s)?|seen|watched|similar|fan of|"
    r"favou?rites?|reminds?|such as|kind of|along the lines)\b",
    re.I,
)
BROAD = 0.5  # a category holding this share of the items is a department, too broad for a type
SOFT_FACETS = frozenset({TYPE_FACET, "material"})  # read elsewhere, or too often missing
# "my 6 year old": an age, read by bot/understanding/usage, not what the thing must suit
_AGE = frozenset({"year", "years", "yr", "old", "month", "months"})
CHEAPER_FACTOR = 0.95  # "cheaper": under 95% of the middle price of the items just shown
PRICIER_FACTOR = 1.5  # "a bit more expensive is fine": half as much again


@dataclass
class Understanding:
    """What a message did, beyond the changes it made to the Need."""

    reset: bool = False
    more: bool = False
    referenced: list[str] = field(default_factory=list)  # shown items referred to
    hits: list[Hit] = field(default_factory=list)
    content: bool = False  # said something about the need itself
    rejected: bool = False  # turned down the whole list just shown
    kind: str | None = None  # the product type the message asks for
    unlisted: list[str] = field(default_factory=list)  # "that colour" where no item has one
    corrections: list[Correction] = field(default_factory=list)  # misspellings read as words


def understand(
    need: Need,
    text: str,
    vocabulary: Vocabulary,
    shown: Callable[[], Sequence[Item]] = list,
    guess: Callable[[str, str, frozenset[str]], Guess] | None = None,
    grammar: Grammar | None = None,
) -> Understanding:
    """Fold one user message into `need` (in place) and say what it did. `guess`: the kinds of
    thing a message needs by meaning (bot/understanding/meaning.py), asked only when no word of
    it names one and none is wanted yet. `grammar`: which words ask and which tell the story
    (bot/understanding/grammar.py); the story's words name no type or value to filter by."""
    result = Understanding()
    if _START_OVER.search(text):
        need.clear()
        result.reset = True
        text = _START_OVER.sub(" ", text)
        if not re.search(r"\w{3,}", re.sub(r"\b(let'?s|please|ok|okay|can we|i want to)\b", "",
                                           text, flags=re.I)):  # fmt: skip
            return result
    text = _LACK.sub(lambda lack: _needed(lack, vocabulary), text)
    text = negation.prefixed(text, lambda phrase: bool(vocabulary.titles_saying(phrase)))
    pending = need.pending
    need.pending = None  # answered, skipped or ignored: the question is over either way
    result.more = bool(_MORE.search(text))
    if not pending:  # "none" after a question is an answer to it, not a verdict on a list
        text = _reject_all(need, text, result)
    _any(need, text, pending, vocabulary)
    text = _references(need, _of_shown(need, text, vocabulary, shown, result), vocabulary, result)
    priced = _ranges(need, text, shown, result)
    reading = grammar.read(text) if grammar is not None else Reading()
    asked = _refusals_kept(text, reading.asked(text))  # "we eat on the sofa" asks no sofa
    _tell(need, reading, text, asked)
    naming = reading.naming(asked)  # and no adverb: "he still wants" asks for no "still"
    result.kind = _kind(need, naming, vocabulary)
    if result.kind is None and not need.include.get(TYPE_FACET):  # "a big screen": a phone
        carried = {k: set(q) for k, q in vocabulary.type_quantiles.items()}
        sizes = vocabulary.facets.get(TYPE_FACET, {})
        result.kind = implied(normalize(naming).split(), carried, sizes)
        if result.kind:
            need.want_value(TYPE_FACET, result.kind, replace=True)
    wanted = need.include.get(TYPE_FACET, [None])[0]
    measures = parse_measures(text, vocabulary.quantiles, vocabulary.quantiles_for(wanted))
    if priced:  # "cheap, under $200": the amount said wins over the word
        measures.pop("price", None)
    need.ranges |= measures
    result.content |= bool(measures or result.kind)
    positive: dict[str, list[str]] = {}
    wants: list[str] = []
    refused_before = {(f, v) for f, vs in need.exclude.items() for v in vs}
    for start, end in _clauses(text):
        said, clause = text[start:end], asked[start:end]
        if _ANY.search(said):
            continue
        if _UNSEEN.search(said):
            _neutral(need, vocabulary.match(normalize(said).split()), result)
            continue
        cue = negation.cue(clause)
        head, tail = (clause[: cue.start()], clause[cue.end() :]) if cue else (clause, "")
        told = head.split() != said[: len(head)].split()  # the story: what it means, for search
        if _part(need, head, False, pending, vocabulary, result, positive) or told:
            wants.append(said[: len(head)].strip())
        _part(need, tail, True, pending, vocabulary, result, positive)
    suits = [s for start, end in _clauses(asked) if (s := _suits(asked[start:end]))]
    suits += [m for m in _models(text) if not any(m in s for s in suits)] if result.kind else []
    usage = read_usage(text, vocabulary.values("gender"))
    if usage.gender and usage.gender not in need.include.get("gender", []):
        need.want_value("gender", usage.gender, replace=True)
    if suits or usage.suits:
        need.suits = list(dict.fromkeys(suits + usage.suits))
    readings = _readings(result.kind, need.named, wanted, measures, suits, usage)
    if readings:
        need.readings = readings
    additive = bool(_ADDITIVE.search(text))
    # within one message a refusal stands: "any colour except white, the whole flat is white
    # already" refuses white (a later message may take it back: "actually white is fine")
    refused = {(f, v) for f, vs in need.exclude.items() for v in vs} - refused_before
    for facet, values in positive.items():
        values = [v for v in values if (facet, v) not in refused]
        for n, value in enumerate(values):
            need.want_value(facet, value, replace=n == 0 and not additive)
    if wants and not result.referenced:
        need.wants.append(", ".join(wants))
        if guess is not None and result.kind is None and not need.include.get(TYPE_FACET):
            _guessed(need, guess(text, *_what_they_have(text, vocabulary)), result)
    result.content = result.content or bool(
        wants or result.hits or result.referenced or result.rejected
    )
    return result


def _clauses(text: str) -> list[tuple[int, int]]:
    """Where each clause of the text starts and ends (it may hold spaces at either end)."""
    spans, start = [], 0
    for cut in _CLAUSE.finditer(text):
        spans.append((start, cut.start()))
        start = cut.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _refusals_kept(text: str, asked: str) -> str:
    """`asked` with every clause that turns something down by its own words ("I'm done with
    crop tops", "steer clear of Indian Terrain") as written: a refusal is never the story."""
    for start, end in _clauses(text):
        found = negation.cue(text[start:end])
        if found and negation.by_word(found):
            asked = asked[:start] + text[start:end] + asked[end:]
    return asked


def _tell(need: Need, reading: Reading, text: str, asked: str) -> None:
    """Remember the story's content words, and the words of its stated negations ("doesn't"),
    that the message does not also ask with: search matches them by meaning, never as words
    ("it's freezing in my study" is not about study notebooks). Oldest go first."""
    negations = [_word_at(text, start) for start, _ in reading.stated_negations]
    said = set(normalize(asked).split())
    words = normalize(" ".join([*reading.told_content, *negations])).split()
    kept = [w for w in need.told if w not in said]
    need.told = list(dict.fromkeys(w for w in [*kept, *words] if w not in said))[-MAX_TOLD:]


def _word_at(text: str, at: int) -> str:
    """The whole word around a position: "doesn't" for the "n't" spaCy splits off."""
    start = max((m.end() for m in re.finditer(r"[^\w'’]", text[:at])), default=0)
    end = re.search(r"[^\w'’]|$", text[at:])
    return text[start : at + (end.start() if end else 0)]


def _needed(lack: re.Match[str], vocabulary: Vocabulary) -> str:
    """ "we have no" -> "we need", "there's no" -> "need": a lack of a kind of thing the catalog
    sells, said as the need it is ("we have no pets" stays as it was)."""
    after = normalize(lack.string[lack.end() :]).split()[:3]
    if not any(vocabulary.kinds.read(after[: n + 1]) for n in range(len(after))):
        return lack[0]
    subject = re.match(r"[a-z]+", lack[0], re.I)
    return f"{subject[0]} need" if subject and subject[0].lower() in _SUBJECTS else "need"


def _what_they_have(text: str, vocabulary: Vocabulary) -> tuple[str, frozenset[str]]:
    """The message without what the person has or where ("in my study", "my phone dies"),
    and the types of those things: what they need is something else."""
    tokens = normalize(text).split()
    objects = object_positions(tokens)
    owned = frozenset(t for i in objects if (t := vocabulary.kinds.read(tokens[i : i + 1])))
    return " ".join(t for i, t in enumerate(tokens) if i not in objects), owned


def _guessed(need: Need, found: Guess, result: Understanding) -> None:
    """The kinds read by meaning become the wanted type (any of them), said in the panel."""
    if not found.kinds:
        return
    need.include[TYPE_FACET] = list(found.kinds)
    need.named = ""
    result.kind = found.kinds[0]
    result.content = True
    need.readings = [f"the kind of thing, by meaning ({found.how}): {' or '.join(found.kinds)}",
                     *need.readings]  # fmt: skip


def _any(need: Need, text: str, pending: str | None, vocabulary: Vocabulary) -> None:
    """ "any" / "don't care" for the pending question, and "any brand" for a named facet."""
    if pending and _ANY.search(text):
        need.settle(pending)
    facets = {f.rstrip("s"): f for f in [*vocabulary.facets, "price", "rating"]}
    for word in _ANY_FACET.findall(text):
        facet = facets.get(word.lower().rstrip("s"))
        if facet:
            need.settle(facet)


def _part(
    need: Need,
    part: str,
    negated: bool,
    pending: str | None,
    vocabulary: Vocabulary,
    result: Understanding,
    positive: dict[str, list[str]],
) -> bool:
    """Read one side of a clause (before or after its negation). Items and refused values go
    straight into the need; wanted values are collected in `positive`, since a later value for
    the same facet replaces the earlier ones. Returns whether the part states a want."""
    tokens = normalize(part).split()
    if not tokens:
        return False
    only = pending if pending and not negated and len(tokens) <= 3 else None
    hits = vocabulary.match(tokens, only) or (vocabulary.match(tokens) if only else [])
    result.hits += hits
    objects = object_positions(tokens)
    # "no more Xiaomi phones", "done with crop tops": phones and tops, not those
    known = [w for w in _leftover(tokens, hits) if vocabulary.knows(w)]  # not "anymore"
    valued = any(h.facet not in (TYPE_FACET, "item", "category") for h in hits) or bool(known)
    for hit in hits:
        if (
            not negated
            and hit.facet != pending
            and _soft(hit, objects, result.kind, vocabulary, need.include.get("category", []))
        ):
            continue  # the words stay in the want's text
        if hit.facet == TYPE_FACET and negated:
            if not valued:
                need.refuse_value(hit.facet, hit.value)
        elif hit.facet == "item" and negated:
            need.dislike(hit.value)
        elif hit.facet == "item":
            (need.like if _TASTE.search(part) else need.request)(hit.value)
        elif negated:
            need.refuse_value(hit.facet, hit.value)
        else:
            positive.setdefault(hit.facet, []).append(hit.value)
    rest = _leftover(tokens, hits)
    if negated:  # words refused that resemble a value, or a product's title, are refused as
        # said ("not crunchy" is not only the item called "Crunchy"); a film's title is the film
        products = bool(vocabulary.kinds.types)
        said = [h for h in hits if h.how != "exact" or (h.facet == "item" and products)]
        rest += [tokens[i] for h in said for i in range(h.start, h.end)]
    if negated and rest and " ".join(rest) not in need.avoid:
        need.avoid.append(" ".join(rest))
    return not negated and bool(rest or hits)


def _kind(need: Need, text: str, vocabulary: Vocabulary) -> str | None:
    """The product type the message asks for (the first clause that names one, outside what
    it is for and what it turns down): it replaces the type wanted so far, unless the message
    refers back to it ("a flavoured one, lemon or mint": a kind of the tea, not lemons)."""
    if need.include.get(TYPE_FACET) and _ONE.search(text):
        return None
    parts = bool(feature_positions(normalize(text).split()))  # "big screen, good camera"
    for clause in filter(None, (c.strip() for c in _CLAUSE.split(text) if c)):
        cue = negation.cue(clause)
        tokens = normalize(clause[: cue.start()] if cue else clause).split()
        hits = vocabulary.match(tokens)
        # a type word inside a name is not the type: "Virgin Mobile", "Case-Mate", a title;
        # nor, once a kind is wanted, a material it may be made of ("steel or glass body")
        described = _DESCRIBING if need.include.get(TYPE_FACET) else ()
        named = {i for h in hits if h.facet == "item" or h.facet in NAME_FACETS
                 or (h.facet in described and _before_a_kind(tokens, h.end, vocabulary))
                 for i in range(h.start, h.end)}  # fmt: skip
        kind, phrase = vocabulary.kinds.read_phrase(
            ["" if i in named else t for i, t in enumerate(tokens)], parts
        )
        if kind:
            named_category = _named_category(hits, kind, vocabulary, clause)
            if named_category:  # "I need Wardrobes": the shop's own word, and all it files there
                need.settle(TYPE_FACET)
                need.want_value("category", named_category, replace=True)
            else:
                need.want_value(TYPE_FACET, kind, replace=True)
            need.named = phrase
            return kind
    return None


def _named_category(hits: list[Hit], kind: str, vocabulary: Vocabulary, said: str) -> str | None:
    """A category label the message repeats as the shop writes it ("Wardrobes", "Tables &
    desks": a menu label or a chip, copied) whose own name says the type read (not the root
    every item shares, nor "iPhone", which names a phone only through a more general word):
    the shop files things there that the type misses (a wardrobe section under Wardrobes), so
    it is the filter. Typed as words ("garden chairs"), the type is."""
    counts = vocabulary.facets.get("category", {})
    items = len(vocabulary.titles) or max(counts.values(), default=0)
    for h in hits:
        if h.facet != "category" or h.how != "exact" or counts.get(h.value, 0) >= BROAD * items:
            continue
        if h.value not in said:
            continue
        kinds = types_of_name(h.value)
        if kind in kinds and (h.end - h.start > 1 or kinds[0] == kind):
            return h.value
    return None


def _readings(
    kind: str | None,
    phrase: str,
    wanted: str | None,
    measures: dict[str, Range],
    suits: list[str],
    usage: Usage,
) -> list[str]:
    """How the message's phrases were read, in words, for the "Why these?" panel."""
    out = []
    if kind:
        out.append(f"the kind of thing: {kind}" + (f' ("{phrase}" first)' if phrase else ""))
    if wanted and measures:
        named = ", ".join(n.replace("_", " ") for n in measures)
        out.append(f"{named}: compared among the {wanted} items, not the whole catalog")
    out += [f'for "{s}": words to find in the items, not a filter' for s in suits]
    if usage.gender:
        out.append(f"who it is for: {usage.gender}")
    if "outdoor" in usage.suits:
        out.append("used outside: outdoor items first")
    if "children" in usage.suits:
        out.append("for a child: children's items first")
    return out


def _soft(
    hit: Hit,
    objects: set[int],
    kind: str | None,
    vocabulary: Vocabulary,
    need_categories: Sequence[str] = (),
) -> bool:
    """Whether a hit stays a word to match rather than a filter: the type (read by _kind), what
    the thing is for ("a case for my iPhone" is not an iPhone; "shoes for men" is still a
    gender), a category named beside a type (the type says what kind of thing better) or one
    that names no type (a line of products: "Samsung Galaxy"), and a material (mined from the
    items' text, so often missing: "leather wallet" must not empty the list)."""
    if hit.facet in SOFT_FACETS:
        return True
    if hit.facet == "item":  # "my favourite is Heat": a film named is still that film
        return False
    if hit.start in objects:
        return hit.facet not in FOR_FACETS
    if hit.facet == "category" and hit.value in need_categories:
        return False
    if hit.facet == "category":
        # Beside a type, the type says what kind of thing (the category "iPhone" holds only some
        # iPhones). Alone, a category that names no type is a line of products ("Samsung
        # Galaxy"), unless it is a department ("Samsung Galaxy Accessories").
        # Said in more words than the type, and of that type, it narrows ("prepaid phone").
        kinds = set(types_of_name(hit.value)) & vocabulary.kinds.types
        if kind is not None:
            return kind not in kinds or hit.end - hit.start < 2
        department = singular(normalize(hit.value).split()[-1]) in GENERIC
        return bool(vocabulary.kinds.types) and not (kinds or department)
    return False


def _suits(clause: str) -> str:
    """What the thing is for, as words: "a case for my iPhone 7" -> "iphone 7"."""
    tokens = normalize(clause).split()
    skip = STOPWORDS | OBJECT_WORDS | _AGE
    aged = {i for i in range(len(tokens) - 1) if tokens[i].isdigit() and tokens[i + 1] in _AGE}
    return " ".join(tokens[i] for i in sorted(object_positions(tokens) - aged)
                    if tokens[i] not in skip)  # fmt: skip


def _models(text: str) -> list[str]:
    """Model names said beside a type, as a search box gets them ("battery case iphone 6",
    "galaxy s7 screen protector"): a word and a number, and "plus", "edge" ... after it."""
    tokens = normalize(text).split()
    out = []
    for i in range(1, len(tokens)):
        name = tokens[i - 1]
        if any(c.isdigit() for c in tokens[i]) and name.isalpha() and name not in STOPWORDS:
            end = i + 1
            while end < len(tokens) and tokens[end] in MODEL_SUFFIXES:
                end += 1
            out.append(" ".join(tokens[i - 1 : end]))
    return [m for m in out if m.split()[0] not in _MONEY_WORDS and not _AGE & set(m.split())]


def _reject_all(need: Need, text: str, result: Understanding) -> str:
    """A sentence that turns down the whole list just shown: every item in it is disliked.
    Returns the text without that sentence."""
    if not need.last_shown:
        return text
    sentences = re.split(r"(?<=[.!?\n])\s+", text)  # "5.5 inch" is not two sentences
    kept = [s for s in sentences if not _REJECT_ALL.match(s.strip())]
    if len(kept) == len(sentences):
        return text
    for item_id in need.last_shown:
        need.dislike(item_id)
    need.rejections += 1
    result.rejected = True
    return " ".join(kept)


def _neutral(need: Need, hits: list[Hit], result: Understanding) -> None:
    """Items named without a verdict ("I haven't seen It Follows") inform taste a little."""
    result.hits += hits
    for hit in hits:
        if hit.facet == "item" and hit.value not in need.mentioned + need.disliked:
            need.mentioned.append(hit.value)


def by_position(text: str, shown: list[str]) -> tuple[list[str], str]:
    """The shown items named by position ("the second one", "#3", "the last"), and the text
    without those words."""
    picked = []
    for m in _ORDINAL.finditer(text):
        word, *numbers = m.groups()
        n = _ORDINALS[word.lower()] if word else int(next(x for x in numbers if x))
        if n == -1:
            picked.append(shown[-1])
        elif 1 <= n <= len(shown):
            picked.append(shown[n - 1])
    return picked, _ORDINAL.sub(" ", text)


def _before_a_kind(tokens: Sequence[str], at: int, vocabulary: Vocabulary) -> bool:
    """Whether a type word (or "body", "one", "ones") follows position `at`: the word before
    it describes that thing ("steel or glass body", "a glass one"), it is not the thing."""
    after = tokens[at : at + 2]
    return bool(after) and (after[0] in _DESCRIBED or bool(vocabulary.kinds.read(list(after[:1]))))


def _clause_at(text: str, at: int) -> str:
    """The clause of `text` that holds position `at`."""
    return next((text[s:e] for s, e in _clauses(text) if s <= at <= e), "")


def _references(need: Need, text: str, vocabulary: Vocabulary, result: Understanding) -> str:
    """ "the second one", "#3", "not that one", "more like the Nokia": items just shown.
    Returns the text without the words that named them."""
    shown = need.last_shown
    if not shown:
        return text
    named = [m for m in (_ORDINAL.search(text), _THAT_ONE.search(text), _MORE_LIKE.search(text))
             if m]  # fmt: skip
    # a refusal of the item is said in the clause that names it ("I like the second one, apart
    # from the colour" likes it)
    negated = bool(named) and bool(negation.cue(_clause_at(text, min(m.start() for m in named))))
    picked, _ = by_position(text, shown)
    if not picked and _THAT_ONE.search(text):
        picked.append(shown[0])
    like = _MORE_LIKE.search(text)
    if not picked and like:
        words = set(normalize(like.group(1)).split()) - STOPWORDS
        for item_id in shown:
            if words and words <= set(normalize(vocabulary.titles.get(item_id, "")).split()):
                picked.append(item_id)
                text = text[: like.start()]
                break
    for item_id in picked:
        (need.dislike if negated else need.like)(item_id)
    result.referenced = picked
    return _ORDINAL.sub(" ", _THAT_ONE.sub(" ", text)) if picked else text


def _of_shown(
    need: Need,
    text: str,
    vocabulary: Vocabulary,
    shown: Callable[[], Sequence[Item]],
    result: Understanding,
) -> str:
    """ "Not that brand", "more in that colour", "none of those brands": the values the items
    just shown have for a facet the catalog has (of the one named by position, else the first;
    "those" and "these": all of them), refused or wanted. Returns the text without the words."""
    if not need.last_shown:
        return text
    for m in reversed(list(_THAT_FACET.finditer(text))):
        word = m.group(2).lower()
        facet = ATTRIBUTES.get(word, word)
        if facet not in vocabulary.facets:
            if word in ATTRIBUTES and facet not in ("price", TYPE_FACET):  # "not that colour"
                # in a shop that lists no colours: say so
                result.unlisted.append(facet)
            continue
        items = list(shown())
        picked, _ = by_position(text, need.last_shown)
        chosen = [i for i in items if i.id in picked] or (
            items if m.group(1).lower() in ("those", "these") else items[:1])  # fmt: skip
        negated = bool(negation.cue(text[: m.start()]))
        for value in dict.fromkeys(v for i in chosen for v in i.facets.get(facet, ())):
            if negated:
                need.refuse_value(facet, value)
            else:
                need.want_value(facet, value, replace=False)
            result.content = True
        text = text[: m.start()] + " " + text[m.end() :]
    return text


def _ranges(
    need: Need, text: str, shown: Callable[[], Sequence[Item]], result: Understanding
) -> bool:
    """Budgets and ratings said in the message; whether a price was given (a "cheaper" with
    nothing shown and no budget gives none: it is read as "cheap", the cheaper half)."""
    change = parse_ranges(text)
    if change.price:
        need.ranges["price"] = change.price
    if change.rating:
        need.ranges["rating"] = change.rating
    current = need.ranges.get("price", Range())
    if change.relative == "cheaper":
        # Cheaper than most items just shown (seen in Chromium: under 80% of the dearest, a
        # list of $39.95 cases came back as "cheaper"), and than the budget so far.
        prices = sorted(i.price for i in shown() if i.price)
        middle = prices[len(prices) // 2] if prices else None
        base = min(filter(None, [middle, current.max]), default=None)
        if base:
            need.ranges["price"] = Range(max=round(base * CHEAPER_FACTOR, 2), said=False,
                                          word="cheaper")  # fmt: skip
    elif change.relative == "pricier" and current.max:
        raised = round(current.max * PRICIER_FACTOR, 2)
        need.ranges["price"] = Range(min=current.min, max=raised, said=False, word="pricier")
    if change:
        result.content = True
    return bool(change.price) or need.ranges.get("price", Range()) != current


def _leftover(tokens: Sequence[str], hits: Sequence[Hit]) -> list[str]:
    covered = {i for h in hits for i in range(h.start, h.end)}
    return [
        t
        for i, t in enumerate(tokens)
        if i not in covered and t not in STOPWORDS and not t.isdigit() and t not in _MONEY_WORDS
    ]
