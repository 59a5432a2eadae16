"""Applying a corpus's changes to a workspace's stored rows, row by row (see :mod:`relate.engine.windows`).

:func:`reset` starts the rows again from a corpus (a refit); :func:`apply` adds new rows,
marks dead ones, updates touched ones and keeps every candidate window exact, returning the
rows whose lists may have changed. Both work on a :class:`relate.engine.store.Stored` and the
rank table that goes with it, in place.
"""
from __future__ import annotations

import os

import numpy as np

from ..config import Config
from ..evidence import reciprocals
from ..index import index_vectors, search_params
from ..lexical import Lexicon
from ..mapped import let_go, scratch_array
from ..rank import Query, RankTable, score_candidate
from ..records import Article
from .changes import Changes
from .listed import digests_listing
from .state import table_rows
from .store import Stored
from .windows import entering, floors, merge, neighbour_table, pair_cosines, search_windows


def reset(s: Stored, articles: list[Article], texts: list[str], keys: list[str], lines: list[str],
          vectors: np.ndarray, config: Config) -> None:
    """Starts the rows again from the corpus: new TF-IDF; no index (the caller builds it), statistics
    or windows yet."""
    s.ids, s.keys, s.lines = [a.id for a in articles], keys, lines
    s.vectors = vectors
    s.live = np.ones(len(articles), dtype=bool)
    s.index = None
    s.lexicon = Lexicon.fit(texts)
    s.changes = 0
    s.stats = s.terms = s.neighbours = s.windows = s.window_sims = s.picks = s.pick_floor = s.facts = None
    s.digests = s.removed = None
    s.hide_digests = not config.rank.suggest_digests
    s.bases, s.stats_saved = {}, False             # every file is written whole again


def apply(s: Stored, table: RankTable, plan: Changes, articles: list[Article], texts: list[str], keys: list[str],
          lines: list[str], vectors: np.ndarray, config: Config) -> set[int]:
    """Applies ``plan`` (``vectors``: those of ``plan.added``, in order); returns the live rows
    whose lists may have changed: new rows, rows whose window changed, rows whose window holds
    a touched row, digests that list a record added, touched or gone (:mod:`relate.engine.listed`)."""
    dead = np.asarray(plan.dead, dtype=np.int64)
    s.live[dead] = False
    touched = [row for _, row in plan.touched]
    keys_before = table.title_key[touched].tolist() if table.title_key is not None else []
    for i, row in plan.touched:
        s.lines[row] = lines[i]
        s.rows.forget(row)
    start = len(s.ids)
    new = np.arange(start, start + len(plan.added))
    s.ids.extend(articles[i].id for i in plan.added)
    s.keys.extend(keys[i] for i in plan.added)
    s.lines.extend(lines[i] for i in plan.added)
    s.live = np.concatenate([s.live, np.ones(len(new), dtype=bool)])
    if len(new):
        table.vectors = None                 # (the index's own memory may move as it grows)
        s.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        held = index_vectors(s.index)
        s.vectors = held if held is not None else np.concatenate([s.vectors, vectors]) if s.vectors.size else vectors
        s.lexicon.append(s.lexicon.transform([texts[i] for i in plan.added]))
    table.vectors = s.vectors
    changed_rows = touched + new.tolist()
    was_hidden = set(s.left_out().tolist())
    table_rows(table, [articles[i] for i, _ in plan.touched] + [articles[i] for i in plan.added], config.embed,
               changed_rows)
    s.terms = table.key_terms.terms
    s.digests, s.removed = table.digest, table.removed
    # windows: new rows and those that held a row now left out (dead, or a touched row become
    # a hidden digest) are searched; others take in new rows and rows no longer left out
    hidden = s.left_out()
    turned = np.setdiff1d(hidden[hidden < start], np.array(sorted(was_hidden), dtype=np.int64))
    back = np.array(sorted(was_hidden - set(hidden.tolist()) - set(new.tolist())), dtype=np.int64)
    gone = np.union1d(dead, turned)
    old = np.flatnonzero(s.live[:start])
    holds_dead = old[np.isin(s.windows[old], gone).any(axis=1)] if len(gone) else old[:0]
    changed = set(holds_dead.tolist()) | set(new.tolist()) | set(turned.tolist()) | set(back.tolist())
    keeping = s.live[:start].copy()                  # (a mask: no sort of every row)
    keeping[[r for r in changed if r < start]] = False
    keep = np.flatnonzero(keeping)
    by_target: dict[int, list[int]] = {}
    incoming = np.concatenate([back, np.setdiff1d(new, hidden)]).astype(np.int64)
    for x, targets in entering(s.vectors, incoming, floors(s.window_sims, s.windows), keep).items():
        for q in targets:
            by_target.setdefault(q, []).append(x)
    width = s.windows.shape[1]
    s.windows = np.concatenate([s.windows, np.full((len(new), width), -1, np.int32)])
    s.window_sims = np.concatenate([s.window_sims, np.full((len(new), width), -np.inf, np.float32)])
    s.grow(len(s.ids))
    reached: dict[int, tuple[list[int], list[int]]] = {}       # row: (rows in, rows out) of its window
    for q, xs in by_target.items():
        lost = merge(s.windows, s.window_sims, q, xs, pair_cosines(s.vectors, np.full(len(xs), q), np.array(xs)),
                     width)
        if lost is not None:
            reached[q] = (xs, lost)
    search_rows(s, np.array(sorted(changed), dtype=np.int64), config)
    if len(new) and s.neighbours is not None:
        s.neighbours = np.concatenate([s.neighbours[:start], neighbours_of(s, new, config)])
        table.neighbour_sims = s.neighbours
    elif len(new):
        table.neighbour_sims = None          # not kept: searched again when needed
    # windows holding a touched row: the row's facts changed
    if touched:
        live_rows = np.setdiff1d(np.flatnonzero(s.live), np.array(sorted(changed), dtype=np.int64))
        for q in live_rows[np.isin(s.windows[live_rows], touched).any(axis=1)].tolist():
            ins, lost = reached.get(q, ([], []))
            reached[q] = (sorted(set(ins) | (set(touched) & set(s.windows[q].tolist()))), lost)
    changed |= changed_lists(s, table, config, reached)
    if config.rank.digest_items != "ranked":
        changed |= digests_listing(s, table, touched + new.tolist() + dead.tolist(), keys_before)
    s.changes += plan.count
    return {r for r in changed if s.live[r]}


