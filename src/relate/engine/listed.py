"""A digest's own items: the records a newsletter issue lists lead its related list.

A newsletter issue ("Power Apps Every Day (2021-06-03)") lists two or three records of the
corpus in its excerpt (:mod:`relate.digests`). A reader of the issue wants exactly them next:
read blind, the lists that show them were preferred 16 times of 16, and every item was graded 2
by the site's rubric (docs/ranking.md, tenth round). Yet their vectors need not be near the
issue's, which sits between its subjects: only 61 % of them were among its 60 nearest rows.
So, with ``rank.digest_items: first`` (the default), the records an issue lists are found by
their titles (the rank table's ``title_key``), added to its candidate window when the window
lacks them, and lead its list (:func:`relate.rank.rank_candidates`); ``hidden`` leaves them out
of it (its page links them already); ``ranked`` treats them as any candidate.

A nightly run that adds, changes or removes a record an issue lists ranks the issue's list
again (:func:`digests_listing`), whether or not the record is in the issue's window.

Example:
    >>> rows, sims = listed_candidates(stored, table, articles, queries, rows, sims, cfg)   # doctest: +SKIP
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np

from ..config import RankConfig
from ..digests import NO_KEY, TitleRows, listed_keys
from ..rank import Query, RankTable
from ..records import Article
from .store import Stored
from .windows import dots


def title_rows(table: RankTable) -> TitleRows:
    """The table's rows by title key, made when first asked (:func:`relate.engine.state.table_rows` forgets it)."""
    if table.title_rows is None:
        table.title_rows = TitleRows(table.title_key)
    return table.title_rows


def listed_candidates(s: Stored, table: RankTable | None, articles: Sequence[Article], queries: list[Query],
                      rows: np.ndarray, sims: np.ndarray, cfg: RankConfig) -> tuple[np.ndarray, np.ndarray]:
    """Sets ``listed`` on each query that is a digest (the live rows of the records it lists) and
    returns its candidate ``rows`` and ``sims`` with those rows added where missing (``first``;
    columns of -1 and -inf pad the other queries); unchanged when ``cfg.digest_items`` is
    ``ranked`` or no query is a digest."""
    if cfg.digest_items == "ranked" or table is None or table.digest is None or table.title_key is None:
        return rows, sims
    flags = _digest_flags(table, articles, queries)
    extra: dict[int, list[int]] = {}
    for i in np.flatnonzero(flags).tolist():
        q, a = queries[i], articles[i]
        found = [r for r in title_rows(table).find(listed_keys(a.title, a.excerpt))
                 if r < len(s.live) and s.live[r] and r != q.row]
        q.listed = frozenset(found)
        missing = [r for r in found if r not in set(rows[i].tolist())]
        if missing and cfg.digest_items == "first":
            extra[i] = missing
    if not extra:
        return rows, sims
    width = max(map(len, extra.values()))
    more_rows = np.full((len(rows), width), -1, dtype=rows.dtype)
    more_sims = np.full((len(rows), width), -np.inf, dtype=sims.dtype)
    for i, missing in extra.items():
        more_rows[i, :len(missing)] = missing
        more_sims[i, :len(missing)] = dots(s.vectors[missing], queries[i].vector[None, :])
    return np.concatenate([rows, more_rows], axis=1), np.concatenate([sims, more_sims], axis=1)


def _digest_flags(table: RankTable, articles: Sequence[Article], queries: list[Query]) -> np.ndarray:
    """Whether each query is a digest: its row's flag, or, for an article not indexed as it is
    now, the flag the corpus statistics give it."""
    flags = np.array([q.row is not None and bool(table.digest[q.row]) for q in queries], dtype=bool)
    fresh = [i for i, q in enumerate(queries) if q.row is None]
    if fresh and table.stats is not None:
        flags[fresh] = table.stats.digests([articles[i] for i in fresh])
    return flags


def digests_listing(s: Stored, table: RankTable, rows: Iterable[int], keys: Iterable[float] = ()) -> set[int]:
    """The live digests that list the record of one of ``rows`` (by its title key now) or a title
    of ``keys`` (the keys of rows whose record changed or left): their lists change with it.

    Each live digest's excerpt is read from its line (once a night, and only when the corpus
    holds a digest)."""
    if table.digest is None or table.title_key is None:
        return set()
    wanted = {float(table.title_key[r]) for r in rows} | {float(k) for k in keys}
    wanted.discard(NO_KEY)
    if not wanted:
        return set()
    out = set()
    for d in np.flatnonzero(table.digest[:len(s.live)] & s.live[:len(table.digest)]).tolist():
        line = json.loads(s.lines[d])
        if wanted.intersection(listed_keys(line.get("title"), line.get("excerpt"))):
            out.add(d)
    return out
