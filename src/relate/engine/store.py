"""An engine's workspace files: what :class:`relate.engine.Engine` saves and opens again.

Plain data in, plain data out: :class:`Stored` holds every array and list a workspace keeps
(rows are *slots*: a removed record's slot stays, marked dead, until the next refit), and
:func:`save` / :func:`load` write and read them, each file atomically.

Example:
    >>> stored = load(Workspace("/news/.relate"), IndexConfig())     # doctest: +SKIP
    >>> len(stored.ids), int(stored.live.sum())                       # doctest: +SKIP
    (4958, 4943)
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from sys import intern
from typing import Any

import numpy as np

from .. import __version__
from ..config import Config, IndexConfig
from ..fileio import atomic_save_npy, atomic_write_bytes
from ..index import index_vectors, load_index, save_index
from ..lexical import Lexicon
from ..workspace import (
    ARTICLES,
    FACTS,
    FORMAT_VERSION,
    IDS,
    INDEX,
    NEIGHBOURS,
    PARAMS,
    PENDING,
    PICK_SCORES,
    PICKS,
    SAVING,
    SOURCES,
    STATS,
    TERMS,
    VECTORS,
    WINDOW_SIMS,
    WINDOWS,
    FileLines,
    Workspace,
)
from . import memory
from .appended import load_rows, save_rows
from .rows import LineRows
from .stats import CorpusStats

logger = logging.getLogger(__name__)


@dataclass
class Stored:
    """Everything a workspace holds about its rows.

    Attributes:
        ids: the article id of each row (a dead row keeps the id it had).
        keys: the text key each row was encoded from.
        live: whether each row is a current article (removed and re-encoded records leave
            dead rows behind until the next refit).
        vectors: ``(n, dim)`` unit vectors.
        index: the FAISS index over every row (dead ones are left out when searching).
        lines: the ``articles.jsonl`` line of each row (:attr:`rows` parses them when asked).
        lexicon: TF-IDF model and rows.
        stats: the corpus statistics (``None`` in a workspace of format 1).
        terms: key terms per row (``None`` when not saved).
        neighbours: ``(n, depth)`` reciprocal-evidence table (``None`` when not saved).
        windows: ``(n, width)`` candidate rows per row (``int32``), ``window_sims`` their cosines.
        pending: ids whose lists changed but were not yet written; ``None`` means every list.
        settings: digest of the settings the written lists were made with (see
            :meth:`relate.engine.Engine.written`).
        picks: ``(n, k)`` rows of each article's last ranked list (-1 pads a short list),
            ``pick_floor`` the score of its last pick (NaN: not known); an update uses them to
            tell which lists a change cannot reach.
        changes: records added, changed or removed since ``stats`` were fitted.
        digests: whether each row is a digest (:mod:`relate.digests`; ``None``: not known,
            statistics of format 1); ``hide_digests``: digests are left out of every search
            (``rank.suggest_digests`` off), so no candidate window holds one.
        removed: whether each row's record says ``removed: true``: left out of every search
            (``None``: none does).
        facts: ``(n, 4)`` numbers of the rank table (see :mod:`relate.engine.facts`; ``None``:
            not known, the table is built from the lines), ``facts_digest`` their digest.
        sources: the digest of the corpus line each row was read from (0: not known; see
            :mod:`relate.engine.sources`), ``None`` when none is kept.
        bases: rows in the base file of each array saved with a tail (see :func:`.appended.save_rows`).
        stats_saved: whether ``stats.json`` holds :attr:`stats` already (it changes only at a refit).
    """

    ids: list[str]
    keys: list[str]
    live: np.ndarray
    vectors: np.ndarray
    index: Any
    lines: list[str]
    lexicon: Lexicon
    stats: CorpusStats | None = None
    terms: list[tuple[str, ...]] | None = None
    neighbours: np.ndarray | None = None
    windows: np.ndarray | None = None
    window_sims: np.ndarray | None = None
    pending: set[str] | None = field(default_factory=set)
    settings: str | None = None
    changes: int = 0
    picks: np.ndarray | None = None
    pick_floor: np.ndarray | None = None
    pick_settings: str | None = None
    digests: np.ndarray | None = None
    hide_digests: bool = True
    removed: np.ndarray | None = None
    facts: np.ndarray | None = None
    facts_digest: str | None = None
    sources: np.ndarray | None = None
    bases: dict[str, int] = field(default_factory=dict)
    stats_saved: bool = False
    _rows: LineRows | None = field(default=None, repr=False, compare=False)

    @property
    def rows(self) -> LineRows:
        """The article of each row (parsed from :attr:`lines` when asked)."""
        if self._rows is None or self._rows.lines is not self.lines:
            self._rows = LineRows(self.lines)
        return self._rows

    def updatable(self, config: Config) -> bool:
        """Whether an update may change these rows in place (else it refits): they are built, with
        statistics of this format, windows as wide as ``rank.candidates`` asks, digests hidden or
        not as ``rank.suggest_digests`` asks."""
        return (self.index is not None and self.windows is not None and self.stats is not None
                and self.stats.titles is not None and self.windows.shape[1] == config.rank.candidates + 1
                and self.hide_digests != config.rank.suggest_digests)

    def left_out(self) -> np.ndarray:
        """Rows no search may return: dead rows, removed records and hidden digests."""
        out = ~self.live
        for flags in (self.digests if self.hide_digests else None, self.removed):
            if flags is not None:
                n = min(len(out), len(flags))
                out[:n] |= flags[:n]
        return np.flatnonzero(out)

    def searchable(self) -> int:
        """How many rows a search may return."""
        return len(self.ids) - len(self.left_out())

    def record(self, row: int, rows: list[int], last: float, k: int) -> None:
        """Keeps the list just ranked for ``row`` (its picks' rows and the last pick's score)."""
        n = len(self.ids)
        if self.picks is None or self.picks.shape != (n, k):
            self.picks = np.full((n, k), -1, dtype=np.int32)
            self.pick_floor = np.full(n, np.nan)
        self.picks[row] = -1
        self.picks[row, :len(rows)] = rows
        self.pick_floor[row] = last

    def grow(self, n: int) -> None:
        """Extends the recorded picks to ``n`` rows (new rows: not known)."""
        if self.picks is not None and len(self.picks) < n:
            extra = n - len(self.picks)
            self.picks = np.concatenate([self.picks, np.full((extra, self.picks.shape[1]), -1, np.int32)])
            self.pick_floor = np.concatenate([self.pick_floor, np.full(extra, np.nan)])


def begin_save(ws: Workspace) -> None:
    """Marks the workspace as being saved: until :func:`end_save`, its files may be of two runs."""
    atomic_write_bytes(ws.path(SAVING), json.dumps({"pid": os.getpid(), "started": time.time()}).encode())


def end_save(ws: Workspace) -> None:
    ws.path(SAVING).unlink(missing_ok=True)


def unfinished_save(ws: Workspace) -> bool:
    """Whether a run stopped while saving the workspace (killed, interrupted, disk full): its files
    may then be of two runs, so it is built again from the corpus (the vector cache spares the
    encoding); says so in a warning."""
    if not ws.path(SAVING).exists():
        return False
    logger.warning("%s: the last run stopped while saving the workspace; it is built again from the corpus "
                   "(texts already encoded are not encoded again)", ws.folder)
    return True


def save(ws: Workspace, s: Stored, arrays: bool = True) -> None:
    """Writes ``s`` into the workspace (``arrays=False``: only the article lines and pending ids).

    The pending ids go first: a run stopped after them but before the rest lists too many
    articles as pending, never too few.
    """
    folder = ws.folder
    folder.mkdir(parents=True, exist_ok=True)
    save_picks(ws, s)
    if arrays or not ws.path(INDEX).exists():
        save_rows(ws, VECTORS, s.vectors, s.bases)
        save_index(s.index, ws.path(INDEX))
        s.lexicon.save(folder)
        dead = np.flatnonzero(~s.live).tolist()
        digests = None if s.digests is None else np.flatnonzero(s.digests).tolist()
        removed = [] if s.removed is None else np.flatnonzero(s.removed).tolist()
        ws.write_json(IDS, {"ids": s.ids, "keys": s.keys, "dead": dead, "digests": digests,
                            "hide_digests": s.hide_digests, "removed": removed})
        if s.stats is not None and not s.stats_saved:
            ws.write_json(STATS, s.stats.to_json())
            s.stats_saved = True
        if s.terms is not None:
            ws.write_json_list(TERMS, s.terms, sorted)     # a block at a time: not the whole text at once
        if s.neighbours is not None:
            save_rows(ws, NEIGHBOURS, s.neighbours, s.bases)
        if s.windows is not None:
            atomic_save_npy(ws.path(WINDOWS), s.windows.astype(np.int32, copy=False))
            atomic_save_npy(ws.path(WINDOW_SIMS), s.window_sims)
        if s.facts is not None:
            atomic_save_npy(ws.path(FACTS), s.facts)
        save_sources(ws, s)
        s.facts_digest = None if s.facts is None else facts_digest(s.facts)
    ws.write_articles(s.lines)
    if isinstance(s.lines, FileLines):
        s.lines.reread(ws.path(ARTICLES))        # what was set or appended is now in the file
    memory.give_back()                           # what searching and saving held for a while


def save_sources(ws: Workspace, s: Stored) -> None:
    """Writes the rows' line digests (``sources.npy``), or removes a stale file when none are kept."""
    if s.sources is not None:
        atomic_save_npy(ws.path(SOURCES), s.sources)
    else:
        ws.path(SOURCES).unlink(missing_ok=True)


