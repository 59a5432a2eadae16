"""Corpora: walk a folder (or read a JSON file) into a :class:`Corpus`, skipping bad records with why.

Example:
    >>> corpus = read_corpus([{"title": "A", "webUrl": "https://e.com/a"}, {"title": "B"}])
    >>> [a.title for a in corpus], corpus.summary()["reasons"]
    (['A'], {'missing-url': 1})
"""
from __future__ import annotations

import errno
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RecordError
from ..records import Article, record_error
from .cache import RecordCache
from .jsonl import JSON_SUFFIXES, json_records
from .read import article_from_bytes, as_article, read_bytes

__all__ = ["RECORD_SUFFIXES", "Corpus", "as_articles", "read_corpus"]

logger = logging.getLogger(__name__)

#: File name endings read as front-matter records inside a corpus folder.
RECORD_SUFFIXES = (".md", ".markdown")


@dataclass
class Corpus:
    """The records of a corpus, and those that were skipped, with why.

    Attributes:
        articles: the good records, sorted by path for folders, in file order for ``.jsonl``;
            of several records with the same id only the first is here.
        skipped: one :class:`RecordError` per bad record or duplicate id; ``error.code`` is a
            short reason (``invalid-yaml``, ``duplicate-id``...; see ``docs/records.md``).
        root: the folder or file the corpus came from.
        stats: how the load went: ``files``, ``parsed``, ``cached``, ``seconds``, ``cache``.

    Example:
        >>> corpus = read_corpus("../shared/corpora/azure")
        >>> len(corpus), corpus.summary()["skipped"]
        (4943, 15)
    """

    articles: list[Article] = field(default_factory=list)
    skipped: list[RecordError] = field(default_factory=list)
    root: str | None = None
    stats: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.articles)

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def summary(self) -> dict[str, Any]:
        """Counts: ``{"articles": n, "skipped": m, "reasons": {code: count}}``."""
        reasons = Counter(getattr(e, "code", None) or "error" for e in self.skipped)
        return {"articles": len(self.articles), "skipped": len(self.skipped),
                "reasons": dict(reasons.most_common())}


def _assemble(items: Iterable[Article | RecordError], root: str | None,
              stats: dict[str, Any]) -> Corpus:
    articles: list[Article] = []
    skipped: list[RecordError] = []
    seen: dict[str, Article] = {}
    for item in items:
        if isinstance(item, RecordError):
            skipped.append(item)
            logger.debug("skipped %s", item)
            continue
        first = seen.get(item.id)
        if first is not None:
            key = "webUrl" if item.web_url else "originalUrl"
            skipped.append(record_error(
                "duplicate-id", f"same id {item.id} as {first.path or 'an earlier record'} "
                f"({key} {item.url}); the first one was kept", item.path, key))
            continue
        seen[item.id] = item
        articles.append(item)
    corpus = Corpus(articles, skipped, root, stats)
    logger.info("read %d records from %s, skipped %d", len(articles), root, len(skipped))
    return corpus


def read_corpus(path: Any, *, cache: bool | str | os.PathLike = True,
                full_related: bool = False) -> Corpus:
    """Loads a whole corpus; bad records are skipped and reported, never fatal.

    Args:
        path: a folder (every ``.md``/``.markdown`` file below it, hidden ones excepted), a
            ``.json`` file (one record or a list), a ``.jsonl`` file (one record a line), one
            record file, or an iterable of records (Articles, dicts, paths).
        cache: for folders: ``True`` keeps parsed records in
            ``$RELATE_CACHE_DIR/records-<sha1 of the folder>.json`` (default folder
            ``~/.cache/relate``) and re-parses only files whose size, mtime, ctime or inode
            changed; a path chooses the file; ``False`` turns it off.
        full_related: also build the full ``related`` dicts (slower, and never cached). When
            ``False``, :attr:`Article.related` is ``None`` and :attr:`Article.related_urls` holds
            the URLs; the related block is still checked.

    Raises:
        FileNotFoundError: ``path`` does not exist.

    Example:
        >>> corpus = read_corpus("../shared/corpora/azure")
        >>> corpus.summary()["reasons"]
        {'duplicate-id': 15}
    """
    start = time.perf_counter()
    stats: dict[str, Any] = {"files": 0, "parsed": 0, "cached": 0, "cache": None}
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
            items = _read_folder(p, cache, full_related, stats)
        elif p.exists():
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
    return _assemble(items, root, stats)


def _walk(root: Path, errors: list[RecordError]) -> list[tuple[str, os.DirEntry]]:
    """Record files below ``root`` (hidden files and folders skipped), sorted by relative path."""
    out = []
    stack = [""]
    while stack:
        rel = stack.pop()
        folder = os.path.join(root, rel) if rel else str(root)
        try:
            with os.scandir(folder) as it:
                for e in it:
                    if e.name.startswith("."):
                        continue
                    r = f"{rel}/{e.name}" if rel else e.name
                    if e.is_dir(follow_symlinks=False):
                        stack.append(r)
                    elif e.name.lower().endswith(RECORD_SUFFIXES) and e.is_file():
                        out.append((r, e))
        except OSError as exc:
            errors.append(record_error("unreadable", f"cannot list the folder: {exc.strerror}",
                                       folder))
    out.sort(key=lambda x: x[0])
    return out


def _read_folder(root: Path, cache: Any, full_related: bool,
                 stats: dict[str, Any]) -> list[Article | RecordError]:
    errors: list[RecordError] = []
    files = _walk(root, errors)
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
        if store is not None:
            hit = store.get(rel, sig, full)
            if hit is not None:
                items.append(hit)
                stats["cached"] += 1
                continue
        try:
            item: Article | RecordError = article_from_bytes(read_bytes(full), full, full_related)
        except RecordError as exc:
            item = exc
        stats["parsed"] += 1
        if store is not None:
            store.put(rel, sig, item)
        items.append(item)
    if store is not None:
        store.save({rel for rel, _ in files})
    return items


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
