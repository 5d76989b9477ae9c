"""Which words ask and which tell the story, read by the real parser (bot/understanding/grammar.py),
and what that changes in the need."""

import pytest

from bot.state import Need
from bot.understanding.grammar import Grammar
from bot.understanding.understand import understand
from bot.understanding.vocabulary import Vocabulary, normalize
from retrieval.types import FACET as TYPE_FACET


@pytest.fixture(scope="module")
def grammar() -> Grammar:
    return Grammar()


def asked_words(grammar: Grammar, text: str) -> list[str]:
    return normalize(grammar.read(text).asked(text)).split()


@pytest.mark.parametrize(
    "text, asked",
    [
        ("a red sofa for the lounge", "a red sofa for the lounge"),  # a fragment asks
        ("we need a red sofa for the lounge", "we need a red sofa for the lounge"),
        ("I'm looking for a laptop bag", "im looking for a laptop bag"),
        ("show me something cheaper", "show me something cheaper"),  # an imperative
        ("do you have red sofas?", "do you have red sofas"),  # put to the shop
        ("headphones that aren't wireless", "headphones that arent wireless"),  # about the thing
        ("my dad needs a new phone, he hates touchscreens",
         "my dad needs a new phone he hates touchscreens"),
        ("I don't want anything pink", "i dont want anything pink"),
        ("she's not techy", "shes not techy"),  # a negation that still turns things down
        ("he never wears shorts", "he never wears shorts"),
        ("skip the lightning ones", "skip the lightning ones"),  # no subject: asks
        ("no corner or L-shaped ones please", "no corner or l shaped ones please"),
        # who it is for, and the thing wanted, described
        ("my husband is plus size", "my husband is plus size"),
        ("a short kurta would be nice", "a short kurta would be nice"),
        ("I'm after a bookcase", "im after a bookcase"),
        ("it's for my iphone", "its for my iphone"),
        ("it's an iphone 7", "its an iphone 7"),
        ("it should be red", "it should be red"),  # a wish, a must, a question
        ("it has to be waterproof", "it has to be waterproof"),
        ("does it come in red?", "does it come in red"),
        ("which is the cheapest red dress?", "which is the cheapest red dress"),
        ("the black ones look better", "the black ones look better"),  # the things shown
        ("I showered and the water went cold", ""),  # "showered" is no "show"
        ("it's a tiny studio", "s"),  # ... but not a place of theirs (the "'s" stays)
        # the story: no word of it asks
        ("we eat every meal on the sofa with plates on our knees", ""),
        ("little brown bugs come out from under the fridge every night", ""),
        ("they look ancient", ""),  # "look" asks only for something
        ("I keep finding white flakes on my shirts", ""),
        # a story and a request in one message
        ("my phone doesn't last the day, I need a power bank", "i need a power bank"),
    ],
)  # fmt: skip
def test_what_a_message_asks_for(grammar, text, asked):
    assert " ".join(asked_words(grammar, text)) == asked


@pytest.mark.parametrize(
    "text, stated",
    [
        ("my phone doesn't last the day", ["n't"]),
        ("I'm never in any of the pictures", ["never"]),
        ("there's no hot water for a bath", ["no"]),
        ("nothing streams in my bedroom", ["Nothing"]),
        ("I don't want anything pink", []),
        ("headphones that aren't wireless", []),
        ("a sofa but not a corner one", []),
        ("I never want Samsung again", []),
    ],
)
def test_a_negation_that_states_a_fact_refuses_nothing(grammar, text, stated):
    reading = grammar.read(text)
    assert [text[s:e].lower() for s, e in reading.stated_negations] == [w.lower() for w in stated]


def test_positions_survive_punctuation(grammar):
    """Pieces between commas are parsed apart (not inside "2.5"); the spans still point into
    the whole text, and only the story's content words are kept as told."""
    text = "My old kettle was 2.5 litres, it broke. We need a new kettle, a small one"
    reading = grammar.read(text)
    assert [text[s:e] for s, e in reading.told] == ["My", "old", "kettle", "was", "litres",
                                                    "it", "broke"]  # fmt: skip
    assert reading.told_content == ("old", "kettle", "litres", "broke")
    asked = reading.asked(text)
    assert len(asked) == len(text) and asked.endswith("We need a new kettle, a small one")


def test_a_long_message_is_read_only_as_far_as_the_limit(grammar):
    text = "my dog's " * 1000 + "bed is too small"
    reading = grammar.read(text)
    assert all(end <= 2000 for _, end in reading.told)
    assert len(reading.asked(text)) == len(text)


FACETS = {
    TYPE_FACET: {"sofa": 5, "table": 4, "charger": 3, "headphone": 3},
    "colour": {"Brown": 3, "Red": 3},
}
TITLES = {"s1": "KIVIK sofa", "t1": "LACK coffee table", "c1": "Anker power bank charger",
          "h1": "Sony wired headphones", "h2": "Jabra wireless headphones"}  # fmt: skip


@pytest.fixture
def vocabulary() -> Vocabulary:
    return Vocabulary(FACETS, TITLES)


def test_a_thing_in_the_story_is_not_the_thing_asked_for(grammar, vocabulary):
    need = Need()
    understand(need, "it's a tiny studio, so we eat every meal on the sofa with plates on our "
               "knees", vocabulary, grammar=grammar)  # fmt: skip
    assert TYPE_FACET not in need.include
    assert "sofa" in need.told and "sofa" in need.query_text()  # searched by meaning
    assert "the" not in need.told and "with" not in need.told  # only the story's content words
    assert "sofa" not in need.words_to_match().split()
    need = Need()
    understand(need, "little brown bugs come out from under the fridge every night", vocabulary,
               grammar=grammar)  # fmt: skip
    assert "colour" not in need.include and not need.avoid


def test_a_stated_negation_is_the_need_not_a_refusal(grammar, vocabulary):
    need = Need()
    understand(need, "my phone doesn't last the day, I need a power bank", vocabulary,
               grammar=grammar)  # fmt: skip
    assert not need.avoid and not need.exclude
    assert "my phone doesn't last the day" in need.query_text()
    assert "doesnt" not in need.words_to_match().split()  # nor its negation a word to match


def test_a_refusal_said_in_its_own_words_is_never_the_story(grammar, vocabulary):
    """The parse reads "the cat can't stand the smell of lemon" as a story (a subject and a verb
    that is not one of wanting); the refusal lexicon (bot/understanding/negation.py) still turns
    the smell down."""
    need = Need()
    understand(need, "a sofa, the cat can't stand the smell of leather", vocabulary,
               grammar=grammar)  # fmt: skip
    assert need.avoid == ["smell leather"]


def test_a_refusal_in_a_request_still_refuses(grammar, vocabulary):
    need = Need()
    understand(need, "headphones that aren't wireless", vocabulary, grammar=grammar)
    assert need.include[TYPE_FACET] == ["headphone"] and need.avoid == ["wireless"]
    need = Need()
    understand(need, "a sofa for the lounge, not red", vocabulary, grammar=grammar)
    assert need.include[TYPE_FACET] == ["sofa"] and need.exclude["colour"] == ["Red"]


def test_an_adverb_is_no_kind_of_thing(grammar):
    """A grocery sells "still" water, typed "still"; "he still wants it sweet" asks for none:
    the words that may name a kind leave out an adverb of a verb, not the "still" of water."""
    text = "my dad still wants his tea sweet"
    reading = grammar.read(text)
    assert "still" not in reading.naming(reading.asked(text))
    text = "still water please"
    reading = grammar.read(text)
    assert "still" in reading.naming(reading.asked(text))