def mark_written(s: Stored, every: set[str], ids: Iterable[str] | None, settings: str | None,
                 keep: Iterable[str] = ()) -> None:
    """Takes written lists off ``s.pending`` (see :meth:`relate.engine.Engine.written`).

    Args:
        s: the stored rows.
        every: every live article id.
        ids: the articles whose lists were written (``None``: all of them).
        settings: the digest of the settings they were made with; when it differs from the
            last one, every list not in ``ids`` is pending again.
        keep: articles whose lists could not be written: they stay pending.
    """
    if ids is None:
        s.pending = set()
    else:
        changed = settings is not None and settings != s.settings
        s.pending = (every if s.pending is None or changed else s.pending) - set(ids)
    s.pending |= set(keep)
    if settings is not None:
        s.settings = settings


def write_params(ws: Workspace, s: Stored, model: str, config: Config, count: int) -> None:
    """Writes ``params.json``: format, versions, model, dimension, counts, fingerprint, settings."""
    ws.write_json(PARAMS, {
        "format": FORMAT_VERSION,
        "relate_version": __version__,
        "model": model,
        "dim": int(s.vectors.shape[1]) if s.vectors.size else None,
        "count": count,
        "rows": len(s.ids),
        "fingerprint": hashlib.sha1("\n".join(f"{i} {k}" for i, k, ok in zip(s.ids, s.keys, s.live) if ok)
                                    .encode()).hexdigest(),
        "changes_since_fit": s.changes,
        "facts": s.facts_digest,
        "bases": s.bases,
        "fitted_on": s.stats.size if s.stats is not None else None,
        "embed": dataclasses.asdict(config.embed),
        "index": dataclasses.asdict(config.index),
    })


