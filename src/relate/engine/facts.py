"""Each row's ranking facts, kept with the workspace so that opening it parses no stored article.

The rank table (:class:`relate.rank.RankTable`) holds, for every row, numbers the ranker reads
a whole window at a time (quality and provider percentiles, publish time; whether it is a
digest or removed, kept in ``ids.json``) and word sets it reads one candidate at a time
(provider key and name, topics, title words, URL keys).
Building them from every ``articles.jsonl`` line is most of a nightly run at a million rows,
so a reopened workspace does not:

- the numbers are saved (``facts.npy``: ``(n, 4)`` float64, see :data:`NUMBERS`) with the
  other arrays, and read back; ``params.json`` holds their digest, so a file that another
  version left behind, or one of a run stopped before its params were written, is not
  trusted (the table is then built from the lines, as before);
- each word set is a :class:`FactColumn`: a row's sets are computed from its line the first
  time the ranker asks for them (and kept), unless an update set them.

Between refits the corpus statistics are frozen (:mod:`relate.engine.stats`): a row's facts
depend on that row alone, so facts kept or computed row by row equal those
:func:`relate.engine.state.build_table` gives for every row at once.

Example:
    >>> table = stored_table(store.load(ws, IndexConfig(), params))     # doctest: +SKIP
    >>> table.titles[7]                                   # row 7's line is parsed now  # doctest: +SKIP
    ('azure', 'outage')
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..config import Config
from ..fileio import atomic_save_npy
from ..rank import RankTable
from ..workspace import FACTS, Workspace
from .rows import LineRows
from .state import WORD_FACTS, line_word_facts
from .store import Stored, facts_digest, write_params

#: The columns of ``facts.npy``, in order (attributes of :class:`~relate.rank.RankTable`).
NUMBERS = ("quality", "provider", "published", "title_key")


class RowWords:
    """The word-set facts of each stored row, computed from its line when first asked (all at once)."""

    def __init__(self, rows: LineRows) -> None:
        self.rows = rows
        self.known: dict[int, tuple] = {}

    def get(self, row: int) -> tuple:
        found = self.known.get(row)
        if found is None:
            found = self.known[row] = line_word_facts(self.rows.lines[row])
        return found


class FactColumn(Sequence):
    """One word-set fact per row, as :class:`RowWords` computes it, unless set (``column[row] = ...``).

    Grows like a list (:meth:`extend`), for rows an update appends; rows past the stored
    ones must be set before they are read.
    """

    def __init__(self, words: RowWords, field: int, n: int) -> None:
        self._words = words
        self._field = field
        self._n = n
        self._set: dict[int, Any] = {}

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(self._n))]
        row = int(row)
        if row < 0:
            row += self._n
        if not 0 <= row < self._n:
            raise IndexError(row)
        if row in self._set:
            return self._set[row]
        return self._words.get(row)[self._field]

    def __setitem__(self, row: int, value: Any) -> None:
        row = int(row)
        if not 0 <= row < self._n:
            raise IndexError(row)
        self._set[row] = value

    def extend(self, values: Iterable[Any]) -> None:
        for value in values:
            self._set[self._n] = value
            self._n += 1


def numbers_of(table: RankTable) -> np.ndarray:
    """The ``(n, 4)`` array ``facts.npy`` holds, from a rank table."""
    return np.stack([np.asarray(getattr(table, name), dtype=np.float64) for name in NUMBERS], axis=1)


def stored_table(s: Stored) -> RankTable | None:
    """The rank table of the stored rows from their saved facts (``None``: none saved, or not
    of these rows; build it from the lines instead)."""
    n = len(s.ids)
    if (s.facts is None or s.stats is None or s.terms is None or s.facts.shape != (n, len(NUMBERS))
            or s.digests is None or len(s.digests) != n):
        return None
    words = RowWords(s.rows)
    columns = {name: FactColumn(words, j, n) for j, name in enumerate(WORD_FACTS)}
    numbers = {name: np.ascontiguousarray(s.facts[:, j]) for j, name in enumerate(NUMBERS)}
    table = RankTable(vectors=s.vectors, key_terms=s.stats.key_terms(list(s.terms)), **numbers, **columns)
    table.stats = s.stats
    table.quality_share = s.stats.quality_share
    table.digest = s.digests.copy()
    table.removed = s.removed.copy() if s.removed is not None else np.zeros(n, dtype=bool)
    return table


def save_facts(ws: Workspace, s: Stored, table: RankTable, model: str, config: Config, count: int) -> None:
    """Writes ``facts.npy`` from ``table`` and, in ``params.json``, its digest: the facts of a run that
    built them from the lines and changed nothing else (the next run reads them, not every line)."""
    s.facts = numbers_of(table)
    atomic_save_npy(ws.path(FACTS), s.facts)
    s.facts_digest = facts_digest(s.facts)
    write_params(ws, s, model, config, count)


def plain_table(table: RankTable | None) -> RankTable | None:
    """``table`` with plain lists for its word-set columns (what is shipped to other processes)."""
    if table is None:
        return None
    lists = {name: list(getattr(table, name)) for name in WORD_FACTS
             if not isinstance(getattr(table, name), list)}
    return dataclasses.replace(table, **lists) if lists else table
