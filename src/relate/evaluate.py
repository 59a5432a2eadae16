"""Offline evaluation of related lists: judged relevance, agreement, topics and beyond accuracy.

Plain data in, plain data out. A system's output is a :class:`Run`, its related lists as
``{query_webUrl: [candidate_webUrl, ...]}``; graded judgments are a :class:`Judgments`
(``../shared/judgments`` JSON lines). :func:`evaluate` scores any number of runs on one
corpus and returns a :class:`Report` (per-query and aggregate tables that print as a table);
:func:`compare` pairs two systems query by query, with the difference, a bootstrap
confidence interval and the p-value of ranx's paired t-test (or a randomisation test).

nDCG and precision come from `ranx <https://amenra.github.io/ranx/>`_ (gains ``2^grade - 1``,
the ``ndcg_burges`` formulation); what no library has (the dup rule, topic precision, the
beyond-accuracy measures) is written here. ranx and scipy are imported inside the functions
that need them, so ``import relate`` stays fast.

Example:
    >>> import relate
    >>> from relate.evaluate import Judgments, Run, evaluate, compare
    >>> from relate.baselines import legacy_lists, tfidf_lists
    >>> corpus = relate.read_corpus("../shared/corpora/azure")
    >>> qrels = Judgments.from_file("../shared/judgments/dev.jsonl")
    >>> report = evaluate(corpus, {"legacy": legacy_lists(corpus),
    ...                            "tfidf": tfidf_lists(corpus.articles)}, qrels, k=5)
    >>> print(report)
    >>> print(compare(report, "legacy", "tfidf"))
"""
from __future__ import annotations

import json
import logging
import math
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "METRICS",
    "Comparison",
    "Judgments",
    "Metric",
    "Report",
    "Run",
    "agreement",
    "catalogue_coverage",
    "compare",
    "dup_rate",
    "evaluate",
    "generic_topics",
    "gini",
    "intra_list_diversity",
    "judged_metrics",
    "judged_share",
    "sweep",
    "sweep_queries",
    "time_gap_days",
    "topic_precision",
    "topic_precision_by_topic",
]

#: A topic carried by at least this share of a corpus is corpus-wide ("Azure"), not specific.
GENERIC_TOPIC_SHARE = 0.5


# ================================================================== metric catalogue
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

JUDGED_METRICS = ("ndcg", "p_rel", "p_clear", "dup_rate", "judged")


# ================================================================== judgments
@dataclass(frozen=True)
class Judgment:
    """One judged pair."""

    query: str
    candidate: str
    grade: int
    dup: bool = False