def save_picks(ws: Workspace, s: Stored) -> None:
    """Writes the recorded picks (see :meth:`Stored.record`), or removes stale ones, and the pending ids."""
    write_pending(ws, s.pending, s.settings, s.pick_settings)
    if s.picks is not None:
        atomic_save_npy(ws.path(PICKS), s.picks)
        atomic_save_npy(ws.path(PICK_SCORES), s.pick_floor)
    else:
        for name in (PICKS, PICK_SCORES):
            ws.path(name).unlink(missing_ok=True)


def write_pending(ws: Workspace, pending: set[str] | None, settings: str | None = None,
                  pick_settings: str | None = None) -> None:
    """Writes the ids whose lists are not yet written (``None``: every list), the settings of
    the lists written in place last, and those of the recorded picks."""
    ws.write_json(PENDING, {"all": pending is None, "ids": sorted(pending or ()), "settings": settings,
                            "pick_settings": pick_settings})


def read_pending(ws: Workspace) -> tuple[set[str] | None, str | None, str | None]:
    """What :func:`write_pending` wrote (every list pending when the file is missing or unreadable)."""
    try:
        data = json.loads(ws.path(PENDING).read_text(encoding="utf-8"))
        return (None if data.get("all") else set(data["ids"])), data.get("settings"), data.get("pick_settings")
    except (OSError, ValueError, KeyError, AttributeError):
        return None, None, None


