"""Misspellings read as the catalog's words, and real words left alone."""

import pytest

from bot.understanding.spelling import Speller, english_words

CATALOG = {"otterbox": 40, "defender": 12, "wireless": 90, "wirelss": 1, "charger": 70,
           "bookcase": 8, "headphones": 30, "sneakers": 25, "spider": 3, "man": 50,
           "freezer": 4, "bender": 2, "basmati": 9, "rice": 30, "heater": 6, "reaching": 2,
           "sonys": 3, "soooooon": 1}  # fmt: skip
ENGLISH = {"freezing", "study", "remind", "laugh", "funny", "have", "watch", "my", "in", "it",
           "speaker", "mail", "me", "at", "cold"}  # fmt: skip


def speller(together: frozenset[str] = frozenset({"spider man"})) -> Speller:
    return Speller(CATALOG, ENGLISH, lambda phrase: phrase in together)


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("otterbx defender", "otterbox defender"),  # a dropped letter
        ("wirless charger", "wireless charger"),  # the commoner of two near words
        ("bookcse", "bookcase"),
        ("Headphnes", "Headphones"),  # capitalised as typed
        ("HEADPHNES", "HEADPHONES"),
        ("sneekers", "sneakers"),
        ("basmati rcie", "basmati rcie"),  # four letters: too short to guess
        ("spiderman", "spider man"),  # two words run together, as titles say them
    ],
)
def test_misspellings_become_the_catalogs_words(said: str, read: str) -> None:
    assert speller().correct(said)[0] == read


@pytest.mark.parametrize(
    "said",
    [
        "it's freezing in my study",  # English, though "freezer" is one letter away
        "it reminded me",  # a form of an English word
        "funnier",
        "havent watched it",  # a contraction without its apostrophe
        "soooooo cold",  # emphasis
        "hahaha",
        "rewatching",  # re- and -ing around an English word, though "reaching" is near
        "a Sonos speaker",  # a name, capitalised as names are
        "mail me at jon@otterbx.com",  # an address is not a word to correct
        "xender",  # nothing near starts with the same letter
    ],
)
def test_words_english_has_are_left_alone(said: str) -> None:
    text, corrections = speller().correct(said)
    assert text == said and corrections == []


def test_corrections_are_reported_once_each() -> None:
    text, corrections = speller().correct("otterbx, otterbx and a bookcse")
    assert text == "otterbox, otterbox and a bookcase"
    assert [(c.said, c.read) for c in corrections] == [("otterbx", "otterbox"),
                                                       ("bookcse", "bookcase")]  # fmt: skip


def test_a_split_needs_the_titles_to_say_it() -> None:
    assert speller(together=frozenset()).correct("spiderman")[0] == "spiderman"


def test_english_is_read_from_the_packaged_dictionary() -> None:
    words = english_words()
    assert {"freezing", "heater", "headphones", "blender"} <= words
    assert "headphnes" not in words and len(words) > 40_000
