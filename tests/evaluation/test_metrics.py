"""Each metric function on a hand-made case whose answer is worked out here."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest
from _helpers_evaluation import art, judged_case

from relate.evaluation import (
    agreement,
    catalogue_coverage,
    dup_rate,
    generic_topics,
    gini,
    intra_list_diversity,
    judged_metrics,
    judged_share,
    time_gap_days,
    topic_precision,
)


# ------------------------------------------------------------------ judged metrics (ranx + dup rule)
def test_ndcg_counts_dups_as_zero_in_list_and_ideal():
    j = judged_case()
    # Shown top 3 of [c, b, x, a]: c is a dup (gain 0), b grade 1 (gain 2^1-1 = 1), x unjudged (0).
    # DCG = 0/log2(2) + 1/log2(3) + 0/log2(4) = 0.63093
    # Ideal from the judged grades with the dup as 0: [a=2, b=1] -> 3/log2(2) + 1/log2(3) = 3.63093
    out = judged_metrics({"q": ["c", "b", "x", "a"]}, j, k=3)
    expected = (1 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert out["ndcg"]["q"] == pytest.approx(expected)          # 0.17377
    assert out["p_rel"]["q"] == pytest.approx(1 / 3)             # only b is relevant and not a dup
    assert out["p_clear"]["q"] == pytest.approx(0.0)             # c is grade 2 but a dup
    assert out["dup_rate"]["q"] == pytest.approx(1 / 3)
    assert out["judged"]["q"] == pytest.approx(2 / 3)            # c, b judged; x not
    # q2 has no list: 0 for the ranked metrics, undefined for the shares of shown items.
    assert out["ndcg"]["q2"] == 0.0 and out["p_rel"]["q2"] == 0.0
    assert math.isnan(out["dup_rate"]["q2"]) and math.isnan(out["judged"]["q2"])


def test_ndcg_perfect_list_is_one_and_order_matters():
    j = judged_case()
    assert judged_metrics({"q": ["a", "b"]}, j, k=5)["ndcg"]["q"] == pytest.approx(1.0)
    # Swapped: DCG = 1 + 3/log2(3) = 2.89279 against ideal 3.63093 -> 0.79671
    swapped = judged_metrics({"q": ["b", "a"]}, j, k=5)["ndcg"]["q"]
    assert swapped == pytest.approx((1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3)))


def test_precision_divides_by_k_even_for_short_lists():
    j = judged_case()
    out = judged_metrics({"q": ["a"]}, j, k=5)
    assert out["p_rel"]["q"] == pytest.approx(1 / 5) and out["p_clear"]["q"] == pytest.approx(1 / 5)
    assert out["judged"]["q"] == 1.0 and out["dup_rate"]["q"] == 0.0


def test_dup_rate_and_judged_share_by_hand():
    j = judged_case()
    assert dup_rate("q", ["c", "a", "zz", "yy"], j) == 0.25
    assert judged_share("q", ["c", "a", "zz", "yy"], j) == 0.5
    assert math.isnan(dup_rate("q", [], j))


# ------------------------------------------------------------------ agreement
def test_agreement_recall_and_overlap():
    # old top 2 = {b, x}; shown top 2 = {a, b}: recall@2 = 1/2. Both shown are in the old list: overlap 1.
    assert agreement(["a", "b", "c"], ["b", "x", "a", "y"], k=2) == (0.5, 1.0)
    # shown [a, z]: z is nowhere in the old list -> overlap 1/2; old top 3 {b, x, a} holds a -> recall 1/3.
    r, o = agreement(["a", "z"], ["b", "x", "a", "y"], k=3)
    assert r == pytest.approx(1 / 3) and o == pytest.approx(0.5)
    r, o = agreement(["a"], [], k=5)
    assert math.isnan(r) and o == 0.0
    r, o = agreement([], ["a"], k=5)
    assert r == 0.0 and math.isnan(o)


# ------------------------------------------------------------------ topics
def test_generic_topics_are_those_on_half_the_corpus():
    arts = [art("1", ["Azure", "AI"]), art("2", ["Azure"]), art("3", ["Azure", "AI"]), art("4", ["Azure", "IoT"])]
    assert generic_topics(arts) == {"Azure", "AI"}             # AI is on 2 of 4 = half
    assert generic_topics(arts, share=0.6) == {"Azure"}


def test_topic_precision_ignores_generic_topic():
    # Article: Azure + AI. Shown: [Azure+AI] shares AI; [Azure] only the generic; [IoT+AI] shares AI -> 2/3.
    assert topic_precision(["Azure", "AI"], [["Azure", "AI"], ["Azure"], ["IoT", "AI"]], {"Azure"}) == pytest.approx(2 / 3)
    assert math.isnan(topic_precision(["Azure"], [["Azure"]], {"Azure"}))   # no specific topic: undefined
    assert math.isnan(topic_precision(["AI"], [], {"Azure"}))
    assert topic_precision(["AI"], [None, ["AI"]], {"Azure"}) == 0.5        # unknown item counts as no match


# ------------------------------------------------------------------ beyond accuracy
def test_intra_list_diversity_by_hand():
    # Pairs of [e1, e2, e1]: cos(e1,e2)=0, cos(e1,e1)=1, cos(e2,e1)=0 -> mean 1/3 -> ILD 2/3.
    assert intra_list_diversity(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])) == pytest.approx(2 / 3)
    # Not unit length: normalised first. [3,4] and [4,3]: cos = 24/25 -> ILD 0.04.
    assert intra_list_diversity(np.array([[3.0, 4.0], [4.0, 3.0]])) == pytest.approx(0.04)
    assert math.isnan(intra_list_diversity(np.array([[1.0, 0.0]])))


def test_gini_by_hand():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)             # (n-1)/n for one item taking all
    # [1, 3]: sorted x=(1,3), G = 2*(1*1+2*3)/(2*4) - 3/2 = 14/8 - 1.5 = 0.25
    assert gini([3, 1]) == pytest.approx(0.25)
    assert math.isnan(gini([0, 0]))


def test_catalogue_coverage_and_time_gap_by_hand():
    assert catalogue_coverage([["a", "b"], ["b", "zz"]], ["a", "b", "c", "d"]) == 0.5   # zz is not in the catalogue
    t = datetime(2020, 1, 10)
    assert time_gap_days(t, [datetime(2020, 1, 9), datetime(2020, 1, 20), None]) == 5.5   # median of 1 and 10
    assert math.isnan(time_gap_days(None, [t]))
