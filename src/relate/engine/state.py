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

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import EmbedConfig, RankConfig
from ..evidence import KeyTerms
from ..index import search
from ..rank import RankTable, percentiles, provider_means, title_tokens
from ..records import Article, url_variants
from ..text import article_text, clean_text


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


def build_table(articles: list[Article], vectors: np.ndarray, cfg: RankConfig,
                embed: EmbedConfig | None = None) -> RankTable:
    """Per-row ranking facts: quality and provider percentiles, times, providers, topics, titles,
    URLs, and the key terms (names, numbers) learnt from the corpus's own texts.

    Quality is the record's ``quality`` percentile within the corpus; a record without one
    takes its ``heat`` percentile (feeds that carry heat instead), else its provider's smoothed
    mean-quality percentile, else 0.5 (neutral). The key terms (:class:`relate.evidence.KeyTerms`)
    are fitted on the texts ``embed`` says are encoded (``None``: the default ones).
    """
    embed = embed or EmbedConfig()
    key_terms = KeyTerms.fit([article_text(a.title, a.excerpt, embed) for a in articles],
                             titles=[clean_text(a.title) for a in articles])
    quality = np.array([_number(a.quality) for a in articles], dtype=np.float64)
    heat = np.array([_number(a.heat) for a in articles], dtype=np.float64)
    heat[heat < 0] = np.nan                      # -1 marks "no heat" in these feeds
    pkey = [(a.provider_domain or a.provider_name or "").lower() for a in articles]
    means = provider_means(pkey, quality, cfg.provider_prior_strength)
    finite = quality[np.isfinite(quality)]
    neutral = float(finite.mean()) if finite.size else math.nan
    prior = np.array([means.get(p, neutral) for p in pkey], dtype=np.float64)
    provider_pct = np.nan_to_num(percentiles(prior), nan=0.5)
    quality_pct = percentiles(quality)
    heat_pct = percentiles(heat)
    quality_pct = np.where(np.isfinite(quality_pct), quality_pct,
                           np.where(np.isfinite(heat_pct), heat_pct, provider_pct))
    return RankTable(
        vectors=vectors,
        quality=quality_pct,
        provider=provider_pct,
        published=np.array([timestamp_of(a) for a in articles], dtype=np.float64),
        provider_key=pkey,
        provider_name=[(a.provider_name or "").lower() for a in articles],
        topics=[frozenset(t.lower() for t in (a.topics or []) if isinstance(t, str)) for a in articles],
        titles=[title_tokens(a.title) for a in articles],
        url_keys=[url_keys_of(a) for a in articles],
        key_terms=key_terms,
    )


def neighbour_sims(index, vectors: np.ndarray, depth: int, batch: int = 1024) -> np.ndarray:
    """``(n, depth)`` cosines of each indexed row's ``depth`` nearest other rows, best first.

    One search of the index with its own vectors, each row's own hit dropped; rows with fewer
    neighbours are padded with ``-inf``. The ranker's reciprocal evidence (``w_reciprocal``)
    counts how many of them are closer to a candidate than the article is.
    """
    n = len(vectors)
    out = np.full((n, depth), -np.inf, dtype=np.float32)
    for start in range(0, n, batch):
        sims, rows = search(index, vectors[start:start + batch], depth + 1)
        for i in range(len(rows)):
            keep = (rows[i] >= 0) & (rows[i] != start + i)
            v = sims[i][keep][:depth]
            out[start + i, :len(v)] = v
    return out


def _number(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def timestamp_of(a: Article) -> float:
    """The publish time as a POSIX timestamp (NaN when unknown)."""
    return a.published_at.timestamp() if a.published_at is not None else math.nan


def url_keys_of(a: Article) -> frozenset[str]:
    """Every normalised form of every address of the article."""
    keys: set[str] = set()
    for u in a.urls:
        keys |= url_variants(u)
    return frozenset(keys)
