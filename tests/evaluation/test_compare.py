"""Paired comparisons: the difference, its bootstrap interval and p-value, worked out by hand."""
from __future__ import annotations

import math

import pytest
from _helpers_evaluation import art, report_corpus, report_judgments, u

from relate.evaluation import Judgments, compare, evaluate, headline_table, paired_p_value


def test_compare_difference_interval_and_p_value():
    arts = [art(f"q{i}") for i in range(12)] + [art("good", quality=90), art("bad", quality=10)]
    a = {u(f"q{i}"): [u("bad")] for i in range(12)}
    b = {u(f"q{i}"): [u("good")] for i in range(12)}
    rep = evaluate(arts, {"a": a, "b": b}, k=5, vectors=False, reference=None)
    cmp = compare(rep, "a", "b", metrics=["quality", "shown", "coverage"])
    rows = {r["metric"]: r for r in cmp.rows}
    # Every one of the 12 lists gains 80 quality points: the difference is 80 with a zero-width interval.
    q = rows["quality"]
    assert (q["a"], q["b"], q["diff"], q["n"]) == (10.0, 90.0, 80.0, 12)
    assert q["ci_low"] == pytest.approx(80.0) and q["ci_high"] == pytest.approx(80.0)
    assert q["p"] < 0.01
    # Identical lengths: no difference, p = 1.
    assert rows["shown"]["diff"] == 0.0 and rows["shown"]["p"] == 1.0
    # Corpus-level metric: difference only.
    assert math.isnan(rows["coverage"]["ci_low"]) and rows["coverage"]["diff"] == 0.0
    assert "diff" in str(cmp)


def test_compare_interval_brackets_mean_difference():
    arts = [art(f"q{i}") for i in range(20)] + [art(f"c{i}", quality=i * 5) for i in range(20)]
    a = {u(f"q{i}"): [u("c0")] for i in range(20)}
    b = {u(f"q{i}"): [u(f"c{i}")] for i in range(20)}          # per-query differences 0, 5, ..., 95
    rep = evaluate(arts, {"a": a, "b": b}, k=5, vectors=False, reference=None)
    row = compare(rep, "a", "b", metrics=["quality"]).rows[0]
    assert row["diff"] == pytest.approx(47.5)
    assert row["ci_low"] < 47.5 < row["ci_high"]
    # The mean of 20 values spread 0..95 (sd 29.6): a 95% interval of roughly +-2 standard errors (13).
    assert 30 < row["ci_low"] < 40 and 55 < row["ci_high"] < 65


def test_compare_unknown_system():
    rep = evaluate([art("q")], {"s": {}}, vectors=False)
    with pytest.raises(ValueError, match="no system 'x'"):
        compare(rep, "s", "x")


def test_paired_p_values_by_hand():
    from scipy.stats import t as t_dist

    a, b = [0.1, 0.2, 0.3, 0.4], [0.3, 0.5, 0.4, 0.6]
    # Differences 0.2, 0.3, 0.1, 0.2: mean 0.2, sd sqrt(0.02/3), t = 0.2 / (sd/2) = 4.899 on 3 df.
    t = 0.2 / (math.sqrt(0.02 / 3) / 2)
    assert paired_p_value(a, b) == pytest.approx(2 * t_dist.sf(t, 3))           # ranx's t-test: 0.0163
    # Exact sign-flip test: of the 16 sign patterns only all-plus and all-minus reach |mean| >= 0.2.
    assert paired_p_value(a, b, test="permutation") == pytest.approx(2 / 16)
    assert 0 <= paired_p_value(a, b, test="fisher") <= 1
    assert paired_p_value(a, a) == 1.0 and math.isnan(paired_p_value([1.0], [2.0]))
    with pytest.raises(ValueError, match="test must be"):
        paired_p_value(a, b, test="wilcoxon")


def test_headline_table(tmp_path):
    corpus = report_corpus()
    j = Judgments.from_file(report_judgments(tmp_path / "judgments.jsonl"))
    relate = {u("a"): [u("b"), u("d")], u("d"): [u("e")]}
    legacy = {u("a"): [u("c"), u("d")], u("d"): [u("a")]}
    rep = evaluate(corpus, {"relate": relate, "legacy": legacy}, j, k=2, vectors=False)
    table = headline_table(rep, "legacy")
    lines = table.splitlines()
    assert lines[0].startswith("| metric | relate | legacy |")
    # a: relate shows b (grade 2) then d (0): nDCG 1; legacy shows c, a dup, then d: 0.
    # d: relate shows e (grade 1): 1; legacy shows a (unjudged): 0.  Means 1.0 and 0.0, diff +1.
    ndcg = next(line for line in lines if line.startswith("| nDCG@2"))
    assert "| 1.000 | 0.000 | +1.000" in ndcg
