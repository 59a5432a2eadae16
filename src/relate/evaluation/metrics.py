"""The metrics: what each key of a report means (:data:`METRICS`), and the function behind each.

Pure functions of plain data. Judged metrics score a list against graded judgments: nDCG and
precision come from `ranx <https://amenra.github.io/ranx/>`_ (gains ``2^grade - 1``, the
``ndcg_burges`` formulation; imported inside :func:`judged_metrics`, so importing this module
stays fast); the dup rule (a dup counts as grade 0, in the list and in the ideal list),
agreement with the stored lists, topic precision and the beyond-accuracy measures (diversity,
time gaps, coverage, popularity) are written here. :func:`relate.evaluation.evaluate` applies
them to every list of a run.

Example:
    >>> METRICS["ndcg"].title(5), METRICS["ndcg"].group, METRICS["ndcg"].better
    ('nDCG@5', 'judged', 'higher')
    >>> j = Judgments([{"query": "q", "candidate": "a", "grade": 2}, {"query": "q", "candidate": "b", "grade": 1}])
    >>> round(judged_metrics({"q": ["b", "a"]}, j, k=2)["ndcg"]["q"], 3)
    0.797
    >>> gini([0, 0, 0, 4]), catalogue_coverage([["a"]], ["a", "b"])
    (0.75, 0.5)
"""
from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .judgments import Judgments

__all__ = ["GENERIC_TOPIC_SHARE", "JUDGED_METRICS", "METRICS", "Metric", "agreement", "catalogue_coverage",
           "dup_rate", "generic_topics", "gini", "intra_list_diversity", "judged_metrics", "judged_share",
           "time_gap_days", "time_gaps", "topic_precision"]


#: A topic carried by at least this share of a corpus is corpus-wide ("Azure"), not specific.
GENERIC_TOPIC_SHARE = 0.5


@dataclass(frozen=True)
class Metric:
    """What a metric key means.

    Attributes:
        key: the key in :attr:`Report.aggregate` (``ndcg``, ``p_rel`` ...).
        label: the column label, with ``{k}`` for the cut-off.
        group: ``judged``, ``agreement``, ``topic`` or ``beyond``.
        better: ``"higher"``, ``"lower"`` or ``None`` (neither is better in itself).
        per_query: whether it has a per-query value (and so a paired comparison).
        doc: one line for the report's glossary.
    """

    key: str
    label: str
    group: str
    better: str | None
    per_query: bool
    doc: str

    def title(self, k: int) -> str:
        """The column label for the cut-off ``k``."""
        return self.label.format(k=k)


METRICS: dict[str, Metric] = {m.key: m for m in [
    Metric("ndcg", "nDCG@{k}", "judged", "higher", True,
           "nDCG over the first k items, gains 2^grade-1, dups and unjudged items count 0; "
           "ideal list from the judged grades (dups as 0); judged queries only."),
    Metric("p_rel", "P@{k} relevant", "judged", "higher", True,
           "share of the k slots holding an item graded 1 or 2 and not a dup (a short list "
           "still divides by k)."),
    Metric("p_clear", "P@{k} clearly rel.", "judged", "higher", True,
           "share of the k slots holding an item graded 2 and not a dup."),
    Metric("dup_rate", "dup rate", "judged", "lower", True,
           "share of shown items judged to be the same story as the query."),
    Metric("judged", "judged@{k}", "judged", None, True,
           "share of shown items that were judged at all: where it is low, the judged "
           "numbers rest on items scored 0 only because nobody read them."),
    Metric("agree_recall", "agreement recall@{k}", "agreement", None, True,
           "share of the old list's first k items that the system also shows (agreement "
           "with the stored lists, not quality)."),
    Metric("agree_overlap", "agreement overlap@{k}", "agreement", None, True,
           "share of shown items found anywhere in the old list (agreement, not quality)."),
    Metric("topic_p", "topic P@{k}", "topic", "higher", True,
           "share of shown items sharing a specific topic with the article (corpus-wide "
           "topics ignored); articles with a specific topic only."),
    Metric("ild", "intra-list diversity", "beyond", None, True,
           "1 - mean pairwise cosine of the shown items' vectors (lists of 2 or more)."),
    Metric("providers", "distinct providers", "beyond", None, True,
           "distinct provider domains per non-empty list."),
    Metric("quality", "mean quality shown", "beyond", None, True,
           "mean `quality` of the shown items (from the corpus records), per list, then "
           "averaged over lists."),
    Metric("gap_days", "median time gap (days)", "beyond", None, True,
           "median absolute publish-time gap between article and suggestion; per list, and "
           "over all shown pairs in the aggregate."),
    Metric("shown", "mean list length", "beyond", None, True, "items shown per list (at most k)."),
    Metric("empty", "empty lists", "beyond", "lower", True, "share of articles whose list is empty."),
    Metric("coverage", "catalogue coverage", "beyond", None, False,
           "share of the corpus's articles shown in at least one list."),
    Metric("gini", "popularity Gini", "beyond", "lower", False,
           "Gini coefficient of how often each corpus article is shown (0: even exposure, "
           "1: all exposure on one article)."),
]}

