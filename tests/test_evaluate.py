"""Each metric of relate.evaluate on a hand-made case whose answer is worked out here."""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from relate.articles import Article
from relate.evaluate import (Judgments, Run, agreement, catalogue_coverage, compare, dup_rate, evaluate,
                             generic_topics, gini, intra_list_diversity, judged_metrics, judged_share,
                             time_gap_days, topic_precision, topic_precision_by_topic)

T0 = datetime(2021, 1, 1, tzinfo=timezone.utc)


def art(name, topics=("Azure",), quality=50, provider="p.com", days=0, related=()):
    return Article(title=f"Title {name}", web_url=f"https://x.com/{name}", excerpt=f"about {name}",
                   published_at=T0 + timedelta(days=days), provider_domain=provider, quality=quality,
                   topics=list(topics), related_urls=[f"https://x.com/{r}" for r in related])


def u(name):
    return f"https://x.com/{name}"


# ------------------------------------------------------------------ judgments
def test_judgments_from_file_keeps_urls_exactly_and_maps_dups_to_zero(tmp_path):
    path = tmp_path / "j.jsonl"
    rows = [{"query": "https://a.com/x y", "candidate": "https://b.com/1", "grade": 2, "dup": True},
            {"query": "https://a.com/x y", "candidate": "https://b.com/2", "grade": 1, "dup": False},
            {"query": "https://a.com/z", "candidate": "https://b.com/3", "grade": 0}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    j = Judgments.from_file(path)
    assert j.queries == ["https://a.com/x y", "https://a.com/z"]      # a space in a webUrl survives
    assert len(j) == 3
    assert j.grade("https://a.com/x y", "https://b.com/1") == 2
    assert j.is_dup("https://a.com/x y", "https://b.com/1")
    assert j.gain_grade("https://a.com/x y", "https://b.com/1") == 0
    assert j.grade("https://a.com/z", "https://b.com/9") is None
    assert j.qrels() == {"https://a.com/x y": {"https://b.com/1": 0, "https://b.com/2": 1},
                         "https://a.com/z": {"https://b.com/3": 0}}
    assert j.qrels(dups_as_zero=False)["https://a.com/x y"]["https://b.com/1"] == 2


@pytest.mark.parametrize("line, message", [
    ("not json", "not JSON"),
    ('{"query": "q", "candidate": "c"}', "lacks grade"),
    ('{"query": "q", "candidate": "c", "grade": -1}', "non-negative integer"),
    ('{"query": "q", "candidate": "c", "grade": 1.5}', "non-negative integer"),
    ('{"query": "q", "candidate": "c", "grade": 1, "dup": "yes"}', "dup must be"),
    ('{"query": "q", "candidate": "c", "grade": 1, "grad": 1}', "unknown judgment field"),
    ('[1, 2]', "must be an object"),
])
def test_judgments_from_file_rejects_bad_lines_with_line_number(tmp_path, line, message):
    path = tmp_path / "j.jsonl"
    path.write_text('{"query": "q", "candidate": "a", "grade": 1, "dup": false}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        Judgments.from_file(path)
    assert "j.jsonl:2" in str(err.value)


def test_judgments_missing_file_says_which():
    with pytest.raises(ValueError, match="cannot read judgments"):
        Judgments.from_file("/nonexistent/j.jsonl")


# ------------------------------------------------------------------ runs
def test_run_takes_urls_or_entries_and_drops_repeats(tmp_path):
    lists = {"q": ["a", {"webUrl": "b", "title": "B"}, "a"]}
    run = Run.from_dict(lists, name="s")
    assert run["q"] == ["a", "b"] and run.get("zz") == [] and run.top("q", 1) == ["a"]
    assert lists["q"] == ["a", {"webUrl": "b", "title": "B"}, "a"]            # caller's data untouched
    path = run.save(tmp_path / "lists.json")
    again = Run.from_file(path)
    assert again.name == "lists" and again.to_dict() == {"q": ["a", "b"]}


def test_run_from_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a JSON object"):
        Run.from_file(bad)
    bad.write_text('{"q": "a"}', encoding="utf-8")
    with pytest.raises(ValueError, match="must be a list"):
        Run.from_file(bad)
    with pytest.raises(ValueError, match="cannot read"):
        Run.from_file(tmp_path / "missing.json")


# ------------------------------------------------------------------ judged metrics (ranx + dup rule)
def _judged_case():
    # q: a=2, b=1, c=2 but a dup of q, d=0.   q2: e=1.
    return Judgments([
        {"query": "q", "candidate": "a", "grade": 2},
        {"query": "q", "candidate": "b", "grade": 1},
        {"query": "q", "candidate": "c", "grade": 2, "dup": True},
        {"query": "q", "candidate": "d", "grade": 0},
        {"query": "q2", "candidate": "e", "grade": 1},
    ])


def test_ndcg_counts_dups_as_zero_in_list_and_ideal():
    j = _judged_case()
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
    j = _judged_case()
    assert judged_metrics({"q": ["a", "b"]}, j, k=5)["ndcg"]["q"] == pytest.approx(1.0)
    # Swapped: DCG = 1 + 3/log2(3) = 2.89279 against ideal 3.63093 -> 0.79671
    swapped = judged_metrics({"q": ["b", "a"]}, j, k=5)["ndcg"]["q"]
    assert swapped == pytest.approx((1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3)))


def test_precision_divides_by_k_even_for_short_lists():
    j = _judged_case()
    out = judged_metrics({"q": ["a"]}, j, k=5)
    assert out["p_rel"]["q"] == pytest.approx(1 / 5) and out["p_clear"]["q"] == pytest.approx(1 / 5)
    assert out["judged"]["q"] == 1.0 and out["dup_rate"]["q"] == 0.0


def test_dup_rate_and_judged_share_by_hand():
    j = _judged_case()
    assert dup_rate("q", ["c", "a", "zz", "yy"], j) == 0.25
    assert judged_share("q", ["c", "a", "zz", "yy"], j) == 0.5
    assert math.isnan(dup_rate("q", [], j))


def test_ndcg_only_over_judged_queries():
    j = _judged_case()
    arts = [art(n) for n in ("q", "q2", "a", "b", "c", "d", "e", "other")]
    uj = Judgments([{**r.__dict__, "query": u(r.query), "candidate": u(r.candidate)} for r in j])
    run = {u("q"): [u("a"), u("b")], u("q2"): [u("e")], u("other"): [u("a")]}
    rep = evaluate(arts, {"s": run}, uj, k=5, vectors=False)
    # q: 1.0, q2: e is the only judged relevant -> 1.0; 'other' is not judged so not counted.
    assert rep.aggregate["s"]["ndcg"] == pytest.approx(1.0)
    assert rep.counts["s"]["ndcg"] == 2
    assert rep.info["judged_queries"] == 2


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


def test_topic_precision_by_topic():
    arts = [art("a", ["Azure", "AI"]), art("b", ["Azure", "AI", "IoT"]), art("c", ["Azure", "IoT"]),
            art("d", ["Azure"])]
    run = {u("a"): [u("b"), u("d")], u("b"): [u("a"), u("c")], u("c"): [u("d")]}
    got = topic_precision_by_topic(arts, run, k=5, generic={"Azure"})
    # AI: article a -> [b has AI, d no] = 1/2; article b -> [a has AI, c no] = 1/2  => 0.5 over 2 lists
    # IoT: article b -> [a no, c yes] = 1/2; article c -> [d no] = 0  => 0.25 over 2 lists
    assert got == {"AI": {"topic_p": 0.5, "queries": 2}, "IoT": {"topic_p": 0.25, "queries": 2}}


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


# ------------------------------------------------------------------ paired comparison
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

    from relate.evaluate import paired_p_value

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
