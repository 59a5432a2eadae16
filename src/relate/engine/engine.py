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
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..config import Config, RankConfig, load_config
from ..corpus import as_articles, read_corpus
from ..embed import Encoder, VectorCache, encode_cached, text_key
from ..errors import ConfigError, WorkspaceError
from ..fileio import atomic_save_npy
from ..index import build_index, load_index, save_index, search
from ..lexical import Lexicon
from ..rank import Query, RankTable, rank_candidates, title_tokens
from ..records import Article
from ..text import article_text
from ..workspace import FORMAT_VERSION, IDS, INDEX, PARAMS, VECTORS, Workspace, article_from_line, article_lines
from .state import EngineState, build_table, neighbour_sims, timestamp_of, url_keys_of

logger = logging.getLogger(__name__)


class Engine:
    """Related-article suggestions from one workspace, with the model loaded once.

    Args:
        workspace: the workspace folder or a :class:`~relate.workspace.Workspace` (``None``:
            :meth:`Workspace.resolve <relate.workspace.Workspace.resolve>` without a corpus:
            ``config.workspace``, ``$RELATE_WORKSPACE``, else ``./.relate``).
        config: settings (``None``: :func:`relate.config.load_config`).
        encoder: what turns texts into unit vectors: anything with ``id``, ``dim`` and
            ``encode(texts, show_progress=False)`` (``None``: the configured
            :class:`relate.embed.Encoder`, loaded on first use).

    Raises:
        WorkspaceError: the folder holds a workspace built with another model or format.
    """

    def __init__(self, workspace: str | os.PathLike | Workspace | None = None, config: Config | None = None,
                 encoder: Any = None) -> None:
        config = config if config is not None else load_config()
        self._setup(Workspace.resolve(workspace, config) or Workspace(".relate", "default"), config, encoder)
        params = self.workspace.read_params()
        if params is not None:
            self.workspace.check_compatible(params, self.encoder.id)
            self._load()

    def _setup(self, workspace: Workspace, config: Config, encoder: Any) -> None:
        self.config = config
        self.workspace = workspace
        self.encoder = encoder if encoder is not None else Encoder(config.embed, cache_folder=workspace.models)
        self.ids: list[str] = []
        self.keys: list[str] = []
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self.index = None
        self.articles: dict[str, Article] = {}
        self._rows: list[Article] = []
        self._row_of: dict[str, int] = {}
        self._table: RankTable | None = None
        self.lexicon: Lexicon | None = None
        self._lines: list[str] = []

    @property
    def folder(self) -> Path:
        """The workspace folder."""
        return self.workspace.folder

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, corpus: Any, workspace: str | os.PathLike | Workspace | None = None, config: Config | None = None,
              progress: bool = False, rebuild: bool = False, encoder: Any = None) -> Engine:
        """Opens (or creates) a workspace and brings it up to date with ``corpus``.

        Args:
            corpus: a folder or ``.jsonl``/``.json`` file, a ``Corpus``, or a list of records.
            workspace: the workspace folder (``None``: by the resolution rule, for this corpus:
                ``config.workspace``, ``$RELATE_WORKSPACE``, else ``<corpus>/.relate``).
            config: settings.
            progress: show a progress bar while encoding.
            rebuild: start the workspace again, even if it was built with another model.
            encoder: the encoder (see :class:`Engine`).
        """
        config = config if config is not None else load_config()
        ws = Workspace.resolve(workspace, config, corpus=corpus) or Workspace(".relate", "default")
        if rebuild:
            ws.clear()
        engine = cls(ws, config, encoder=encoder)
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
        if isinstance(corpus, (str, os.PathLike)):
            corpus = read_corpus(corpus)
        skipped = len(getattr(corpus, "skipped", ()))
        articles = as_articles(corpus)
        seconds["load"] = time.perf_counter() - t

        t = time.perf_counter()
        texts = [article_text(a.title, a.excerpt, self.config.embed) for a in articles]
        keys = [text_key(s) for s in texts]
        ids = [a.id for a in articles]
        old_ids = set(self.ids)
        unchanged = ids == self.ids and keys == self.keys and self.index is not None
        encoded = 0
        if not unchanged:
            cache = VectorCache(self.workspace.vector_cache, self.encoder.id)
            vectors, encoded = encode_cached(self.encoder, texts, cache, show_progress=progress)
            if encoded:
                self.folder.mkdir(parents=True, exist_ok=True)
                cache.save()
        seconds["encode"] = time.perf_counter() - t

        t = time.perf_counter()
        if not unchanged:
            self.vectors = vectors
            self.index = build_index(vectors, self.config.index)
            self.lexicon = Lexicon.fit(texts)
        seconds["index"] = time.perf_counter() - t

        t = time.perf_counter()
        self.ids, self.keys = ids, keys
        lines = article_lines(articles)
        if not unchanged or lines != self._lines:
            self._lines = lines
            self._set_rows(articles)
            self._save(write_vectors=not unchanged)
        seconds["save"] = time.perf_counter() - t
        new_ids = set(ids)
        return {
            "records": len(articles),
            "skipped": skipped,
            "encoded": encoded,
            "added": len(new_ids - old_ids),
            "removed": len(old_ids - new_ids),
            "changed": not unchanged,
            "seconds": seconds,
        }

    # ------------------------------------------------------------------ plain data
    def state(self) -> EngineState:
        """This engine as plain data (the FAISS index serialised), e.g. for Ray's object store.

        The model is not shipped (it is not needed to rank indexed articles). The neighbour
        table of ``w_reciprocal`` is computed first, so that workers do not each search the
        whole index for it again.
        """
        import faiss

        if self.config.rank.w_reciprocal and self.index is not None and self.ids:
            self._neighbour_sims(self.config.rank.reciprocal_depth)
        return EngineState(
            config=dataclasses.asdict(self.config), folder=str(self.folder), ids=self.ids, keys=self.keys,
            vectors=self.vectors, rows=self._lines, table=self._table, lexicon=self.lexicon,
            index=None if self.index is None else faiss.serialize_index(self.index))

    @classmethod
    def from_state(cls, state: EngineState, encoder: Any = None) -> Engine:
        """The engine a :class:`EngineState` describes, without touching the workspace folder.

        Args:
            state: from :meth:`state`.
            encoder: the encoder (``None``: the configured one, loaded only if it is needed).
        """
        import faiss

        engine = cls.__new__(cls)
        config = Config.from_dict(state.config, source="engine state")
        engine._setup(Workspace(state.folder, "state"), config, encoder)
        engine.ids, engine.keys, engine.vectors = list(state.ids), list(state.keys), state.vectors
        engine.index = None if state.index is None else faiss.deserialize_index(state.index)
        engine.lexicon = state.lexicon
        engine._lines = list(state.rows)
        engine._set_rows([article_from_line(line) for line in state.rows], table=state.table)
        return engine

    # ------------------------------------------------------------------ querying
    def __len__(self) -> int:
        return len(self.ids)

    def suggest(self, article: Any, k: int | None = None, **options: Any) -> list[dict[str, Any]]:
        """The related list for one article, indexed or not.

        Args:
            article: an :class:`~relate.records.Article`, a dict in the record shape, or a path.
            k: how many suggestions at most (default ``rank.k``).
            **options: any ``rank`` setting for this call, e.g. ``max_per_provider=1``,
                ``window_days=30``, ``exclude_providers=["example.com"]``.

        Returns:
            Dicts in the seed's related-entry shape, best first, each with ``score`` and
            ``score_parts``.

        Example:
            >>> engine.suggest({"title": "Azure outage hits Europe", "webUrl": "https://x.com/a"}, k=3)
        """
        a = as_articles([article])[0]
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
        items = self._rows if articles is None else as_articles(articles)
        batch = batch_size or self.config.batch.search_batch
        if cfg.w_reciprocal:
            self._neighbour_sims(cfg.reciprocal_depth)
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

    def _neighbour_sims(self, depth: int) -> np.ndarray:
        """Cosines of every indexed row's ``depth`` nearest other rows (computed once, kept on the table)."""
        table = self._table
        if table.neighbour_sims is None or table.neighbour_sims.shape[1] != depth:
            table.neighbour_sims = neighbour_sims(self.index, self.vectors, depth, self.config.batch.search_batch)
        return table.neighbour_sims

    def vectors_for(self, articles: Iterable[Any]) -> np.ndarray:
        """Unit vectors of articles (stored ones reused, others encoded now)."""
        return self._queries(as_articles(articles))[1]

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
        kt = self._table.key_terms if self._table is not None else None
        terms = [None if kt is None else kt.terms[r] if r is not None else kt.extract(t) for r, t in zip(rows, texts)]
        queries = [Query(vector=vecs[i], titles=title_tokens(a.title), url_keys=url_keys_of(a),
                         published=timestamp_of(a), row=rows[i], terms=terms[i],
                         provider=(a.provider_domain or a.provider_name or "").lower())
                   for i, a in enumerate(articles)]
        return queries, vecs, texts

    def _entry(self, pick) -> dict[str, Any]:
        entry = self._rows[pick.row].related_entry()
        entry["score"] = pick.score
        entry["score_parts"] = dict(pick.parts)
        return entry

    def _set_rows(self, articles: list[Article], table: RankTable | None = None) -> None:
        self._rows = list(articles)
        self.articles = {a.id: a for a in self._rows}
        self._row_of = {a.id: i for i, a in enumerate(self._rows)}
        self._table = table if table is not None else build_table(self._rows, self.vectors, self.config.rank,
                                                                  self.config.embed)

    def _save(self, write_vectors: bool) -> None:
        ws = self.workspace
        self.folder.mkdir(parents=True, exist_ok=True)
        if write_vectors or not ws.path(INDEX).exists():
            atomic_save_npy(ws.path(VECTORS), self.vectors)
            save_index(self.index, ws.path(INDEX))
            self.lexicon.save(self.folder)
            ws.write_json(IDS, {"ids": self.ids, "keys": self.keys})
        ws.write_articles(self._lines)
        ws.write_json(PARAMS, {
            "format": FORMAT_VERSION,
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
        ws = self.workspace
        try:
            meta = json.loads(ws.path(IDS).read_text(encoding="utf-8"))
            self.vectors = np.load(ws.path(VECTORS), allow_pickle=False)
            self.index = load_index(ws.path(INDEX), self.config.index)  # with the configured search settings
            rows, self._lines = ws.read_articles()
            self.lexicon = Lexicon.load(self.folder)
        except (OSError, ValueError, RuntimeError) as exc:
            raise WorkspaceError(f"{self.folder}: damaged workspace ({exc}); rebuild it with "
                                 f"`relate index CORPUS --workspace {self.folder} --rebuild`") from exc
        self.ids, self.keys = meta["ids"], meta["keys"]
        if not (len(self.ids) == len(self.keys) == len(self.vectors) == len(rows) == self.index.ntotal):
            raise WorkspaceError(f"{self.folder}: workspace files disagree on the number of articles; rebuild it "
                                 f"with `relate index CORPUS --workspace {self.folder} --rebuild`")
        self._set_rows(rows)
