"""An engine's plain data: :class:`EngineState` (what Ray ships to workers) and the rank table it holds.

Everything an engine needs to rank the articles it indexes, without its workspace folder
or its model: :meth:`relate.engine.Engine.state` makes one, :meth:`relate.engine.Engine.from_state`
opens an engine from one (loading the model only if asked about an article it does not hold).

Example:
    >>> import pickle
    >>> state = engine.state()                                  # doctest: +SKIP
    >>> clone = Engine.from_state(pickle.loads(pickle.dumps(state)))   # doctest: +SKIP
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from sys import intern
from typing import Any

import numpy as np

from ..config import EmbedConfig, RankConfig
from ..digests import row_key
from ..index import search
from ..rank import RankTable
from ..records import Article, url_variants
from ..text import article_text
from ..words import Words, title_tokens
from .stats import CorpusStats, RecordColumns, as_number


@dataclass
class EngineState:
    """An engine's data: picklable, with no open file, model or FAISS object.

    Attributes:
        config: the engine's settings, as :func:`dataclasses.asdict` gives them
            (:meth:`relate.config.Config.from_dict` reads them back).
        folder: the workspace folder it came from (where a model would be cached).
        ids: the article id of each index row.
        keys: the text key each row was encoded from.
        vectors: the ``(n, dim)`` unit vectors, row-aligned with ``ids``.
        rows: the ``articles.jsonl`` line of each row (the fields a related entry needs).
        table: the ranker's per-row facts.
        lexicon: the TF-IDF lexicon of the rows (:class:`relate.lexical.Lexicon`).
        index: the FAISS index, serialised (``faiss.serialize_index``), or ``None``.
        live: whether each row is a current article (``None``: all are).
        windows: ``(n, width)`` candidate window of each row, ``window_sims`` their cosines
            (``None``: searched when needed).
    """

    config: dict[str, Any]
    folder: str
    ids: list[str]
    keys: list[str]
    vectors: np.ndarray
    rows: list[str]
    table: RankTable | None
    lexicon: Any
    index: Any = None
    live: Any = None
    windows: Any = None
    window_sims: Any = None


def build_table(articles: Sequence[Article], vectors: np.ndarray, cfg: RankConfig,
                embed: EmbedConfig | None = None, stats: CorpusStats | None = None,
                terms: list[frozenset[str]] | None = None, texts: Sequence[str] | None = None) -> RankTable:
    """Per-row ranking facts: quality and provider percentiles, times, providers, topics, titles,
    URLs, and the key terms (names, numbers) learnt from the corpus's own texts.

    Quality is the record's ``quality`` percentile within the corpus; a record without one
    takes its ``heat`` percentile (feeds that carry heat instead), else its provider's smoothed
    mean-quality percentile, else 0.5 (neutral). With ``stats`` (fitted earlier, see
    :mod:`relate.engine.stats`) the percentiles and key-term weights are those of the fit;
    without, they are fitted on ``articles`` themselves, on the texts ``embed`` says are
    encoded (``None``: the default ones; ``texts``: those texts, when made already).
    ``terms``: the rows' key terms when already known.

    ``articles`` is read twice at most, in order (the digest flags need the fitted statistics):
    a workspace's rows (:class:`relate.engine.rows.LineRows`) are parsed from their lines as
    they come, not held.
    """
    embed = embed or EmbedConfig()
    titles, quality, heat, published, words, removed = [], [], [], [], [], []
    make_texts = texts is None and (stats is None or terms is None)
    made: list[str] = []
    for a in articles:                       # one pass: every fact but the digest flags
        titles.append(a.title)
        quality.append(as_number(a.quality))
        heat.append(as_number(a.heat))
        published.append(timestamp_of(a))
        words.append(word_facts(a))
        removed.append(a.extra.get("removed") is True)
        if make_texts:
            made.append(article_text(a.title, a.excerpt, embed))
    texts = made if make_texts else texts
    columns = RecordColumns.made(titles, quality, heat, [w[0] for w in words])
    if stats is None:
        stats, key_terms = CorpusStats.fit_columns(columns, texts, cfg.provider_prior_strength)
    else:
        if terms is None:
            key_terms = stats.key_terms([])
            terms = [key_terms.extract(t) for t in texts]
        key_terms = stats.key_terms(list(terms))
    title_keys = np.array([row_key(t) for t in titles], dtype=np.float64)     # (a digest's items are found by them)
    del texts, made, titles
    quality_pct, provider_pct = stats.facts_of(columns)
    table = RankTable(vectors=vectors, quality=quality_pct, provider=provider_pct, published=np.zeros(0),
                      provider_key=[], provider_name=[], topics=[], titles=[], url_keys=[], key_terms=key_terms)
    table.published = np.array(published, dtype=np.float64)
    table.title_key = title_keys
    for j, name in enumerate(WORD_FACTS):
        setattr(table, name, [w[j] for w in words])
    table.digest = stats.digests(articles)
    table.removed = np.array(removed, dtype=bool)
    table.stats = stats
    table.quality_share = stats.quality_share
    return table


def table_rows(table: RankTable, articles: list[Article], embed: EmbedConfig, rows: list[int]) -> None:
    """Sets (or, past the end, appends) the facts of ``rows`` to those of ``articles`` under the table's statistics."""
    part = build_table(articles, table.vectors, RankConfig(), embed, stats=table.stats)
    n = len(table.provider_key)
    grow = sum(1 for r in rows if r >= n)
    if grow:
        table.quality = np.concatenate([table.quality, np.zeros(grow)])
        table.provider = np.concatenate([table.provider, np.zeros(grow)])
        table.published = np.concatenate([table.published, np.zeros(grow)])
        table.title_key = np.concatenate([table.title_key, np.zeros(grow)])
        table.digest = np.concatenate([table.digest, np.zeros(grow, dtype=bool)])
        table.removed = np.concatenate([table.removed, np.zeros(grow, dtype=bool)])
        for name in WORD_FACTS:
            getattr(table, name).extend([None] * grow)
        table.key_terms.terms.extend([()] * grow)
        if table.neighbour_sims is not None:
            depth = table.neighbour_sims.shape[1]
            table.neighbour_sims = np.concatenate([table.neighbour_sims,
                                                   np.full((grow, depth), -np.inf, dtype=np.float32)])
    for i, r in enumerate(rows):
        table.quality[r] = part.quality[i]
        table.provider[r] = part.provider[i]
        table.published[r] = part.published[i]
        table.title_key[r] = part.title_key[i]
        table.digest[r] = part.digest[i]
        table.removed[r] = part.removed[i]
        for name in WORD_FACTS:
            getattr(table, name)[r] = getattr(part, name)[i]
        table.key_terms.terms[r] = part.key_terms.terms[i]
    table.key_terms.refresh(rows)
    table.title_rows = None            # (the rows by title key are made again when asked)