#: The metrics computed against judgments, in the order of the catalogue.
JUDGED_METRICS = ("ndcg", "p_rel", "p_clear", "dup_rate", "judged")


# ================================================================== against judgments and the stored lists
def dup_rate(query: str, shown: Sequence[str], judgments: Judgments) -> float:
    """Share of ``shown`` items judged the same story as ``query``; NaN for an empty list.

    Example:
        >>> j = Judgments([{"query": "q", "candidate": "a", "grade": 2, "dup": True}])
        >>> dup_rate("q", ["a", "b"], j)
        0.5
    """
    if not shown:
        return math.nan
    return sum(judgments.is_dup(query, c) for c in shown) / len(shown)


def judged_share(query: str, shown: Sequence[str], judgments: Judgments) -> float:
    """Share of ``shown`` items that were judged for ``query``; NaN for an empty list."""
    if not shown:
        return math.nan
    return sum(judgments.grade(query, c) is not None for c in shown) / len(shown)


def judged_metrics(run: Mapping[str, Sequence[str]], judgments: Judgments, k: int = 5,
                   queries: Iterable[str] | None = None) -> dict[str, dict[str, float]]:
    """nDCG@k and precision (via ranx), dup rate and judged share, for each judged query.

    Dups count as grade 0 (they drop out of the ideal list too); unjudged items count 0; a
    query the run has no list for scores 0 (and NaN for the two shares).

    Args:
        run: ``{query: [candidate, ...]}`` (lists are cut to ``k``).
        judgments: the graded pairs.
        k: the cut-off.
        queries: the judged queries to score (default: all of them).

    Returns:
        ``{metric: {query: value}}`` for ``ndcg``, ``p_rel``, ``p_clear``, ``dup_rate``, ``judged``.
    """
    qs = [q for q in (judgments.queries if queries is None else queries) if q in judgments]
    out: dict[str, dict[str, float]] = {m: {} for m in JUDGED_METRICS}
    qrels_all = judgments.qrels(dups_as_zero=True)
    tops = {q: list(dict.fromkeys(run.get(q, [])))[:k] for q in qs}
    for q in qs:
        out["dup_rate"][q] = dup_rate(q, tops[q], judgments)
        out["judged"][q] = judged_share(q, tops[q], judgments)
        for m in ("ndcg", "p_rel", "p_clear"):
            out[m][q] = 0.0
    scored = [q for q in qs if tops[q]]
    if scored:
        from ranx import evaluate as ranx_evaluate

        qrels = {q: qrels_all[q] for q in scored}
        # Distinct descending scores keep the list's order exactly.
        runs = {q: {c: float(len(tops[q]) - i) for i, c in enumerate(tops[q])} for q in scored}
        names = {"ndcg": f"ndcg_burges@{k}", "p_rel": f"precision@{k}", "p_clear": f"precision@{k}-l2"}
        with warnings.catch_warnings():
            # ranx hashes ids to int64 and numba notes the cast; the ids are still distinct.
            warnings.filterwarnings("ignore", message=".*unsafe cast.*")
            scores = ranx_evaluate(qrels, runs, list(names.values()), return_mean=False, threads=1)
        for m, name in names.items():
            for q, v in zip(scored, scores[name]):
                out[m][q] = float(v)
    return out


