"""The articles a list is asked for, as the ranker's queries (stored ones reused, others encoded now), and the
rank settings of one call.

Example:
    >>> queries, vectors, texts = queries_for([article], stored, row_of, table, encoder, EmbedConfig())  # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config, EmbedConfig, RankConfig
from ..corpus import JSON_SUFFIXES, article_from_bytes, as_article
from ..corpus.read import read_bytes
from ..embed import text_key
from ..errors import ConfigError, RecordError
from ..lexical import Lexicon
from ..rank import Query, RankTable
from ..records import Article
from ..text import article_text
from ..words import title_tokens
from .state import timestamp_of, url_keys_of
from .store import Stored


def query_article(article: Any, rows: Sequence[Article]) -> Article:
    """The Article a suggest call is for: :func:`~relate.corpus.as_article`, except that a record
    file with neither ``webUrl`` nor ``originalUrl`` that the workspace indexed (its corpus gave
    it an address from its path, ``corpus.url_template``) is read with that address: the row of
    the same file, else the one row of a file of that name.

    Raises:
        RecordError: the record is not valid (a file without a URL that ``rows`` do not hold
            among them: ``missing-url``).
    """
    try:
        return as_article(article)
    except RecordError as exc:
        if (exc.code != "missing-url" or not isinstance(article, (str, os.PathLike))
                or Path(article).suffix.lower() in JSON_SUFFIXES):
            raise
        where, name = Path(article).resolve(), Path(article).name
        named = [a for a in rows if a.address and a.path and Path(a.path).name == name]
        same = [a for a in named if Path(a.path).resolve() == where]   # row paths are as the corpus was given
        indexed = same[0] if same else named[0] if len(named) == 1 else None
        if indexed is None:
            raise
    a = article_from_bytes(read_bytes(article), article, no_url=True)
    a.address = indexed.address
    return a


def queries_for(articles: list[Article], s: Stored, row_of: dict[str, int], table: RankTable | None, encoder: Any,
                embed: EmbedConfig) -> tuple[list[Query], np.ndarray, list[str]]:
    """The queries of ``articles``, their vectors and texts.

    An indexed article whose text is unchanged keeps its row (its stored vector, window and
    key terms); any other is encoded now and its key terms are found with the fitted names.
    """
    vecs = np.zeros((len(articles), s.vectors.shape[1] if s.vectors.size else encoder.dim), dtype=np.float32)
    todo: list[int] = []
    todo_texts: list[str] = []
    rows: list[int | None] = []
    texts: list[str] = []
    for i, a in enumerate(articles):
        text = article_text(a.title, a.excerpt, embed)
        row = row_of.get(a.id)
        if row is not None and s.keys[row] == text_key(text):
            vecs[i] = s.vectors[row]
        else:
            row = None
            todo.append(i)
            todo_texts.append(text)
        rows.append(row)
        texts.append(text)
    if todo:
        vecs[todo] = encoder.encode(todo_texts)
    kt = table.key_terms if table is not None else None
    terms = [None if kt is None else kt.terms[r] if r is not None else kt.extract(t) for r, t in zip(rows, texts)]
    queries = [Query(vector=vecs[i], titles=title_tokens(a.title), url_keys=url_keys_of(a),
                     published=timestamp_of(a), row=rows[i], terms=terms[i],
                     provider=(a.provider_domain or a.provider_name or "").lower(),
                     type=a.type.lower() if isinstance(a.type, str) else "")
               for i, a in enumerate(articles)]
    return queries, vecs, texts


def lexical_scores(lexicon: Lexicon, queries: list[Query], texts: list[str], rows: np.ndarray) -> np.ndarray:
    """TF-IDF cosine of each query with each of its candidate rows (stored rows' TF-IDF reused)."""
    import scipy.sparse as sp

    stored = [q.row for q in queries]
    if all(r is not None for r in stored):
        q = lexicon.rows(stored)
    else:
        q = sp.vstack([lexicon.rows([r]) if r is not None else lexicon.transform([t])
                       for r, t in zip(stored, texts)]).tocsr()
    return lexicon.scores(q, rows)


def rank_config(config: Config, k: int | None, options: Mapping[str, Any]) -> RankConfig:
    """``config.rank`` with ``k`` and the ``rank`` settings of one call (``options``) in place.

    Raises:
        ConfigError: an option that is not a ``rank`` setting, or a value it cannot take.
    """
    if k is None and not options:
        return config.rank
    data = dataclasses.asdict(config.rank)
    unknown = sorted(set(options) - set(data))
    if unknown:
        raise ConfigError(f"unknown ranking option {unknown[0]!r}; known: {', '.join(sorted(data))}")
    data.update(options)
    if k is not None:
        data["k"] = k
    return Config.from_dict({"rank": data}, source="suggest options").rank


def search_batch(config: Config, batch_size: int | None) -> int:
    """Articles searched per FAISS call for one call: ``batch_size``, checked as the config's
    ``batch.search_batch`` is (default: that setting).

    Raises:
        ConfigError: not a whole number of at least 1.
    """
    if batch_size is None:
        return config.batch.search_batch
    return Config.from_dict({"batch": {"search_batch": batch_size}}, source="batch_size").batch.search_batch
