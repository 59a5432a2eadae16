"""The batch job: :func:`index` (load, encode, index) and :func:`regenerate` (then rank and write), safely.

Stages, each timed and shown as a progress bar on a terminal:

1. **load**: read the corpus (a folder of record files or a ``.jsonl`` file); bad records
   are skipped and listed, the rest go on.
2. **encode**: encode only the texts the workspace has never seen, in checkpointed chunks
   (a run killed part-way keeps what it finished), then
3. **index**: bring the workspace's FAISS index and provider priors up to date
   (:meth:`relate.engine.Engine.update`; removed records are dropped).
4. **rank**: related lists for the selected articles, a batch of FAISS searches at a time.
5. **write**: in place (only each file's ``related:`` block changes), to a mirror folder, or
   to one JSONL file; every write is atomic.

The whole run holds the workspace lock. The workspace is found by the one resolution rule
(:meth:`relate.workspace.Workspace.resolve`): ``workspace=``, ``workspace:`` in the config,
``$RELATE_WORKSPACE``, else ``<corpus>/.relate``.

Example:
    >>> from relate.batch import regenerate
    >>> summary = regenerate("data/", workspace="/tmp/ws", dry_run=True)
    >>> summary.exit_code, summary.changed
    (0, ...)
"""
from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Config, EmbedConfig, load_config
from ..corpus.jsonl import Kept, Unchanged
from ..engine.sources import RowSource, row_source
from ..errors import ConfigError
from ..progress import QUIET, Progress
from ..rank import REVISION as RANK_REVISION
from ..workspace import Spill, Workspace
from .lists import ListTarget
from .outputs import check_out_dir, check_writable, write_jsonl, write_records
from .outputs import dry_run as dry_run_output
from .runners import get_runner, rank_workers
from .stages import load, open_for_lines, parse_since, rank, rank_stream, select, update
from .summary import BatchStopped, Summary


def index(corpus: str | os.PathLike, config: Config | None = None, *,
          workspace: str | os.PathLike | Workspace | None = None, progress: Progress = QUIET,
          wait: float | None = 0.0, rebuild: bool = False, encoder: Any = None, refit: bool | None = None) -> Summary:
    """Builds or updates the workspace for ``corpus`` (load, encode, index).

    Args:
        corpus: a folder of record files, or a ``.jsonl``/``.json`` file.
        config: settings (``None``: :func:`relate.config.load_config`).
        workspace: the workspace folder (``None``: ``config.workspace``, ``$RELATE_WORKSPACE``,
            else ``<corpus>/.relate``; see :meth:`relate.workspace.Workspace.resolve`).
        progress: progress display.
        wait: seconds to wait for another run holding the workspace (``None``: for ever).
        rebuild: start the workspace again (e.g. after changing the model).
        encoder: the encoder (``None``: the configured model; see :class:`relate.engine.Engine`).
        refit: fit the corpus statistics again (``None``: when ``batch.refit_after`` says so).

    Returns:
        The :class:`Summary`; ``stopped`` is set when the run could not finish.

    Raises:
        WorkspaceLocked: another run holds the workspace after ``wait`` seconds.
        ConfigError: a setting this version cannot run.
    """
    config = config if config is not None else load_config()
    ws = Workspace.resolve(workspace, config, corpus=corpus)
    summary = Summary("index", str(corpus), str(ws.folder))
    with _timed_run(summary), ws.locked("relate index", wait):
        get_runner(config)
        corpus_obj = load(corpus, summary, progress, config)
        update(corpus_obj, config, ws, summary, progress, rebuild=rebuild, encoder=encoder, refit=refit)
    return summary


