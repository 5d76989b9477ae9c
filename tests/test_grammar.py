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
    assert [text[s:e].lower() for s, e in reading.statements] == [w.lower() for w in stated]


def test_positions_survive_punctuation(grammar):
    """Pieces between commas are parsed apart; the spans still point into the whole text."""
    text = "It's cold here, so cold. We need a heater, a small one"
    reading = grammar.read(text)
    assert all(text[s:e].isalpha() or "'" in text[s:e] for s, e in reading.told)
    assert "heater" in reading.asked(text) and len(reading.asked(text)) == len(text)


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


def test_a_refusal_in_a_request_still_refuses(grammar, vocabulary):
    need = Need()
    understand(need, "headphones that aren't wireless", vocabulary, grammar=grammar)
    assert need.include[TYPE_FACET] == ["headphone"] and need.avoid == ["wireless"]
    need = Need()
    understand(need, "a sofa for the lounge, not red", vocabulary, grammar=grammar)
    assert need.include[TYPE_FACET] == ["sofa"] and need.exclude["colour"] == ["Red"]
