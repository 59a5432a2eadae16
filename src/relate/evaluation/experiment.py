"""Scores the related lists of one or more systems on one corpus: :func:`evaluate` and its :class:`Report`.

Plain data in, plain data out. A system's output is a :class:`~relate.evaluation.Run`, its
related lists as ``{query_webUrl: [candidate_webUrl, ...]}``; graded judgments are a
:class:`~relate.evaluation.Judgments`. :func:`evaluate` applies every metric of
:mod:`relate.evaluation.metrics` to each list and returns per-query and aggregate tables that
print as a table.

Example:
    >>> import relate
    >>> from relate.evaluation import Judgments, evaluate, legacy_lists, tfidf_lists
    >>> corpus = relate.read_corpus("../shared/corpora/azure")
    >>> qrels = Judgments.from_file("../shared/judgments/dev.jsonl")
    >>> report = evaluate(corpus, {"legacy": legacy_lists(corpus),
    ...                            "tfidf": tfidf_lists(corpus.articles)}, qrels, k=5)
    >>> print(report)
"""
from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..corpus import as_articles
from ..lexical import tfidf_vectorizer
from ..text import article_text
from .baselines import legacy_lists
from .judgments import Judgments
from .metrics import (
    METRICS,
    agreement,
    catalogue_coverage,
    generic_topics,
    gini,
    intra_list_diversity,
    judged_metrics,
    time_gaps,
    topic_precision,
)
from .runs import Catalogue, Run, as_run
from .tables import format_value, text_table

logger = logging.getLogger(__name__)

__all__ = ["Report", "evaluate", "tfidf_vectors", "topic_precision_by_topic"]


