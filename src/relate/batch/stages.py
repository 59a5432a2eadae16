"""The batch job's stages: load, encode, index (update), rank, and which articles get new lists.

Each stage is timed into the run's :class:`~relate.batch.summary.Summary` and drawn as one
progress bar. "encode" and "rank" map :class:`~relate.batch.runners.EncodeBatch` and
:class:`~relate.batch.runners.RankBatch` over batches with the configured runner.

Example:
    >>> parse_since("2024-01-31").isoformat()
    '2024-01-31T00:00:00+00:00'
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..config import Config
from ..corpus import Corpus, read_corpus
from ..corpus.jsonl import Known
from ..embed import VectorCache, encode_cached
from ..engine import Engine
from ..engine.sources import corpus_texts
from ..errors import ConfigError, WorkspaceError
from ..progress import QUIET, Progress
from ..workspace import FileLines, Workspace
from .runners import (
    CHECKPOINT_TEXTS,
    EncodeBatch,
    ForkRunner,
    LocalRunner,
    RankBatch,
    RankBatchWithPicks,
    batches,
    get_runner,
    rank_workers,
)
from .summary import BatchStopped, Summary, stop_if_disk_full

# ====================================================================== selection
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$", re.IGNORECASE)


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


# ====================================================================== stages
def load(corpus: Any, summary: Summary, progress: Progress, config: Config | None = None,
         known: Known | None = None, keep: Callable[[Any], Any] | None = None) -> Corpus:
    """The load stage: the corpus's good records and the skipped ones (``known``: the lines of a
    ``.jsonl`` corpus the workspace holds, left unparsed: :meth:`relate.engine.Engine.known_lines`;
    ``keep``: what to keep of each record of a ``.jsonl`` corpus, the record let go as it is read).

    Raises:
        BatchStopped: there is no good record at all (an empty folder, only bad records):
            nothing to index; the summary lists what was skipped and why.
    """
    t = time.perf_counter()
    with progress.stage("load", unit="file") as bar:
        corpus_obj = read_corpus(corpus, config=None if config is None else config.corpus, known=known, keep=keep)
        bar.set_total(len(corpus_obj.articles) + len(corpus_obj.skipped))
        bar.update(len(corpus_obj.articles) + len(corpus_obj.skipped))
    summary.seconds["load"] = time.perf_counter() - t
    summary.records = len(corpus_obj.articles)
    summary.skipped = list(corpus_obj.skipped)
    if not corpus_obj.articles:
        files = corpus_obj.stats.get("files", 0)
        what = (f"none of its {files} record file(s) could be read (see the skipped records)" if files
                else "it holds no record files (see corpus.files, corpus.include and corpus.exclude)")
        summary.nothing_to_index = True
        raise BatchStopped(f"nothing to index: {what}")
    return corpus_obj


def open_for_lines(corpus: Path, config: Config, workspace: Workspace, encoder: Any = None) -> Engine | None:
    """The workspace opened before a ``.jsonl`` corpus is read, so that the lines it holds need
    not be parsed (see :meth:`relate.engine.Engine.known_lines`); ``None`` for other corpora."""
    if corpus.suffix.lower() != ".jsonl" or not corpus.is_file():
        return None
    return Engine(workspace, config, encoder=encoder)


def update(corpus_obj: Corpus, config: Config, workspace: Workspace, summary: Summary, progress: Progress,
           rebuild: bool = False, encoder: Any = None, refit: bool | None = None,
           keep_records: bool = True, engine: Engine | None = None) -> Engine:
    """The encode and index stages: the workspace brought up to date with the corpus.

    Only what changed is redone unless the corpus statistics are refitted (``refit``; see
    :meth:`relate.engine.Engine.update`); ``summary.refit`` says which happened.
    ``keep_records=False``: ``corpus_obj.articles`` is emptied as soon as the workspace holds
    what it needs of the records (for a run that writes JSONL and needs only their ids).
    ``engine``: the workspace already opened (else it is opened here).
    """
    runner = get_runner(config)
    folder = workspace.folder
    t = time.perf_counter()
    if rebuild:
        workspace.clear()
    engine = engine if engine is not None else Engine(workspace, config, encoder=encoder)
    try:
        texts = texts_of(corpus_obj.articles, engine.config.embed)
        summary.encoded = encode(engine, corpus_obj.articles, runner, progress, texts=texts)
    except OSError as exc:
        stop_if_disk_full(exc, folder)
        raise WorkspaceError(f"{folder}: cannot save encoded vectors: {exc.strerror or exc}") from exc
    summary.seconds["encode"] = time.perf_counter() - t

    t, n = time.perf_counter(), len(corpus_obj.articles)
    with progress.stage("index", total=n) as bar:
        try:
            stats = engine.update(corpus_obj, progress=False, refit=refit, texts=texts, keep_records=keep_records)
        except OSError as exc:
            stop_if_disk_full(exc, folder)
            raise WorkspaceError(f"{folder}: cannot write the workspace: {exc.strerror or exc}") from exc
        bar.update(n)
    summary.seconds["index"] = time.perf_counter() - t
    summary.encoded += int(stats.get("encoded", 0))
    summary.added = int(stats.get("added", 0))
    summary.removed = int(stats.get("removed", 0))
    summary.refit = bool(stats.get("refit"))
    return engine


def encode(engine: Engine, articles: Sequence[Any], runner: Any = None, progress: Progress = QUIET,
           checkpoint: int = CHECKPOINT_TEXTS, texts: Sequence[str] | None = None) -> int:
    """Encodes the texts of ``articles`` that the workspace has no vector for, saving as it goes.

    Through :func:`relate.embed.encode_cached`, the one encode path: texts already indexed
    or in the vector cache are not encoded again; the rest, sorted by length, go to the
    runner in chunks of ``checkpoint`` texts (or the runner's ``encode_batch``), and the
    cache is saved after every ``checkpoint`` texts (or the runner's ``save_every``), so a
    run killed part-way loses at most that many.

    ``texts``: the articles' texts (:func:`relate.text.article_text`), when already made.

    Returns:
        How many texts were encoded.
    """
    cfg = engine.config.embed
    runner = runner or LocalRunner()
    fn = EncodeBatch(cfg, encoder=engine.encoder)
    # A remote runner may encode in batches of its own size, and save less often (it streams
    # results from many workers; each save rewrites the cache file). Locally: both ``checkpoint``.
    chunk = getattr(runner, "encode_batch", None) or checkpoint
    save_every = max(checkpoint, getattr(runner, "save_every", 0))
    texts = texts_of(articles, cfg) if texts is None else texts
    texts = texts.present() if isinstance(texts, FileLines) else [t for t in texts if t is not None]
    cache = VectorCache(engine.workspace.vector_cache, engine.encoder.id)
    with progress.stage("encode", unit="text") as bar:
        def start(n: int) -> None:
            bar.set_total(n)
            if not n:
                bar.note("nothing new to encode")

        _, encoded = encode_cached(engine.encoder, texts, cache, chunk=chunk, skip=set(engine.keys),
                                   save_every=save_every, encode_chunks=lambda chunks: runner.map(fn, chunks),
                                   on_start=start, on_chunk=bar.update)
    return encoded


def texts_of(articles: Sequence[Any], cfg: Any) -> Sequence[str | None]:
    """Each record's :func:`relate.text.article_text` (``None`` for an unchanged ``.jsonl`` line:
    the workspace has its vector; a record let go as it was read: the one made then, read back
    from its spill when asked): :func:`relate.engine.sources.corpus_texts`."""
    return corpus_texts(articles, cfg)


def rank(engine: Engine, targets: list[Any], config: Config, k: int | None, progress: Progress,
         summary: Summary) -> dict[str, list[dict[str, Any]]]:
    """The rank stage: the related list of each target, a batch of FAISS searches at a time."""
    return {a.id: entries for a, entries in rank_stream(engine, targets, config, k, progress, summary)}


def rank_stream(engine: Engine, targets: list[Any], config: Config, k: int | None, progress: Progress,
                summary: Summary) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """The rank stage as a stream: ``(article, entries)`` per target, in order, one batch at a
    time, so a writer can take each list as it comes and no run holds every list at once.

    ``summary.seconds["rank"]`` counts the time spent ranking only.
    """
    summary.seconds["rank"] = 0.0
    if not targets:
        return
    runner, workers = get_runner(config), rank_workers(config)
    if workers > 1:     # forked workers rank; the lists they record come back with their results
        runner, fn = ForkRunner(workers), RankBatchWithPicks(engine, k=k)
    else:
        fn = RankBatch(engine, k=k)
    with progress.stage("rank", total=len(targets)) as bar:
        chunks = batches(targets, config.batch.search_batch)
        results = iter(runner.map(fn, chunks))
        for chunk in chunks:
            t = time.perf_counter()
            result = next(results)
            if workers > 1:
                result, ranked = result
                engine.keep_picks(ranked, k if k is not None else config.rank.k)
            summary.seconds["rank"] += time.perf_counter() - t
            bar.update(len(chunk))
            for a in chunk:
                yield a, result.get(a.id, [])
