"""The batch job: rebuild every article's ``related:`` list from a corpus, safely.

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

"encode" and "rank" are plain functions over batches (:class:`EncodeBatch`,
:class:`RankBatch`), run by a :class:`LocalRunner`, or with ``batch.engine: ray`` by
:class:`relate.ray_runner.RayRunner`, which maps the same functions over a Ray cluster's
workers (see docs/ray.md).

Example:
    >>> from relate.batch import regenerate
    >>> summary = regenerate("data/", workspace="/tmp/ws", dry_run=True)
    >>> summary.exit_code, summary.changed
    (0, ...)
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .config import Config, EmbedConfig, load_config
from .errors import ConfigError, RecordError, RelateError, WorkspaceError
from .fileio import atomic_open
from .progress import QUIET, Progress

logger = logging.getLogger(__name__)

#: Stages in the order they run (and are reported).
STAGES = ("load", "encode", "index", "rank", "write")
#: Texts encoded between two saves of the vector cache (what a killed run can lose at most).
CHECKPOINT_TEXTS = 512
#: Errors that mean the disk (or quota) is full: the run stops rather than fail file after file.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT} if hasattr(errno, "EDQUOT") else {errno.ENOSPC}
#: Fields a related entry carries only for callers, never written to a record.
_SCORE_FIELDS = ("score", "score_parts")


class BatchStopped(RelateError):
    """The run stopped before finishing (disk full, workspace in use): nothing is half written."""


# ====================================================================== summary
@dataclass
class Summary:
    """What one run did. Prints as a short report (:meth:`format`); :attr:`exit_code` for the CLI.

    Attributes:
        command: ``index`` or ``regenerate``.
        corpus: the corpus path.
        workspace: the workspace folder.
        output: where lists went: ``in place``, ``out DIR``, ``jsonl FILE`` or ``dry run``.
        records: records read (good ones).
        skipped: records that could not be read, each with path, field, line and reason.
        encoded: texts encoded in this run (0 when nothing changed).
        added: articles new to the workspace.
        removed: articles dropped from the workspace (gone from the corpus).
        selected: articles whose list was rebuilt (all, or those picked by ``since``/paths).
        written: lists written (files rewritten or lines written); 0 on a dry run.
        changed: lists whose content differs from the stored one (would differ, on a dry run).
        failed: ``(path, reason)`` of each file that could not be written; the run went on.
        seconds: wall seconds per stage, plus ``total``.
        examples: on a dry run, a few ``{path, title, before, after}`` (titles of the lists).
        stopped: why the run stopped early, if it did.
    """

    command: str
    corpus: str
    workspace: str
    output: str = ""
    records: int = 0
    skipped: list[RecordError] = field(default_factory=list)
    encoded: int = 0
    added: int = 0
    removed: int = 0
    selected: int = 0
    written: int = 0
    changed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None

    @property
    def dry_run(self) -> bool:
        return self.output == "dry run"

    @property
    def exit_code(self) -> int:
        """0: all went well; 1: records skipped or files not written (the rest done); 3: stopped."""
        if self.stopped:
            return 3
        return 1 if (self.skipped or self.failed) else 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``--json``): counts, seconds, skipped and failed files, examples."""
        return {
            "command": self.command,
            "corpus": self.corpus,
            "workspace": self.workspace,
            "output": self.output,
            "records": self.records,
            "skipped": [{"path": e.path, "field": e.field, "line": e.line, "reason": e.reason,
                         "code": getattr(e, "code", None)} for e in self.skipped],
            "encoded": self.encoded,
            "added": self.added,
            "removed": self.removed,
            "selected": self.selected,
            "written": self.written,
            "changed": self.changed,
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "examples": self.examples,
            "stopped": self.stopped,
            "exit_code": self.exit_code,
        }

    def format(self) -> str:
        """A short human-readable report."""
        lines = [f"relate {self.command}: {self.corpus}" + (f" -> {self.output}" if self.output else "")]
        rows = [("records read", self.records), ("skipped", len(self.skipped)),
                ("encoded", f"{self.encoded}  (added {self.added}, removed {self.removed})")]
        if self.command == "regenerate":
            if self.dry_run:
                rows += [("lists rebuilt", self.selected), ("lists written", "0 (dry run)"),
                         ("would change", self.changed)]
            else:
                rows += [("lists rebuilt", self.selected), ("lists written", self.written),
                         ("lists changed", self.changed)]
            if self.failed:
                rows.append(("not written", len(self.failed)))
        for name, value in rows:
            lines.append(f"  {name:<14}{value}")
        secs = "  ".join(f"{k} {self.seconds[k]:.2f}" for k in (*STAGES, "total") if k in self.seconds)
        lines.append(f"  {'seconds':<14}{secs}")
        if self.skipped:
            lines.append(f"skipped records ({len(self.skipped)}):")
            lines += [f"  {e}" for e in self.skipped[:50]]
            if len(self.skipped) > 50:
                lines.append(f"  ... and {len(self.skipped) - 50} more (see --json)")
        if self.failed:
            lines.append(f"files not written ({len(self.failed)}):")
            lines += [f"  {p}: {r}" for p, r in self.failed[:50]]
            if len(self.failed) > 50:
                lines.append(f"  ... and {len(self.failed) - 50} more (see --json)")
        for ex in self.examples:
            lines.append(f"example: {ex['title']}  ({ex['path']})")
            lines.append("  before: " + ("; ".join(ex["before"]) if ex["before"] else "(no list)"))
            lines.append("  after:  " + ("; ".join(ex["after"]) if ex["after"] else "(empty list)"))
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


