"""The report's plots: matplotlib figures of scores, the sweep, per-query values and topics, as PNG URIs.

Figures are drawn with matplotlib's Agg canvas (a ``Figure``, never pyplot), so no global
plotting state is touched; :func:`figure_data_uri` embeds one in HTML as a base64 PNG.
"""
from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..evaluation import METRICS, Judgments, Report
from ..records import entry_url

__all__ = ["figure_data_uri", "label_of", "plot_per_query", "plot_score_distribution", "plot_sweep",
           "plot_topic_precision"]

_GRADE_NAMES = {"dup": "dup", 2: "clearly related (2)", 1: "somewhat (1)", 0: "not related (0)", None: "unjudged"}
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]


def _figure(width: float = 7.0, height: float = 4.0) -> Figure:
    """A figure drawn with matplotlib's Agg canvas (no pyplot state is touched)."""
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def figure_data_uri(fig) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (drawn with Agg)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _horizontal_box(labels: list[str]) -> dict[str, Any]:
    """boxplot keywords for horizontal boxes with labels, across matplotlib versions."""
    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    if (major, minor) >= (3, 10):
        return {"orientation": "horizontal", "tick_labels": labels}
    if (major, minor) >= (3, 9):
        return {"vert": False, "tick_labels": labels}
    return {"vert": False, "labels": labels}


def label_of(judgments: Judgments | None, query: str, cand: str) -> int | str | None:
    """A shown item's judged label: ``"dup"``, its grade, or ``None`` (unjudged, or no judgments)."""
    if judgments is None:
        return None
    if judgments.is_dup(query, cand):
        return "dup"
    return judgments.grade(query, cand)


def plot_score_distribution(suggestions: Mapping[str, Sequence[Mapping[str, Any]]], judgments: Judgments | None = None,
                            name: str = "relate"):
    """Histogram of the ``score`` of shown suggestions, and (with judgments) scores by grade.

    Args:
        suggestions: ``{query webUrl: [related entry with "score", ...]}`` (as from
            :func:`relate.evaluation.relate_suggestions`).
        judgments: graded pairs; adds a panel of the judged queries' scores per grade.
        name: the system's name for the title.

    Returns:
        A matplotlib ``Figure``.
    """
    scores = [float(e["score"]) for lst in suggestions.values() for e in lst if e.get("score") is not None]
    fig = _figure(10 if judgments is not None else 6, 3.8)
    axes = fig.subplots(1, 2 if judgments is not None else 1, squeeze=False)[0]
    ax = axes[0]
    if scores:
        ax.hist(scores, bins=40, color=_COLORS[0])
    ax.set_title(f"{name}: score of shown items ({len(scores)} items)")
    ax.set_xlabel("score")
    ax.set_ylabel("items")
    if judgments is not None:
        groups: dict[Any, list[float]] = {key: [] for key in (2, 1, 0, "dup", None)}
        for q in judgments.queries:
            for e in suggestions.get(q, []):
                url = entry_url(e)                      # webUrl, else originalUrl (a video's)
                if e.get("score") is not None and url:
                    groups[label_of(judgments, q, url)].append(float(e["score"]))
        keys = [key for key in groups if groups[key]]
        ax = axes[1]
        if keys:
            ax.boxplot([groups[key] for key in keys], **_horizontal_box([_GRADE_NAMES[key] for key in keys]))
            rng = np.random.default_rng(0)
            for i, key in enumerate(keys, 1):
                ax.scatter(groups[key], i + rng.uniform(-0.15, 0.15, len(groups[key])), s=10, alpha=0.6,
                           color=_COLORS[i % len(_COLORS)])
        ax.set_title("judged queries: score by grade")
        ax.set_xlabel("score")
    return fig


