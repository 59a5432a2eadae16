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
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..config import Config, load_config
from ..corpus import Corpus, as_articles, read_corpus
from ..corpus.jsonl import Known
from ..embed import Encoder, VectorCache, encode_cached
from ..errors import WorkspaceError
from ..index import build_index, index_vectors, search_params
from ..mapped import in_memory
from ..rank import Query, RankTable, rank_candidates
from ..records import Article
from ..workspace import Workspace
from . import listed, memory, picks, plain, store, updates
from .changes import Changes, plan_changes
from .facts import numbers_of, plain_table, save_facts, stored_table
from .queries import lexical_scores, queries_for, query_article, rank_config, search_batch
from .rows import ArticlesView
from .sources import corpus_rows, keep_sources, known_lines, parse_kept, parse_unchanged
from .state import EngineState, build_table, neighbour_sims
from .unreadable import last_good_rows

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

    def update(self, corpus: Any, progress: bool = False, refit: bool | None = None,
               texts: list[str] | None = None, keep_records: bool = True) -> dict[str, Any]:
        """Brings the workspace up to date: encodes only new or changed texts, drops removed records.

        Only what changed is redone (see :mod:`relate.engine.windows`): new rows are added to
        the index, removed ones marked dead, and the candidate windows they enter or leave
        updated; the corpus statistics stay as fitted (:mod:`relate.engine.stats`). A refit
        (the first build, ``refit=True``, a workspace of an older format, or changes since the
        last fit reaching ``batch.refit_after`` of its size) rebuilds everything instead.

        Args:
            corpus: a folder or corpus file, a ``Corpus`` (its ``Unchanged`` records stand for their rows:
                :meth:`known_lines`; ``Kept`` ones bring a ``RowSource``), or a list of records.
            progress: show a progress bar while encoding.
            refit: ``True`` refits the statistics and rebuilds everything; ``False`` never
                refits (unless nothing is built yet); ``None`` decides by ``batch.refit_after``.
            texts: each record's :func:`relate.text.article_text` text (``None`` for an unchanged one).
            keep_records: ``False``: ``corpus.articles`` and ``texts`` are emptied once the workspace holds
                what it needs of them (at a refit, before the index is built), so that a run needing only
                the ids it read (JSONL output) does not hold every record to the end.

        Returns:
            Counts: ``records``, ``skipped``, ``encoded``, ``added``, ``removed``, ``changed`` (the workspace),
            ``refit``, ``affected`` (ids whose lists may have changed; ``None``: every one), ``seconds``.
        """
        seconds: dict[str, float] = {}
        t = time.perf_counter()
        if isinstance(corpus, (str, os.PathLike)):
            corpus = read_corpus(corpus)
        skipped = len(getattr(corpus, "skipped", ()))
        sources = dict(getattr(corpus, "sources", None) or {})    # line digests (a .jsonl corpus)
        articles = list(corpus.articles) if isinstance(corpus, Corpus) else as_articles(corpus)
        articles += last_good_rows(getattr(corpus, "skipped", ()), self._row_of, self._rows, articles)
        if not keep_records and isinstance(getattr(corpus, "articles", None), list):
            corpus.articles.clear()            # this update's own list is the last one holding them
            corpus.sources = {}
        seconds["load"] = time.perf_counter() - t

        t = time.perf_counter()
        ids, keys, lines, texts = corpus_rows(self._s, articles, texts, self.config.embed)
        n = len(articles)
        old_ids = set(self.articles)
        plan = plan_changes(ids, keys, lines, self._row_of, self.keys, self._s.lines)
        limit = self.config.batch.refit_after * (self._s.stats.size if self._s.stats is not None else 0)
        refit = not self._s.updatable(self.config) or (refit if refit is not None else
                                                       self._s.changes + plan.count > limit and bool(plan))
        if not refit and not plan:
            keep_sources(self.workspace, self._s, self._row_of, sources, refit=False, save=True)
            self.affected = set()
            seconds["encode"] = seconds["index"] = seconds["save"] = 0.0
            return {"records": n, "skipped": skipped, "encoded": 0, "added": 0, "removed": 0,
                    "changed": False, "refit": False, "affected": set(), "seconds": seconds}
        if refit:                      # rows in corpus order, every one built again: every line and text needed
            lines, texts = parse_unchanged(self._s, articles, texts, self.config.embed, lines, self.folder)
        cache = VectorCache(self.workspace.vector_cache, self.encoder.id)
        self.folder.mkdir(parents=True, exist_ok=True)    # (a refit's vectors wait in a nameless file there)
        vectors, encoded = encode_cached(self.encoder, texts if refit else [texts[i] for i in plan.added],
                                         cache, show_progress=progress,
                                         scratch=self.folder if refit else None)
        if encoded:
            cache.save()
        del cache                      # its copy of every vector is not needed any more
        seconds["encode"] = time.perf_counter() - t

        t, release = time.perf_counter(), None if keep_records else (articles.clear, texts.clear)
        handed, vectors = [vectors], None       # (a refit keeps only the index's copy: none held here)
        if refit:
            self._refit(articles, texts, keys, lines, handed, release)
            affected = None
        else:
            affected = self._apply(plan, articles, texts, keys, lines, handed.pop())
            for done in release or ():  # (a refit lets them go itself, before the index is built)
                done()
        self._s.pending = None if affected is None or self._s.pending is None else self._s.pending | affected
        self.affected = affected
        keep_sources(self.workspace, self._s, self._row_of, sources, refit=refit)
        seconds["index"] = time.perf_counter() - t

        t, new_ids = time.perf_counter(), set(ids)
        self._save()
        seconds["save"] = time.perf_counter() - t
        return {"records": n, "skipped": skipped, "encoded": encoded, "added": len(new_ids - old_ids),
                "removed": len(old_ids - new_ids), "changed": True, "refit": refit, "affected": affected,
                "seconds": seconds}

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

    def _refit(self, articles: list[Article], texts: list[str], keys: list[str], lines: list[str],
               handed: list[np.ndarray], release: Sequence[Callable[[], None]] | None = None) -> None:
        """Rebuilds everything from the corpus (rows in corpus order; ``handed``: their vectors, taken
        out of the list); ``release`` runs before the index is built."""
        s, vectors = self._s, handed.pop()
        updates.reset(s, articles, texts, keys, lines, vectors, self.config)
        s.lines = memory.spilled(lines, self.folder)     # held in a file until saved
        self._set_rows(s.rows, texts=texts)              # (the rows parsed from their lines as they come)
        s.stats, s.digests, s.removed = self._table.stats, self._table.digest, self._table.removed
        for done in release or ():
            done()
        memory.give_back()                  # (what the records held, before the index takes memory)
        s.index = build_index(vectors, self.config.index)
        held, vectors = index_vectors(s.index), None
        # the index holds them (one copy of the vectors, not two); else they are read into memory
        s.vectors = self._table.vectors = held if held is not None else in_memory(s.vectors)
        updates.search_rows(s, np.arange(len(s.ids)), self.config, self.folder)   # (windows kept in files)
        self._table.neighbour_sims = s.neighbours = updates.neighbours_of(s, np.arange(len(s.ids)), self.config)

    def _apply(self, plan: Changes, articles: list[Article], texts: list[str], keys: list[str], lines: list[str],
               vectors: np.ndarray) -> set[str]:
        """Applies ``plan`` row by row; returns the ids whose lists may have changed."""
        parse_kept(articles, lines, plan.added + [i for i, _ in plan.touched])     # (their facts: from articles)
        changed = updates.apply(self._s, self._table, plan, articles, texts, keys, lines, vectors, self.config)
        self._index_rows()
        return {self._s.ids[r] for r in changed}

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
