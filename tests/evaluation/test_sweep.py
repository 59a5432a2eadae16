"""The sweep: its queries (judged first, then a seeded sample) and one row of metrics per value."""
from __future__ import annotations

from _helpers_evaluation import ReportEngine, report_corpus, u

from relate.evaluation import Judgments, sweep, sweep_queries


def test_sweep_queries_are_the_judged_then_a_seeded_sample():
    corpus = report_corpus()
    j = Judgments([{"query": u("d"), "candidate": u("e"), "grade": 1}])
    qs = sweep_queries(corpus, j, sample=2, seed=0)
    assert qs[0] == u("d") and len(qs) == 3 and len(set(qs)) == 3
    assert qs == sweep_queries(corpus, j, sample=2, seed=0)           # seeded
    assert sweep_queries(corpus, None, sample=100) == [a.url for a in corpus]   # a sample larger than the corpus


def test_sweep_passes_each_value_to_the_engine():
    corpus = report_corpus()
    engine = ReportEngine(corpus)
    rows = sweep(engine, corpus, None, key="w_quality", values=[0.0, 1.0], k=2, queries=[u("a"), u("f")])
    assert [o["w_quality"] for o in engine.sweeps] == [0.0, 1.0]
    assert [r["w_quality"] for r in rows] == [0.0, 1.0]
    assert {"quality", "topic_p", "shown"} <= set(rows[0]) and "ndcg" not in rows[0]
    # the quality weight pulls the high-quality articles (e, f) into the lists
    assert rows[1]["quality"] > rows[0]["quality"]