class Judgments:
    """Graded relevance judgments with the dup flag, keyed by ``webUrl`` exactly.

    Args:
        records: :class:`Judgment` objects or dicts with ``query``, ``candidate``, ``grade``
            (a non-negative integer) and optionally ``dup`` (default ``False``).

    Example:
        >>> j = Judgments([{"query": "q", "candidate": "a", "grade": 2, "dup": True}])
        >>> j.grade("q", "a"), j.is_dup("q", "a"), j.qrels()
        (2, True, {'q': {'a': 0}})
    """

    def __init__(self, records: Iterable[Judgment | Mapping[str, Any]] = (), source: str = "<judgments>") -> None:
        self.source = source
        self._grades: dict[str, dict[str, int]] = {}
        self._dups: dict[str, set[str]] = {}
        for i, rec in enumerate(records, 1):
            j = rec if isinstance(rec, Judgment) else _judgment(rec, f"{source}: record {i}")
            self._add(j)

    def _add(self, j: Judgment) -> None:
        grades = self._grades.setdefault(j.query, {})
        if j.candidate in grades:
            logger.warning("%s: pair judged twice, keeping the last: %s -> %s", self.source, j.query, j.candidate)
        grades[j.candidate] = j.grade
        dups = self._dups.setdefault(j.query, set())
        if j.dup:
            dups.add(j.candidate)
        else:
            dups.discard(j.candidate)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Judgments":
        """Reads JSON lines (``{"query", "candidate", "grade", "dup"}``), as in ``../shared/judgments``.

        Raises:
            ValueError: the file is missing, or a line is not such a JSON object.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{path}: cannot read judgments: {exc.strerror or exc}") from exc
        out = cls(source=str(path))
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg}); each line must be one judged pair") from exc
            out._add(_judgment(rec, f"{path}:{n}"))
        if not out._grades:
            raise ValueError(f"{path}: no judgments in the file")
        return out

    @classmethod
    def from_dict(cls, grades: Mapping[str, Mapping[str, int]],
                  dups: Mapping[str, Iterable[str]] | None = None) -> "Judgments":
        """From ``{query: {candidate: grade}}`` and optionally ``{query: [dup candidates]}``."""
        dups = {q: set(c) for q, c in (dups or {}).items()}
        return cls(Judgment(q, c, g, c in dups.get(q, ())) for q, cands in grades.items() for c, g in cands.items())

    @property
    def queries(self) -> list[str]:
        """The judged queries, in file order."""
        return list(self._grades)

    def __len__(self) -> int:
        return sum(len(c) for c in self._grades.values())

    def __iter__(self) -> Iterator[Judgment]:
        for q, cands in self._grades.items():
            for c, g in cands.items():
                yield Judgment(q, c, g, c in self._dups.get(q, ()))

    def __contains__(self, query: str) -> bool:
        return query in self._grades

    def __repr__(self) -> str:
        return f"Judgments({len(self._grades)} queries, {len(self)} pairs, source={self.source!r})"

    def grade(self, query: str, candidate: str) -> int | None:
        """The judged grade (dups keep their grade here), ``None`` when the pair is unjudged."""
        return self._grades.get(query, {}).get(candidate)

    def is_dup(self, query: str, candidate: str) -> bool:
        return candidate in self._dups.get(query, ())

    def gain_grade(self, query: str, candidate: str) -> int:
        """The grade that counts for a list: 0 for dups and unjudged pairs."""
        if self.is_dup(query, candidate):
            return 0
        return self.grade(query, candidate) or 0

    def qrels(self, dups_as_zero: bool = True) -> dict[str, dict[str, int]]:
        """``{query: {candidate: grade}}``, dups mapped to grade 0 unless told otherwise."""
        return {q: {c: (0 if dups_as_zero and c in self._dups.get(q, ()) else g) for c, g in cands.items()}
                for q, cands in self._grades.items()}

    def mapped(self, fn: Callable[[str], str]) -> "Judgments":
        """A copy with every id passed through ``fn`` (e.g. to the corpus's canonical URL)."""
        out = Judgments(source=self.source)
        for j in self:
            out._add(Judgment(fn(j.query), fn(j.candidate), j.grade, j.dup))
        return out


def _judgment(rec: Any, where: str) -> Judgment:
    if not isinstance(rec, Mapping):
        raise ValueError(f"{where}: a judgment must be an object with query, candidate, grade, dup")
    missing = [key for key in ("query", "candidate", "grade") if key not in rec]
    if missing:
        raise ValueError(f"{where}: judgment lacks {', '.join(missing)}")
    unknown = set(rec) - {"query", "candidate", "grade", "dup"}
    if unknown:
        raise ValueError(f"{where}: unknown judgment field(s) {', '.join(sorted(unknown))}")
    q, c, g, dup = rec["query"], rec["candidate"], rec["grade"], rec.get("dup", False)
    if not isinstance(q, str) or not isinstance(c, str) or not q or not c:
        raise ValueError(f"{where}: query and candidate must be non-empty strings (webUrls)")
    if isinstance(g, bool) or not isinstance(g, (int, float)) or g != int(g) or g < 0:
        raise ValueError(f"{where}: grade must be a non-negative integer, not {g!r}")
    if not isinstance(dup, bool):
        raise ValueError(f"{where}: dup must be true or false, not {dup!r}")
    return Judgment(q, c, int(g), dup)


# ================================================================== runs
class Run:
    """One system's related lists: ``{query_webUrl: [candidate_webUrl, ...]}``.

    Entries may also be dicts in the seed's related-entry shape (their ``webUrl`` is used), so
    the output of ``Engine.suggest_many`` or a record's ``related:`` block can be passed as is.
    Repeats within a list are dropped, first one kept. The caller's data is not changed.

    Example:
        >>> run = Run.from_dict({"q": ["a", {"webUrl": "b"}, "a"]}, name="mine")
        >>> run["q"], run.top("q", 1), run.get("other")
        (['a', 'b'], ['a'], [])
    """

    def __init__(self, lists: Mapping[str, Sequence[Any]] | None = None, name: str | None = None) -> None:
        self.name = name
        self.lists: dict[str, list[str]] = {}
        for q, items in (lists or {}).items():
            if not isinstance(q, str):
                raise ValueError(f"run {name or ''}: query ids must be strings (webUrls), not {q!r}")
            if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
                raise ValueError(f"run {name or ''}: the list of {q!r} must be a list of webUrls")
            seen: dict[str, None] = {}
            for item in items:
                url = item.get("webUrl") or item.get("url") if isinstance(item, Mapping) else item
                if not isinstance(url, str) or not url:
                    raise ValueError(f"run {name or ''}: entry {item!r} of {q!r} has no webUrl")
                seen.setdefault(url, None)
            self.lists[q] = list(seen)

    @classmethod
    def from_dict(cls, lists: Mapping[str, Sequence[Any]], name: str | None = None) -> "Run":
        """From ``{query: [candidate, ...]}`` (candidates as webUrls or related-entry dicts)."""
        return cls(lists, name)

    @classmethod
    def from_file(cls, path: str | os.PathLike, name: str | None = None) -> "Run":
        """Reads a JSON object ``{webUrl: [webUrl, ...]}``; the name defaults to the file's stem.

        Raises:
            ValueError: the file is missing or is not such an object.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"{path}: cannot read related lists: {exc.strerror or exc}") from exc
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); expected "
                             '{"webUrl": ["webUrl", ...], ...}') from exc
        if not isinstance(data, Mapping):
            raise ValueError(f'{path}: expected a JSON object {{"webUrl": ["webUrl", ...]}}, not {type(data).__name__}')
        try:
            return cls(data, name or path.stem)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc

    def save(self, path: str | os.PathLike) -> Path:
        """Writes the lists as one JSON object (readable by :meth:`from_file`)."""
        path = Path(path)
        path.write_text(json.dumps(self.lists, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def to_dict(self) -> dict[str, list[str]]:
        return {q: list(v) for q, v in self.lists.items()}

    def get(self, query: str) -> list[str]:
        """The list of ``query``; empty when the system has none."""
        return self.lists.get(query, [])

    def top(self, query: str, k: int) -> list[str]:
        return self.lists.get(query, [])[:k]

    def mapped(self, fn: Callable[[str], str]) -> "Run":
        """A copy with every id passed through ``fn``."""
        out: dict[str, list[str]] = {}
        for q, items in self.lists.items():
            out.setdefault(fn(q), []).extend(fn(c) for c in items)
        return Run(out, self.name)

    def __getitem__(self, query: str) -> list[str]:
        return self.lists[query]

    def __contains__(self, query: str) -> bool:
        return query in self.lists

    def __iter__(self) -> Iterator[str]:
        return iter(self.lists)

    def __len__(self) -> int:
        return len(self.lists)

    def __repr__(self) -> str:
        return f"Run({self.name!r}, {len(self.lists)} lists)"


def _as_run(x: Any, name: str) -> Run:
    if isinstance(x, Run):
        return x if x.name else Run(x.lists, name)
    if isinstance(x, (str, os.PathLike)):
        return Run.from_file(x, name)
    if isinstance(x, Mapping):
        return Run(x, name)
    raise ValueError(f"system {name!r}: expected a Run, a dict {{webUrl: [webUrl, ...]}} or a JSON file, "
                     f"not {type(x).__name__}")


# ================================================================== corpus helpers
def corpus_articles(corpus: Any) -> list:
    """The Article list of a corpus given as a path, a ``Corpus``, or a list of articles."""
    if isinstance(corpus, (str, os.PathLike)):
        from .articles import read_corpus

        corpus = read_corpus(corpus)
    if hasattr(corpus, "articles"):
        arts = corpus.articles
        arts = list(arts.values()) if isinstance(arts, Mapping) else list(arts)
    elif isinstance(corpus, Mapping):
        arts = list(corpus.values())
    else:
        arts = list(corpus)
    if arts and not all(hasattr(a, "url") and hasattr(a, "topics") for a in arts):
        from .articles import as_article

        arts = [as_article(a) for a in arts]
    return arts


class Catalogue:
    """The corpus as seen by the metrics: articles by canonical URL and an id resolver.

    Any of an article's addresses (``webUrl``, ``originalUrl``, AMP forms), their normal form
    (:func:`relate.articles.url_key`) or its 16-hex id resolves to the article's :attr:`url`;
    other strings are kept as they are.
    """

    def __init__(self, articles: Sequence[Any]) -> None:
        from .articles import url_key

        self._url_key = url_key
        self.by_url: dict[str, Any] = {}
        self._exact: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        for a in articles:
            url = a.url
            if not url or url in self.by_url:
                continue
            self.by_url[url] = a
        for url, a in self.by_url.items():
            for u in [url, *getattr(a, "urls", [])]:
                self._exact.setdefault(u, url)
                self._keys.setdefault(url_key(u), url)
            self._exact.setdefault(a.id, url)

    def __call__(self, s: str) -> str:
        hit = self._exact.get(s)
        if hit is not None:
            return hit
        return self._keys.get(self._url_key(s), s) if s else s

    def __len__(self) -> int:
        return len(self.by_url)

    def get(self, url: str):
        return self.by_url.get(url)


# ================================================================== per-list metrics (hand-written)
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
    gaps = _gaps(t, shown_times)
    return float(np.median(gaps)) if gaps else math.nan


def _gaps(t: Any, shown_times: Sequence[Any]) -> list[float]:
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
    arts = corpus_articles(corpus)
    cat = Catalogue(arts)
    run = _as_run(run, "run").mapped(cat)
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


# ================================================================== vectors for diversity
def tfidf_vectors(articles: Sequence[Any]):
    """Unit TF-IDF rows (sparse) of cleaned title + excerpt, one per article."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .baselines import article_text

    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    return vec.fit_transform([article_text(a) for a in articles])


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


# ================================================================== report
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
        body = [[r["label"], *(_fmt(r["metric"], r[s]) for s in self.systems)] for r in self.rows(metrics)]
        return _table(header, body, markdown)

    def __str__(self) -> str:
        lines = [self.table()]
        if self.info.get("judged_queries") is not None:
            lines.append(f"judged metrics over {self.info['judged_queries']} judged queries; "
                         f"others over {self.info.get('queries')} articles; k={self.k}")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.table(markdown=True)


def _fmt(metric: str, v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if metric in ("quality", "gap_days", "providers", "shown"):
        return f"{v:.1f}"
    return f"{v:.3f}"


def _table(header: Sequence[str], body: Sequence[Sequence[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]

    def fmt_row(row: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([fmt_row(header), "  ".join("-" * w for w in widths), *(fmt_row(r) for r in body)])


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
    arts = corpus_articles(corpus)
    cat = Catalogue(arts)
    runs = {name: _as_run(r, name).mapped(cat) for name, r in systems.items()}
    if isinstance(judgments, (str, os.PathLike)):
        judgments = Judgments.from_file(judgments)
    if judgments is not None:
        if not isinstance(judgments, Judgments):
            raise ValueError("judgments must be a Judgments object or the path of a JSON-lines file")
        judgments = judgments.mapped(cat)
    if reference is None:
        ref = None
    elif isinstance(reference, str) and reference == "legacy":
        from .baselines import legacy_lists

        ref = Run(legacy_lists(arts), "legacy").mapped(cat)
    else:
        ref = _as_run(reference, "reference").mapped(cat)
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
            gaps = _gaps(t, [x.published_at for x in known])
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


# ================================================================== comparison
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
            body.append([r["label"], _fmt(m, r["a"]), _fmt(m, r["b"]), diff, ci, p, str(r["n"])])
        return _table(header, body, markdown)

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


# ================================================================== sweep
#: Blend weights tried by :func:`sweep` by default.
SWEEP_VALUES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)


def sweep_queries(corpus: Any, judgments: Judgments | None = None, sample: int = 300, seed: int = 0) -> list[str]:
    """The judged queries plus a seeded random sample of ``sample`` other articles (webUrls)."""
    cat = corpus if isinstance(corpus, Catalogue) else Catalogue(corpus_articles(corpus))
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
    from .baselines import relate_lists

    arts = corpus_articles(corpus)
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
