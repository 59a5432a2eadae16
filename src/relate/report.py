"""The evaluation report: one self-contained HTML file for the analysts who decide on a ranker.

:func:`write_report` scores relate against another system (the stored lists, a TF-IDF
baseline, or any lists in a JSON file) and writes a summary table with paired differences,
every metric side by side, plots (score distribution, relevance against shown quality as the
blend weight is swept, per-query nDCG, topic precision per topic) and a sample of articles
with both systems' lists side by side. Plots are PNGs embedded as base64; no pyplot state is
touched (figures are drawn with matplotlib's Agg canvas).

``relate eval CORPUS [--judgments FILE] [--compare legacy|tfidf|FILE|none] [--out PATH] [-k K]
[--workspace DIR]`` maps one to one onto :func:`write_report`'s arguments.

Example:
    >>> from relate.report import write_report
    >>> write_report("../shared/corpora/azure", "reports/azure.html",
    ...              judgments="../shared/judgments/dev.jsonl", compare="legacy")
    PosixPath('reports/azure.html')
"""
from __future__ import annotations

import base64
import html
import io
import logging
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .evaluate import (METRICS, SWEEP_VALUES, Catalogue, Comparison, Judgments, Report, Run, compare as compare_systems,
                       corpus_articles, evaluate, sweep, sweep_queries, topic_precision_by_topic)

logger = logging.getLogger(__name__)

__all__ = ["CSS", "HEADLINE_METRICS", "examples_html", "figure_data_uri", "headline_table", "pick_examples",
           "plot_per_query", "plot_score_distribution", "plot_sweep", "plot_topic_precision", "resolve_compare",
           "write_report"]

#: File name used when ``out_path`` is a folder.
DEFAULT_NAME = "relate-eval.html"
_GRADE_NAMES = {"dup": "dup", 2: "clearly related (2)", 1: "somewhat (1)", 0: "not related (0)", None: "unjudged"}
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]


