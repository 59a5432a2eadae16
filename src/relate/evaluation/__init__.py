"""Offline evaluation of related lists: judged relevance, agreement, topics and beyond accuracy.

A system's output is a :class:`Run` (``{query_webUrl: [candidate_webUrl, ...]}``); graded
judgments are a :class:`Judgments` (``../shared/judgments`` JSON lines). :func:`evaluate`
scores any number of runs on one corpus and returns a :class:`Report`; :func:`compare` pairs two
systems query by query, with the difference, a bootstrap confidence interval and a p-value.
The baselines (stored lists, TF-IDF, plain cosine) and relate's own lists come from
:mod:`~relate.evaluation.baselines`; :func:`report_data` computes everything the HTML report
(:mod:`relate.report`) shows.

Modules: ``judgments``, ``runs`` (runs and the catalogue), ``metrics`` (the catalogue of
metrics and each metric function), ``tables``, ``baselines``, ``experiment`` (evaluate, Report),
``compare``, ``sweep`` and ``report_data``.

Example:
    >>> import relate
    >>> from relate.evaluation import Judgments, compare, evaluate, legacy_lists, tfidf_lists
    >>> corpus = relate.read_corpus("../shared/corpora/azure")
    >>> qrels = Judgments.from_file("../shared/judgments/dev.jsonl")
    >>> report = evaluate(corpus, {"legacy": legacy_lists(corpus),
    ...                            "tfidf": tfidf_lists(corpus.articles)}, qrels, k=5)
    >>> print(report)
    >>> print(compare(report, "legacy", "tfidf"))
"""
from .baselines import (
                      judged_order_lists,
                      legacy_lists,
                      relate_lists,
                      relate_suggestions,
                      resolve_compare,
                      tfidf_lists,
                      vector_lists,
)
from .compare import HEADLINE_METRICS, Comparison, bootstrap_ci, compare, headline_table, paired_p_value
from .experiment import Report, evaluate, tfidf_vectors, topic_precision_by_topic
from .judgments import Judgment, Judgments
from .metrics import (
                      GENERIC_TOPIC_SHARE,
                      JUDGED_METRICS,
                      METRICS,
                      Metric,
                      agreement,
                      catalogue_coverage,
                      dup_rate,
                      generic_topics,
                      gini,
                      intra_list_diversity,
                      judged_metrics,
                      judged_share,
                      time_gap_days,
                      time_gaps,
                      topic_precision,
)
from .report_data import ReportData, pick_examples, report_data
from .runs import Catalogue, Run, as_run
from .sweep import SWEEP_VALUES, sweep, sweep_queries
from .tables import format_value, text_table

__all__ = [
    "GENERIC_TOPIC_SHARE",
    "HEADLINE_METRICS",
    "JUDGED_METRICS",
    "METRICS",
    "SWEEP_VALUES",
    "Catalogue",
    "Comparison",
    "Judgment",
    "Judgments",
    "Metric",
    "Report",
    "ReportData",
    "Run",
    "agreement",
    "as_run",
    "bootstrap_ci",
    "catalogue_coverage",
    "compare",
    "dup_rate",
    "evaluate",
    "format_value",
    "generic_topics",
    "gini",
    "headline_table",
    "intra_list_diversity",
    "judged_metrics",
    "judged_order_lists",
    "judged_share",
    "legacy_lists",
    "paired_p_value",
    "pick_examples",
    "relate_lists",
    "relate_suggestions",
    "report_data",
    "resolve_compare",
    "sweep",
    "sweep_queries",
    "text_table",
    "tfidf_lists",
    "tfidf_vectors",
    "time_gap_days",
    "time_gaps",
    "topic_precision",
    "topic_precision_by_topic",
    "vector_lists",
]