# ====================================================================== stage functions
def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Splits ``items`` into consecutive slices of at most ``size``."""
    size = max(1, int(size))
    return [items[i:i + size] for i in range(0, len(items), size)]


class EncodeBatch:
    """The encode stage for one batch: texts in, ``(n, dim)`` unit vectors out.

    Picklable when built without ``encoder`` (a remote worker loads the model once, on its
    first batch).

    Args:
        cfg: the ``embed`` config section.
        encoder: an already loaded :class:`relate.embed.Encoder` to reuse (local runs).
    """

    def __init__(self, cfg: EmbedConfig, encoder: Any = None) -> None:
        self.cfg = cfg
        self._encoder = encoder

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            from .embed import Encoder

            self._encoder = Encoder(self.cfg)
        return self._encoder.encode(list(texts))

    def __getstate__(self) -> dict[str, Any]:
        return {"cfg": self.cfg, "_encoder": None}


class RankBatch:
    """The rank stage for one batch: articles in, ``{article_id: [entry, ...]}`` out.

    Entries are in the seed's related-entry shape (scores removed).

    Args:
        engine: an open :class:`relate.engine.Engine` whose workspace is up to date.
        k: suggestions per article (``None``: ``rank.k``).
        keep_scores: keep ``score``/``score_parts`` in the entries.
    """

    def __init__(self, engine: Any, k: int | None = None, keep_scores: bool = False) -> None:
        self.engine = engine
        self.k = k
        self.keep_scores = keep_scores

    def __call__(self, articles: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
        lists = self.engine.suggest_many(list(articles), k=self.k, batch_size=max(1, len(articles)))
        if not self.keep_scores:
            lists = {aid: [strip_scores(e) for e in entries] for aid, entries in lists.items()}
        return lists


class LocalRunner:
    """Runs a stage function over batches, one after another, in this process."""

    name = "local"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Yields ``fn(batch)`` for each batch, in order."""
        for batch in items:
            yield fn(batch)


def get_runner(config: Config) -> Any:
    """The runner ``batch.engine`` asks for: :class:`LocalRunner`, or a Ray runner for ``ray``.

    The Ray runner (:class:`relate.ray_runner.RayRunner`) is imported only here, so the core
    install never needs Ray; it connects to the cluster on first use.

    Raises:
        ConfigError: for an engine this version cannot run, or ``ray`` without Ray installed.
    """
    if config.batch.engine == "local":
        return LocalRunner()
    if config.batch.engine == "ray":
        try:
            from .ray_runner import RayRunner
        except ImportError as exc:
            if (exc.name or "").split(".")[0] not in ("ray", "pyarrow"):
                raise
            raise ConfigError("batch.engine 'ray' needs Ray, which is not installed here: "
                              "pip install 'relate[ray]' (or use --engine local)") from exc
        return RayRunner(config)
    raise ConfigError(f"batch.engine {config.batch.engine!r} is not available in this version of relate; "
                      "use --batch-engine local")


def strip_scores(entry: dict[str, Any]) -> dict[str, Any]:
    """A related entry without the caller-only ``score`` fields (a new dict)."""
    return {k: v for k, v in entry.items() if k not in _SCORE_FIELDS}


# ====================================================================== selection
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$", re.I)


