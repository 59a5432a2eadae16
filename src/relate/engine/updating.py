"""Bringing an engine's workspace up to date with a corpus: :meth:`Engine.update <relate.engine.Engine.update>`.

:class:`Updating` is the part of :class:`relate.engine.Engine` that takes a corpus in: it reads
the records, plans what changed (:mod:`relate.engine.changes`), encodes only texts not encoded
before, then refits every row or applies the changes row by row (:mod:`relate.engine.updates`)
and saves the workspace. The engine's other methods open, save and query the rows it leaves.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..corpus import Corpus, as_articles, read_corpus
from ..embed import VectorCache, encode_cached
from ..index import build_index, index_vectors
from ..mapped import in_memory
from ..records import Article
from . import memory, updates
from .changes import Changes, plan_changes
from .sources import corpus_rows, keep_sources, parse_kept, parse_unchanged
from .unreadable import last_good_rows


class Updating:
    """The update half of :class:`relate.engine.Engine` (a base class of it, holding no state of its own:
    it works on the engine's stored rows, settings, encoder and workspace)."""

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
                :meth:`~relate.engine.Engine.known_lines`; ``Kept`` ones bring a ``RowSource``), or a list of records.
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
