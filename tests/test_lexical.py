"""BM25: exact model names and numbers win, where dense vectors blur them."""

import numpy as np

from retrieval.lexical import LexicalIndex, terms

DOCS = {
    "a": "Apple iPhone 6 Plus 64GB - Silver",
    "b": "Apple iPhone 6 64GB - Silver",
    "c": "Apple iPhone 7 Plus 128GB - Black",
    "d": "OtterBox case for Apple iPhone 6 and 6s",
    "e": "Paracetamol tablets 500 mg, pack of 10",
    "f": "Paracetamol tablets 250 mg, pack of 10",
}


def index() -> LexicalIndex:
    return LexicalIndex(list(DOCS), list(DOCS.values()))


def test_terms_split_letters_from_digits_and_fold_accents():
    assert terms("64GB Pöäng 6.1-inch") == ["64", "gb", "poang", "6.1", "inch"]


def test_an_exact_model_name_ranks_first():
    lexical = index()
    assert lexical.top(lexical.scores("iPhone 6 Plus"), 3)[0] == "a"
    assert lexical.top(lexical.scores("iphone 7 plus 128 gb"), 1) == ["c"]


def test_a_dose_picks_the_right_strength():
    lexical = index()
    assert lexical.top(lexical.scores("paracetamol 500 mg"), 2) == ["e", "f"]


def test_scores_are_a_share_of_the_best_possible_and_unknown_ids_score_zero():
    lexical = index()
    scores = lexical.scores("iPhone 6 Plus")
    assert scores.shape == (len(DOCS),) and np.all((scores >= 0) & (scores <= 1))
    assert lexical.at(scores, ["e", "zzz"]).tolist() == [0.0, 0.0]
    assert lexical.top(lexical.scores("sofa"), 5) == []  # nothing shares a term