@dataclass
class Report:
    """Scores of one or more systems on one corpus.

    Attributes:
        k: the cut-off.
        systems: the system names, in the order given.
        per_query: ``{system: {metric: {query: value}}}`` (NaN where undefined).
        aggregate: ``{system: {metric: value}}``.
        counts: ``{system: {metric: queries averaged}}``.
        info: what the numbers rest on (corpus size, judged queries, vectors used ...).
    """

    k: int
    systems: list[str]
    per_query: dict[str, dict[str, dict[str, float]]]
    aggregate: dict[str, dict[str, float]]
    counts: dict[str, dict[str, int]]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        present = {m for s in self.systems for m in self.aggregate[s]}
        return [m for m in METRICS if m in present]

    def rows(self, metrics: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """One dict per metric: ``metric``, ``label``, ``group``, then a value per system."""
        out = []
        for m in metrics or self.metrics:
            row = {"metric": m, "label": METRICS[m].title(self.k), "group": METRICS[m].group}
            for s in self.systems:
                row[s] = self.aggregate[s].get(m, math.nan)
            out.append(row)
        return out

    def to_dataframe(self, per_query: bool = False):
        """A pandas DataFrame: metrics x systems, or (with ``per_query``) one row per query and system."""
        import pandas as pd

        if not per_query:
            df = pd.DataFrame(self.rows()).set_index("metric")
            return df
        recs = []
        for s in self.systems:
            queries = sorted({q for vals in self.per_query[s].values() for q in vals})
            for q in queries:
                rec = {"system": s, "query": q}
                rec.update({m: vals.get(q, math.nan) for m, vals in self.per_query[s].items()})
                recs.append(rec)
        return pd.DataFrame(recs)

    def table(self, metrics: Sequence[str] | None = None, markdown: bool = False) -> str:
        """The aggregate table, metrics down, systems across (plain text or Markdown)."""
        header = ["metric", *self.systems]
        body = [[r["label"], *(format_value(r["metric"], r[s]) for s in self.systems)] for r in self.rows(metrics)]
        return text_table(header, body, markdown)

    def __str__(self) -> str:
        lines = [self.table()]
        if self.info.get("judged_queries") is not None:
            lines.append(f"judged metrics over {self.info['judged_queries']} judged queries; "
                         f"others over {self.info.get('queries')} articles; k={self.k}")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.table(markdown=True)


def evaluate(corpus: Any, systems: Mapping[str, Any], judgments: Judgments | str | os.PathLike | None = None,
             k: int = 5, queries: Iterable[str] | None = None, vectors: Any = None,
             generic: Iterable[str] | None = None, reference: Any = "legacy") -> Report:
    """Scores related lists of one or more systems on a corpus.

    Every list is cut to its first ``k`` items. Ids may be any address of an article, its
    normal form or its 16-hex id; they are mapped to the corpus record's ``webUrl``.

    Args:
        corpus: a path, a ``Corpus`` or a list of articles; the records give topics, quality,
            providers, times and the stored (old) lists.
        systems: ``{name: lists}`` where lists is a :class:`Run`, a dict
            ``{webUrl: [webUrl or related entry, ...]}`` or a JSON file of one.
        judgments: graded pairs (a :class:`Judgments` or its file); ``None`` leaves out the
            judged metrics.
        k: the cut-off.
        queries: the articles whose lists are scored (default: every article of the corpus;
            an article a system has no list for counts as an empty list). Judged metrics use
            the judged queries among them.
        vectors: what intra-list diversity is measured with: ``None`` or ``"tfidf"`` (TF-IDF of
            title and excerpt), an engine (``vectors_for``), a callable taking articles, a dict
            ``{webUrl: vector}``, or ``False`` to skip it.
        generic: topics ignored by topic precision (default: those on half the corpus or more).
        reference: the lists agreement is measured against: ``"legacy"`` (the records'
            stored lists), lists as in ``systems``, or ``None`` to skip agreement.

    Returns:
        A :class:`Report`.

    Raises:
        ValueError: no systems, or a bad ``k``, run or judgments.
    """
    if not systems:
        raise ValueError("evaluate needs at least one system: {name: {webUrl: [webUrl, ...]}}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")
    arts = as_articles(corpus)
    cat = Catalogue(arts)
    runs = {name: as_run(r, name).mapped(cat) for name, r in systems.items()}
    if isinstance(judgments, (str, os.PathLike)):
        judgments = Judgments.from_file(judgments)
    if judgments is not None:
        if not isinstance(judgments, Judgments):
            raise ValueError("judgments must be a Judgments object or the path of a JSON-lines file")
        judgments = judgments.mapped(cat)
    if reference is None:
        ref = None
    elif isinstance(reference, str) and reference == "legacy":
        ref = Run(legacy_lists(arts), "legacy").mapped(cat)
    else:
        ref = as_run(reference, "reference").mapped(cat)
    generic = generic_topics(arts) if generic is None else set(generic)
    qs = list(cat.by_url) if queries is None else list(dict.fromkeys(cat(q) for q in queries))
    judged_qs = None
    if judgments is not None:
        judged_qs = judgments.queries if queries is None else [q for q in qs if q in judgments]
        unknown = [q for q in judged_qs if cat.get(q) is None]
        if unknown:
            logger.warning("%d judged queries are not in the corpus (first: %s)", len(unknown), unknown[0])

    vec_of: dict[str, np.ndarray] = {}
    vec_name = "skipped"
    if vectors is not False:
        shown_all = [c for r in runs.values() for q in qs for c in r.top(q, k)]
        vec_of, vec_name = _vector_lookup(vectors, cat, shown_all)

    per_query: dict[str, dict[str, dict[str, float]]] = {}
    aggregate: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    for name, run in runs.items():
        pq: dict[str, dict[str, float]] = {}
        if judgments is not None:
            pq.update(judged_metrics(run.lists, judgments, k, judged_qs))
        cols: dict[str, dict[str, float]] = {m: {} for m in
                                             ("agree_recall", "agree_overlap", "topic_p", "ild", "providers",
                                              "quality", "gap_days", "shown", "empty")}
        all_gaps: list[float] = []
        exposure: Counter[str] = Counter()
        for q in qs:
            shown = run.top(q, k)
            exposure.update(shown)
            a = cat.get(q)
            items = [cat.get(c) for c in shown]
            known = [x for x in items if x is not None]
            if ref is not None:
                cols["agree_recall"][q], cols["agree_overlap"][q] = agreement(shown, ref.get(q), k)
            cols["topic_p"][q] = (topic_precision(a.topics, [getattr(x, "topics", None) for x in items], generic)
                                  if a is not None else math.nan)
            if vectors is not False:
                vs = [vec_of[c] for c in shown if c in vec_of]
                cols["ild"][q] = intra_list_diversity(np.array(vs)) if len(vs) >= 2 else math.nan
            provs = {x.provider_domain or x.provider_name for x in known if (x.provider_domain or x.provider_name)}
            cols["providers"][q] = float(len(provs)) if shown else math.nan
            quals = [float(x.quality) for x in known if x.quality is not None]
            cols["quality"][q] = float(np.mean(quals)) if quals else math.nan
            t = getattr(a, "published_at", None)
            gaps = time_gaps(t, [x.published_at for x in known])
            cols["gap_days"][q] = float(np.median(gaps)) if gaps else math.nan
            all_gaps.extend(gaps)
            cols["shown"][q] = float(len(shown))
            cols["empty"][q] = 0.0 if shown else 1.0
        if ref is None:
            del cols["agree_recall"], cols["agree_overlap"]
        if vectors is False:
            del cols["ild"]
        pq.update(cols)
        agg = {m: _nanmean(v.values()) for m, v in pq.items()}
        cnt = {m: int(sum(not math.isnan(x) for x in v.values())) for m, v in pq.items()}
        agg["gap_days"] = float(np.median(all_gaps)) if all_gaps else math.nan
        cnt["gap_days"] = len(all_gaps)
        agg["coverage"] = catalogue_coverage([run.top(q, k) for q in qs], cat.by_url)
        agg["gini"] = gini([exposure.get(u, 0) for u in cat.by_url])
        cnt["coverage"] = cnt["gini"] = len(cat)
        per_query[name], aggregate[name], counts[name] = pq, agg, cnt

    info = {"articles": len(cat), "queries": len(qs), "k": k, "vectors": vec_name,
            "generic_topics": sorted(generic), "reference": None if ref is None else (
                reference if isinstance(reference, str) else "given lists"),
            "judged_queries": None if judged_qs is None else len(judged_qs),
            "judged_pairs": None if judgments is None else len(judgments),
            "judgments": None if judgments is None else judgments.source}
    return Report(k, list(runs), per_query, aggregate, counts, info)


def _nanmean(values: Iterable[float]) -> float:
    arr = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=np.float64)
    return float(arr.mean()) if len(arr) else math.nan