def changed_lists(s: Stored, table: RankTable, config: Config,
                  reached: dict[int, tuple[list[int], list[int]]]) -> set[int]:
    """The rows of ``reached`` (row: rows that entered or changed in its window, rows that left
    it) whose list last ranked may change.

    A list stays the same when it was full, lost none of its picks, and no row that entered or
    changed scores as high as its last pick (scored exactly as the ranker does, with a small
    margin): such a row sorts after every pick and is never reached. Anything else (an unknown
    or short list, a pick gone or changed) counts as changed. The lexical scores of every pair
    are computed together (one sparse product a batch, not one a pair).
    """
    cfg = config.rank
    changed: set[int] = set()
    todo: dict[int, list[tuple[int, float]]] = {}
    for q, (rows_in, rows_out) in reached.items():
        pairs = _to_score(s, cfg, q, rows_in, rows_out)
        if pairs is None:
            changed.add(q)
        elif pairs:
            todo[q] = pairs
    lexical = _pair_lexical(s, [(q, c) for q, pairs in todo.items() for c, _ in pairs]) if cfg.w_lexical else {}
    excluded = ({p.lower() for p in cfg.exclude_providers}, {t.lower() for t in cfg.exclude_topics})
    for q, pairs in todo.items():
        query = Query(vector=s.vectors[q], titles=frozenset(table.titles[q]), url_keys=frozenset(table.url_keys[q]),
                      published=float(table.published[q]), row=q,
                      terms=table.key_terms.terms[q] if table.key_terms is not None else None,
                      provider=table.provider_key[q], type=table.types[q] if len(table.types) else "")
        for c, sim in pairs:
            recip = (float(reciprocals(table.neighbour_sims, np.array([c]), np.array([sim], np.float32))[0])
                     if cfg.w_reciprocal and table.neighbour_sims is not None else None)
            pick = score_candidate(query, c, sim, lexical.get((q, c), 0.0), recip, table, cfg, *excluded)
            if pick is not None and pick.score >= s.pick_floor[q] - 1e-5:
                changed.add(q)
                break
    return changed


def _to_score(s: Stored, cfg, q: int, rows_in: list[int], rows_out: list[int]) -> list[tuple[int, float]] | None:
    """The ``(row, cosine)`` of the rows in ``q``'s window that must score below its last pick
    (``None``: its list counts as changed whatever they score)."""
    if s.picks is None or not np.isfinite(s.pick_floor[q]) or q in rows_in:
        return None
    picked = set(s.picks[q].tolist()) - {-1}
    if len(picked) < s.picks.shape[1] or picked & (set(rows_out) | set(rows_in)):
        return None
    window = s.windows[q].tolist()
    out = []
    for c in rows_in:
        if c in window:
            sim = float(s.window_sims[q][window.index(c)])
            if sim >= cfg.min_similarity:
                out.append((c, sim))
    return out