def parse_since(text: str | date | datetime, now: datetime | None = None) -> datetime:
    """The moment ``--since`` means, as an aware UTC datetime.

    Accepts an ISO date (``2024-01-31``, midnight UTC), an ISO date-time
    (``2024-01-31T06:00:00Z``; no zone means UTC), or an age: ``36h``, ``7d``, ``2w``.

    Raises:
        ConfigError: the text is none of those.

    Example:
        >>> parse_since("2024-01-31").isoformat()
        '2024-01-31T00:00:00+00:00'
    """
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day, tzinfo=timezone.utc)
    s = str(text).strip()
    m = _RELATIVE.match(s)
    if m:
        amount, unit = float(m.group(1)), m.group(2).lower()
        delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
        return (now or datetime.now(timezone.utc)) - delta
    try:
        t = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        raise ConfigError(f"--since {text!r}: use a date (2024-01-31), a date-time (2024-01-31T06:00:00Z) "
                          "or an age (36h, 7d, 2w)") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def select(articles: Sequence[Any], since: datetime | None = None,
           paths: Sequence[str | os.PathLike] | None = None) -> list[Any]:
    """The articles that get new lists: all, or those published since ``since`` or named in ``paths``.

    An article is picked when it matches either filter. ``paths`` may hold record files
    (as given or resolved), ``webUrl``s or article ids.

    Raises:
        ConfigError: a path names no article of the corpus.
    """
    if since is None and not paths:
        return list(articles)
    picked: set[int] = set()
    if since is not None:
        for i, a in enumerate(articles):
            if a.published_at is not None and _aware(a.published_at) >= since:
                picked.add(i)
    if paths:
        by_key: dict[str, int] = {}
        for i, a in enumerate(articles):
            if a.path:
                by_key.setdefault(_path_key(a.path), i)
            by_key.setdefault(a.id, i)
            if a.url:
                by_key.setdefault(a.url, i)
        missing = []
        for p in paths:
            s = str(p)
            i = by_key.get(_path_key(s)) if not s.startswith(("http://", "https://")) else None
            if i is None:
                i = by_key.get(s)
            if i is None:
                missing.append(s)
            else:
                picked.add(i)
        if missing:
            more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
            raise ConfigError(f"not in the corpus: {', '.join(missing[:3])}{more}; give record files inside "
                              "the corpus, their webUrls or article ids")
    return [a for i, a in enumerate(articles) if i in picked]


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _path_key(p: str | os.PathLike) -> str:
    try:
        return str(Path(p).resolve())
    except OSError:
        return str(p)


# ====================================================================== the job
def resolve_workspace(workspace: str | os.PathLike | None, config: Config) -> Path:
    """The workspace folder: ``workspace``, else ``config.workspace``, else ``$RELATE_WORKSPACE``, else ``.relate``."""
    from .config import ENV_WORKSPACE

    return Path(workspace or config.workspace or os.environ.get(ENV_WORKSPACE) or ".relate")


def index(corpus: str | os.PathLike, config: Config | None = None, *, workspace: str | os.PathLike | None = None,
          progress: Progress = QUIET, wait: float | None = 0.0, rebuild: bool = False) -> Summary:
    """Builds or updates the workspace for ``corpus`` (load, encode, index).

    Args:
        corpus: a folder of record files, or a ``.jsonl``/``.json`` file.
        config: settings (``None``: :func:`relate.config.load_config`).
        workspace: the workspace folder (see :func:`resolve_workspace`).
        progress: progress display.
        wait: seconds to wait for another run holding the workspace (``None``: for ever).
        rebuild: start the workspace again (e.g. after changing the model).

    Returns:
        The :class:`Summary`; ``stopped`` is set when the run could not finish.

    Raises:
        WorkspaceLocked: another run holds the workspace after ``wait`` seconds.
        ConfigError: a setting this version cannot run.
    """
    config = config if config is not None else load_config()
    folder = resolve_workspace(workspace, config)
    summary = Summary("index", str(corpus), str(folder))
    with _timed_run(summary):
        with _locked(folder, "relate index", wait):
            get_runner(config)
            corpus_obj = _load(corpus, summary, progress)
            _update(corpus_obj, config, folder, summary, progress, rebuild=rebuild)
    return summary