def topic_precision_by_topic(corpus: Any, run: Mapping[str, Sequence[str]] | Run, k: int = 5,
                             generic: Iterable[str] | None = None, min_queries: int = 1) -> dict[str, dict[str, float]]:
    """Topic precision per specific topic: for the articles carrying topic T, the mean share
    of their shown items that also carry T.

    Args:
        corpus: a path, a ``Corpus`` or a list of articles.
        run: the related lists (``{webUrl: [webUrl, ...]}`` or a :class:`Run`).
        k: the cut-off.
        generic: topics to ignore (default: :func:`generic_topics` of the corpus).
        min_queries: leave out topics with fewer non-empty lists than this.

    Returns:
        ``{topic: {"topic_p": mean share, "queries": lists counted}}``, largest topics first.
    """
    arts = as_articles(corpus)
    cat = Catalogue(arts)
    run = as_run(run, "run").mapped(cat)
    generic = generic_topics(arts) if generic is None else set(generic)
    per: dict[str, list[float]] = {}
    for url, a in cat.by_url.items():
        mine = set(a.topics or ()) - generic
        shown = run.top(url, k)
        if not mine or not shown:
            continue
        shown_topics = [set(getattr(cat.get(c), "topics", None) or ()) for c in shown]
        for t in mine:
            per.setdefault(t, []).append(sum(t in st for st in shown_topics) / len(shown))
    rows = {t: {"topic_p": float(np.mean(v)), "queries": len(v)} for t, v in per.items() if len(v) >= min_queries}
    return dict(sorted(rows.items(), key=lambda kv: (-kv[1]["queries"], kv[0])))


def tfidf_vectors(articles: Sequence[Any]):
    """Unit TF-IDF rows (sparse) of cleaned title + excerpt, one per article."""
    vec = tfidf_vectorizer()
    return vec.fit_transform([article_text(a.title, a.excerpt) for a in articles])


def _vector_lookup(vectors: Any, cat: Catalogue, urls: Sequence[str]) -> tuple[dict[str, np.ndarray], str]:
    """Vectors of ``urls`` (those in the corpus) from an engine, a callable, a dict or TF-IDF."""
    urls = [u for u in dict.fromkeys(urls) if cat.get(u) is not None]
    if not urls:
        return {}, "none"
    if vectors is None or vectors == "tfidf":
        all_urls = list(cat.by_url)
        rows = {u: i for i, u in enumerate(all_urls)}
        m = tfidf_vectors([cat.by_url[u] for u in all_urls])
        sub = m[[rows[u] for u in urls]].toarray().astype(np.float32)
        return dict(zip(urls, sub)), "TF-IDF"
    if hasattr(vectors, "vectors_for"):
        arr = np.asarray(vectors.vectors_for([cat.get(u) for u in urls]))
        return dict(zip(urls, arr)), "engine embeddings"
    if callable(vectors):
        arr = np.asarray(vectors([cat.get(u) for u in urls]))
        return dict(zip(urls, arr)), getattr(vectors, "__name__", "custom vectors")
    if isinstance(vectors, Mapping):
        return {u: np.asarray(vectors[u]) for u in urls if u in vectors}, "given vectors"
    raise ValueError("vectors must be None/'tfidf', False, an engine (with vectors_for), a callable "
                     "or a dict {webUrl: vector}")
