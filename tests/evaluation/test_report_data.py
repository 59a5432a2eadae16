"""What the report shows, computed with a stand-in engine: systems, comparisons, the sweep, examples."""
from __future__ import annotations

import pytest
from _helpers_evaluation import ReportEngine, report_corpus, report_judgments, u

from relate.evaluation import Judgments, pick_examples, report_data


def test_pick_examples_judged_first_then_a_sample(tmp_path):
    corpus = report_corpus()
    j = Judgments.from_file(report_judgments(tmp_path / "judgments.jsonl"))
    relate = {u("a"): [u("b"), u("d")], u("d"): [u("e")]}
    picked = pick_examples(corpus, relate, j, n=3)
    assert picked == [u("a"), u("d")]          # one judged query (n // 2), then those with a relate list


def test_report_data_runs_scores_compares_and_sweeps(tmp_path):
    corpus = report_corpus()
    engine = ReportEngine(corpus)
    data = report_data(corpus, report_judgments(tmp_path / "judgments.jsonl"), compare=["legacy", "tfidf"],
                       engine=engine, k=2, sweep_values=[0.0, 0.5], sweep_sample=2, examples=3)
    assert data.report.systems == ["relate", "legacy", "tfidf"]
    assert (data.compared, data.comparison.a, data.comparison.b) == ("legacy", "legacy", "relate")
    assert [c.a for c in data.comparisons] == ["tfidf"]
    assert list(data.shown_systems) == ["relate", "legacy"]
    assert [r["w_quality"] for r in data.sweep_rows] == [0.0, 0.5]
    # the first call ranks every article, the second the judged ones at full depth (the order bound)
    assert [o.get("w_quality") for o in engine.sweeps[2:]] == [0.0, 0.5]
    ours, best, n = data.order_bound
    assert n == 2 and 0.0 < ours <= best <= 1.0
    assert set(data.sweep_references) == {"legacy", "tfidf"}
    assert data.sweep_current == engine.config.rank.w_quality
    assert data.sweep_queries[:2] == [u("a"), u("d")] and len(data.sweep_queries) == 4   # judged + 2 sampled
    assert set(data.by_topic) == {"relate", "legacy", "tfidf"}
    assert len(data.examples) == 3 and data.judgments_label.endswith("judgments.jsonl")


def test_report_data_rejects_bad_arguments():
    corpus = report_corpus()
    engine = ReportEngine(corpus)
    with pytest.raises(ValueError, match="positive integer"):
        report_data(corpus, engine=engine, k=0)
    with pytest.raises(ValueError, match="unknown baseline"):
        report_data(corpus, engine=engine, baselines=("bm25",))
    with pytest.raises(ValueError, match="no articles"):
        report_data([], engine=engine)