def regenerate(corpus: str | os.PathLike, config: Config | None = None, *,
               workspace: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
               jsonl: str | os.PathLike | None = None, dry_run: bool = False,
               since: str | datetime | None = None, paths: Sequence[str | os.PathLike] | None = None,
               k: int | None = None, progress: Progress = QUIET, wait: float | None = 0.0,
               examples: int = 3) -> Summary:
    """Rebuilds the ``related:`` lists of a corpus.

    Args:
        corpus: a folder of record files, or a ``.jsonl``/``.json`` file.
        config: settings (``None``: :func:`relate.config.load_config`).
        workspace: the workspace folder (see :func:`resolve_workspace`).
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
    if out is not None and jsonl is not None:
        raise ConfigError("give either out (a mirror folder) or jsonl (one file), not both")
    since_t = parse_since(since) if since is not None else None
    corpus_path = Path(corpus)
    if out is not None:
        _check_out_dir(corpus_path, Path(out))
    folder = resolve_workspace(workspace, config)
    output = ("dry run" if dry_run else f"out {out}" if out is not None
              else f"jsonl {jsonl}" if jsonl is not None else "in place")
    summary = Summary("regenerate", str(corpus), str(folder), output=output)
    with _timed_run(summary):
        with _locked(folder, "relate regenerate", wait, create=not dry_run):
            get_runner(config)  # an engine this version cannot run is an error before any work
            corpus_obj = _load(corpus, summary, progress)
            targets = select(corpus_obj.articles, since_t, paths)  # a bad path too
            summary.selected = len(targets)
            with _scratch_workspace(folder, dry_run) as work_folder:
                engine = _update(corpus_obj, config, work_folder, summary, progress)
                lists = _rank(engine, targets, config, k, progress, summary)
            # Still under the lock: two runs must not write the same records at once either.
            if dry_run:
                _dry_run(corpus_obj, targets, lists, summary, examples, progress)
            elif jsonl is not None:
                _write_jsonl(Path(jsonl), targets, lists, summary, progress)
            else:
                root = corpus_path if corpus_path.is_dir() else corpus_path.parent
                _write_records(corpus_obj, targets, lists, root, None if out is None else Path(out), summary,
                               progress, folder)
    return summary


# ---------------------------------------------------------------------- internals: run
@contextmanager
def _timed_run(summary: Summary) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    except BatchStopped as exc:
        summary.stopped = str(exc)
    finally:
        summary.seconds["total"] = time.perf_counter() - t0


@contextmanager
def _locked(folder: Path, command: str, wait: float | None, create: bool = True) -> Iterator[None]:
    from .lock import WorkspaceLock

    if not create and not folder.is_dir():
        yield  # a dry run on a workspace that does not exist yet: nothing to protect, nothing created
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"{folder}: cannot create the workspace folder: {exc.strerror or exc}") from exc
    with WorkspaceLock(folder, timeout=wait, command=f"{command} (pid {os.getpid()})"):
        for sub in (folder, folder / "vectors"):
            sweep_temp_files(sub)
        yield


#: A temporary file of an atomic write (``.<name>.<8 random chars>.tmp``), left by a killed run.
_TEMP_FILE = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")


def sweep_temp_files(folder: Path, names: Iterable[str] | None = None) -> int:
    """Removes temporary files that a killed run left in ``folder``; returns how many.

    Only files named like relate's atomic writes go, and with ``names`` only those of these
    files (``.a.md.x1y2z3w4.tmp`` for ``a.md``). Call it while holding the workspace lock.
    """
    wanted = None if names is None else set(names)
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        m = _TEMP_FILE.match(entry.name)
        if m is None or (wanted is not None and m.group("name") not in wanted):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    if removed:
        logger.info("removed %d temporary file(s) left in %s by an interrupted run", removed, folder)
    return removed


def _sweep_record_folders(paths: Iterable[Any]) -> None:
    by_folder: dict[str, set[str]] = {}
    for p in paths:
        if p:
            folder, name = os.path.split(str(p))
            by_folder.setdefault(folder or ".", set()).add(name)
    for folder, names in by_folder.items():
        sweep_temp_files(Path(folder), names)


@contextmanager
def _scratch_workspace(folder: Path, dry_run: bool) -> Iterator[Path]:
    """The workspace itself, or (dry run) a throwaway copy of it, so the real one is not written.

    The copy is made of hard links where the file system allows: relate replaces workspace
    files by renaming, never by writing into them, so the originals cannot change.
    """
    if not dry_run:
        yield folder
        return
    tmp = Path(tempfile.mkdtemp(prefix="relate-dry-run-"))
    try:
        if folder.is_dir():
            _link_tree(folder, tmp)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _link_tree(src: Path, dst: Path) -> None:
    from .lock import LOCK_NAME

    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if rel.name == LOCK_NAME and len(rel.parts) == 1:
            continue
        target = dst / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def _load(corpus: Any, summary: Summary, progress: Progress):
    """The load stage: the corpus's good records and the skipped ones."""
    from .articles import read_corpus

    t = time.perf_counter()
    with progress.stage("load", unit="file") as bar:
        corpus_obj = read_corpus(corpus)
        bar.set_total(len(corpus_obj.articles) + len(corpus_obj.skipped))
        bar.update(len(corpus_obj.articles) + len(corpus_obj.skipped))
    summary.seconds["load"] = time.perf_counter() - t
    summary.records = len(corpus_obj.articles)
    summary.skipped = list(corpus_obj.skipped)
    return corpus_obj