def facts_digest(numbers: np.ndarray) -> str:
    """The digest ``params.json`` keeps of ``facts.npy`` (see :mod:`relate.engine.facts`)."""
    numbers = np.ascontiguousarray(numbers, dtype=np.float64)
    return hashlib.sha1(repr(numbers.shape).encode() + numbers.tobytes()).hexdigest()


def read_facts(ws: Workspace, digest: str | None, rows: int) -> np.ndarray | None:
    """``facts.npy`` when it is the one ``params.json`` describes (``None``: missing, stale or damaged)."""
    if not digest or not ws.path(FACTS).exists():
        return None
    try:
        facts = np.load(ws.path(FACTS), allow_pickle=False)
    except (OSError, ValueError):
        return None
    if facts.dtype != np.float64 or facts.shape != (rows, 4) or facts_digest(facts) != digest:
        return None
    return facts


def load(ws: Workspace, index_cfg: IndexConfig, params: dict[str, Any]) -> Stored:
    """Reads a workspace's rows (format 1 workspaces have no statistics, terms, windows or dead rows).

    Raises:
        OSError, ValueError, RuntimeError: a file is missing or damaged.
    """
    meta = json.loads(ws.path(IDS).read_text(encoding="utf-8"))
    bases: dict[str, int] = {}
    saved = params.get("bases") or {}
    index = load_index(ws.path(INDEX), index_cfg)
    vectors = load_rows(ws, VECTORS, bases, saved, held=index_vectors(index))   # held by the index: not read twice
    s = Stored(ids=meta["ids"], keys=meta["keys"], live=np.ones(len(meta["ids"]), dtype=bool), vectors=vectors,
               index=index, lines=ws.stored_lines(), lexicon=Lexicon.load(ws.folder), bases=bases)
    s.live[np.asarray(meta.get("dead", []), dtype=np.int64)] = False
    if meta.get("digests") is not None:
        s.digests = np.zeros(len(s.ids), dtype=bool)
        s.digests[np.asarray(meta["digests"], dtype=np.int64)] = True
        s.hide_digests = bool(meta.get("hide_digests", True))
        s.removed = np.zeros(len(s.ids), dtype=bool)
        s.removed[np.asarray(meta.get("removed", []), dtype=np.int64)] = True
    if params.get("format", 1) >= 2:
        s.stats = CorpusStats.from_json(json.loads(ws.path(STATS).read_text(encoding="utf-8")))
        s.stats_saved = True
        s.terms = [tuple(map(intern, t)) for t in json.loads(ws.path(TERMS).read_text(encoding="utf-8"))]  # sorted
        if ws.path(NEIGHBOURS).exists():
            s.neighbours = load_rows(ws, NEIGHBOURS, bases, saved)
        s.windows = np.load(ws.path(WINDOWS), allow_pickle=False).astype(np.int32, copy=False)   # as saved
        s.window_sims = np.load(ws.path(WINDOW_SIMS), allow_pickle=False)
        s.pending, s.settings, s.pick_settings = read_pending(ws)
        s.changes = int(params.get("changes_since_fit", 0))
        s.facts = read_facts(ws, params.get("facts"), len(s.ids))
        if ws.path(SOURCES).exists():
            s.sources = np.load(ws.path(SOURCES), allow_pickle=False)
            if s.sources.dtype != np.uint64 or s.sources.shape != (len(s.ids),):
                s.sources = None
        if ws.path(PICKS).exists() and ws.path(PICK_SCORES).exists():
            s.picks = np.load(ws.path(PICKS), allow_pickle=False)
            s.pick_floor = np.load(ws.path(PICK_SCORES), allow_pickle=False)
            if len(s.picks) != len(s.ids) or len(s.pick_floor) != len(s.ids):   # a save stopped between them
                s.picks = s.pick_floor = None
    counts = {len(s.ids), len(s.keys), len(s.vectors), len(s.lines), s.index.ntotal, s.lexicon.matrix.shape[0]}
    if s.windows is not None:
        counts |= {len(s.windows), len(s.window_sims), len(s.terms or ())}
    if len(counts) != 1:
        raise ValueError("its files disagree on the number of articles")
    return s
