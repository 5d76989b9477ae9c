"""The attention rerank's maths on small cases computed by hand."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.rerank import FALLBACK, Keys, Query, attend, rerank

TAU = 0.5


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def keys(rows: list[list[np.ndarray | None]], snippets: list[list[str]] | None = None) -> Keys:
    """rows[i][f]: the key of item i's field f, None where the item lacks the field."""
    n, f = len(rows), len(rows[0])
    vectors = np.zeros((n, f, 2), dtype=np.float32)
    present = np.zeros((n, f), dtype=bool)
    for i, row in enumerate(rows):
        for j, k in enumerate(row):
            if k is not None:
                vectors[i, j], present[i, j] = k, True
    return Keys(vectors, present, snippets or [[f"{i}/{j}" for j in range(f)] for i in range(n)])


def test_attend_takes_the_best_present_field_and_softmaxes_across_candidates():
    q = np.stack([unit(1, 0), unit(0, 1)])
    k = keys([[unit(1, 0), unit(0, 1)], [unit(1, 1), None], [unit(0, 1), unit(-1, 0)]])
    s, f, a = attend(q, k.vectors, k.present, TAU)
    assert s.shape == f.shape == a.shape == (2, 3)
    r = 1 / math.sqrt(2)
    np.testing.assert_allclose(s, [[1, r, 0], [1, r, 1]], atol=1e-6)
    assert f.tolist() == [[0, 0, 0], [1, 0, 0]]  # item 1's missing field is never chosen
    np.testing.assert_allclose(a.sum(1), [1, 1], atol=1e-6)
    z = math.exp(1 / TAU) + math.exp(r / TAU) + math.exp(0)
    np.testing.assert_allclose(a[0], [math.exp(2) / z, math.exp(2 * r) / z, 1 / z], rtol=1e-5)


def test_weights_are_exp_of_the_score_gap_over_tau_and_the_best_is_one():
    q = [Query("need", unit(1, 0), 1.0)]
    k = keys([[unit(1, 0)], [unit(0, 1)], [unit(1, 1)]])
    bias = np.array([0.0, 0.5, 0.0], dtype=np.float32)
    ranked = rerank(q, k, bias, theta=0.0, temperature=TAU)
    assert [r.index for r in ranked] == [0, 2, 1]
    expected = {0: 1.0, 2: math.exp((1 / math.sqrt(2) - 1) / TAU), 1: math.exp((0.5 - 1) / TAU)}
    for r in ranked:
        assert r.weight == pytest.approx(expected[r.index], rel=1e-5)
        assert r.passed


def test_theta_zero_keeps_all_theta_one_keeps_none_and_the_closest_are_marked():
    q = [Query("need", unit(1, 0), 1.0)]
    k = keys([[unit(1, 0)], [unit(0, 1)], [unit(1, 1)], [unit(-1, 0)], [unit(1, -1)]])
    bias = np.zeros(5, dtype=np.float32)
    assert len(rerank(q, k, bias, 0.0, TAU)) == 5
    closest = rerank(q, k, bias, 1.0, TAU)
    assert len(closest) == FALLBACK and not any(r.passed for r in closest)
    assert [r.index for r in closest] == [0, 2, 4]  # still best first
    some = rerank(q, k, bias, math.exp((1 / math.sqrt(2) - 1) / TAU) - 1e-4, TAU)
    assert [r.index for r in some] == [0, 2, 4]
    assert [r.index for r in rerank(q, k, bias, 0.6, TAU)] == [0]  # 0.557 for 2 and 4


def test_an_avoid_phrase_subtracts():
    need = Query("need", unit(1, 1), 1.0)
    avoid = Query("avoid: plastic", unit(0, 1), -1.0)
    k = keys([[unit(1, 0.2)], [unit(0.2, 1)]])  # equally close to the need
    bias = np.zeros(2, dtype=np.float32)
    assert rerank([need], k, bias, 0.0, TAU)[0].weight == pytest.approx(1.0)
    ranked = rerank([need, avoid], k, bias, 0.0, TAU)
    assert ranked[0].index == 0 and ranked[1].weight < 0.5
    assert {e.part for e in ranked[0].evidence} == {"need"}  # evidence is for wanted parts only


def test_evidence_names_the_field_and_snippet_that_answered_each_part():
    k = keys([[unit(1, 1), unit(1, 0), unit(0, 1)]],
             [["Nokia 6.1", "Nokia 6.1 smartphone", "Nokia; Android"]])  # fmt: skip
    queries = [Query("want: smartphone", unit(1, 0), 0.5), Query("brand: Nokia", unit(0, 1), 0.5)]
    (only,) = rerank(queries, k, np.zeros(1, dtype=np.float32), 0.0, TAU)
    by_part = {e.part: e for e in only.evidence}
    assert (by_part["want: smartphone"].field, by_part["want: smartphone"].snippet) == (
        "title", "Nokia 6.1 smartphone")  # fmt: skip
    assert by_part["brand: Nokia"].field == "facets"
    assert by_part["brand: Nokia"].attention == pytest.approx(1.0)  # the only candidate


def test_no_candidates_and_no_queries():
    assert rerank([], keys([[unit(1, 0)]]), np.array([0.3], dtype=np.float32), 0.5, TAU)[0].passed
    empty = Keys(np.zeros((0, 1, 2)), np.zeros((0, 1), bool), [])
    assert rerank([Query("need", unit(1, 0))], empty, np.zeros(0), 0.0, TAU) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1, 1), min_size=2, max_size=12),
    st.floats(0, 1),
    st.floats(0.01, 2),
)
def test_weights_lie_in_zero_one_and_theta_filters_exactly(scores, theta, tau):
    n = len(scores)
    k = keys([[unit(1, 0)] for _ in range(n)])
    ranked = rerank([], k, np.array(scores, dtype=np.float32), theta, tau)
    s32 = np.array(scores, dtype=np.float32).astype(np.float64)
    log_w = (s32 - s32.max()) / tau
    passing = [i for i in range(n) if theta == 0 or log_w[i] > math.log(theta)]
    if passing:
        assert sorted(r.index for r in ranked) == passing
        assert all(0 <= r.weight <= 1 and r.passed for r in ranked)
    else:
        assert len(ranked) == min(FALLBACK, n) and not any(r.passed for r in ranked)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