def _update(corpus_obj: Any, config: Config, folder: Path, summary: Summary, progress: Progress,
            rebuild: bool = False):
    """The encode and index stages: the workspace brought up to date with the corpus."""
    from .engine import Engine

    runner = get_runner(config)
    t = time.perf_counter()
    if rebuild:
        from .engine import _clear

        _clear(folder)
    engine = Engine(folder, config)
    try:
        summary.encoded = encode_new(engine, corpus_obj.articles, runner, progress)
    except OSError as exc:
        _stop_if_disk_full(exc, folder)
        raise WorkspaceError(f"{folder}: cannot save encoded vectors: {exc.strerror or exc}") from exc
    summary.seconds["encode"] = time.perf_counter() - t

    t = time.perf_counter()
    with progress.stage("index", total=len(corpus_obj.articles)) as bar:
        try:
            stats = engine.update(corpus_obj, progress=False)
        except OSError as exc:
            _stop_if_disk_full(exc, folder)
            raise WorkspaceError(f"{folder}: cannot write the workspace: {exc.strerror or exc}") from exc
        bar.update(len(corpus_obj.articles))
    summary.seconds["index"] = time.perf_counter() - t
    summary.encoded += int(stats.get("encoded", 0))
    summary.added = int(stats.get("added", 0))
    summary.removed = int(stats.get("removed", 0))
    return engine


def encode_new(engine: Any, articles: Sequence[Any], runner: LocalRunner | None = None,
               progress: Progress = QUIET, checkpoint: int = CHECKPOINT_TEXTS) -> int:
    """Encodes the texts of ``articles`` that the workspace has no vector for, saving as it goes.

    Texts already indexed or in the vector cache are not encoded again; the cache is saved
    after every ``checkpoint`` texts, so a run killed part-way loses at most that many.

    Returns:
        How many texts were encoded.
    """
    from .embed import VectorCache, article_text, text_key

    cfg = engine.config.embed
    known = set(engine.keys)
    todo: dict[str, str] = {}
    for a in articles:
        text = article_text(a.title, a.excerpt, cfg)
        key = text_key(text)
        if key not in known:
            todo.setdefault(key, text)
    pending: list[tuple[str, str]] = []
    if todo:
        cache = VectorCache(Path(engine.folder) / "vectors", engine.encoder.id)
        pending = sorted(((k, t) for k, t in todo.items() if k not in cache), key=lambda kt: len(kt[1]))
    if not pending:
        with progress.stage("encode", total=0, unit="text") as bar:
            bar.note("nothing new to encode")
        return 0
    runner = runner or LocalRunner()
    encode = EncodeBatch(cfg, encoder=engine.encoder)
    # A remote runner may encode in batches of its own size, and save less often (it streams
    # results from many workers; each save rewrites the cache file). Locally: both ``checkpoint``.
    chunks = batches(pending, getattr(runner, "encode_batch", None) or checkpoint)
    save_every = max(checkpoint, getattr(runner, "save_every", 0))
    unsaved = 0
    with progress.stage("encode", total=len(pending), unit="text") as bar:
        for chunk, vecs in zip(chunks, runner.map(encode, ([t for _, t in c] for c in chunks))):
            cache.add([k for k, _ in chunk], vecs)
            unsaved += len(chunk)
            if unsaved >= save_every:
                cache.save()
                unsaved = 0
            bar.update(len(chunk))
        if unsaved:
            cache.save()
    return len(pending)


def _rank(engine: Any, targets: list[Any], config: Config, k: int | None, progress: Progress,
          summary: Summary) -> dict[str, list[dict[str, Any]]]:
    t = time.perf_counter()
    lists: dict[str, list[dict[str, Any]]] = {}
    if targets:
        runner = get_runner(config)
        rank = RankBatch(engine, k=k)
        with progress.stage("rank", total=len(targets)) as bar:
            chunks = batches(targets, config.batch.search_batch)
            for chunk, result in zip(chunks, runner.map(rank, chunks)):
                lists.update(result)
                bar.update(len(chunk))
    summary.seconds["rank"] = time.perf_counter() - t
    return lists


# ---------------------------------------------------------------------- internals: outputs
def _stop_if_disk_full(exc: OSError, path: Any) -> None:
    if exc.errno in _DISK_FULL:
        raise BatchStopped(f"disk full while writing {path}: {exc.strerror}. Nothing is half written; "
                           "free some space and run again to finish") from exc


def _disk_full(exc: BaseException | None) -> bool:
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL


def _io_reason(exc: BaseException) -> str:
    if isinstance(exc, RecordError):
        return exc.reason
    if isinstance(exc, FileNotFoundError):
        return "the file vanished during the run; it was not recreated"
    if isinstance(exc, PermissionError):
        return "permission denied; the file or its folder is read-only"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _check_out_dir(corpus: Path, out: Path) -> None:
    c, o = corpus.resolve(), out.resolve()
    if not corpus.is_dir():  # one .jsonl/.json file: only its own folder would overwrite it
        if o == c.parent:
            raise ConfigError(f"--out {out}: that is the corpus file's own folder; leave --out out to "
                              "rewrite the file in place, or choose another folder")
        return
    root = c
    if o == root or root in o.parents:
        raise ConfigError(f"--out {out}: the mirror folder must not be the corpus folder or inside it "
                          "(its copies would be read as records next time); choose a folder elsewhere")