def regenerate(corpus: str | os.PathLike, config: Config | None = None, *,
               workspace: str | os.PathLike | Workspace | None = None, out: str | os.PathLike | None = None,
               jsonl: str | os.PathLike | None = None, dry_run: bool = False,
               since: str | datetime | None = None, paths: Sequence[str | os.PathLike] | None = None,
               k: int | None = None, progress: Progress = QUIET, wait: float | None = 0.0,
               examples: int = 3, encoder: Any = None, full: bool = False, refit: bool | None = None,
               changed: bool | None = None) -> Summary:
    """Rebuilds the ``related:`` lists of a corpus.

    In place, only the lists that the changes since the last run can reach are ranked and
    written (new and changed records' own lists, the lists a new record enters, those that
    held a removed or changed record; see :mod:`relate.engine.windows`), and they are exactly
    what ranking every list would give. ``full`` ranks every list; ``--out``, ``--jsonl``
    and ``since``/``paths`` runs write every selected list unless ``changed``.

    Args:
        corpus: a folder of record files, or a ``.jsonl``/``.json`` file.
        config: settings (``None``: :func:`relate.config.load_config`).
        workspace: the workspace folder (``None``: ``config.workspace``, ``$RELATE_WORKSPACE``,
            else ``<corpus>/.relate``; see :meth:`relate.workspace.Workspace.resolve`).
        out: write a mirror of the corpus tree here instead of changing it in place.
        jsonl: write one ``{"webUrl": ..., "related": [...]}`` line per article here instead.
        dry_run: write nothing (not even the workspace); count the lists that would change
            and keep a few before/after examples.
        since: only articles published since then get new lists (a date, date-time or age;
            see :func:`parse_since`). Every article stays a candidate.
        paths: only these records (files, webUrls or ids) get new lists.
        k: suggestions per list (``None``: ``rank.k``).
        progress: progress display.
        wait: seconds to wait for another run holding the workspace (``None``: for ever).
        examples: how many before/after examples a dry run keeps.
        encoder: the encoder (``None``: the configured model; see :class:`relate.engine.Engine`).
        full: rank and write every (selected) list, not only those the changes reach.
        refit: fit the corpus statistics again and rank every list (``None``: when
            ``batch.refit_after`` says so; ``False``: never).
        changed: only the lists the changes reach (``None``: in place yes, else no).

    Returns:
        The :class:`Summary`.

    Raises:
        WorkspaceLocked: another run holds the workspace after ``wait`` seconds.
        ConfigError: conflicting outputs, a bad ``since``, a path not in the corpus, or a
            setting this version cannot run.

    Example:
        >>> s = regenerate("data/", workspace="/tmp/ws", jsonl="/tmp/related.jsonl")
        >>> s.written == s.selected
        True
    """
    config = config if config is not None else load_config()
    k = check_k(k if k is not None else config.rank.k, "k" if k is not None else "rank.k")
    if out is not None and jsonl is not None:
        raise ConfigError("give either out (a mirror folder) or jsonl (one file), not both")
    since_t = parse_since(since) if since is not None else None
    corpus_path = Path(corpus)
    if out is not None:
        check_out_dir(corpus_path, Path(out))
        check_writable(Path(out), f"--out {out}", make=not dry_run)
    if jsonl is not None:
        if Path(jsonl).is_dir():
            raise ConfigError(f"--jsonl {jsonl}: that is a folder; give the file to write the lists to")
        check_writable(Path(jsonl).parent, f"--jsonl {jsonl}", make=not dry_run)
    ws = Workspace.resolve(workspace, config, corpus=corpus)
    output = ("dry run" if dry_run else f"out {out}" if out is not None
              else f"jsonl {jsonl}" if jsonl is not None else "in place")
    summary = Summary("regenerate", str(corpus), str(ws.folder), output=output)
    with _timed_run(summary), ws.locked("relate regenerate", wait, create=not dry_run):
        get_runner(config), rank_workers(config)  # settings this version cannot run: an error before any work
        if k == 0:
            summary.notes.append("k is 0: every selected list is emptied (its related: block removed)")
        # Lists written as JSONL need no more of the records than their ids and addresses: the
        # records are let go as soon as the workspace holds what it needs of them; those of a
        # .jsonl corpus as they are read (once their list target, workspace line and text are
        # made), and the lines the workspace holds already are not even parsed.
        streamed = jsonl is not None and not dry_run
        t = time.perf_counter()
        opened = open_for_lines(corpus_path, config, ws, encoder) if streamed and since_t is None and not paths else None
        opening = time.perf_counter() - t
        spill = Spill(ws.folder, parts=2) if streamed else None     # what is kept of each record, on disk
        keep = functools.partial(_kept_row, embed=config.embed, spill=spill) if streamed else None  # (a .jsonl corpus)
        corpus_obj = load(corpus, summary, progress, config, known=opened.known_lines() if opened else None, keep=keep)
        targets = select(corpus_obj.articles, since_t, paths)  # a bad path too
        in_place = out is None and jsonl is None
        if changed is None:
            changed = in_place and since_t is None and not paths
        changed = changed and not full
        settings = list_settings(config, k)
        if streamed:
            targets = [a if type(a) is Unchanged else a.made.target if type(a) is Kept else ListTarget.of(a)
                       for a in targets]
        # A dry run works on a throwaway copy of the workspace, so the real one is not written.
        with ws.scratch() if dry_run else nullcontext(ws) as work:
            engine = update(corpus_obj, config, work, summary, progress, encoder=encoder, refit=refit,
                            keep_records=not streamed, engine=opened)
            summary.seconds["encode"] += opening if opened else 0.0
            # in place: what this and earlier runs left unwritten; elsewhere: what this run's changes reach
            reach = (engine.pending if engine.list_settings == settings else None) if in_place else engine.affected
            if engine.pick_settings != settings or engine.picks_k not in (None, k):
                reach = None                               # ranked otherwise last time: rank every list
            summary.lists = "selected" if (since_t is not None or paths) else "all"
            if changed and not summary.refit and reach is not None:
                targets = [a for a in targets if a.id in reach]
                summary.lists = "changed"
            summary.selected = len(targets)
            if streamed:                            # each line written as its list comes: never every list at once
                targets = [a if isinstance(a, ListTarget) else ListTarget.of(a) for a in corpus_obj.parsed(targets)]
                corpus_obj = None
                write_jsonl(Path(jsonl), targets, rank_stream(engine, targets, config, k, progress, summary),
                            summary, progress)
            else:
                lists = rank(engine, targets, config, k, progress, summary)
        # Still under the lock: two runs must not write the same records at once either.
        if dry_run:
            dry_run_output(corpus_obj, targets, lists, summary, examples, progress)
        elif jsonl is None:
            root = corpus_path if corpus_path.is_dir() else corpus_path.parent
            write_records(corpus_obj, targets, lists, root, None if out is None else Path(out), summary,
                          progress, ws, write_outside=config.corpus.write_outside)
        if not dry_run:
            if config.batch.engine != "local":
                engine.forget_picks()                      # ranked on workers: not recorded here
            not_written = {os.path.abspath(p) for p, _ in summary.failed}
            failed = [a.id for a in targets if a.path and not_written and os.path.abspath(a.path) in not_written]
            done = set(a.id for a in targets) - set(failed)
            engine.written(done if summary.lists != "all" else None, settings=settings, keep=failed,
                           in_place=out is None and jsonl is None)
    return summary


