"""What the evaluation report shows, computed: systems run, scored, compared, swept; examples picked.

:func:`report_data` does every computation behind :func:`relate.report.write_report` and
returns plain data (a :class:`ReportData`); :mod:`relate.report` only draws and renders it.

Example:
    >>> data = report_data("../shared/corpora/azure", judgments="../shared/judgments/dev.jsonl")
    >>> print(data.report)
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..corpus import as_articles
from ..engine import Engine
from ..records import entry_url
from .baselines import judged_order_lists, legacy_lists, relate_suggestions, resolve_compare, tfidf_lists
from .compare import Comparison
from .compare import compare as compare_systems
from .experiment import Report, evaluate, topic_precision_by_topic
from .judgments import Judgments
from .metrics import judged_metrics
from .runs import Catalogue
from .sweep import SWEEP_VALUES, sweep, sweep_queries

logger = logging.getLogger(__name__)

__all__ = ["ReportData", "pick_examples", "report_data"]


@dataclass
class ReportData:
    """Everything the report shows, as plain data.

    Attributes:
        report: the scores of every system (relate first).
        systems: ``{name: {webUrl: [webUrl, ...]}}``: relate, the compared system, the baselines.
        suggestions: relate's entries (with ``score``) by query webUrl.
        catalogue: the corpus as the metrics see it.
        judgments: the graded pairs, or ``None``.
        corpus_label: what the corpus was given as (a path, or a description).
        judgments_label: the judgments file or source, or ``None``.
        compared: the headline comparison system's name, or ``None``.
        comparison: relate against ``compared`` (``None`` without one).
        comparisons: relate against each other system.
        config: the engine's config (its ranker settings are shown), if it has one.
        sweep_key: the rank option swept.
        sweep_rows: one row of metrics per swept value (``None``: no sweep).
        sweep_references: the other systems' aggregates on the sweep's queries.
        sweep_queries: the articles the sweep scored.
        sweep_current: the configured value of ``sweep_key``.
        by_topic: ``{system: topic precision per topic}``.
        examples: the query webUrls shown with their lists side by side.
        order_bound: with judgments, ``(relate's nDCG@k, its candidates' in the judges' order, queries)``
            over the judged queries the engine holds (:func:`~relate.evaluation.judged_order_lists`):
            what a better order of relate's candidates could gain; ``None`` without.
    """

    report: Report
    systems: dict[str, Any]
    suggestions: dict[str, list[dict]]
    catalogue: Catalogue
    judgments: Judgments | None
    corpus_label: str
    judgments_label: str | None
    compared: str | None
    comparison: Comparison | None
    comparisons: list[Comparison]
    config: Any = None
    sweep_key: str = "w_quality"
    sweep_rows: list[dict[str, float]] | None = None
    sweep_references: dict[str, dict[str, float]] = field(default_factory=dict)
    sweep_queries: list[str] = field(default_factory=list)
    sweep_current: float | None = None
    by_topic: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    order_bound: tuple[float, float, int] | None = None

    @property
    def k(self) -> int:
        return self.report.k

    @property
    def shown_systems(self) -> dict[str, Any]:
        """The systems shown side by side in the examples: relate and the compared one."""
        names = ["relate", self.compared] if self.compared else ["relate"]
        return {n: self.systems[n] for n in names}


def pick_examples(corpus: Any, lists: Mapping[str, Sequence[str]], judgments: Judgments | None = None, n: int = 8,
                  seed: int = 0) -> list[str]:
    """Query webUrls to show as examples: up to half judged queries, the rest a seeded random
    sample of articles whose list (in ``lists``) is not empty."""
    cat = Catalogue.of(corpus)
    picked: list[str] = []
    if judgments is not None and n > 0:
        picked = [cat(q) for q in judgments.queries][: max(n // 2, 1)]
    chosen = set(picked)
    pool = [u for u in cat.by_url if u not in chosen and lists.get(u)]
    more = max(n - len(picked), 0)
    if pool and more:
        rng = np.random.default_rng(seed)
        picked += [pool[int(i)] for i in sorted(rng.choice(len(pool), size=min(more, len(pool)), replace=False))]
    return picked


def _order_bound(engine: Any, relate: Mapping[str, Sequence[str]], judgments: Judgments | None,
                 k: int) -> tuple[float, float, int] | None:
    """:attr:`ReportData.order_bound` (``None`` without judgments, or for an engine without a ranker config)."""
    rank = getattr(getattr(engine, "config", None), "rank", None)
    if judgments is None or rank is None:
        return None
    bound = judged_order_lists(engine, judgments, k=k, depth=max(k, rank.candidates))
    if not bound:
        return None
    ours = judged_metrics(relate, judgments, k=k, queries=list(bound))["ndcg"]
    best = judged_metrics(bound, judgments, k=k)["ndcg"]
    return float(np.mean(list(ours.values()))), float(np.mean(list(best.values()))), len(bound)


def report_data(corpus: Any, judgments: Judgments | str | os.PathLike | None = None,
                compare: str | os.PathLike | Sequence[str | os.PathLike] | None = "legacy", engine: Any = None,
                k: int = 5, *, workspace: str | os.PathLike | None = None, config: Any = None,
                baselines: Sequence[str] = ("tfidf",), sweep_key: str = "w_quality",
                sweep_values: Sequence[float] | None = SWEEP_VALUES, sweep_sample: int = 300, examples: int = 8,
                seed: int = 0) -> ReportData:
    """Runs relate and the other systems on a corpus, scores and compares them, sweeps a rank option.

    The arguments are those of :func:`relate.report.write_report`, less the output path.

    Raises:
        ValueError: a bad ``compare``, ``k``, judgments file or baseline name.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")
    unknown = [b for b in baselines if b not in ("tfidf", "legacy")]
    if unknown:
        raise ValueError(f"unknown baseline {unknown[0]!r}; choose from 'tfidf', 'legacy'")
    if isinstance(corpus, (str, os.PathLike)):
        corpus_label = str(corpus)
    else:
        corpus_label = str(getattr(corpus, "root", None) or f"{type(corpus).__name__} in memory")
    arts = as_articles(corpus)
    if not arts:
        raise ValueError(f"{corpus_label}: the corpus has no articles")
    cat = Catalogue(arts)
    if isinstance(judgments, (str, os.PathLike)):
        judgments_label = str(judgments)
        judgments = Judgments.from_file(judgments)
    else:
        judgments_label = None if judgments is None else judgments.source
    wanted = [compare] if compare is None or isinstance(compare, (str, os.PathLike)) else list(compare)
    extra: dict[str, Any] = {}
    other_name, other_lists = resolve_compare(wanted[0] if wanted else None, arts, k)
    for c in wanted[1:]:
        name, lists = resolve_compare(c, arts, k)
        if name is not None and name != other_name:
            extra[name] = lists

    if engine is None:
        engine = Engine.build(arts, workspace=workspace, config=config)
    elif hasattr(engine, "update") and len(engine) == 0:
        logger.info("report: the engine's workspace is empty; building it from the corpus")
        engine.update(arts)
    logger.info("report: ranking %d articles", len(cat))
    suggestions = relate_suggestions(engine, list(cat.by_url.values()), k=k)
    systems: dict[str, Any] = {"relate": {q: [entry_url(e) for e in lst] for q, lst in suggestions.items()}}
    if other_name is not None:
        systems[other_name] = other_lists
    systems.update(extra)
    for b in baselines:
        if b not in systems:
            systems[b] = tfidf_lists(arts, k=k) if b == "tfidf" else legacy_lists(arts)

    vectors = engine if hasattr(engine, "vectors_for") else None
    report = evaluate(arts, systems, judgments, k=k, vectors=vectors)
    data = ReportData(report, systems, suggestions, cat, judgments, corpus_label, judgments_label, other_name,
                      compare_systems(report, other_name, "relate", seed=seed) if other_name else None,
                      [compare_systems(report, b, "relate", seed=seed) for b in systems if b not in ("relate", other_name)],
                      config=getattr(engine, "config", None), sweep_key=sweep_key)
    data.order_bound = _order_bound(engine, systems["relate"], judgments, k)
    if sweep_values:
        data.sweep_current = getattr(getattr(data.config, "rank", None), sweep_key, None)
        data.sweep_queries = sweep_queries(cat, judgments, sweep_sample, seed)
        data.sweep_rows = sweep(engine, arts, judgments, key=sweep_key, values=sweep_values, k=k,
                                queries=data.sweep_queries)
        others = {n: lists for n, lists in systems.items() if n != "relate"}
        if others:
            data.sweep_references = evaluate(arts, others, judgments, k=k, queries=data.sweep_queries,
                                             vectors=False, reference=None).aggregate
    generic = report.info["generic_topics"]
    data.by_topic = {s: topic_precision_by_topic(arts, lists, k, generic) for s, lists in systems.items()}
    data.examples = pick_examples(cat, systems["relate"], judgments, examples, seed)
    return data
