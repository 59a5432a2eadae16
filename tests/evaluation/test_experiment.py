"""evaluate() and its Report on tiny hand-made corpora: which queries count, each aggregate, the tables."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _helpers_evaluation import art, judged_case, u

from relate.evaluation import Judgments, evaluate, topic_precision_by_topic


def test_ndcg_only_over_judged_queries():
    j = judged_case()
    arts = [art(n) for n in ("q", "q2", "a", "b", "c", "d", "e", "other")]
    uj = Judgments([{**r.__dict__, "query": u(r.query), "candidate": u(r.candidate)} for r in j])
    run = {u("q"): [u("a"), u("b")], u("q2"): [u("e")], u("other"): [u("a")]}
    rep = evaluate(arts, {"s": run}, uj, k=5, vectors=False)
    # q: 1.0, q2: e is the only judged relevant -> 1.0; 'other' is not judged so not counted.
    assert rep.aggregate["s"]["ndcg"] == pytest.approx(1.0)
    assert rep.counts["s"]["ndcg"] == 2
    assert rep.info["judged_queries"] == 2


def test_topic_precision_by_topic():
    arts = [art("a", ["Azure", "AI"]), art("b", ["Azure", "AI", "IoT"]), art("c", ["Azure", "IoT"]),
            art("d", ["Azure"])]
    run = {u("a"): [u("b"), u("d")], u("b"): [u("a"), u("c")], u("c"): [u("d")]}
    got = topic_precision_by_topic(arts, run, k=5, generic={"Azure"})
    # AI: article a -> [b has AI, d no] = 1/2; article b -> [a has AI, c no] = 1/2  => 0.5 over 2 lists
    # IoT: article b -> [a no, c yes] = 1/2; article c -> [d no] = 0  => 0.25 over 2 lists
    assert got == {"AI": {"topic_p": 0.5, "queries": 2}, "IoT": {"topic_p": 0.25, "queries": 2}}


def test_evaluate_beyond_accuracy_on_a_tiny_corpus():
    arts = [art("q1", ["Azure", "AI"], quality=10, days=0, related=["a", "b", "c"]),
            art("q2", ["Azure"], quality=20, days=0),
            art("a", ["Azure", "AI"], quality=40, provider="p1.com", days=2),
            art("b", ["Azure"], quality=60, provider="p1.com", days=-4),
            art("c", ["Azure", "IoT"], quality=80, provider="p2.com", days=10)]
    run = {u("q1"): [u("a"), u("b"), u("zz")], u("q2"): [u("a")]}
    vecs = {u("a"): np.array([1.0, 0.0]), u("b"): np.array([0.0, 1.0])}
    rep = evaluate(arts, {"s": run}, k=5, vectors=vecs, generic={"Azure"})
    pq = rep.per_query["s"]
    # q1 shows a, b and zz (not in the corpus).
    assert pq["providers"][u("q1")] == 1.0                       # a and b are both p1.com
    assert pq["quality"][u("q1")] == 50.0                        # mean of 40 and 60 (zz unknown)
    assert pq["gap_days"][u("q1")] == 3.0                        # median of |2| and |-4|
    assert pq["ild"][u("q1")] == pytest.approx(1.0)              # a, b orthogonal
    assert pq["topic_p"][u("q1")] == pytest.approx(1 / 3)        # a shares AI; b, zz do not
    assert pq["agree_recall"][u("q1")] == pytest.approx(2 / 3)   # stored [a, b, c]: a, b shown
    assert pq["agree_overlap"][u("q1")] == pytest.approx(2 / 3)  # a, b of a, b, zz
    assert pq["shown"][u("q1")] == 3.0 and pq["empty"][u("a")] == 1.0
    assert math.isnan(pq["ild"][u("q2")])                        # one item: no pairs
    agg = rep.aggregate["s"]
    assert agg["empty"] == pytest.approx(3 / 5)                  # a, b, c have no list
    assert agg["shown"] == pytest.approx(4 / 5)
    assert agg["quality"] == pytest.approx((50 + 40) / 2)        # per list, then over non-empty lists
    assert agg["gap_days"] == pytest.approx(2.0)                 # median over pairs 2, 4, 2
    assert agg["coverage"] == pytest.approx(2 / 5)               # a and b of 5 articles
    # exposure counts over the 5 articles: a=2, b=1, others 0 -> sorted (0,0,0,1,2)
    # G = 2*(4*1 + 5*2)/(5*3) - 6/5 = 28/15 - 18/15 = 2/3
    assert agg["gini"] == pytest.approx(2 / 3)
    assert rep.info["vectors"] == "given vectors"
    text = str(rep)
    assert "nDCG" not in text and "catalogue coverage" in text and "popularity Gini" in text


def test_evaluate_resolves_ids_and_address_variants():
    arts = [art("q"), art("a")]
    a = arts[1]
    run = {arts[0].id: ["http://www.x.com/a/"]}                  # id key, variant address
    rep = evaluate(arts, {"s": run}, k=5, vectors=False, reference=None)
    assert rep.per_query["s"]["shown"][u("q")] == 1.0
    assert rep.per_query["s"]["quality"][u("q")] == a.quality


def test_evaluate_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one system"):
        evaluate([art("q")], {})
    with pytest.raises(ValueError, match="positive integer"):
        evaluate([art("q")], {"s": {}}, k=0)
    with pytest.raises(ValueError, match="expected a Run"):
        evaluate([art("q")], {"s": [1, 2]})


def test_report_tables_and_dataframes():
    arts = [art("q", quality=10), art("a", quality=30), art("b", quality=50)]
    rep = evaluate(arts, {"s1": {u("q"): [u("a")]}, "s2": {u("q"): [u("b")]}}, k=5, vectors=False, reference=None)
    md = rep.table(markdown=True).splitlines()
    assert md[0] == "| metric | s1 | s2 |"
    assert "| mean quality shown | 30.0 | 50.0 |" in md
    df = rep.to_dataframe()
    assert df.loc["quality", "s2"] == 50.0
    per_query = rep.to_dataframe(per_query=True)
    assert len(per_query) == 6 and set(per_query["system"]) == {"s1", "s2"}
