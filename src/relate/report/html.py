"""The report's HTML: one self-contained page of tables, embedded plots and examples, and writing it.

:func:`write_report` scores relate against another system (the stored lists, a TF-IDF
baseline, or any lists in a JSON file) through :func:`relate.evaluation.report_data`, draws the
plots (:mod:`relate.report.figures`) and writes a summary table with paired differences, every
metric side by side, the plots as embedded PNGs and a sample of articles with both systems'
lists side by side.
"""
from __future__ import annotations

import html
import logging
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..evaluation import (
    METRICS,
    SWEEP_VALUES,
    Catalogue,
    Comparison,
    Judgments,
    Report,
    ReportData,
    Run,
    format_value,
    report_data,
)
from ..records import entry_url
from .figures import (
    figure_data_uri,
    label_of,
    plot_per_query,
    plot_score_distribution,
    plot_sweep,
    plot_topic_precision,
)

logger = logging.getLogger(__name__)

__all__ = ["CSS", "DEFAULT_NAME", "draw_figures", "examples_html", "render_html", "write_report"]

#: File name used when ``out_path`` is a folder.
DEFAULT_NAME = "relate-eval.html"


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
    badge = _grade_badge(label_of(judgments, query, url)) if judgments is not None and query in judgments else ""
    return (f'<li>{badge}<a href="{_esc(url)}">{_esc(title)}</a> '
            f'<span class="meta">{_esc(" · ".join(m for m in meta if m))}</span></li>')


def examples_html(corpus: Any, systems: Mapping[str, Any], queries: Sequence[str], judgments: Judgments | None = None,
                  k: int = 5, scores: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]] | None = None) -> str:
    """An HTML table: each query article, then each system's list side by side.

    Args:
        corpus: a path, ``Corpus`` or list of articles (titles, providers, quality).
        systems: ``{name: lists}`` as for :func:`relate.evaluation.evaluate`.
        queries: the query webUrls to show.
        judgments: marks each item with its grade (2, 1, 0, dup, unjudged) on judged queries.
        k: items per list.
        scores: ``{name: suggestions}`` whose ``score`` is shown next to the items.
    """
    cat = Catalogue.of(corpus)
    runs = {name: (r if isinstance(r, Run) else Run(r, name)).mapped(cat) for name, r in systems.items()}
    score_of = {name: {(q, entry_url(e)): e.get("score") for q, lst in s.items() for e in lst}
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
    return _esc(format_value(metric, v))


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


def draw_figures(data: ReportData) -> list[tuple[str, str, str]]:
    """The report's plots as ``(title, PNG data URI, caption)``, in the order shown."""
    report, judgments, k = data.report, data.judgments, data.k
    other_name = data.compared
    figures: list[tuple[str, str, str]] = []
    figures.append(("Score distribution", figure_data_uri(plot_score_distribution(data.suggestions, judgments)),
                    ("relate's score of every shown item; with judgments, the judged queries' items by grade: "
                    "where the grades separate is where a minimum score would cut.")))
    if data.sweep_rows is not None:
        sweep_key, qs = data.sweep_key, data.sweep_queries
        y = "ndcg" if judgments is not None else "topic_p"
        figures.append((f"Relevance against shown quality ({sweep_key} swept)",
                        figure_data_uri(plot_sweep(data.sweep_rows, sweep_key, "quality", y, data.sweep_references,
                                                   k, data.sweep_current)),
                        (f"Each point is relate with {sweep_key} set to the label, scored on "
                        f"{len(qs)} articles ({0 if judgments is None else len(judgments.queries)} judged); "
                        "squares are the other systems on the same articles. Up is more relevant, right shows "
                        "higher-quality articles.")))
    if judgments is not None and other_name:
        per_query = plot_per_query(report, "ndcg", other_name, "relate")
        figures.append((f"nDCG@{k} per judged query", figure_data_uri(per_query),
                        "Each point is one judged query; above the line relate does better."))
    generic = report.info["generic_topics"]
    figures.append(("Topic precision per topic", figure_data_uri(plot_topic_precision(data.by_topic, k)),
                    ("For the articles carrying each specific topic, the share of their shown items that carry it "
                    f"too (topics on half the corpus or more are ignored: {', '.join(generic) or 'none'}).")))
    return figures


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
        judgments: graded pairs (a :class:`~relate.evaluation.Judgments` or its JSON-lines file).
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
    data = report_data(corpus, judgments, compare, engine, k, workspace=workspace, config=config,
                       baselines=baselines, sweep_key=sweep_key, sweep_values=sweep_values,
                       sweep_sample=sweep_sample, examples=examples, seed=seed)
    html_text = render_html(data, draw_figures(data), examples_html(
        data.catalogue, data.shown_systems, data.examples, data.judgments, data.k,
        scores={"relate": data.suggestions}))
    out = Path(out_path)
    if out.is_dir() or (not out.suffix and not out.exists()):
        out = out / DEFAULT_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_text, encoding="utf-8")
    logger.info("report written to %s", out)
    return out


def render_html(data: ReportData, figures: Sequence[tuple[str, str, str]], ex_html: str) -> str:
    """The whole report page: the summary, every metric, the ``figures`` (title, data URI,
    caption), the examples table ``ex_html`` and the glossary."""
    report, cmp, cmp_base = data.report, data.comparison, data.comparisons
    corpus_label, judgments_label = data.corpus_label, data.judgments_label
    info = report.info
    k = report.k
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rank = getattr(data.config, "rank", None)
    rank_txt = ""
    if rank is not None:
        keys = ("w_similarity", "w_lexical", "w_quality", "w_provider", "min_similarity", "max_per_provider")
        rank_txt = ", ".join(f"{key}={getattr(rank, key)}" for key in keys if hasattr(rank, key))
    judged_txt = ("no judgments given: only agreement, topic and beyond-accuracy metrics"
                  if info["judged_queries"] is None else
                  f"{_esc(judgments_label)}: {info['judged_queries']} queries, {info['judged_pairs']} judged pairs")
    parts = [(f"<!doctype html><html><head><meta charset='utf-8'><title>relate evaluation</title>"
             f"<style>{CSS}</style></head><body>"),
             "<h1>relate evaluation</h1>",
             (f"<p class='note'>Corpus <b>{_esc(corpus_label)}</b>: {info['articles']} articles · k = {k} · "
             f"judgments: {judged_txt} · diversity measured with {_esc(info['vectors'])} · relate {__version__}"
             f"{' · ranker: ' + _esc(rank_txt) if rank_txt else ''} · {when}</p>")]
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
    if data.order_bound is not None:
        ours, best, n = data.order_bound
        parts.append(f"<p>What a better order could gain: on the {n} judged queries, relate's nDCG@{k} is "
                     f"<b>{ours:.3f}</b>; its own candidates (its list at full depth, after its filters, story rule "
                     f"and collapse) put in the judges' order would score <b>{best:.3f}</b>, the best any ranker "
                     "could do with them. The difference is what a better order alone could gain; what even that order misses "
                     "(up to 1) is missing from the candidates.</p>")
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