def neighbour_sims(index, vectors: np.ndarray, depth: int, batch: int = 1024, params=None) -> np.ndarray:
    """``(n, depth)`` cosines of each indexed row's ``depth`` nearest other rows, best first.

    One search of the index with its own vectors, each row's own hit dropped; rows with fewer
    neighbours are padded with ``-inf``. The ranker's reciprocal evidence (``w_reciprocal``)
    counts how many of them are closer to a candidate than the article is. ``params``: FAISS
    search parameters (e.g. leaving out dead rows).
    """
    n = len(vectors)
    out = np.full((n, depth), -np.inf, dtype=np.float32)
    for start in range(0, n, batch):
        if params is None:
            sims, rows = search(index, vectors[start:start + batch], depth + 1)
        else:
            sims, rows = index.search(np.ascontiguousarray(vectors[start:start + batch]), depth + 1, params=params)
        for i in range(len(rows)):
            keep = (rows[i] >= 0) & (rows[i] != start + i)
            v = sims[i][keep][:depth]
            out[start + i, :len(v)] = v
    return out


#: The rank table's word-set facts, in the order :func:`word_facts` gives them (the last is
#: the record's type, a string).
WORD_FACTS = ("provider_key", "provider_name", "topics", "titles", "url_keys", "types")


def word_facts(a: Article) -> tuple[str, str, Words, Words, Words, str]:
    """One article's word-set facts (see :data:`WORD_FACTS`).

    Each set is a sorted tuple of distinct words (:data:`relate.rank.Words`: about a sixth
    of a frozenset's memory), the words interned (:func:`sys.intern`): the rows of a large corpus
    share one copy of each provider, topic and title word, and of each list of topics.
    """
    return _word_facts(a.provider_domain, a.provider_name, a.topics, a.title, a.urls, a.type)


def line_word_facts(line: str) -> tuple[str, str, Words, Words, Words, str]:
    """:func:`word_facts` of the article of an ``articles.jsonl`` line, read from the line's
    fields without making the article (a nightly run asks it of every candidate row)."""
    d = json.loads(line)
    get = d.get
    urls = [u for u in (get("web_url"), get("original_url"), get("amp_web_url"), get("cdn_amp_web_url")) if u]
    return _word_facts(get("provider_domain"), get("provider_name"), get("topics"), get("title", ""), urls,
                       get("type"))


def _word_facts(domain: str | None, name: str | None, topics: list[str] | None, title: str,
                urls: list[str], record_type: str | None = None) -> tuple[str, str, Words, Words, Words, str]:
    keys: set[str] = set()
    for u in urls:
        keys |= url_variants(u)
    topic_words = tuple(sorted({t.lower() for t in (topics or []) if isinstance(t, str)}))
    shared = _TOPICS.get(topic_words)
    if shared is None:
        shared = tuple(map(intern, topic_words))
        if len(_TOPICS) < 100_000:
            _TOPICS[shared] = shared
    return (intern((domain or name or "").lower()), intern((name or "").lower()), shared,
            tuple(sorted(set(map(intern, title_tokens(title))))), tuple(sorted(keys)),
            intern(record_type.lower()) if isinstance(record_type, str) else "")


#: One copy of each list of topics (a corpus repeats a few thousand of them at most).
_TOPICS: dict[tuple[str, ...], tuple[str, ...]] = {}


def timestamp_of(a: Article) -> float:
    """The publish time as a POSIX timestamp (NaN when unknown)."""
    return a.published_at.timestamp() if a.published_at is not None else math.nan


def url_keys_of(a: Article) -> frozenset[str]:
    """Every normalised form of every address of the article."""
    keys: set[str] = set()
    for u in a.urls:
        keys |= url_variants(u)
    return frozenset(keys)
