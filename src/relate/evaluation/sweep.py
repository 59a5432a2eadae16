"""Relevance against shown quality as one rank option is swept: :func:`sweep` and its queries."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..corpus import as_articles
from .baselines import relate_lists
from .experiment import evaluate
from .judgments import Judgments
from .metrics import METRICS
from .runs import Catalogue

__all__ = ["SWEEP_VALUES", "sweep", "sweep_queries"]

#: Blend weights tried by :func:`sweep` by default.
SWEEP_VALUES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)


def sweep_queries(corpus: Any, judgments: Judgments | None = None, sample: int = 300, seed: int = 0) -> list[str]:
    """The judged queries plus a seeded random sample of ``sample`` other articles (webUrls)."""
    cat = Catalogue.of(corpus)
    judged = [] if judgments is None else [cat(q) for q in judgments.queries]
    seen = set(judged)
    others = [u for u in cat.by_url if u not in seen]
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(others), size=min(sample, len(others)), replace=False) if others else []
    return list(dict.fromkeys(judged + [others[i] for i in sorted(int(i) for i in picked)]))


def sweep(engine: Any, corpus: Any, judgments: Judgments | None = None, key: str = "w_quality",
          values: Sequence[float] = SWEEP_VALUES, k: int = 5, queries: Iterable[str] | None = None,
          sample: int = 300, seed: int = 0) -> list[dict[str, float]]:
    """Relevance against shown quality as one rank option (a ``RankConfig`` key) is swept.

    For each value, ``engine.suggest_many(..., **{key: value})`` is scored on ``queries``
    (default: :func:`sweep_queries`, the judged queries plus ``sample`` other articles, so
    quality and topic precision rest on more than the judged few).

    Returns:
        One dict per value: ``{key: value, "ndcg", "p_rel", "dup_rate", "quality", "topic_p", ...}``.

    Example:
        >>> rows = sweep(engine, corpus, qrels, key="w_quality", values=[0, 0.1, 0.3])
        >>> [(r["w_quality"], round(r["ndcg"], 3), round(r["quality"], 1)) for r in rows]
    """
    arts = as_articles(corpus)
    cat = Catalogue(arts)
    urls = sweep_queries(cat, judgments, sample, seed) if queries is None else [cat(q) for q in queries]
    query_arts = [cat.get(u) for u in urls if cat.get(u) is not None]
    out = []
    for v in values:
        lists = relate_lists(engine, query_arts, k=k, **{key: v})
        rep = evaluate(arts, {"relate": lists}, judgments, k=k, queries=urls, vectors=False, reference=None)
        row = {key: float(v)}
        row.update({m: rep.aggregate["relate"][m] for m in rep.metrics if METRICS[m].per_query})
        out.append(row)
    return out
