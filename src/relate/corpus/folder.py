"""Corpora: walk a folder (or read a JSON file) into a :class:`Corpus`, skipping bad records with why.

Example:
    >>> corpus = read_corpus([{"title": "A", "webUrl": "https://e.com/a"}, {"title": "B"}])
    >>> [a.title for a in corpus], corpus.summary()["reasons"]
    (['A'], {'missing-url': 1})
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import CorpusConfig
from ..errors import RecordError
from ..records import Article, record_error
from .cache import RecordCache, code_version
from .files import FileRules, LinkInfo, address_from_path, walk
from .jsonl import JSON_SUFFIXES, Kept, Known, Unchanged, json_records, jsonl_items, parse_line, reread
from .read import article_from_bytes, as_article, read_bytes

__all__ = ["RECORD_SUFFIXES", "Corpus", "as_articles", "read_corpus"]

logger = logging.getLogger(__name__)

#: File name endings read as front-matter records inside a corpus folder by default
#: (``corpus.files`` in the config chooses; see :class:`relate.config.CorpusConfig`).
RECORD_SUFFIXES = (".md", ".markdown", ".html")


@dataclass
class Corpus:
    """The records of a corpus, and those that were skipped, with why.

    Attributes:
        articles: the good records, sorted by path for folders, in file order for ``.jsonl``;
            of several records with the same id only one is here, chosen by :func:`keep_rank`
            (the newest, then the one with the most fields, then a real file over a link,
            then the first in path order).
        skipped: one :class:`RecordError` per bad record or duplicate id; ``error.code`` is a
            short reason (``invalid-yaml``, ``duplicate-id``...; see ``docs/records.md``).
        root: the folder or file the corpus came from.
        stats: how the load went: ``files``, ``parsed``, ``cached``, ``seconds``, ``cache``.
        links: the record files reached through symbolic links, inside or outside the folder.
        sources: for a ``.jsonl`` file, the digest of the line each record was read from, by
            article id (:func:`relate.corpus.jsonl.line_digest`, salted by :func:`line_salt`).
            With ``known`` (see :func:`read_corpus`), ``articles`` holds an
            :class:`~relate.corpus.jsonl.Unchanged` for each line the caller already holds;
            :meth:`parsed` reads them when they are needed.

    Example:
        >>> corpus = read_corpus("../shared/corpora/azure")
        >>> len(corpus), corpus.summary()["skipped"]
        (4943, 15)
    """

    articles: list[Article] = field(default_factory=list)
    skipped: list[RecordError] = field(default_factory=list)
    root: str | None = None
    stats: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    links: LinkInfo = field(default_factory=LinkInfo, repr=False, compare=False)
    sources: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def parsed(self, items: Iterable[Any]) -> Iterator[Any]:
        """``items`` (from :attr:`articles`) one by one, each :class:`Unchanged` line read and parsed now.

        Raises:
            RecordError: an unchanged line no longer reads the same (the file changed since),
                or no longer gives a good record.
        """
        items = list(items)
        lines = [x for x in items if isinstance(x, Unchanged)]
        read = reread(self.root, lines, line_salt(self.root)) if lines else iter(())
        for x in items:
            if isinstance(x, Unchanged):
                x = next(read)
                if isinstance(x, RecordError):
                    raise x
            yield x

    def __len__(self) -> int:
        return len(self.articles)

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def summary(self) -> dict[str, Any]:
        """Counts: ``{"articles": n, "skipped": m, "reasons": {code: count}}``."""
        reasons = Counter(getattr(e, "code", None) or "error" for e in self.skipped)
        return {"articles": len(self.articles), "skipped": len(self.skipped),
                "reasons": dict(reasons.most_common())}


def keep_rank(a: Article, links: LinkInfo | None = None) -> tuple:
    """How a copy of a duplicated record ranks (the smallest is kept): the documented duplicate rule.

    The newest ``publishedDateTime`` first (none counts as the oldest), then the copy with
    the most front-matter fields, then a real file over a symbolic link; the first in path
    order (file order for ``.jsonl``) breaks the remaining ties.
    """
    t = a.published_at
    newest = -t.timestamp() if t is not None else float("inf")
    is_link = links is not None and a.path is not None and (a.path in links.inside or a.path in links.outside)
    fields = a.fields if type(a) is Kept else len(a.key_order)
    return (newest, -fields, is_link)


def _assemble(items: Iterable[Article | RecordError], root: str | None,
              stats: dict[str, Any], links: LinkInfo | None = None) -> Corpus:
    skipped: list[RecordError] = []
    good: list[Article] = []
    groups: dict[str, list[Article]] = {}
    for item in items:
        if isinstance(item, RecordError):
            skipped.append(_without_frames(item))
            logger.debug("skipped %s", item)
            continue
        good.append(item)
        groups.setdefault(item.id, []).append(item)
    kept: set[int] = set()
    for copies in groups.values():
        if len(copies) == 1:
            kept.add(id(copies[0]))
            continue
        best = min(copies, key=lambda a: keep_rank(a, links))  # min is stable: path order breaks ties
        kept.add(id(best))
        for other in copies:
            if other is best:
                continue
            key = "webUrl" if other.web_url else "originalUrl" if other.original_url else "address"
            skipped.append(record_error(
                "duplicate-id", f"same id {other.id} as {best.path or 'another record'} ({key} "
                f"{other.url}); that copy was kept ({_why_kept(best, other, links)})", other.path, key))
    articles = [a for a in good if id(a) in kept]
    corpus = Corpus(articles, skipped, root, stats, links or LinkInfo())
    logger.info("read %d records from %s, skipped %d", len(articles), root, len(skipped))
    return corpus


def _without_frames(exc: RecordError) -> RecordError:
    """``exc`` without its traceback and the error it was raised from.

    A skipped record's error is kept for the run's report; its traceback would keep the frames
    of the reading alive with it, and their locals: the bytes of the whole file being read.
    """
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None
    return exc


def _why_kept(best: Article, other: Article, links: LinkInfo | None) -> str:
    b, o = keep_rank(best, links), keep_rank(other, links)
    if b[0] != o[0]:
        return "it is the newer one"
    if b[1] != o[1]:
        return "it has more fields"
    if b[2] != o[2]:
        return "it is a file, the other a symbolic link"
    return "it comes first in path order"


def read_corpus(path: Any, *, cache: bool | str | os.PathLike = True, full_related: bool = False,
                config: CorpusConfig | None = None, known: Known | None = None,
                keep: Callable[[Article], Any] | None = None) -> Corpus:
    """Loads a whole corpus; bad records are skipped and reported, never fatal.

    Args:
        path: a folder (every file below it that ``config`` takes: ``.md``, ``.markdown`` and
            ``.html`` by default, hidden ones and ``_site/`` excepted), a
            ``.json`` file (one record or a list), a ``.jsonl`` file (one record a line), one
            record file, or an iterable of records (Articles, dicts, paths).
        cache: for folders: ``True`` keeps parsed records in
            ``$RELATE_CACHE_DIR/records-<sha1 of the folder>.json`` (default folder
            ``~/.cache/relate``) and re-parses only files whose size, mtime, ctime or inode
            changed; a path chooses the file; ``False`` turns it off.
        full_related: also build the full ``related`` dicts (slower, and never cached). When
            ``False``, :attr:`Article.related` is ``None`` and :attr:`Article.related_urls` holds
            the URLs; the related block is still checked.
        config: the ``corpus`` settings: which files are records, and the address of a
            record with no URL (``None``: the defaults; see :class:`relate.config.CorpusConfig`).
        known: for a ``.jsonl`` file: the ``(row, id)`` a caller holds for a line's digest
            (:attr:`Corpus.sources`), or ``None``; such lines are not parsed (an
            :class:`~relate.corpus.jsonl.Unchanged` stands for each, unless another record has
            its id: then both are parsed for the duplicate rule). A workspace's
            :meth:`relate.engine.Engine.known_lines` is one.
        keep: for a ``.jsonl`` file: what to keep of each record, made as the record is read;
            the record itself is let go at once (:attr:`Corpus.articles` holds a
            :class:`~relate.corpus.jsonl.Kept` for it), so that the memory of one is reused
            by the next and no run holds every record whole.

    Raises:
        FileNotFoundError: ``path`` does not exist.

    Example:
        >>> corpus = read_corpus("../shared/corpora/azure")
        >>> corpus.summary()["reasons"]
        {'duplicate-id': 15}
    """
    start = time.perf_counter()
    config = config or CorpusConfig()
    links = LinkInfo()
    stats: dict[str, Any] = {"files": 0, "parsed": 0, "cached": 0, "cache": None}
    sources: list[int] = []
    if not isinstance(path, (str, os.PathLike)):
        items: list[Article | RecordError] = []
        for x in path:
            try:
                items.append(as_article(x))
            except RecordError as exc:
                items.append(exc)
        stats["files"] = stats["parsed"] = len(items)
        root = None
    else:
        p = Path(path)
        root = str(path)
        if p.is_dir():
            items = _read_folder(p, cache, full_related, stats, config, links)
        elif p.exists():
            if p.suffix.lower() == ".jsonl":
                items, sources = _read_lines(p, None if full_related else known, stats,
                                             None if full_related else keep)
            else:
                if p.suffix.lower() in JSON_SUFFIXES:
                    items = list(json_records(read_bytes(p), p))
                else:
                    try:
                        items = [article_from_bytes(read_bytes(p), root, full_related)]
                    except RecordError as exc:
                        items = [exc]
                stats["files"], stats["parsed"] = 1, len(items)
        else:
            raise FileNotFoundError(errno.ENOENT, "corpus not found (give a folder of .md files, "
                                    "a .json or a .jsonl file)", root)
    stats["seconds"] = time.perf_counter() - start
    corpus = _assemble(items, root, stats, links)
    if sources:                        # the kept records' line digests, by id
        kept = {id(a) for a in corpus.articles}
        corpus.sources = {x.id: d for x, d in zip(items, sources) if id(x) in kept}
    return corpus


def line_salt(path: str | os.PathLike) -> bytes:
    """The key of the line digests of a ``.jsonl`` file: its absolute path and the code that parses it."""
    return hashlib.sha1(f"{code_version()}\0{os.path.abspath(path)}".encode("utf-8", "surrogateescape")).digest()


def _read_lines(p: Path, known: Known | None, stats: dict[str, Any],
                keep: Callable[[Article], Any] | None = None) -> tuple[list[Any], list[int]]:
    """The items of a ``.jsonl`` file and their lines' digests; an unchanged line whose id
    another record also has is parsed after all, so that the duplicate rule sees both.
    ``keep``: each record :class:`Kept` as it is read."""
    data = read_bytes(p)
    items, sources = [], []
    for item, digest in jsonl_items(data, p, known, line_salt(p)):
        items.append(Kept.of(item, keep) if keep is not None and type(item) is Article else item)
        sources.append(digest)
    if known is not None:
        ids = Counter(x.id for x in items if not isinstance(x, RecordError))
        for i, x in enumerate(items):
            if isinstance(x, Unchanged) and ids[x.id] > 1:
                item = parse_line(data[x.start:x.end], p, x.line, x.start)
                items[i] = Kept.of(item, keep) if keep is not None and type(item) is Article else item
    unchanged = sum(isinstance(x, Unchanged) for x in items)
    stats.update(files=1, parsed=len(items) - unchanged, unchanged=unchanged)
    return items, sources


def _read_folder(root: Path, cache: Any, full_related: bool, stats: dict[str, Any],
                 config: CorpusConfig, links: LinkInfo) -> list[Article | RecordError]:
    errors: list[RecordError] = []
    files = walk(root, FileRules.from_config(config), errors, links)
    template = config.url_template
    store = None if full_related or cache is False or cache is None else RecordCache(root, cache)
    stats["files"] = len(files)
    stats["cache"] = None if store is None else str(store.file)
    items: list[Article | RecordError] = list(errors)
    root_s = str(root)
    for rel, entry in files:
        full = os.path.join(root_s, rel)
        try:
            st = entry.stat()
        except OSError as exc:
            items.append(record_error("unreadable", f"cannot read the file: {exc.strerror}", full))
            continue
        sig = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
        hit = store.get(rel, sig, full) if store is not None else None
        if hit is not None:
            item: Article | RecordError = hit
            stats["cached"] += 1
        else:
            try:
                item = article_from_bytes(read_bytes(full), full, full_related, no_url=True)
            except RecordError as exc:
                item = exc
            stats["parsed"] += 1
            if store is not None:
                store.put(rel, sig, item)
        items.append(_with_address(item, rel, template))
    if store is not None:
        store.save({rel for rel, _ in files})
    return items


def _with_address(item: Article | RecordError, rel: str, template: str | None) -> Article | RecordError:
    """A record with neither URL gets its address from its path (``corpus.url_template``), or is skipped."""
    if isinstance(item, RecordError) or item.web_url or item.original_url:
        return item
    if not template:
        return record_error("missing-url", "the record has neither webUrl nor originalUrl; one is needed "
                            "to identify it (or set corpus.url_template to make an address from its path)",
                            item.path, "webUrl")
    item.address = address_from_path(template, rel)
    return item


def as_articles(x: Any) -> list[Article]:
    """The Articles of a corpus given any way: the one "anything into a list of Articles" helper.

    Args:
        x: a folder or a corpus file (read with :func:`read_corpus`; its bad records are
            skipped), a :class:`Corpus` or anything else with an ``articles`` list or mapping
            (an engine), a mapping of Articles (values are used), or an iterable of records
            (Articles, record dicts, paths to record files; see :func:`~relate.corpus.as_article`).

    Returns:
        A new list; Articles given as such are the same objects.

    Raises:
        RecordError: a record of an iterable is not valid (a folder's bad records are skipped).
        TypeError: an item is not a record.
        FileNotFoundError: the path does not exist.

    Example:
        >>> [a.title for a in as_articles([{"title": "A", "webUrl": "https://e.com/a"}])]
        ['A']
    """
    if isinstance(x, (str, os.PathLike)):
        x = read_corpus(x)
    items = getattr(x, "articles", x)
    if isinstance(items, Mapping):
        items = items.values()
    return [a if isinstance(a, Article) else as_article(a) for a in items]
