"""Paired comparison of two systems of a report: mean difference, bootstrap interval, p-value.

:func:`compare` pairs system ``b`` with system ``a`` query by query: the difference, a
percentile bootstrap interval of its mean (scipy) and the p-value of ranx's paired t-test (or a
randomisation test); :func:`headline_table` is the table to paste into a decision. scipy and
ranx are imported inside the functions that need them.

Example:
    >>> cmp = compare(report, "legacy", "relate")
    >>> print(cmp)          # diff = relate - legacy
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .experiment import Report
from .metrics import METRICS
from .tables import format_value, text_table

__all__ = ["HEADLINE_METRICS", "Comparison", "bootstrap_ci", "compare", "headline_table", "paired_p_value"]


@dataclass
class Comparison:
    """A paired comparison of system ``b`` against system ``a`` on one report.

    Attributes:
        a: the baseline (control) system.
        b: the system compared with it (treatment).
        rows: one dict per metric with ``metric``, ``label``, ``a``, ``b``, ``diff`` (b - a),
            ``ci_low``, ``ci_high`` (bootstrap interval of the mean paired difference), ``p``
            (the paired test, ranx's t-test by default) and ``n`` (queries where both are defined).
        confidence: the interval's level.
    """

    a: str
    b: str
    rows: list[dict[str, Any]]
    confidence: float
    k: int = 5

    def table(self, markdown: bool = False) -> str:
        pct = f"{self.confidence:.0%} CI"
        header = ["metric", self.a, self.b, "diff", pct, "p", "n"]
        body = []
        for r in self.rows:
            m = r["metric"]
            ci = "-" if math.isnan(r["ci_low"]) else f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
            diff = "-" if math.isnan(r["diff"]) else f"{r['diff']:+.3f}"
            p = "-" if math.isnan(r["p"]) else f"{r['p']:.3f}"
            body.append([r["label"], format_value(m, r["a"]), format_value(m, r["b"]), diff, ci, p, str(r["n"])])
        return text_table(header, body, markdown)

    def to_dataframe(self):
        import pandas as pd

        return pd.DataFrame(self.rows).set_index("metric")

    def __str__(self) -> str:
        return f"{self.b} vs {self.a} (diff = {self.b} - {self.a}, paired by query)\n" + self.table()

    def _repr_markdown_(self) -> str:
        return self.table(markdown=True)


def bootstrap_ci(diffs: Sequence[float], confidence: float = 0.95, n_resamples: int = 5000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of paired differences (scipy); NaN for n < 2."""
    d = np.asarray(diffs, dtype=np.float64)
    if len(d) < 2:
        return math.nan, math.nan
    if np.all(d == d[0]):
        return float(d[0]), float(d[0])
    from scipy.stats import bootstrap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bootstrap((d,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                        method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def paired_p_value(a: Sequence[float], b: Sequence[float], test: str = "student", n_resamples: int = 5000,
                   seed: int = 0) -> float:
    """Two-sided p-value of a paired test of ``mean(b - a) == 0``.

    Args:
        a, b: per-query values of the two systems, paired by position.
        test: ``"student"`` (ranx's paired t-test: deterministic and fast), ``"fisher"`` (ranx's
            Fisher randomisation test; numba's parallel random streams cannot be seeded, so its
            p moves in the last digits between runs) or ``"permutation"`` (scipy's seeded
            sign-flip randomisation test: reproducible, slow on thousands of queries).
        n_resamples: permutations drawn by the randomisation tests.
        seed: seeds the ``permutation`` test (and is passed on to ranx's).

    Example:
        >>> round(paired_p_value([0.1, 0.2, 0.3, 0.4], [0.3, 0.5, 0.4, 0.6]), 3)
        0.016
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) != len(y):
        raise ValueError(f"paired values must have the same length, not {len(x)} and {len(y)}")
    if test not in ("student", "fisher", "permutation"):
        raise ValueError(f"test must be 'student', 'fisher' or 'permutation', not {test!r}")
    if len(x) < 2:
        return math.nan
    if np.allclose(x, y):
        return 1.0
    if test == "student":
        from ranx.statistical_tests import paired_student_t_test

        d = y - x
        if np.allclose(d, d[0]):          # a constant shift: t is infinite, p is 0
            return 0.0
        p, _ = paired_student_t_test(x, y, 0.05)
        return float(p)
    if test == "fisher":
        from ranx.statistical_tests import fisher_randomization_test

        p, _ = fisher_randomization_test(x, y, n_resamples, 0.05, seed)
        return float(p)
    from scipy.stats import permutation_test

    # One sample of paired differences: the null flips the sign of each difference.
    res = permutation_test((y - x,), np.mean, permutation_type="samples", vectorized=True,
                           n_resamples=n_resamples, alternative="two-sided",
                           batch=max(1, 2_000_000 // len(x)), rng=np.random.default_rng(seed))
    return float(res.pvalue)


def compare(report: Report, a: str, b: str, metrics: Sequence[str] | None = None, confidence: float = 0.95,
            n_resamples: int = 5000, test: str = "student", seed: int = 0) -> Comparison:
    """Paired comparison of system ``b`` against ``a``: mean difference, bootstrap CI, p-value.

    Each per-query metric is paired over the queries where both systems have a value; the
    interval is a percentile bootstrap of the mean paired difference (scipy), the p-value
    that of :func:`paired_p_value` (ranx's two-sided paired t-test by default). Corpus-level
    metrics (coverage, Gini) and the median time gap get the difference only.

    Args:
        report: the output of :func:`evaluate`.
        a: the baseline system; b: the system compared with it (diff = b - a).
        metrics: metric keys (default: all the report has).
        confidence: the interval's level.
        n_resamples: bootstrap resamples (and permutations of a randomisation test).
        test: ``"student"``, ``"fisher"`` or ``"permutation"`` (see :func:`paired_p_value`).
        seed: seeds the bootstrap.

    Example:
        >>> cmp = compare(report, "legacy", "relate")
        >>> print(cmp)          # diff = relate - legacy

    Raises:
        ValueError: ``a`` or ``b`` is not a system of the report.
    """
    for s in (a, b):
        if s not in report.systems:
            raise ValueError(f"no system {s!r} in the report; it has {', '.join(report.systems)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    if test not in ("student", "fisher", "permutation"):
        raise ValueError(f"test must be 'student', 'fisher' or 'permutation', not {test!r}")
    rows = []
    for m in metrics or report.metrics:
        if m not in report.aggregate[a] or m not in report.aggregate[b]:
            continue
        row = {"metric": m, "label": METRICS[m].title(report.k), "a": report.aggregate[a][m],
               "b": report.aggregate[b][m], "ci_low": math.nan, "ci_high": math.nan, "p": math.nan}
        row["diff"] = row["b"] - row["a"]
        if METRICS[m].per_query:
            va, vb = report.per_query[a][m], report.per_query[b][m]
            pairs = [(va[q], vb[q]) for q in va if q in vb and not math.isnan(va[q]) and not math.isnan(vb[q])]
            row["n"] = len(pairs)
            if pairs:
                x, y = map(np.array, zip(*pairs))
                if m == "gap_days":
                    # Its aggregate is the median over all shown pairs, not a mean over
                    # queries: the difference of the two medians is given, without interval.
                    pass
                else:
                    row["a"], row["b"], row["diff"] = float(x.mean()), float(y.mean()), float((y - x).mean())
                    row["ci_low"], row["ci_high"] = bootstrap_ci(y - x, confidence, n_resamples, seed)
                    row["p"] = paired_p_value(x, y, test, n_resamples, seed)
        else:
            row["n"] = report.counts[a].get(m, 0)
        rows.append(row)
    return Comparison(a, b, rows, confidence, report.k)


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
    cmp = compare(report, baseline, system, seed=seed)
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
        body.append([r["label"], *(format_value(m, report.aggregate[s].get(m, math.nan)) for s in order), diff, p,
                     str(r["n"])])
    return text_table(header, body, markdown)