def _pair_lexical(s: Stored, pairs: list[tuple[int, int]], batch: int = 8192) -> dict[tuple[int, int], float]:
    """The lexical score of each ``(query row, candidate row)`` pair, as :meth:`Lexicon.scores` gives it."""
    out: dict[tuple[int, int], float] = {}
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        queries = np.array([q for q, _ in chunk], dtype=np.int64)
        candidates = np.array([[c] for _, c in chunk], dtype=np.int64)
        out.update(zip(chunk, s.lexicon.scores(s.lexicon.rows(queries), candidates)[:, 0].tolist()))
    return out


def search_rows(s: Stored, rows: np.ndarray, config: Config, folder: str | os.PathLike | None = None) -> None:
    """Searches the candidate windows of ``rows`` afresh (stored rows only).

    ``folder``: where new window tables are kept, in nameless files (a refit: :mod:`relate.mapped`;
    the pages of what is written, or later read a batch at a time, are let go), else in memory.
    """
    width = config.rank.candidates + 1
    if s.windows is None or s.windows.shape != (len(s.ids), width):
        s.windows = _filled((len(s.ids), width), np.int32, -1, folder)        # (row numbers < 2**31)
        s.window_sims = _filled((len(s.ids), width), np.float32, -np.inf, folder)
    params, searchable = search_params(s.index, s.left_out()), s.searchable()
    batch = config.batch.search_batch
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        r, w = search_windows(s.index, s.vectors, s.vectors[chunk], width, searchable, params)
        s.windows[chunk], s.window_sims[chunk] = r, w
        _let_windows_go(s)


def _filled(shape: tuple[int, int], dtype: type, value: float, folder: str | os.PathLike | None) -> np.ndarray:
    if folder is None:
        return np.full(shape, value, dtype=dtype)
    out = scratch_array(shape, dtype, folder)
    for start in range(0, shape[0], 65_536):
        out[start:start + 65_536] = value
        let_go(out, start, start + 65_536)
    return out


def _let_windows_go(s: Stored) -> None:
    """The pages of window tables kept in files, out of the process (they are read back when touched)."""
    for table in (s.windows, s.window_sims):
        let_go(table, 0, len(table))


def neighbours_of(s: Stored, rows: np.ndarray, config: Config) -> np.ndarray | None:
    """The reciprocal-evidence table rows of ``rows`` (from their windows when deep enough)."""
    depth = config.rank.reciprocal_depth
    if not config.rank.w_reciprocal:
        return None
    if depth + 1 <= s.windows.shape[1]:    # in blocks: the table's temporaries stay small at any size
        out = np.empty((len(rows), depth), dtype=np.float32)
        for start in range(0, len(rows), 65_536):
            part = rows[start:start + 65_536]
            out[start:start + len(part)] = neighbour_table(s.windows[part], s.window_sims[part], part, depth)
            _let_windows_go(s)
        return out
    params, searchable = search_params(s.index, s.left_out()), s.searchable()
    table = np.full((len(rows), depth), -np.inf, dtype=np.float32)
    for i, row in enumerate(rows.tolist()):
        r, w = search_windows(s.index, s.vectors, s.vectors[[row]], depth + 1, searchable, params)
        table[i] = neighbour_table(r, w, np.array([row]), depth)[0]
    return table


def windows_of(s: Stored, rows: list[int | None], vectors: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate windows of queries: the stored one for a stored row, else searched now.

    Args:
        s: the stored rows.
        rows: each query's stored row (``None``: not stored, or its text changed).
        vectors: each query's vector.
        width: rows per window (the stored windows serve only when theirs is the same).
    """
    out_rows = np.full((len(rows), width), -1, dtype=np.int64)
    out_sims = np.full((len(rows), width), -np.inf, dtype=np.float32)
    stored = s.windows is not None and s.windows.shape[1] == width
    known = [i for i, r in enumerate(rows) if stored and r is not None]
    fresh = [i for i, r in enumerate(rows) if not (stored and r is not None)]
    if known:
        at = [rows[i] for i in known]
        out_rows[known], out_sims[known] = s.windows[at], s.window_sims[at]
        _let_windows_go(s)
    if fresh:
        out_rows[fresh], out_sims[fresh] = search_windows(s.index, s.vectors, vectors[fresh], width,
                                                          s.searchable(), search_params(s.index, s.left_out()))
    return out_rows, out_sims
