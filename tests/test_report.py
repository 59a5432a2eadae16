"""The HTML report, on a tiny hand-made corpus and a stand-in engine (no model needed)."""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from relate.articles import Article
from relate.config import Config
from relate.evaluate import Judgments, evaluate
from relate.report import (examples_html, headline_table, pick_examples, plot_sweep, resolve_compare,
                           write_report)

T0 = datetime(2022, 5, 1, tzinfo=timezone.utc)
NAMES = ["a", "b", "c", "d", "e", "f"]


def u(name):
    return f"https://x.com/{name}"


@pytest.fixture()
def corpus():
    topics = {"a": ["News", "AI"], "b": ["News", "AI"], "c": ["News", "AI"], "d": ["News", "IoT"],
              "e": ["News", "IoT"], "f": ["News"]}
    return [Article(title=f"Story <{n}> & co", web_url=u(n), excerpt=f"text {n}", published_at=T0 + timedelta(days=i),
                    provider_domain=f"p{i % 2}.com", quality=10 * (i + 1), topics=topics[n],
                    related_urls=[u(m) for m in NAMES if m != n][:2])
            for i, n in enumerate(NAMES)]


class FakeEngine:
    """suggest_many / vectors_for / articles / config, as relate.Engine has them."""

    def __init__(self, articles):
        self.articles = {a.id: a for a in articles}
        self.config = Config()
        self.sweeps = []

    def __len__(self):
        return len(self.articles)

    def suggest_many(self, articles, k=5, **options):
        self.sweeps.append(options)
        w = options.get("w_quality", 0.0)
        out = {}
        for a in articles:
            others = [b for b in self.articles.values() if b.url != a.url]
            # similarity: same topic first; the quality weight pulls high-quality items up
            score = {b.url: (1.0 if set(a.topics) & set(b.topics) - {"News"} else 0.5) + w * b.quality / 60
                     for b in others}
            best = sorted(others, key=lambda b: -score[b.url])[:k]
            out[a.id] = [{"webUrl": b.url, "title": b.title, "score": score[b.url]} for b in best]
        return out

    def vectors_for(self, articles):
        return np.array([[1.0, 0.0] if "AI" in a.topics else [0.0, 1.0] for a in articles])


@pytest.fixture()
def judgments(tmp_path):
    rows = [{"query": u("a"), "candidate": u("b"), "grade": 2, "dup": False},
            {"query": u("a"), "candidate": u("c"), "grade": 2, "dup": True},
            {"query": u("a"), "candidate": u("d"), "grade": 0, "dup": False},
            {"query": u("d"), "candidate": u("e"), "grade": 1, "dup": False}]
    path = tmp_path / "judgments.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def _images(text):
    return re.findall(r"src='data:image/png;base64,([^']+)'", text)


def test_write_report_is_one_self_contained_html(tmp_path, corpus, judgments):
    engine = FakeEngine(corpus)
    out = write_report(corpus, tmp_path / "r" / "report.html", judgments=judgments, compare="legacy",
                       engine=engine, k=2, sweep_values=[0.0, 0.5], examples=3)
    assert out == tmp_path / "r" / "report.html"
    text = out.read_text(encoding="utf-8")
    for heading in ("Summary", "All metrics side by side", "Plots", "Examples", "What the metrics mean"):
        assert f"<h2>{heading}</h2>" in text
    for label in ("nDCG@2", "dup rate", "judged@2", "agreement recall@2", "topic P@2", "intra-list diversity",
                  "catalogue coverage", "popularity Gini", "mean quality shown"):
        assert label in text
    assert "<th>relate</th>" in text and "<th>legacy</th>" in text and "<th>tfidf</th>" in text
    images = _images(text)
    assert len(images) == 4                     # score distribution, sweep, per-query nDCG, topics
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in images)
    assert not re.search(r"""(src|href)=['"](?!data:|https://x\.com)""", text)     # nothing fetched from outside
    assert "Story &lt;a&gt; &amp; co" in text and "<a>" not in text                   # titles escaped
    assert [o.get("w_quality") for o in engine.sweeps[1:]] == [0.0, 0.5]
    assert 'class="b dup"' in text and 'class="b g2"' in text                         # grade badges