def _is_json_file(path: Any) -> bool:
    return str(path or "").lower().endswith((".jsonl", ".json"))


def _record_failure(summary: Summary, path: Any, exc: BaseException, stop_at: Any) -> None:
    """Notes a file that could not be written; a full disk stops the run instead."""
    if isinstance(exc, OSError):
        _stop_if_disk_full(exc, stop_at)
    reason = _io_reason(exc)
    summary.failed.append((str(path), reason))
    logger.warning("%s: not written: %s", path, reason)


def _write_records(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], root: Path,
                   out: Path | None, summary: Summary, progress: Progress, workspace: Path) -> None:
    t = time.perf_counter()
    files = [a.path for a in corpus_obj.articles] + [e.path for e in corpus_obj.skipped]
    if out is None:
        _sweep_record_folders(files)
    else:
        _sweep_record_folders(out / _relative(Path(p), root) for p in files if p)
    try:
        if any(_is_json_file(a.path) for a in corpus_obj.articles):
            _write_json_corpus(corpus_obj, targets, lists, out, root, summary, progress)
        elif out is None:
            ledger = WriteLedger(workspace / LEDGER_NAME)
            try:
                _write_in_place(targets, lists, summary, progress, ledger)
            finally:
                ledger.save()
        else:
            _write_mirror(corpus_obj, targets, lists, root, out, summary, progress)
    finally:
        summary.seconds["write"] = time.perf_counter() - t


#: Files written at once. Each write ends with fsync calls that mostly wait on the disk, so a
#: few threads overlap them (about 7x faster on the development machine's disk).
WRITE_THREADS = 8
#: Name of the write ledger inside the workspace.
LEDGER_NAME = "written.json"