def agreement(shown: Sequence[str], old: Sequence[str], k: int = 5) -> tuple[float, float]:
    """Agreement of a list with the stored (old) list: ``(recall@k, overlap)``.

    recall@k is the share of the old list's first k items found in ``shown`` (its first k);
    overlap is the share of ``shown`` found anywhere in the old list. NaN where the old list
    (recall) or the shown list (overlap) is empty.

    Example:
        >>> agreement(["a", "b", "c"], ["b", "x", "a", "y"], k=2)
        (0.5, 1.0)
    """
    shown = list(shown)[:k]
    old = list(old)
    old_top = old[:k]
    recall = len(set(shown) & set(old_top)) / len(old_top) if old_top else math.nan
    overlap = len(set(shown) & set(old)) / len(shown) if shown else math.nan
    return recall, overlap


# ================================================================== topics and beyond accuracy
def generic_topics(articles: Sequence[Any], share: float = GENERIC_TOPIC_SHARE) -> set[str]:
    """Topics carried by at least ``share`` of the articles (corpus-wide ones, like "Azure").

    Example:
        >>> from types import SimpleNamespace as A
        >>> sorted(generic_topics([A(topics=["Azure", "AI"]), A(topics=["Azure"]), A(topics=["Azure", "IoT"])]))
        ['Azure']
    """
    if not articles:
        return set()
    counts = Counter(t for a in articles for t in set(a.topics or ()))
    return {t for t, n in counts.items() if n / len(articles) >= share}


def topic_precision(topics: Iterable[str], shown_topics: Sequence[Iterable[str]], generic: Iterable[str] = ()) -> float:
    """Share of shown items that share a specific (non-generic) topic with the article.

    NaN when the article has no specific topic or the list is empty. An item whose topics
    are unknown (not in the corpus) counts as not sharing one.

    Example:
        >>> topic_precision(["Azure", "AI"], [["Azure", "AI"], ["Azure"], ["IoT", "AI"]], {"Azure"})
        0.6666666666666666
    """
    generic = set(generic)
    mine = set(topics or ()) - generic
    if not mine or not shown_topics:
        return math.nan
    return sum(bool(mine & set(t or ())) for t in shown_topics) / len(shown_topics)


def intra_list_diversity(vectors: np.ndarray) -> float:
    """1 minus the mean pairwise cosine of a list's item vectors; NaN for fewer than 2 items.

    Example:
        >>> intra_list_diversity(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
        0.6666666666666667
    """
    v = np.asarray(vectors, dtype=np.float64)
    n = len(v)
    if n < 2:
        return math.nan
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    v = v / np.where(norms == 0, 1.0, norms)
    sims = v @ v.T
    mean = (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return float(1.0 - mean)


def time_gap_days(t: Any, shown_times: Sequence[Any]) -> float:
    """Median absolute publish-time gap in days between an article and its suggestions.

    Items without a time are skipped; NaN when nothing is left.

    Example:
        >>> from datetime import datetime
        >>> time_gap_days(datetime(2020, 1, 10), [datetime(2020, 1, 9), datetime(2020, 1, 20), None])
        5.5
    """
    gaps = time_gaps(t, shown_times)
    return float(np.median(gaps)) if gaps else math.nan


def time_gaps(t: Any, shown_times: Sequence[Any]) -> list[float]:
    """Absolute publish-time gaps in days between an article and each suggestion with a time.

    Example:
        >>> from datetime import datetime
        >>> time_gaps(datetime(2020, 1, 10), [datetime(2020, 1, 9), None, datetime(2020, 1, 20)])
        [1.0, 10.0]
    """
    if t is None:
        return []
    return [abs((s - t).total_seconds()) / 86400.0 for s in shown_times if s is not None]


def catalogue_coverage(lists: Iterable[Sequence[str]], catalogue: Iterable[str]) -> float:
    """Share of the catalogue's items that appear in at least one list.

    Example:
        >>> catalogue_coverage([["a", "b"], ["b", "zz"]], ["a", "b", "c", "d"])
        0.5
    """
    cat = set(catalogue)
    if not cat:
        return math.nan
    shown = {c for lst in lists for c in lst}
    return len(shown & cat) / len(cat)


def gini(counts: Sequence[float]) -> float:
    """Gini coefficient of exposure counts (include the zeros of never-shown items).

    0 when every item is shown equally often, ``(n-1)/n`` when one item takes it all; NaN
    when nothing is shown.

    Example:
        >>> gini([0, 0, 0, 4])
        0.75
        >>> gini([1, 1, 1, 1])
        0.0
    """
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return math.nan
    i = np.arange(1, n + 1)
    return float((2.0 * np.sum(i * x)) / (n * x.sum()) - (n + 1.0) / n)
