"""Related lists of other systems, to compare relate with: the stored lists, TF-IDF, plain cosine;
and the bound on relate's own order (its candidates in the judges' order).

Each function returns plain lists ``{webUrl: [webUrl, ...]}`` that
:func:`relate.evaluation.evaluate` takes as a system; :func:`resolve_compare` turns the
``--compare`` names (``legacy``, ``tfidf``, a JSON file) into one.

Example:
    >>> import relate
    >>> from relate.evaluation import legacy_lists, tfidf_lists
    >>> corpus = relate.read_corpus("../shared/corpora/azure")
    >>> old = legacy_lists(corpus)                 # what the old engine wrote into the files
    >>> tfidf = tfidf_lists(corpus.articles, k=5)  # TF-IDF cosine of title + excerpt
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..corpus import as_articles
from ..lexical import tfidf_vectorizer
from ..records import entry_url
from ..text import article_text
from .runs import Run

logger = logging.getLogger(__name__)

__all__ = ["check_compare", "compare_file", "judged_order_lists", "legacy_lists", "relate_lists", "relate_suggestions", "resolve_compare",
           "tfidf_lists", "vector_lists"]


def legacy_lists(corpus: Any) -> dict[str, list[str]]:
    """The related lists stored in the records (``related:``), in their stored order.

    Every article is a key; one without a stored list maps to an empty list. Where a URL
    appears in several records, the first record with a list wins.

    Args:
        corpus: a path, a ``Corpus`` or a list of articles.
    """
    out: dict[str, list[str]] = {}
    for a in as_articles(corpus):
        url = a.url
        if not url:
            continue
        urls = list(a.related_urls or [])
        if not out.get(url):
            out[url] = urls
    return out


def _top_k(scores: np.ndarray, k: int, exclude: Sequence[int]) -> list[int]:
    scores = scores.copy()
    scores[list(exclude)] = -np.inf
    k = min(k, len(scores))
    if k <= 0:
        return []
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.lexsort((idx, -scores[idx]))]        # by score, then corpus order on ties
    return [int(i) for i in idx if scores[i] > 0]


def _same_url_groups(urls: Sequence[str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, u in enumerate(urls):
        groups.setdefault(u, []).append(i)
    return groups


def vector_lists(articles: Iterable[Any], vectors: Any, k: int = 5, batch: int = 512) -> dict[str, list[str]]:
    """Top ``k`` by cosine of given vectors (dense or sparse rows, one per article), self excluded.

    Items with a score of 0 or less (nothing in common) are not shown; records that share
    the query's URL (the same article filed twice) are excluded with it.

    Example:
        >>> from relate.records import Article
        >>> arts = [Article(title=t, web_url=u) for t, u in [("a", "u1"), ("b", "u2"), ("c", "u3")]]
        >>> vector_lists(arts, np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]), k=1)
        {'u1': ['u2'], 'u2': ['u1'], 'u3': ['u2']}
    """
    from sklearn.preprocessing import normalize

    arts = [a for a in articles]
    urls = [a.url for a in arts]
    if len(urls) != (vectors.shape[0]):
        raise ValueError(f"vector_lists: {len(urls)} articles but {vectors.shape[0]} vectors")
    m = normalize(vectors)
    groups = _same_url_groups(urls)
    out: dict[str, list[str]] = {}
    for start in range(0, len(arts), batch):
        block = m[start:start + batch] @ m.T
        block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
        for j, row in enumerate(block):
            i = start + j
            if urls[i] in out or not urls[i]:
                continue
            picks = _top_k(row, k + len(groups[urls[i]]), groups[urls[i]])
            seen: dict[str, None] = {}
            for p in picks:
                if urls[p] != urls[i]:
                    seen.setdefault(urls[p], None)
            out[urls[i]] = list(seen)[:k]
    return out


def tfidf_lists(articles: Iterable[Any], k: int = 5, **vectorizer_options: Any) -> dict[str, list[str]]:
    """TF-IDF cosine baseline: the ``k`` articles whose cleaned title + excerpt is most similar.

    Args:
        articles: the corpus's articles (or a path / ``Corpus``).
        k: list length.
        **vectorizer_options: passed to scikit-learn's ``TfidfVectorizer`` (defaults:
            ``sublinear_tf=True, stop_words="english", ngram_range=(1, 2)``).

    Example:
        >>> lists = tfidf_lists(corpus.articles, k=5)
        >>> lists["https://example.com/a"]
        ['https://example.com/b', ...]
    """
    arts = as_articles(articles)
    if not arts:
        return {}
    options = {"ngram_range": (1, 2), **vectorizer_options}  # over tfidf_vectorizer's sublinear tf, English stop words
    texts = [article_text(a.title, a.excerpt) for a in arts]
    try:
        m = tfidf_vectorizer(**options).fit_transform(texts)
    except ValueError:       # every text empty or only stop words: nothing to compare
        logger.warning("tfidf_lists: no terms in the corpus's texts; every list is empty")
        return {a.url: [] for a in arts if a.url}
    return vector_lists(arts, m, k=k)


def relate_suggestions(engine: Any, articles: Iterable[Any] | None = None, k: int = 5,
                       **options: Any) -> dict[str, list[dict]]:
    """``engine.suggest_many`` keyed by the query's webUrl instead of its id.

    Args:
        engine: a :class:`relate.Engine` (anything with ``suggest_many`` and ``articles``).
        articles: the queries (default: every article of the engine).
        k: suggestions per article.
        **options: rank options (``RankConfig`` keys such as ``w_quality``).
    """
    if articles is None:
        arts = list(engine.articles.values()) if isinstance(engine.articles, dict) else list(engine.articles)
    else:
        arts = list(articles)
    got = engine.suggest_many(arts, k=k, **options)
    url_of = {a.id: a.url for a in arts}
    if isinstance(engine.articles, dict):
        for i, a in engine.articles.items():
            url_of.setdefault(i, a.url)
    return {url_of.get(i, i): list(entries) for i, entries in got.items()}


def relate_lists(engine: Any, articles: Iterable[Any] | None = None, k: int = 5,
                 **options: Any) -> dict[str, list[str]]:
    """relate's own lists ``{webUrl: [webUrl, ...]}`` from an engine (see :func:`relate_suggestions`)."""
    return {q: [entry_url(e) for e in entries if entry_url(e)]
            for q, entries in relate_suggestions(engine, articles, k, **options).items()}