# ================================================================== plots
def _figure(width: float = 7.0, height: float = 4.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def figure_data_uri(fig) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (drawn with Agg)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _horizontal_box(labels: list[str]) -> dict[str, Any]:
    """boxplot keywords for horizontal boxes with labels, across matplotlib versions."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    if (major, minor) >= (3, 10):
        return {"orientation": "horizontal", "tick_labels": labels}
    if (major, minor) >= (3, 9):
        return {"vert": False, "tick_labels": labels}
    return {"vert": False, "labels": labels}


def _label_of(judgments: Judgments | None, query: str, cand: str):
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
            :func:`relate.baselines.relate_suggestions`).
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
                if e.get("score") is not None and e.get("webUrl"):
                    groups[_label_of(judgments, q, e["webUrl"])].append(float(e["score"]))
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
        rows: the output of :func:`relate.evaluate.sweep`.
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


# ================================================================== html pieces
def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _grade_badge(label: Any) -> str:
    if label is None:
        return '<span class="b un">unjudged</span>'
    if label == "dup":
        return '<span class="b dup">dup</span>'
    return f'<span class="b g{label}">{label}</span>'


def _item_html(cat: Catalogue, url: str, judgments: Judgments | None, query: str, score: float | None = None) -> str:
    a = cat.get(url)
    title = a.title if a is not None else url
    meta = []
    if a is not None:
        meta.append(a.provider_domain or a.provider_name or "")
        if a.published_at is not None:
            meta.append(a.published_at.strftime("%Y-%m-%d"))
        if a.quality is not None:
            meta.append(f"q {a.quality:g}")
    if score is not None:
        meta.append(f"score {score:.3f}")
    badge = _grade_badge(_label_of(judgments, query, url)) if judgments is not None and query in judgments else ""
    return (f'<li>{badge}<a href="{_esc(url)}">{_esc(title)}</a> '
            f'<span class="meta">{_esc(" · ".join(m for m in meta if m))}</span></li>')


def pick_examples(corpus: Any, lists: Mapping[str, Sequence[str]], judgments: Judgments | None = None, n: int = 8,
                  seed: int = 0) -> list[str]:
    """Query webUrls to show as examples: up to half judged queries, the rest a seeded random
    sample of articles whose list (in ``lists``) is not empty."""
    cat = corpus if isinstance(corpus, Catalogue) else Catalogue(corpus_articles(corpus))
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


def examples_html(corpus: Any, systems: Mapping[str, Any], queries: Sequence[str], judgments: Judgments | None = None,
                  k: int = 5, scores: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]] | None = None) -> str:
    """An HTML table: each query article, then each system's list side by side.

    Args:
        corpus: a path, ``Corpus`` or list of articles (titles, providers, quality).
        systems: ``{name: lists}`` as for :func:`relate.evaluate.evaluate`.
        queries: the query webUrls to show.
        judgments: marks each item with its grade (2, 1, 0, dup, unjudged) on judged queries.
        k: items per list.
        scores: ``{name: suggestions}`` whose ``score`` is shown next to the items.
    """
    cat = corpus if isinstance(corpus, Catalogue) else Catalogue(corpus_articles(corpus))
    runs = {name: (r if isinstance(r, Run) else Run(r, name)).mapped(cat) for name, r in systems.items()}
    score_of = {name: {(q, e.get("webUrl")): e.get("score") for q, lst in s.items() for e in lst}
                for name, s in (scores or {}).items()}
    head = "".join(f"<th>{_esc(n)}</th>" for n in runs)
    rows = []
    for q in queries:
        q = cat(q)
        a = cat.get(q)
        title = a.title if a is not None else q
        info = []
        if a is not None:
            info = [a.provider_domain or a.provider_name or "",
                    a.published_at.strftime("%Y-%m-%d") if a.published_at else "",
                    ", ".join(a.topics or [])]
        judged = " · judged" if judgments is not None and q in judgments else ""
        rows.append(f'<tr class="q"><td colspan="{len(runs)}"><a href="{_esc(q)}"><b>{_esc(title)}</b></a> '
                    f'<span class="meta">{_esc(" · ".join(i for i in info if i))}{judged}</span></td></tr>')
        cells = []
        for name, run in runs.items():
            items = run.top(q, k)
            if not items:
                cells.append('<td><i class="meta">(empty)</i></td>')
                continue
            lis = "".join(_item_html(cat, c, judgments, q, score_of.get(name, {}).get((q, c))) for c in items)
            cells.append(f"<td><ol>{lis}</ol></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="ex"><tr>{head}</tr>{"".join(rows)}</table>'


def _report_table_html(report: Report) -> str:
    head = "".join(f"<th>{_esc(s)}</th>" for s in report.systems)
    body, group = [], None
    names = {"judged": "Against the judgments", "agreement": "Agreement with the stored lists (not quality)",
             "topic": "Topics", "beyond": "Beyond accuracy"}
    for r in report.rows():
        if r["group"] != group:
            group = r["group"]
            body.append(f'<tr class="grp"><td colspan="{len(report.systems) + 1}">{names[group]}</td></tr>')
        cells = "".join(f"<td>{_fmt_cell(r['metric'], r[s])}</td>" for s in report.systems)
        body.append(f'<tr><td title="{_esc(METRICS[r["metric"]].doc)}">{_esc(r["label"])}</td>{cells}</tr>')
    return f'<table class="num"><tr><th>metric</th>{head}</tr>{"".join(body)}</table>'


def _fmt_cell(metric: str, v: float) -> str:
    from .evaluate import _fmt

    return _esc(_fmt(metric, v))


def _comparison_html(cmp: Comparison) -> str:
    head = (f"<tr><th>metric</th><th>{_esc(cmp.a)}</th><th>{_esc(cmp.b)}</th><th>diff</th>"
            f"<th>{cmp.confidence:.0%} CI</th><th>p</th><th>n</th></tr>")
    body = []
    for r in cmp.rows:
        m = r["metric"]
        better = METRICS[m].better
        cls = ""
        if not math.isnan(r["ci_low"]) and better and (r["ci_low"] > 0 or r["ci_high"] < 0):
            good = (r["ci_low"] > 0) == (better == "higher")
            cls = ' class="win"' if good else ' class="loss"'
        ci = "–" if math.isnan(r["ci_low"]) else f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        diff = "–" if math.isnan(r["diff"]) else f"{r['diff']:+.3f}"
        p = "–" if math.isnan(r["p"]) else f"{r['p']:.3f}"
        body.append(f'<tr{cls}><td title="{_esc(METRICS[m].doc)}">{_esc(r["label"])}</td>'
                    f"<td>{_fmt_cell(m, r['a'])}</td><td>{_fmt_cell(m, r['b'])}</td><td>{diff}</td>"
                    f"<td>{ci}</td><td>{p}</td><td>{r['n']}</td></tr>")
    return f'<table class="num">{head}{"".join(body)}</table>'


CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;color:#222;
padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:3px 8px;border-bottom:1px solid #eee;vertical-align:top}
table.num td:not(:first-child),table.num th:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}
tr.grp td{background:#f4f4f4;font-weight:600}tr.win td{background:#e8f5e9}tr.loss td{background:#fdecea}
.meta{color:#777;font-size:.85em}.note{color:#555;font-size:.9em}
table.ex{width:100%;table-layout:fixed}table.ex td{width:50%}tr.q td{background:#f7f9fc;padding-top:.8em}
ol{margin:.2em 0;padding-left:1.4em}li{margin:.15em 0}
.b{display:inline-block;min-width:1.6em;text-align:center;border-radius:3px;font-size:.75em;margin-right:.4em;
padding:0 .3em}
.g2{background:#2e7d32;color:#fff}.g1{background:#a5d6a7}.g0{background:#eee}.dup{background:#ef9a9a}
.un{background:#fff;border:1px dashed #bbb;color:#999}
img{max-width:100%}dt{font-weight:600;margin-top:.4em}dd{margin-left:1.2em}
"""


#: Metrics of the headline table, in order (those a report lacks are left out).
HEADLINE_METRICS = ("ndcg", "p_rel", "p_clear", "dup_rate", "judged", "topic_p", "agree_recall", "ild",
                    "providers", "quality", "gap_days", "empty", "coverage", "gini")


def headline_table(report: Report, baseline: str, system: str = "relate", metrics: Sequence[str] | None = None,
                   markdown: bool = True, seed: int = 0) -> str:
    """The table to paste into a decision: every system's value, then ``system - baseline`` with
    its bootstrap interval, p-value and ``n``.

    The values are each system's aggregate; the difference is paired, over the ``n`` articles
    where both systems have a value (a metric undefined for empty lists, such as diversity, is
    paired only where both lists are non-empty, so it can differ from the difference of the
    two aggregates).

    Example:
        >>> print(headline_table(report, "legacy"))
        | metric | relate | legacy | tfidf | relate − legacy [95% CI] | p |
        ...
    """
    from .evaluate import _fmt, _table

    cmp = compare_systems(report, baseline, system, seed=seed)
    by_metric = {r["metric"]: r for r in cmp.rows}
    order = [system, baseline] + [s for s in report.systems if s not in (system, baseline)]
    header = ["metric", *order, f"{system} − {baseline}, paired [{cmp.confidence:.0%} CI]", "p", "n"]
    body = []
    for m in metrics or HEADLINE_METRICS:
        if m not in by_metric:
            continue
        r = by_metric[m]
        diff = "–" if math.isnan(r["diff"]) else f"{r['diff']:+.3f}"
        if not math.isnan(r["ci_low"]):
            diff += f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        p = "–" if math.isnan(r["p"]) else f"{r['p']:.3f}"
        body.append([r["label"], *(_fmt(m, report.aggregate[s].get(m, math.nan)) for s in order), diff, p,
                     str(r["n"])])
    return _table(header, body, markdown)


# ================================================================== the report
def resolve_compare(compare: str | os.PathLike | None, corpus: Any, k: int = 5) -> tuple[str | None, dict | None]:
    """The system named by ``--compare``: ``"legacy"`` (stored lists), ``"tfidf"``, a JSON file, or ``None``.

    Returns:
        ``(name, lists)``, or ``(None, None)`` for no comparison.

    Raises:
        ValueError: a file that is missing or not ``{webUrl: [webUrl, ...]}``.
    """
    from .baselines import legacy_lists, tfidf_lists

    if compare is None or (isinstance(compare, str) and compare.lower() in ("", "none")):
        return None, None
    if isinstance(compare, str) and compare == "legacy":
        return "legacy", legacy_lists(corpus)
    if isinstance(compare, str) and compare == "tfidf":
        return "tfidf", tfidf_lists(corpus, k=k)
    path = Path(compare)
    if not path.exists():
        raise ValueError(f"--compare {compare}: no such file; give 'legacy', 'tfidf', 'none' or a JSON file "
                         '{"webUrl": ["webUrl", ...]}')
    run = Run.from_file(path)
    return run.name or path.stem, run.lists


def write_report(corpus: Any, out_path: str | os.PathLike, judgments: Judgments | str | os.PathLike | None = None,
                 compare: str | os.PathLike | Sequence[str | os.PathLike] | None = "legacy", engine: Any = None,
                 k: int = 5, *,
                 workspace: str | os.PathLike | None = None, config: Any = None, baselines: Sequence[str] = ("tfidf",),
                 sweep_key: str = "w_quality", sweep_values: Sequence[float] | None = SWEEP_VALUES,
                 sweep_sample: int = 300, examples: int = 8, seed: int = 0) -> Path:
    """Scores relate against another system and writes a self-contained HTML report.

    Args:
        corpus: a corpus folder or file, a ``Corpus``, or a list of articles.
        out_path: the HTML file to write (a folder gets ``relate-eval.html``); parents are created.
        judgments: graded pairs (a :class:`~relate.evaluate.Judgments` or its JSON-lines file).
        compare: the other system: ``"legacy"`` (the records' stored lists), ``"tfidf"``, the
            path of a JSON file ``{webUrl: [webUrl, ...]}``, or ``None`` (relate alone). A list
            names several: the first is the headline comparison, the others get their own
            comparison tables and columns.
        engine: an open :class:`relate.Engine` over this corpus (an empty one is built from
            it); ``None`` builds (or opens) one with ``workspace`` and ``config``.
        k: list length scored.
        workspace: the engine's workspace folder when ``engine`` is ``None``.
        config: a :class:`relate.config.Config` for the engine when ``engine`` is ``None``.
        baselines: extra systems shown in the side-by-side table (``"tfidf"``, ``"legacy"``).
        sweep_key: the rank option swept in the relevance/quality plot.
        sweep_values: its values (``None`` or empty: no sweep).
        sweep_sample: articles besides the judged ones scored at each sweep point.
        examples: articles shown with both lists side by side.
        seed: seeds the example and sweep samples and the bootstrap.

    Returns:
        The path written.

    Raises:
        ValueError: a bad ``compare``, ``k``, judgments file or baseline name.
    """
    from .baselines import legacy_lists, relate_suggestions, tfidf_lists

    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")
    unknown = [b for b in baselines if b not in ("tfidf", "legacy")]
    if unknown:
        raise ValueError(f"unknown baseline {unknown[0]!r}; choose from 'tfidf', 'legacy'")
    if isinstance(corpus, (str, os.PathLike)):
        corpus_label = str(corpus)
    else:
        corpus_label = str(getattr(corpus, "root", None) or f"{type(corpus).__name__} in memory")
    arts = corpus_articles(corpus)
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
        from .engine import Engine

        engine = Engine.build(arts, workspace=workspace, config=config)
    elif hasattr(engine, "update") and len(engine) == 0:
        logger.info("report: the engine's workspace is empty; building it from the corpus")
        engine.update(arts)
    logger.info("report: ranking %d articles", len(cat))
    suggestions = relate_suggestions(engine, list(cat.by_url.values()), k=k)
    systems: dict[str, Any] = {"relate": {q: [e["webUrl"] for e in lst] for q, lst in suggestions.items()}}
    if other_name is not None:
        systems[other_name] = other_lists
    systems.update(extra)
    for b in baselines:
        if b not in systems:
            systems[b] = tfidf_lists(arts, k=k) if b == "tfidf" else legacy_lists(arts)

    vectors = engine if hasattr(engine, "vectors_for") else None
    report = evaluate(arts, systems, judgments, k=k, vectors=vectors)
    cmp = compare_systems(report, other_name, "relate", seed=seed) if other_name else None
    cmp_base = [compare_systems(report, b, "relate", seed=seed) for b in systems if b not in ("relate", other_name)]

    figures: list[tuple[str, str, str]] = []       # (title, data uri, caption)
    figures.append(("Score distribution", figure_data_uri(plot_score_distribution(suggestions, judgments)),
                    "relate's score of every shown item; with judgments, the judged queries' items by grade: "
                    "where the grades separate is where a minimum score would cut."))
    if sweep_values:
        rank_cfg = getattr(getattr(engine, "config", None), "rank", None)
        current = getattr(rank_cfg, sweep_key, None)
        qs = sweep_queries(cat, judgments, sweep_sample, seed)
        rows = sweep(engine, arts, judgments, key=sweep_key, values=sweep_values, k=k, queries=qs)
        others = {n: l for n, l in systems.items() if n != "relate"}
        refs = {}
        if others:
            ref_rep = evaluate(arts, others, judgments, k=k, queries=qs, vectors=False, reference=None)
            refs = ref_rep.aggregate
        y = "ndcg" if judgments is not None else "topic_p"
        figures.append((f"Relevance against shown quality ({sweep_key} swept)",
                        figure_data_uri(plot_sweep(rows, sweep_key, "quality", y, refs, k, current)),
                        f"Each point is relate with {sweep_key} set to the label, scored on "
                        f"{len(qs)} articles ({0 if judgments is None else len(judgments.queries)} judged); "
                        "squares are the other systems on the same articles. Up is more relevant, right shows "
                        "higher-quality articles."))
    if judgments is not None and other_name:
        per_query = plot_per_query(report, "ndcg", other_name, "relate")
        figures.append((f"nDCG@{k} per judged query", figure_data_uri(per_query),
                        "Each point is one judged query; above the line relate does better."))
    generic = report.info["generic_topics"]
    by_topic = {s: topic_precision_by_topic(arts, lists, k, generic) for s, lists in systems.items()}
    figures.append(("Topic precision per topic", figure_data_uri(plot_topic_precision(by_topic, k)),
                    "For the articles carrying each specific topic, the share of their shown items that carry it "
                    f"too (topics on half the corpus or more are ignored: {', '.join(generic) or 'none'})."))

    picked = pick_examples(cat, systems["relate"], judgments, examples, seed)
    shown_systems = {n: systems[n] for n in (["relate", other_name] if other_name else ["relate"])}
    ex_html = examples_html(cat, shown_systems, picked, judgments, k, scores={"relate": suggestions})

    html_text = _render(report, cmp, cmp_base, figures, ex_html, corpus_label, judgments_label, engine)
    out = Path(out_path)
    if out.is_dir() or (not out.suffix and not out.exists()):
        out = out / DEFAULT_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_text, encoding="utf-8")
    logger.info("report written to %s", out)
    return out


