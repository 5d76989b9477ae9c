import numpy as np
import pytest

from bot.asking import MIN_GAIN_BITS, choose_question, facet_gain, weights
from bot.state import Need
from retrieval.candidates import Scored
from retrieval.records import Item


def scored(n: int, score: float = 1.0, **facets: tuple[str, ...]) -> Scored:
    return Scored(Item(str(n), f"item {n}", facets=facets), score, {})


def test_gain_is_the_entropy_of_the_answer():
    four = [scored(n, brand=(b,)) for n, b in enumerate("ABCD")]
    w = np.full(4, 0.25)
    choice = facet_gain(four, w, "brand")
    assert choice.gain == pytest.approx(2.0 * 0.9)  # 2 bits, times the ease of "brand"
    assert sorted(choice.options) == ["A", "B", "C", "D"]
    same = [scored(n, brand=("A",)) for n in range(4)]
    assert facet_gain(same, w, "brand").gain == 0.0  # everyone agrees: nothing to learn


def test_weights_are_the_rerank_weights_normalised():
    first, second = scored(0, 1.0), scored(1, 0.9)
    first.weight, second.weight = 1.0, 0.25
    w = weights([first, second])
    assert w.sum() == pytest.approx(1.0) and w[0] / w[1] == pytest.approx(4.0)


def test_a_multi_valued_item_splits_its_weight_and_shared_values_are_no_options():
    items = [scored(0, category=("Phones", "Android")), scored(1, category=("Phones", "iOS"))]
    choice = facet_gain(items, np.array([0.5, 0.5]), "category")
    assert choice.options == ["Android", "iOS"] and choice.gain == pytest.approx(1.0)


def test_a_facet_most_candidates_lack_is_not_asked():
    items = [scored(0, colour=("Red",))] + [scored(n) for n in range(1, 4)]
    assert facet_gain(items, np.full(4, 0.25), "colour").gain == 0.0


def test_the_most_informative_open_facet_is_chosen():
    items = [scored(n, brand=("A", "B")[n % 2], colour=("R", "G", "B", "W")[n % 4])
             for n in range(8)]  # fmt: skip
    choice = choose_question(Need(), items, ["brand", "colour"], max_questions=2)
    assert choice is not None and choice.facet == "colour"  # 2 bits x 0.8 beats 1 bit x 0.9
    answered = Need(answered=["colour"])
    # brand alone: 1 bit x 0.9 is under the 1-bit bar, so recommend rather than ask
    assert MIN_GAIN_BITS == 1.0
    assert choose_question(answered, items, ["brand", "colour"], max_questions=2) is None


@pytest.mark.parametrize(
    "need",
    [Need(asked=["brand", "colour"]), Need(liked=["1"]),
     Need(include={"brand": ["A"], "colour": ["R"]})],
)  # fmt: skip
def test_no_question_when_capped_or_specific(need):
    items = [scored(n, colour=("R", "G", "B", "W")[n % 4], size=("S", "M", "L", "XL")[n % 4])
             for n in range(8)]  # fmt: skip
    assert choose_question(need, items, ["colour", "size"], max_questions=2) is None


@pytest.mark.parametrize(
    "need",
    [Need(liked=["1"], rejections=1),
     Need(include={"brand": ["A"], "colour": ["R"]}, rejections=1)],
)  # fmt: skip
def test_a_turned_down_list_reopens_questions_but_not_the_cap(need):
    items = [scored(n, size=("S", "M", "L", "XL")[n % 4]) for n in range(8)]
    choice = choose_question(need, items, ["colour", "size"], max_questions=2)
    assert choice is not None and choice.facet == "size"
    need.asked = ["colour", "brand"]
    assert choose_question(need, items, ["colour", "size"], max_questions=2) is None


def test_the_people_behind_items_are_never_asked_about():
    found = [Scored(Item(id=str(n), title="x", facets={"designer": (f"Designer {n}",),
                                                       "colour": (f"colour {n % 4}",)}),
                    1.0, {}) for n in range(8)]  # fmt: skip
    choice = choose_question(Need(wants=["a chair"]), found, ["designer", "colour"], 2)
    assert choice is not None and choice.facet == "colour"  # designer splits more, unasked


def test_the_kind_of_thing_is_not_asked_again_by_its_other_facet():
    """ "a phone", then "none of these": the type is known, so the category question ("What kind
    of thing are you after?", offering "Cell Phone Accessories") is not asked."""
    found = [Scored(Item(id=str(n), title="x", facets={
        "category": (("Cell Phone Accessories", "Prepaid Phones", "Unlocked Cell Phones")[n % 3],),
        "colour": (f"colour {n % 4}",)}), 1.0, {}) for n in range(9)]  # fmt: skip
    need = Need(include={"type": ["phone"]}, answered=["type"], rejections=1)
    choice = choose_question(need, found, ["category", "type", "colour"], 2)
    assert choice is not None and choice.facet == "colour"
    assert choose_question(Need(rejections=1), found, ["category", "colour"], 2).facet == "category"