def judged_order_lists(engine: Any, judgments: Any, k: int = 5, depth: int | None = None,
                       **options: Any) -> dict[str, list[str]]:
    """An upper bound on relate's order: its candidates, re-ordered by their judged grades.

    For each judged query the engine holds, the first ``depth`` items relate would list (default
    ``rank.candidates``: what its filters, same-story rule and collapse leave of the nearest
    neighbours) are sorted by the grade that counts for a list (dups and unjudged items 0; ties
    keep relate's order) and cut to ``k``. Scored like relate's own lists, the difference says
    how much a better order alone could gain; what this bound misses (against 1), what the
    candidates lack. (On the azure dev judgments: 0.730 against 0.902; docs/ranking.md, "Fourteenth round".)

    Args:
        engine: a :class:`relate.Engine`.
        judgments: a :class:`~relate.evaluation.Judgments`; its queries the engine does not hold are left out.
        k: items per list.
        depth: how many of relate's items to re-order.
        **options: rank options, as :func:`relate_lists` takes them.
    """
    depth = depth or engine.config.rank.candidates
    if depth < k:
        raise ValueError(f"depth ({depth}) must be at least k ({k})")
    rows = engine.articles.values() if isinstance(engine.articles, Mapping) else engine.articles
    queries = [a for a in rows if a.url and a.url in judgments]
    lists = relate_lists(engine, queries, k=depth, **options)
    return {q: sorted(shown, key=lambda c: -judgments.gain_grade(q, c))[:k] for q, shown in lists.items()}


def resolve_compare(compare: str | os.PathLike | None, corpus: Any, k: int = 5) -> tuple[str | None, dict | None]:
    """The system named by ``--compare``: ``"legacy"`` (stored lists), ``"tfidf"``, a JSON file, or ``None``.

    Returns:
        ``(name, lists)``, or ``(None, None)`` for no comparison.

    Raises:
        ValueError: a file that is missing or not ``{webUrl: [webUrl, ...]}``.
    """
    if compare is None or (isinstance(compare, str) and compare.lower() in ("", "none")):
        return None, None
    if isinstance(compare, str) and compare == "legacy":
        return "legacy", legacy_lists(corpus)
    if isinstance(compare, str) and compare == "tfidf":
        return "tfidf", tfidf_lists(corpus, k=k)
    run = compare_file(compare)
    return run.name or Path(compare).stem, run.lists


def compare_file(compare: str | os.PathLike) -> Run:
    """The lists of a ``--compare`` that names a file (not ``legacy``, ``tfidf`` or ``none``).

    Raises:
        ValueError: the file is missing, or is not ``{webUrl: [webUrl, ...]}``.
    """
    path = Path(compare)
    if not path.is_file():
        raise ValueError(f"--compare {compare}: no such file; give 'legacy', 'tfidf', 'none' or a JSON file "
                         '{"webUrl": ["webUrl", ...]}')
    try:
        return Run.from_file(path)
    except ValueError as exc:
        raise ValueError(f"--compare {exc}") from None


def check_compare(compare: str | os.PathLike | None) -> None:
    """Refuses a ``--compare`` that :func:`resolve_compare` could not use, before any work.

    Raises:
        ValueError: an unknown name or a bad file (see :func:`compare_file`).
    """
    if compare is not None and not (isinstance(compare, str) and compare.lower() in ("", "none", "legacy", "tfidf")):
        compare_file(compare)