def plot_sweep(rows: Sequence[Mapping[str, float]], key: str = "w_quality", x: str = "quality", y: str = "ndcg",
               references: Mapping[str, Mapping[str, float]] | None = None, k: int = 5, current: float | None = None):
    """Relevance (``y``) against mean shown quality (``x``) along a sweep of ``key``.

    Args:
        rows: the output of :func:`relate.evaluation.sweep`.
        key: the swept option (each point is labelled with its value).
        x, y: metric keys for the axes.
        references: ``{name: {metric: value}}`` drawn as single points (other systems, on the
            same queries).
        k: the cut-off, for the labels.
        current: the configured value of ``key``, marked on the curve.
    """
    fig = _figure(7, 4.5)
    ax = fig.subplots()
    xs = [r.get(x, math.nan) for r in rows]
    ys = [r.get(y, math.nan) for r in rows]
    ax.plot(xs, ys, "-o", color=_COLORS[0], label=f"relate, {key} swept")
    for r, xv, yv in zip(rows, xs, ys):
        if not (math.isnan(xv) or math.isnan(yv)):
            mark = " (config)" if current is not None and math.isclose(r[key], current) else ""
            ax.annotate(f"{r[key]:g}{mark}", (xv, yv), textcoords="offset points", xytext=(4, 4), fontsize=8)
    for i, (name, vals) in enumerate((references or {}).items(), 1):
        ax.scatter([vals.get(x, math.nan)], [vals.get(y, math.nan)], marker="s", s=50,
                   color=_COLORS[i % len(_COLORS)], label=name, zorder=3)
    ax.set_xlabel(METRICS[x].title(k))
    ax.set_ylabel(METRICS[y].title(k))
    ax.set_title(f"{METRICS[y].title(k)} against {METRICS[x].title(k)} as {key} varies")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_per_query(report: Report, metric: str, a: str, b: str):
    """Per-query values of ``metric``: system ``a`` on x, ``b`` on y (points above the line: ``b`` wins)."""
    va, vb = report.per_query[a].get(metric, {}), report.per_query[b].get(metric, {})
    pairs = [(va[q], vb[q]) for q in va if q in vb and not math.isnan(va[q]) and not math.isnan(vb[q])]
    fig = _figure(4.8, 4.5)
    ax = fig.subplots()
    if pairs:
        x, y = zip(*pairs)
        lo, hi = min(min(x), min(y), 0.0), max(max(x), max(y), 1.0)
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--")
        ax.scatter(x, y, s=25, alpha=0.7, color=_COLORS[0])
        wins, losses = sum(yv > xv for xv, yv in pairs), sum(yv < xv for xv, yv in pairs)
        ax.set_title(f"{METRICS[metric].title(report.k)} per query: {b} better on {wins}, worse on {losses}",
                     fontsize=9)
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    return fig


def plot_topic_precision(by_topic: Mapping[str, Mapping[str, Mapping[str, float]]], k: int = 5,
                         min_queries: int = 3, top: int = 15):
    """Grouped bars of topic precision per specific topic, one bar per system.

    Args:
        by_topic: ``{system: topic_precision_by_topic(...)}``.
        min_queries: leave out topics with fewer lists than this (in the first system).
        top: show at most this many topics (the largest).
    """
    systems = list(by_topic)
    first = by_topic[systems[0]] if systems else {}
    topics = [t for t, row in first.items() if row["queries"] >= min_queries][:top]
    fig = _figure(8, max(2.5, 0.35 * len(topics) * max(1, len(systems)) ** 0.5 + 1))
    ax = fig.subplots()
    if topics:
        h = 0.8 / len(systems)
        ypos = np.arange(len(topics))
        for i, s in enumerate(systems):
            vals = [by_topic[s].get(t, {}).get("topic_p", 0.0) for t in topics]
            ax.barh(ypos + i * h, vals, height=h, label=s, color=_COLORS[i % len(_COLORS)])
        ax.set_yticks(ypos + h * (len(systems) - 1) / 2,
                      [f"{t} ({first[t]['queries']})" for t in topics], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel(f"share of the {k} shown items carrying the article's topic")
    ax.set_title("Topic precision per topic (lists per topic in brackets)")
    return fig