def test_write_report_to_a_folder_without_judgments_or_comparison(tmp_path, corpus):
    out = write_report(corpus, tmp_path, compare=None, engine=FakeEngine(corpus), k=2, baselines=(),
                       sweep_values=None, examples=2)
    assert out == tmp_path / "relate-eval.html"
    text = out.read_text(encoding="utf-8")
    assert "No comparison system" in text and "nDCG" not in text
    assert len(_images(text)) == 2              # score distribution and topics


def test_write_report_compares_with_lists_from_a_file(tmp_path, corpus):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({u("a"): [u("f"), u("e")], u("b"): [u("a")]}), encoding="utf-8")
    out = write_report(corpus, tmp_path / "x.html", compare=[str(other), "legacy"], engine=FakeEngine(corpus),
                       k=2, sweep_values=None, examples=2)
    text = out.read_text(encoding="utf-8")
    assert "relate against <b>other</b>" in text and "<h3>relate against legacy</h3>" in text


def test_write_report_rejects_bad_arguments(tmp_path, corpus):
    engine = FakeEngine(corpus)
    with pytest.raises(ValueError, match="no such file"):
        write_report(corpus, tmp_path / "x.html", compare="nonexistent.json", engine=engine)
    with pytest.raises(ValueError, match="positive integer"):
        write_report(corpus, tmp_path / "x.html", engine=engine, k=0)
    with pytest.raises(ValueError, match="unknown baseline"):
        write_report(corpus, tmp_path / "x.html", engine=engine, baselines=("bm25",))


def test_resolve_compare(tmp_path, corpus):
    assert resolve_compare(None, corpus) == (None, None)
    assert resolve_compare("none", corpus) == (None, None)
    name, lists = resolve_compare("legacy", corpus)
    assert name == "legacy" and lists[u("a")] == [u("b"), u("c")]
    assert resolve_compare("tfidf", corpus, k=1)[0] == "tfidf"


def test_headline_table_and_examples(corpus, judgments):
    j = Judgments.from_file(judgments)
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
    picked = pick_examples(corpus, relate, j, n=3)
    assert picked == [u("a"), u("d")]          # one judged query (n // 2), then those with a relate list
    html_text = examples_html(corpus, {"relate": relate, "legacy": legacy}, [u("a")], j, k=2)
    assert html_text.count("<li>") == 4 and 'class="b dup"' in html_text


def test_plot_sweep_draws_one_point_per_value():
    rows = [{"w_quality": 0.0, "quality": 50.0, "ndcg": 0.7}, {"w_quality": 0.5, "quality": 70.0, "ndcg": 0.6}]
    fig = plot_sweep(rows, "w_quality", references={"legacy": {"quality": 80.0, "ndcg": 0.1}}, current=0.5)
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == [50.0, 70.0]
    assert [t.get_text() for t in ax.texts] == ["0", "0.5 (config)"]


@pytest.mark.slow
def test_report_on_azure_with_dev_judgments(tmp_path, azure_dir, judgments_file, azure_engine):
    from relate import read_corpus
    from relate.baselines import legacy_lists, tfidf_lists

    corpus = read_corpus(azure_dir)
    j = Judgments.from_file(judgments_file)
    rep = evaluate(corpus, {"legacy": legacy_lists(corpus), "tfidf": tfidf_lists(corpus.articles, k=5)}, j, k=5,
                   vectors=False)
    # Reference figures on the development judgments (both lists are deterministic).
    assert rep.aggregate["tfidf"]["ndcg"] == pytest.approx(0.592, abs=0.002)
    assert rep.aggregate["legacy"]["ndcg"] == pytest.approx(0.137, abs=0.002)
    assert rep.aggregate["tfidf"]["dup_rate"] == pytest.approx(0.11, abs=0.002)
    out = write_report(corpus, tmp_path / "azure.html", judgments=judgments_file, compare="legacy",
                       engine=azure_engine, sweep_values=[0.0, 0.1, 0.3])
    text = out.read_text(encoding="utf-8")
    assert "20 queries, 603 judged pairs" in text and len(_images(text)) == 4
