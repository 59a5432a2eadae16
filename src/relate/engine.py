"""The engine: a workspace opened once, answering related-list requests.

Example:
    >>> import relate
    >>> engine = relate.Engine.build("data/", workspace="/tmp/ws")   # encode + index
    >>> [s["title"] for s in engine.suggest("data/2025-03-04-some-article.md", k=3)]
    [...]
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from . import workspace as ws
from .articles import Article, url_variants
from .config import Config, RankConfig, load_config
from .embed import Encoder, VectorCache, article_text, encode_cached, text_key
from .errors import ConfigError, WorkspaceError
from .rank import Query, RankTable, percentiles, provider_means, rank_candidates, title_tokens

logger = logging.getLogger(__name__)

#: Where the sample workspace (built from the repository's data/) is kept.
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "data"


def _as_articles(items: Iterable[Any]) -> list[Article]:
    items = list(items)
    if all(isinstance(x, Article) for x in items):
        return items
    from .articles import as_article

    return [x if isinstance(x, Article) else as_article(x) for x in items]


def load_corpus_articles(corpus: Any) -> tuple[list[Article], list]:
    """Articles and skipped-record errors from a path, a Corpus, or a list of records."""
    if isinstance(corpus, (str, os.PathLike)):
        from .articles import read_corpus

        corpus = read_corpus(corpus)
    if hasattr(corpus, "articles") and hasattr(corpus, "skipped"):
        return list(corpus.articles), list(corpus.skipped)
    return _as_articles(corpus), []


class Engine:
    """Related-article suggestions from one workspace, with the model loaded once.

    Args:
        workspace: the workspace folder (``None``: ``config.workspace``, else
            ``$RELATE_WORKSPACE``, else ``./.relate``).
        config: settings (``None``: :func:`relate.config.load_config`).

    Raises:
        WorkspaceError: the folder holds a workspace built with another model or format.
    """

    def __init__(self, workspace: str | os.PathLike | None = None, config: Config | None = None) -> None:
        self.config = config if config is not None else load_config()
        folder = workspace or self.config.workspace or ws.default_folder() or ".relate"
        self.folder = Path(folder)
        self.encoder = Encoder(self.config.embed, cache_folder=self.folder / "models")
        self.ids: list[str] = []
        self.keys: list[str] = []
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self.index = None
        self.articles: dict[str, Article] = {}
        self._rows: list[Article] = []
        self._row_of: dict[str, int] = {}
        self._table: RankTable | None = None
        self.lexicon = None
        self._lines: list[str] = []
        params = ws.read_params(self.folder)
        if params is not None:
            ws.check_compatible(self.folder, params, self.encoder.id)
            self._load()

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, corpus: Any, workspace: str | os.PathLike | None = None, config: Config | None = None,
              progress: bool = False, rebuild: bool = False) -> "Engine":
        """Opens (or creates) a workspace and brings it up to date with ``corpus``.

        Args:
            corpus: a folder or ``.jsonl``/``.json`` file, a ``Corpus``, or a list of records.
            workspace: the workspace folder.
            config: settings.
            progress: show a progress bar while encoding.
            rebuild: start the workspace again, even if it was built with another model.
        """
        if rebuild and workspace is not None:
            _clear(Path(workspace))
        engine = cls(workspace, config)
        engine.update(corpus, progress=progress)
        return engine

    def update(self, corpus: Any, progress: bool = False) -> dict[str, Any]:
        """Brings the workspace up to date: encodes only new or changed texts, drops removed records.

        Returns:
            Counts and seconds per stage: ``records``, ``skipped``, ``encoded``, ``added``,
            ``removed``, ``changed``, ``seconds`` (``load``, ``encode``, ``index``, ``save``).
        """
        seconds: dict[str, float] = {}
        t = time.perf_counter()
        articles, skipped = load_corpus_articles(corpus)
        seconds["load"] = time.perf_counter() - t

        t = time.perf_counter()
        texts = [article_text(a.title, a.excerpt, self.config.embed) for a in articles]
        keys = [text_key(s) for s in texts]
        ids = [a.id for a in articles]
        old_ids = set(self.ids)
        unchanged = ids == self.ids and keys == self.keys and self.index is not None
        encoded = 0
        if not unchanged:
            cache = VectorCache(self.folder / "vectors", self.encoder.id)
            vectors, encoded = encode_cached(self.encoder, texts, cache, show_progress=progress)
            if encoded:
                self.folder.mkdir(parents=True, exist_ok=True)
                cache.save()
        seconds["encode"] = time.perf_counter() - t

        t = time.perf_counter()
        if not unchanged:
            from .index import build_index
            from .lexical import Lexicon

            self.vectors = vectors
            self.index = build_index(vectors, self.config.index)
            self.lexicon = Lexicon.fit(texts)
        seconds["index"] = time.perf_counter() - t

        t = time.perf_counter()
        self.ids, self.keys = ids, keys
        lines = ws.article_lines(articles)
        if not unchanged or lines != self._lines:
            self._lines = lines
            self._set_rows(articles)
            self._save(write_vectors=not unchanged)
        seconds["save"] = time.perf_counter() - t
        new_ids = set(ids)
        return {
            "records": len(articles),
            "skipped": len(skipped),
            "skipped_records": skipped,
            "encoded": encoded,
            "added": len(new_ids - old_ids),
            "removed": len(old_ids - new_ids),
            "changed": not unchanged,
            "seconds": seconds,
        }

    # ------------------------------------------------------------------ querying
    def __len__(self) -> int:
        return len(self.ids)

    def suggest(self, article: Any, k: int | None = None, **options: Any) -> list[dict[str, Any]]:
        """The related list for one article, indexed or not.

        Args:
            article: an :class:`~relate.articles.Article`, a dict in the record shape, or a path.
            k: how many suggestions at most (default ``rank.k``).
            **options: any ``rank`` setting for this call, e.g. ``max_per_provider=1``,
                ``window_days=30``, ``exclude_providers=["example.com"]``.

        Returns:
            Dicts in the seed's related-entry shape, best first, each with ``score`` and
            ``score_parts``.

        Example:
            >>> engine.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)
        """
        a = _as_articles([article])[0]
        return self.suggest_many([a], k=k, **options)[a.id]

    def suggest_many(self, articles: Iterable[Any] | None = None, k: int | None = None,
                     batch_size: int | None = None, **options: Any) -> dict[str, list[dict[str, Any]]]:
        """Related lists for many articles at once (batched search), keyed by article id.

        Args:
            articles: records (default: every indexed article).
            k: how many suggestions per list (default ``rank.k``).
            batch_size: articles searched per FAISS call (default ``batch.search_batch``).
            **options: ``rank`` settings for these calls.
        """
        out: dict[str, list[dict[str, Any]]] = {}
        for aid, picks in self.rank_many(articles, k=k, batch_size=batch_size, **options):
            out[aid] = [self._entry(p) for p in picks]
        return out

    def rank_many(self, articles: Iterable[Any] | None = None, k: int | None = None,
                  batch_size: int | None = None, **options: Any):
        """Yields ``(article_id, picks)`` with raw :class:`~relate.rank.Pick` rows, batch by batch."""
        cfg = self._rank_config(k, options)
        if self.index is None or not self.ids:
            raise WorkspaceError(f"{self.folder}: the workspace is empty; build it first with "
                                 "`relate index CORPUS` or Engine.build(corpus)")
        items = self._rows if articles is None else _as_articles(articles)
        batch = batch_size or self.config.batch.search_batch
        from .index import search

        for start in range(0, len(items), batch):
            chunk = items[start:start + batch]
            queries, vecs, texts = self._queries(chunk)
            sims, rows = search(self.index, vecs, cfg.candidates + 1)
            lexical = self._lexical(queries, texts, rows) if cfg.w_lexical else [None] * len(chunk)
            for a, q, r, s, lx in zip(chunk, queries, rows, sims, lexical):
                yield a.id, rank_candidates(q, r, s, self._table, cfg, lx)

    def _lexical(self, queries: list[Query], texts: list[str], rows: np.ndarray) -> np.ndarray:
        import scipy.sparse as sp

        stored = [q.row for q in queries]
        if all(r is not None for r in stored):
            q = self.lexicon.rows(stored)
        else:
            q = sp.vstack([self.lexicon.rows([r]) if r is not None else self.lexicon.transform([t])
                           for r, t in zip(stored, texts)]).tocsr()
        return self.lexicon.scores(q, rows)

    def vectors_for(self, articles: Iterable[Any]) -> np.ndarray:
        """Unit vectors of articles (stored ones reused, others encoded now)."""
        return self._queries(_as_articles(articles))[1]

    def article(self, article_id: str) -> Article:
        """The indexed article with this id."""
        return self.articles[article_id]

    # ------------------------------------------------------------------ internals
    def _rank_config(self, k: int | None, options: Mapping[str, Any]) -> RankConfig:
        if k is None and not options:
            return self.config.rank
        data = dataclasses.asdict(self.config.rank)
        unknown = sorted(set(options) - set(data))
        if unknown:
            raise ConfigError(f"unknown ranking option {unknown[0]!r}; known: {', '.join(sorted(data))}")
        data.update(options)
        if k is not None:
            data["k"] = k
        return Config.from_dict({"rank": data}, source="suggest options").rank

    def _queries(self, articles: list[Article]) -> tuple[list[Query], np.ndarray, list[str]]:
        vecs = np.zeros((len(articles), self.vectors.shape[1] if self.vectors.size else self.encoder.dim),
                        dtype=np.float32)
        todo: list[int] = []
        todo_texts: list[str] = []
        rows: list[int | None] = []
        texts: list[str] = []
        for i, a in enumerate(articles):
            text = article_text(a.title, a.excerpt, self.config.embed)
            row = self._row_of.get(a.id)
            if row is not None and self.keys[row] == text_key(text):
                vecs[i] = self.vectors[row]
            else:
                row = None
                todo.append(i)
                todo_texts.append(text)
            rows.append(row)
            texts.append(text)
        if todo:
            vecs[todo] = self.encoder.encode(todo_texts)
        queries = [Query(vector=vecs[i], titles=title_tokens(a.title), url_keys=_url_keys(a),
                         published=_timestamp(a), row=rows[i]) for i, a in enumerate(articles)]
        return queries, vecs, texts

    def _entry(self, pick) -> dict[str, Any]:
        entry = self._rows[pick.row].related_entry()
        entry["score"] = pick.score
        entry["score_parts"] = dict(pick.parts)
        return entry

    def _set_rows(self, articles: list[Article]) -> None:
        self._rows = list(articles)
        self.articles = {a.id: a for a in self._rows}
        self._row_of = {a.id: i for i, a in enumerate(self._rows)}
        self._table = build_table(self._rows, self.vectors, self.config.rank)

    def _save(self, write_vectors: bool) -> None:
        from .fileio import atomic_save_npy
        from .index import save_index

        self.folder.mkdir(parents=True, exist_ok=True)
        if write_vectors or not (self.folder / ws.INDEX).exists():
            atomic_save_npy(self.folder / ws.VECTORS, self.vectors)
            save_index(self.index, self.folder / ws.INDEX)
            self.lexicon.save(self.folder)
            ws.write_json(self.folder / ws.IDS, {"ids": self.ids, "keys": self.keys})
        ws.write_article_lines(self.folder / ws.ARTICLES, self._lines)
        from . import __version__

        ws.write_json(self.folder / ws.PARAMS, {
            "format": ws.FORMAT_VERSION,
            "relate_version": __version__,
            "model": self.encoder.id,
            "dim": int(self.vectors.shape[1]) if self.vectors.size else None,
            "count": len(self.ids),
            "fingerprint": hashlib.sha1("\n".join(f"{i} {k}" for i, k in zip(self.ids, self.keys)).encode())
            .hexdigest(),
            "embed": dataclasses.asdict(self.config.embed),
            "index": dataclasses.asdict(self.config.index),
        })

    def _load(self) -> None:
        from .index import load_index

        try:
            meta = json.loads((self.folder / ws.IDS).read_text(encoding="utf-8"))
            self.vectors = np.load(self.folder / ws.VECTORS, allow_pickle=False)
            self.index = load_index(self.folder / ws.INDEX)
            rows, self._lines = ws.read_article_lines(self.folder / ws.ARTICLES)
            from .lexical import Lexicon

            self.lexicon = Lexicon.load(self.folder)
        except (OSError, ValueError, RuntimeError) as exc:
            raise WorkspaceError(f"{self.folder}: damaged workspace ({exc}); rebuild it with "
                                 f"`relate index CORPUS --workspace {self.folder} --rebuild`") from exc
        self.ids, self.keys = meta["ids"], meta["keys"]
        if not (len(self.ids) == len(self.keys) == len(self.vectors) == len(rows) == self.index.ntotal):
            raise WorkspaceError(f"{self.folder}: workspace files disagree on the number of articles; rebuild it "
                                 f"with `relate index CORPUS --workspace {self.folder} --rebuild`")
        self._set_rows(rows)


def build_table(articles: list[Article], vectors: np.ndarray, cfg: RankConfig) -> RankTable:
    """Per-row ranking facts: quality and provider percentiles, times, providers, topics, titles, URLs.

    Quality is the record's ``quality`` percentile within the corpus; a record without one
    takes its ``heat`` percentile (feeds that carry heat instead), else its provider's smoothed
    mean-quality percentile, else 0.5 (neutral).
    """
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
        published=np.array([_timestamp(a) for a in articles], dtype=np.float64),
        provider_key=pkey,
        provider_name=[(a.provider_name or "").lower() for a in articles],
        topics=[frozenset(t.lower() for t in (a.topics or []) if isinstance(t, str)) for a in articles],
        titles=[title_tokens(a.title) for a in articles],
        url_keys=[_url_keys(a) for a in articles],
    )


def _number(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _timestamp(a: Article) -> float:
    return a.published_at.timestamp() if a.published_at is not None else math.nan


def _url_keys(a: Article) -> frozenset[str]:
    keys: set[str] = set()
    for u in a.urls:
        keys |= url_variants(u)
    return frozenset(keys)


def _clear(folder: Path) -> None:
    for name in (ws.PARAMS, ws.IDS, ws.VECTORS, ws.INDEX, ws.ARTICLES):
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            pass


_DEFAULT_ENGINES: dict[str, Engine] = {}


def default_engine() -> Engine:
    """The engine ``relate.suggest`` uses: the configured workspace, else one built from ``data/``."""
    cfg = load_config()
    folder = cfg.workspace or ws.default_folder()
    if folder is None:
        if not SAMPLE_DATA.is_dir():
            raise WorkspaceError("no workspace configured: set RELATE_WORKSPACE, `workspace:` in relate.yaml, "
                                 "or pass workspace=...; build one with `relate index CORPUS`")
        cache = Path(os.environ.get("RELATE_CACHE_DIR") or Path.home() / ".cache" / "relate")
        folder = cache / "sample-workspace"
        key = str(folder)
        if key not in _DEFAULT_ENGINES:
            _DEFAULT_ENGINES[key] = Engine.build(SAMPLE_DATA, workspace=folder, config=cfg)
        return _DEFAULT_ENGINES[key]
    key = str(Path(folder).resolve())
    if key not in _DEFAULT_ENGINES:
        _DEFAULT_ENGINES[key] = Engine(folder, cfg)
    return _DEFAULT_ENGINES[key]


def suggest(article: Any, k: int = 5, workspace: str | os.PathLike | None = None,
            **options: Any) -> list[dict[str, Any]]:
    """Related articles for one article: the library's one-call entry point.

    Args:
        article: a dict in the record shape, a path to a record file, or an ``Article``.
        k: how many suggestions at most.
        workspace: the workspace to use (default: configured, else one built from ``data/``).
        **options: ranking settings for this call (see :class:`relate.config.RankConfig`).

    Returns:
        Dicts in the seed's related-entry shape (title, excerpt, publishedDateTime, webUrl, ...,
        absent fields left out) plus ``score`` and ``score_parts``.

    Example:
        >>> import relate
        >>> relate.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)
    """
    engine = Engine(workspace) if workspace is not None else default_engine()
    return engine.suggest(article, k=k, **options)
