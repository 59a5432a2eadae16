"""The engine: a workspace opened once, answering related-list requests.

Example:
    >>> import relate
    >>> engine = relate.Engine.build("data/", workspace="/tmp/ws")   # encode + index
    >>> [s["title"] for s in engine.suggest("data/2025-03-04-some-article.md", k=3)]
    [...]
"""
from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..config import Config, load_config
from ..corpus import as_articles
from ..corpus.jsonl import Known
from ..embed import Encoder
from ..errors import WorkspaceError
from ..index import search_params
from ..rank import Query, RankTable, rank_candidates
from ..records import Article
from ..workspace import Workspace
from . import listed, picks, plain, store, updates
from .facts import numbers_of, plain_table, save_facts, stored_table
from .queries import lexical_scores, queries_for, query_article, rank_config, search_batch
from .rows import ArticlesView
from .sources import known_lines
from .state import EngineState, build_table, neighbour_sims
from .updating import Updating

logger = logging.getLogger(__name__)


class Engine(Updating):
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
        if params is not None and not store.unfinished_save(self.workspace):   # else: empty, built again
            self.workspace.check_compatible(params, self.encoder.id)
            self._load(params)

    def _setup(self, workspace: Workspace, config: Config, encoder: Any) -> None:
        self.config = config
        self.workspace = workspace
        self.encoder = encoder if encoder is not None else Encoder(config.embed, cache_folder=workspace.models)
        self._s = store.Stored(ids=[], keys=[], live=np.zeros(0, dtype=bool), vectors=np.zeros((0, 0), np.float32),
                               index=None, lines=[], lexicon=None, pending=None)
        self.articles: Mapping[str, Article] = {}
        self._row_of: dict[str, int] = {}
        self._built: RankTable | None = None
        #: Ids whose lists the last :meth:`update` may have changed (``None``: every one).
        self.affected: set[str] | None = None

    # The stored rows, by name (a removed record's row stays, dead, until the next refit).
    ids = property(lambda self: self._s.ids, doc="The article id of each row.")
    keys = property(lambda self: self._s.keys, doc="The text key each row was encoded from.")
    vectors = property(lambda self: self._s.vectors, doc="``(rows, dim)`` unit vectors (read-only; take again after updates).")
    index = property(lambda self: self._s.index, doc="The FAISS index over every row.")
    lexicon = property(lambda self: self._s.lexicon, doc="The TF-IDF model and rows.")
    live = property(lambda self: self._s.live, doc="Whether each row is a current article.")
    _rows = property(lambda self: self._s.rows)
    folder = property(lambda self: self.workspace.folder, doc="The workspace folder (a ``Path``).")

    @property
    def pending(self) -> set[str] | None:
        """Ids of the articles whose lists changed and are not yet written (``None``: every article)."""
        return None if self._s.pending is None else set(self._s.pending)

    # ------------------------------------------------------------------ building
    # (update() and the refit or row-by-row changes it makes: relate.engine.updating.Updating)
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

    def known_lines(self) -> Known | None:
        """The corpus lines the rows were read from, as :func:`relate.corpus.read_corpus` takes them (``known``;
        see :mod:`relate.engine.sources`); ``None``: none, or the rows were made otherwise."""
        return known_lines(self._s, self.workspace.read_params() or {}, self.config.embed)

    list_settings = property(lambda self: self._s.settings,
                             doc="The digest of the settings the lists last written in place were made with.")
    pick_settings = property(lambda self: self._s.pick_settings,
                             doc="The digest of the settings of the lists last ranked (what updates compare with).")

    picks_k = property(lambda self: None if self._s.picks is None else int(self._s.picks.shape[1]),
                       doc="Length of the recorded lists (``None``: none recorded).")

    def picks_of(self, ids: Iterable[str]) -> dict[str, picks.Ranked]:
        """The lists last ranked for ``ids`` as plain data (see :mod:`relate.engine.picks`)."""
        return picks.picks_of(self._s, self._row_of, ids)

    def keep_picks(self, ranked: Mapping[str, picks.Ranked], k: int) -> None:
        """Records lists ranked in another process (its :meth:`picks_of`) as if ranked here."""
        picks.keep_picks(self._s, self._row_of, ranked, k)

    def forget_picks(self) -> None:
        """Drops the recorded lists (ranked elsewhere, e.g. on Ray workers): the next update prunes nothing."""
        self._s.picks = self._s.pick_floor = None

    def written(self, ids: Iterable[str] | None = None, settings: str | None = None, keep: Iterable[str] = (),
                in_place: bool = True) -> None:
        """Records a run's lists: ranked with ``settings``, and, in place, written (no longer pending),
        and the rank table's facts when they were built from the lines. ``ids``: the articles whose lists
        were written in place (``None``: all); ``settings``: a digest of the settings they were ranked
        with (in place, when it differs from the last one, every list not in ``ids`` is pending again);
        ``keep``: articles whose lists could not be written (they stay pending); ``in_place``: the lists
        went into the records (else pending stays)."""
        if in_place:
            store.mark_written(self._s, set(self.articles), ids, settings, keep)
        self._s.pick_settings = settings
        if self.workspace.exists:
            store.save_picks(self.workspace, self._s)
            if self._s.facts is None and self._built is not None and len(self._built.quality) == len(self._s.ids):
                save_facts(self.workspace, self._s, self._built, self.encoder.id, self.config, len(self.articles))

    # ------------------------------------------------------------------ plain data
    def state(self) -> EngineState:
        """This engine as plain data (the FAISS index serialised), e.g. for Ray's object store.

        The model is not shipped (it is not needed to rank indexed articles). The neighbour
        table of ``w_reciprocal`` is computed first, so that workers do not each search the
        whole index for it again.
        """
        if self.config.rank.w_reciprocal and self.index is not None and self.ids:
            self._neighbour_sims(self.config.rank.reciprocal_depth)
        return plain.engine_state(self._s, plain_table(self._table), self.config, str(self.folder))

    @classmethod
    def from_state(cls, state: EngineState, encoder: Any = None) -> Engine:
        """The engine a :class:`EngineState` describes, without touching the workspace folder.

        Args:
            state: from :meth:`state`.
            encoder: the encoder (``None``: the configured one, loaded only if it is needed).
        """
        engine = cls.__new__(cls)
        config = Config.from_dict(state.config, source="engine state")
        engine._setup(Workspace(state.folder, "state"), config, encoder)
        engine._s = plain.stored_of(state, config)
        engine._set_rows(None, table=state.table)
        return engine

    # ------------------------------------------------------------------ querying
    def __len__(self) -> int:
        return len(self.articles)

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
        a = query_article(article, self._rows)
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
        return {aid: [self._entry(p) for p in chosen]
                for aid, chosen in self.rank_many(articles, k=k, batch_size=batch_size, **options)}

    def rank_many(self, articles: Iterable[Any] | None = None, k: int | None = None,
                  batch_size: int | None = None, **options: Any):
        """Yields ``(article_id, picks)`` with raw :class:`~relate.rank.Pick` rows, batch by batch."""
        cfg = rank_config(self.config, k, options)
        record = not options          # the configured ranking: kept, for the next update to compare with
        if self.index is None or not self.ids:
            raise WorkspaceError(f"{self.folder}: the workspace is empty; build it first with "
                                 "`relate index CORPUS` or Engine.build(corpus)")
        items = [self._rows[r] for r in self._row_of.values()] if articles is None else as_articles(articles)
        batch = search_batch(self.config, batch_size)
        if cfg.w_reciprocal:
            self._neighbour_sims(cfg.reciprocal_depth)
        for start in range(0, len(items), batch):
            chunk = items[start:start + batch]
            queries, vecs, texts = self._queries(chunk)
            rows, sims = updates.windows_of(self._s, [q.row for q in queries], vecs, cfg.candidates + 1)
            rows, sims = listed.listed_candidates(self._s, self._table, chunk, queries, rows, sims, cfg)
            lexical = lexical_scores(self._s.lexicon, queries, texts, rows) if cfg.w_lexical else [None] * len(chunk)
            for a, q, r, w, lx in zip(chunk, queries, rows, sims, lexical):
                chosen = rank_candidates(q, r, w, self._table, cfg, lx)
                if record and q.row is not None:
                    self._s.record(q.row, [p.row for p in chosen], chosen[-1].score if chosen else -np.inf, cfg.k)
                yield a.id, chosen

    def _neighbour_sims(self, depth: int) -> np.ndarray:
        """Cosines of every indexed row's ``depth`` nearest other rows (computed once, kept on the table)."""
        table, s = self._table, self._s
        if table.neighbour_sims is None or table.neighbour_sims.shape[1] != depth:
            table.neighbour_sims = neighbour_sims(s.index, s.vectors, depth, self.config.batch.search_batch,
                                                  search_params(s.index, s.left_out()))
        return table.neighbour_sims

    def vectors_for(self, articles: Iterable[Any]) -> np.ndarray:
        """Unit vectors of articles (stored ones reused, others encoded now)."""
        return self._queries(as_articles(articles))[1]

    def article(self, article_id: str) -> Article:
        """The indexed article with this id."""
        return self.articles[article_id]

    # ------------------------------------------------------------------ internals
    def _queries(self, articles: list[Article]) -> tuple[list[Query], np.ndarray, list[str]]:
        return queries_for(articles, self._s, self._row_of, self._table, self.encoder, self.config.embed)

    def _entry(self, pick) -> dict[str, Any]:
        return {**self._rows.entry(pick.row), "score": pick.score, "score_parts": dict(pick.parts)}

    @property
    def _table(self) -> RankTable | None:
        """The rank table, from the stored facts on first use (a run with nothing to rank makes none)."""
        if self._built is None and self._s.index is not None:
            self._set_rows(self._s.rows, table=stored_table(self._s))
        return self._built

    def _set_rows(self, articles: Sequence[Article] | None, table: RankTable | None = None,
                  texts: Sequence[str] | None = None) -> None:
        """Indexes the live rows and builds the rank table from ``articles`` (the rows' own, in order)."""
        s = self._s
        self._index_rows()
        if table is None:
            table = build_table(articles, s.vectors, self.config.rank, self.config.embed, s.stats, s.terms, texts)
            s.terms = table.key_terms.terms
        table.neighbour_sims = s.neighbours if s.neighbours is not None else table.neighbour_sims
        self._built = table

    def _index_rows(self) -> None:
        s = self._s
        self._row_of = {aid: i for i, (aid, ok) in enumerate(zip(s.ids, s.live.tolist())) if ok}
        self.articles = ArticlesView(self._row_of, s.rows)

    def _save(self) -> None:
        if self._built is not None:        # rows changed only with the table built: keep its numbers
            self._s.facts = numbers_of(self._built)
        store.begin_save(self.workspace)
        store.save(self.workspace, self._s)
        store.write_params(self.workspace, self._s, self.encoder.id, self.config, count=len(self.articles))
        store.end_save(self.workspace)

    def _load(self, params: dict[str, Any]) -> None:
        try:
            self._s = store.load(self.workspace, self.config.index, params)   # with the configured search settings
        except (OSError, ValueError, RuntimeError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as exc:
            raise WorkspaceError(f"{self.folder}: damaged workspace ({type(exc).__name__}: {exc}); rebuild it with "
                                 f"`relate index CORPUS --workspace {self.folder} --rebuild`") from exc
        self._index_rows()             # the rank table is built when first needed
        if self._s.stats is None:  # format 1: fitted on what it holds; its next update refits
            self._s.stats = self._table.stats