def _each_in_threads(items: Sequence[Any], fn: Callable[[Any], Any], stop: Callable[[], bool] = lambda: False,
                     threads: int = WRITE_THREADS) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """Yields ``(item, fn(item), None)`` or ``(item, None, error)`` as each call finishes.

    At most ``threads`` calls run at once, and only a few more are queued. Once ``stop()`` is
    true no new call starts; those already started still finish (and are yielded). When the
    consumer breaks off (Ctrl-C), the running calls finish their (atomic) writes. Errors other
    than ``OSError``/``RecordError`` are raised.
    """
    if threads <= 1 or len(items) <= 1:
        for item in items:
            if stop():
                return
            try:
                yield item, fn(item), None
            except (OSError, RecordError) as exc:
                yield item, None, exc
        return
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="relate-write")
    queue = iter(items)
    running: dict[Any, Any] = {}

    def submit(n: int) -> None:
        if stop():
            return
        for item in queue:
            running[pool.submit(fn, item)] = item
            n -= 1
            if n <= 0:
                return

    try:
        submit(threads * 2)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                item = running.pop(fut)
                exc = fut.exception()
                if exc is not None and not isinstance(exc, (OSError, RecordError)):
                    raise exc
                yield item, (None if exc is not None else fut.result()), exc
                submit(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class WriteLedger:
    """What the last runs wrote into each record file, so that an unchanged file need not be read.

    One row per file: its size, modification and change times and inode just after relate
    wrote (or checked) it, and a digest of the list it holds. A file whose stat is still the
    same, and whose new list has the same digest, already holds exactly that list; any other
    file is read and checked as usual. Kept as JSON in the workspace; losing it only costs time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, list] = {}
        self.dirty = False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == 1 and isinstance(data.get("files"), dict):
                self.rows = data["files"]
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            logger.info("ignoring the write ledger %s: %s", path, exc)

    @staticmethod
    def digest(entries: list[dict[str, Any]]) -> str:
        import hashlib

        return hashlib.sha1(_canonical([strip_scores(e) for e in entries]).encode("utf-8")).hexdigest()[:20]

    @staticmethod
    def _stat(path: str) -> list[int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]

    def holds(self, path: str, digest: str) -> bool:
        """Whether ``path`` is untouched since relate wrote ``digest``'s list into it."""
        row = self.rows.get(os.path.abspath(path))
        if row is None or row[4] != digest:
            return False
        return self._stat(path) == row[:4]

    def record(self, path: str, digest: str) -> None:
        """Notes that ``path`` now holds the list of ``digest`` (call right after writing or checking)."""
        st = self._stat(path)
        key = os.path.abspath(path)
        if st is None:
            self.dirty |= self.rows.pop(key, None) is not None
            return
        self.rows[key] = [*st, digest]
        self.dirty = True

    def forget(self, path: str) -> None:
        self.dirty |= self.rows.pop(os.path.abspath(path), None) is not None

    def save(self) -> None:
        """Writes the ledger atomically (failures are only logged: it is a cache)."""
        if not self.dirty:
            return
        from .fileio import atomic_write_bytes

        self.rows = {k: v for k, v in self.rows.items() if os.path.exists(k)}  # files gone since
        try:
            atomic_write_bytes(self.path, json.dumps({"format": 1, "files": self.rows}).encode("utf-8"))
            self.dirty = False
        except OSError as exc:
            logger.warning("cannot save the write ledger %s: %s", self.path, exc)


def _write_in_place(targets: list[Any], lists: dict[str, list[dict]], summary: Summary,
                    progress: Progress, ledger: WriteLedger | None = None) -> None:
    from . import articles

    jobs = []
    with progress.stage("write", total=sum(1 for a in targets if a.path), unit="file") as bar:
        for a in targets:
            if not a.path:
                continue
            entries = lists.get(a.id, [])
            digest = WriteLedger.digest(entries) if ledger is not None else ""
            if ledger is not None and ledger.holds(a.path, digest):
                summary.written += 1  # checked: it already holds exactly this list
                bar.update(1)
                continue
            jobs.append((a.path, entries, digest))

        def write(job):
            return articles.write_related(job[0], job[1])

        full: list[OSError] = []
        for (path, _, digest), changed, exc in _each_in_threads(jobs, write, stop=lambda: bool(full)):
            if _disk_full(exc):
                full.append(exc)  # let the writes already started finish, start no more
                bar.update(1)
                continue
            if exc is not None:
                if ledger is not None:
                    ledger.forget(path)
                _record_failure(summary, path, exc, path)
            else:
                summary.written += 1
                summary.changed += bool(changed)
                if ledger is not None:
                    ledger.record(path, digest)
            bar.update(1)
    if full:
        _stop_if_disk_full(full[0], full[0].filename or "a record file")


def _write_mirror(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], root: Path, out: Path,
                  summary: Summary, progress: Progress) -> None:
    """Every record file (and every skipped one, as it is) copied below ``out``, selected ones with new lists.

    A mirror file that already holds the right bytes is not touched.
    """
    from . import articles
    from .fileio import atomic_write_bytes

    target_ids = {a.id for a in targets}
    files: dict[str, Any] = {}
    for a in corpus_obj.articles:
        if a.path:
            files[str(a.path)] = a if a.id in target_ids else None
    for err in corpus_obj.skipped:
        if err.path and Path(err.path).is_file():
            files.setdefault(str(err.path), None)

    def mirror(job) -> bool | None:
        name, a = job
        src = Path(name)
        dst = out / _relative(src, root)
        data = src.read_bytes()
        new = data if a is None else articles.replace_related(data, lists.get(a.id, []), src)
        try:
            same = dst.read_bytes() == new
        except FileNotFoundError:
            same = False
        if not same:
            dst.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(dst, new, mode=src.stat().st_mode & 0o7777)
        return None if a is None else new != data

    full: list[OSError] = []
    with progress.stage("write", total=len(files), unit="file") as bar:
        for (name, a), changed, exc in _each_in_threads(list(files.items()), mirror, stop=lambda: bool(full)):
            if _disk_full(exc):
                full.append(exc)
                continue
            if exc is not None:
                _record_failure(summary, name, exc, out)
            elif a is not None:
                summary.written += 1
                summary.changed += bool(changed)
            bar.update(1)
    if full:
        _stop_if_disk_full(full[0], out)


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return Path(path.name)


def _write_jsonl(path: Path, targets: list[Any], lists: dict[str, list[dict]], summary: Summary,
                 progress: Progress) -> None:
    """One ``{"webUrl": ..., "related": [...]}`` line per target, written atomically."""
    t = time.perf_counter()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_temp_files(path.parent, [path.name])
        changed = 0
        with atomic_open(path, "w") as fh, progress.stage("write", total=len(targets), unit="list") as bar:
            for a in targets:
                entries = lists.get(a.id, [])
                fh.write(json.dumps({"webUrl": a.url, "related": entries}, ensure_ascii=False,
                                    default=_json_default) + "\n")
                changed += not same_urls(_stored_urls(a), entries)
                bar.update(1)
        summary.written, summary.changed = len(targets), changed
    except OSError as exc:
        _record_failure(summary, path, exc, path)
    finally:
        summary.seconds["write"] = time.perf_counter() - t