def _kept_row(article: Any, embed: EmbedConfig, spill: Spill) -> RowSource:
    """What a streamed run keeps of a record as it reads it: its workspace line and text, written to
    ``spill``, and its list target."""
    return row_source(article, embed, spill, ListTarget.of(article))


def list_settings(config: Config, k: int) -> str:
    """A digest of every setting that shapes a written list (ranking, ``k``, entry sizes) and of
    the ranker's code (:data:`relate.rank.REVISION`).

    When it differs from the one of the lists written last, every list is ranked again.
    """
    data = {"rank": dataclasses.asdict(config.rank), "k": k, "title": config.corpus.entry_title_chars,
            "excerpt": config.corpus.entry_excerpt_chars, "ranker": RANK_REVISION}
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def check_k(k: Any, name: str = "k") -> int:
    """``k`` as suggestions per list: a whole number, 0 or more (0 empties the lists).

    Raises:
        ConfigError: ``k`` is negative, or not a whole number (``"5"``, ``2.5``, ``True``).

    Example:
        >>> check_k(5)
        5
        >>> check_k("5")
        Traceback (most recent call last):
        ...
        relate.errors.ConfigError: k must be a whole number of suggestions (0 or more), not '5'
    """
    if isinstance(k, bool) or not isinstance(k, int):
        raise ConfigError(f"{name} must be a whole number of suggestions (0 or more), not {k!r}")
    if k < 0:
        raise ConfigError(f"{name} is {k}: it must be 0 or more (0 empties every list)")
    return k


@contextmanager
def _timed_run(summary: Summary) -> Iterator[None]:
    """Times a run and stops it cleanly on :class:`BatchStopped`, with the cyclic garbage
    collector paused (as it was again afterwards).

    What a run loads lives all run (the records, the workspace's rows, the rank table's
    facts) and holds no reference cycles: each full collection walked every one of those
    objects again to free nothing, seconds each at a million records. Objects are still
    freed as soon as they are no longer used.
    """
    t0 = time.perf_counter()
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    except BatchStopped as exc:
        summary.stopped = str(exc)
    finally:
        if collecting:
            gc.enable()
        summary.seconds["total"] = time.perf_counter() - t0
