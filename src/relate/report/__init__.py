"""The evaluation report: one self-contained HTML file for the analysts who decide on a ranker.

Rendering only: :func:`relate.evaluation.report_data` computes what the report shows;
:mod:`~relate.report.figures` draws the plots (score distribution, relevance against shown
quality as the blend weight is swept, per-query nDCG, topic precision per topic) and
:mod:`~relate.report.html` lays out the page (a summary table with paired differences, every
metric side by side, the plots as embedded PNGs, and a sample of articles with both systems'
lists side by side). :func:`write_report` does all three and writes the file.

``relate eval CORPUS [--judgments FILE] [--compare legacy|tfidf|FILE|none] [--out PATH] [-k K]
[--workspace DIR]`` maps one to one onto :func:`write_report`'s arguments.

The report is drawn with matplotlib (the ``eval`` extra, with ranx): importing this package
without it fails at once, and ``relate eval`` then says what to install.

Example:
    >>> from relate.report import write_report
    >>> write_report("../shared/corpora/azure", "reports/azure.html",
    ...              judgments="../shared/judgments/dev.jsonl", compare="legacy")
    PosixPath('reports/azure.html')
"""
import matplotlib  # noqa: F401  (the report's plotting library: a missing eval extra fails here)

from ..evaluation.baselines import check_compare
from .figures import (
                      figure_data_uri,
                      label_of,
                      plot_per_query,
                      plot_score_distribution,
                      plot_sweep,
                      plot_topic_precision,
)
from .html import CSS, DEFAULT_NAME, Judgments, draw_figures, examples_html, render_html, write_report

__all__ = ["CSS", "DEFAULT_NAME", "Judgments", "check_compare", "draw_figures", "examples_html", "figure_data_uri", "label_of",
           "plot_per_query", "plot_score_distribution", "plot_sweep", "plot_topic_precision", "render_html", "write_report"]