def _write_json_corpus(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], out: Path | None,
                       root: Path, summary: Summary, progress: Progress) -> None:
    """A ``.jsonl``/``.json`` corpus: each file is rewritten whole (atomically) with the new lists."""
    from .articles import article_id
    from .fileio import atomic_write_bytes

    by_id = {a.id: a for a in targets}
    files = sorted({str(a.path) for a in corpus_obj.articles if a.path}
                   | {str(e.path) for e in corpus_obj.skipped if e.path and Path(e.path).is_file()})
    with progress.stage("write", total=len(targets), unit="list") as bar:
        for name in files:
            src = Path(name)
            dst = src if out is None else out / _relative(src, root)
            try:
                text = src.read_text(encoding="utf-8-sig")
                lines = text.splitlines() if src.suffix.lower() == ".jsonl" else None
                if lines is not None:
                    new_lines, written, changed = [], 0, 0
                    for line in lines:
                        rec = _json_or_none(line)
                        a = by_id.get(article_id(_rec_url(rec))) if isinstance(rec, dict) else None
                        if a is None:
                            new_lines.append(line)  # blank, bad or not selected: kept as it is
                            continue
                        entries = lists.get(a.id, [])
                        changed += not same_list(rec.get("related"), entries)
                        rec["related"] = entries
                        new_lines.append(json.dumps(rec, ensure_ascii=False, default=_json_default))
                        written += 1
                    new = "\n".join(new_lines) + "\n"
                else:
                    values = json.loads(text)
                    items = values if isinstance(values, list) else [values]
                    written = changed = 0
                    for rec in items:
                        a = by_id.get(article_id(_rec_url(rec))) if isinstance(rec, dict) else None
                        if a is None:
                            continue
                        entries = lists.get(a.id, [])
                        changed += not same_list(rec.get("related"), entries)
                        rec["related"] = entries
                        written += 1
                    new = json.dumps(values, ensure_ascii=False, indent=2, default=_json_default) + "\n"
                try:
                    same = dst.read_text(encoding="utf-8") == new
                except FileNotFoundError:
                    same = False
                if not same:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_bytes(dst, new.encode("utf-8"))
                summary.written += written
                summary.changed += changed
                bar.update(written)
            except (OSError, ValueError) as exc:
                _record_failure(summary, src, exc, dst)


def _json_or_none(line: str) -> Any:
    try:
        return json.loads(line) if line.strip() else None
    except ValueError:
        return None


def _rec_url(rec: Any) -> str:
    if not isinstance(rec, dict):
        return ""
    url = rec.get("webUrl") or rec.get("originalUrl") or ""
    return url if isinstance(url, str) else ""


def _dry_run(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], summary: Summary,
             examples: int, progress: Progress) -> None:
    """Counts the lists that would change (exactly as an in-place run would) and keeps a few examples."""
    from . import articles

    t = time.perf_counter()
    titles = _titles_by_url(corpus_obj.articles)
    with progress.stage("write", total=len(targets), unit="list") as bar:
        for a in targets:
            entries = lists.get(a.id, [])
            if a.path and not _is_json_file(a.path):
                try:
                    data = Path(a.path).read_bytes()
                    changed = articles.replace_related(data, entries, a.path) != data
                except (OSError, RecordError) as exc:
                    _record_failure(summary, a.path, exc, a.path)
                    bar.update(1)
                    continue
            else:
                changed = not same_urls(_stored_urls(a), entries)
            if changed:
                summary.changed += 1
                if len(summary.examples) < examples:
                    from .articles import url_key

                    summary.examples.append({
                        "path": str(a.path or a.url),
                        "title": a.title,
                        "before": [titles.get(url_key(u), u) for u in _stored_urls(a)],
                        "after": [str(e.get("title", e.get("webUrl", "?"))) for e in entries],
                    })
            bar.update(1)
    summary.seconds["write"] = time.perf_counter() - t


def _titles_by_url(articles: Iterable[Any]) -> dict[str, str]:
    from .articles import url_key

    out: dict[str, str] = {}
    for a in articles:
        for u in a.urls:
            out.setdefault(url_key(u), a.title)
    return out


# ---------------------------------------------------------------------- internals: comparing lists
def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        from .articles import format_time

        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)


def _canonical(entries: Any) -> str:
    return json.dumps(entries, ensure_ascii=False, sort_keys=True, default=_json_default)


def _stored_urls(article: Any) -> list[str]:
    if article.related is not None:
        return [e.get("webUrl") for e in article.related if isinstance(e, dict) and e.get("webUrl")]
    return list(article.related_urls or [])


def same_urls(old_urls: Sequence[str], new: list[dict[str, Any]]) -> bool:
    """Whether a stored list points at the same pages, in the same order, as ``new``."""
    from .articles import url_key

    return [url_key(u) for u in old_urls] == [url_key(e.get("webUrl") or "") for e in new]


def same_list(old: Any, new: list[dict[str, Any]]) -> bool:
    """Whether a stored related list (as loaded from a file) holds the same entries as ``new``.

    ``None`` (no list at all) equals an empty list; dates compare by their ``Z`` form.
    """
    old = old or []
    if len(old) != len(new):
        return False
    return _canonical(list(old)) == _canonical([strip_scores(e) for e in new])
