"""Shared helpers for the evaluation and report tests: hand-made articles and a stand-in engine."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np

from relate.config import Config
from relate.evaluation import Judgments
from relate.records import Article

T0 = datetime(2021, 1, 1, tzinfo=timezone.utc)


def u(name):
    return f"https://x.com/{name}"


def art(name, topics=("Azure",), quality=50, provider="p.com", days=0, related=()):
    """An article of the metric tests: ``https://x.com/<name>``, with the given topics and quality."""
    return Article(title=f"Title {name}", web_url=u(name), excerpt=f"about {name}",
                   published_at=T0 + timedelta(days=days), provider_domain=provider, quality=quality,
                   topics=list(topics), related_urls=[u(r) for r in related])


def judged_case():
    """q: a=2, b=1, c=2 but a dup of q, d=0.   q2: e=1."""
    return Judgments([
        {"query": "q", "candidate": "a", "grade": 2},
        {"query": "q", "candidate": "b", "grade": 1},
        {"query": "q", "candidate": "c", "grade": 2, "dup": True},
        {"query": "q", "candidate": "d", "grade": 0},
        {"query": "q2", "candidate": "e", "grade": 1},
    ])


# ------------------------------------------------------------------ the report's tiny corpus
REPORT_T0 = datetime(2022, 5, 1, tzinfo=timezone.utc)
NAMES = ["a", "b", "c", "d", "e", "f"]


def report_corpus():
    """Six articles a..f: a, b, c about AI, d, e about IoT, f neither; each stores two related items."""
    topics = {"a": ["News", "AI"], "b": ["News", "AI"], "c": ["News", "AI"], "d": ["News", "IoT"],
              "e": ["News", "IoT"], "f": ["News"]}
    return [Article(title=f"Story <{n}> & co", web_url=u(n), excerpt=f"text {n}",
                    published_at=REPORT_T0 + timedelta(days=i), provider_domain=f"p{i % 2}.com",
                    quality=10 * (i + 1), topics=topics[n], related_urls=[u(m) for m in NAMES if m != n][:2])
            for i, n in enumerate(NAMES)]


def report_judgments(path):
    """Writes four judged pairs (one a dup) for the report corpus to ``path``; returns it."""
    rows = [{"query": u("a"), "candidate": u("b"), "grade": 2, "dup": False},
            {"query": u("a"), "candidate": u("c"), "grade": 2, "dup": True},
            {"query": u("a"), "candidate": u("d"), "grade": 0, "dup": False},
            {"query": u("d"), "candidate": u("e"), "grade": 1, "dup": False}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


class ReportEngine:
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