def _render(report: Report, cmp: Comparison | None, cmp_base: list[Comparison], figures, ex_html: str,
            corpus_label: str, judgments_label: str | None, engine: Any) -> str:
    from . import __version__

    info = report.info
    k = report.k
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cfg = getattr(engine, "config", None)
    rank = getattr(cfg, "rank", None)
    rank_txt = ""
    if rank is not None:
        keys = ("w_similarity", "w_lexical", "w_quality", "w_provider", "min_similarity", "max_per_provider")
        rank_txt = ", ".join(f"{key}={getattr(rank, key)}" for key in keys if hasattr(rank, key))
    judged_txt = ("no judgments given: only agreement, topic and beyond-accuracy metrics"
                  if info["judged_queries"] is None else
                  f"{_esc(judgments_label)}: {info['judged_queries']} queries, {info['judged_pairs']} judged pairs")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>relate evaluation</title>"
             f"<style>{CSS}</style></head><body>",
             "<h1>relate evaluation</h1>",
             f"<p class='note'>Corpus <b>{_esc(corpus_label)}</b>: {info['articles']} articles · k = {k} · "
             f"judgments: {judged_txt} · diversity measured with {_esc(info['vectors'])} · relate {__version__}"
             f"{' · ranker: ' + _esc(rank_txt) if rank_txt else ''} · {when}</p>"]
    parts.append("<h2>Summary</h2>")
    if cmp is not None:
        parts.append(f"<p>relate against <b>{_esc(cmp.a)}</b>, paired by article: diff = relate − {_esc(cmp.a)}, "
                     f"{cmp.confidence:.0%} bootstrap interval of the mean difference, p from ranx's two-sided "
                     "paired t-test; n = articles where both have a value. Green rows: relate is better "
                     "and the interval excludes 0; red: worse.</p>")
        parts.append(_comparison_html(cmp))
    else:
        parts.append("<p>No comparison system (compare=None).</p>")
    if info["judged_queries"] is not None:
        parts.append(f"<p class='note'>Judged metrics rest on {info['judged_queries']} queries: read the intervals, "
                     "not only the means. judged@k says how many shown items were read by a judge; unjudged items "
                     "count as not relevant, so a low judged@k understates a system.</p>")
    parts.append("<p class='note'>Agreement compares with the lists stored in the records: the old engine matched "
                 "keywords and sorted by quality, so agreement is not quality.</p>")
    for c in cmp_base:
        parts.append(f"<h3>relate against {_esc(c.a)}</h3>" + _comparison_html(c))
    parts.append("<h2>All metrics side by side</h2>")
    parts.append(_report_table_html(report))
    parts.append(f"<p class='note'>Judged metrics over the judged queries; the others over all {info['queries']} "
                 "articles (an article a system has no list for counts as an empty list). Hover a metric for its "
                 "definition.</p>")
    parts.append("<h2>Plots</h2>")
    for title, uri, caption in figures:
        parts.append(f"<h3>{_esc(title)}</h3><img alt='{_esc(title)}' src='{uri}'><p class='note'>{_esc(caption)}</p>")
    parts.append("<h2>Examples</h2>")
    parts.append("<p class='note'>Badges: judged grade (2 clearly related, 1 somewhat, 0 not), dup (the same story), "
                 "or unjudged. q = the record's quality.</p>")
    parts.append(ex_html)
    parts.append("<h2>What the metrics mean</h2><dl>")
    for m in report.metrics:
        parts.append(f"<dt>{_esc(METRICS[m].title(k))}</dt><dd>{_esc(METRICS[m].doc)}</dd>")
    parts.append("</dl></body></html>")
    return "\n".join(parts)
