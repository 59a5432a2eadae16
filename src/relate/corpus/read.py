"""Reading one record: a file, the text of one, or anything that stands for one, into an Article.

Example:
    >>> a = parse_article('---\\ntitle: "Hi"\\nwebUrl: "https://e.com/a"\\n---\\n')
    >>> a.title, len(a.id)
    ('Hi', 16)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import RecordError
from ..frontmatter import parse
from ..records import Article, article_from_dict, build_article, record_error
from .jsonl import JSON_SUFFIXES, json_records

__all__ = ["article_from_bytes", "as_article", "parse_article", "read_article", "read_bytes"]


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of a record file.

    Raises:
        RecordError: ``unreadable``: the file cannot be opened or read.
    """
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise record_error("unreadable", f"cannot read the file: {exc.strerror or exc}",
                           path) from None


def article_from_bytes(data: bytes, path: Any = None, full_related: bool = True, no_url: bool = False) -> Article:
    """Reads one front-matter record from the bytes of its file.

    Args:
        data: the whole file.
        path: where the bytes came from, for errors and :attr:`Article.path`.
        full_related: build the ``related`` entries (else only :attr:`Article.related_urls`,
            when the fast reader applies).
        no_url: accept a record with neither ``webUrl`` nor ``originalUrl`` (see
            :func:`~relate.records.build_article`).

    Raises:
        RecordError: the bytes are not a valid record (see ``docs/records.md``).
    """
    fm = parse(data, path, full_related)
    return build_article(fm.data, path, has_related=fm.has_related, related=fm.related,
                         related_urls=fm.related_urls, key_order=fm.key_order, key_line=fm.key_line,
                         entry_line=fm.entry_line, no_url=no_url)


def parse_article(text: str, path: str | os.PathLike | None = None) -> Article:
    """Reads one record from the text of a front-matter file.

    Args:
        text: the whole file: ``---``, ``key: value`` lines, ``---``, then anything.
        path: where the text came from, for error messages and :attr:`Article.path`.

    Raises:
        RecordError: the text is not a valid record (see ``docs/records.md``).

    Example:
        >>> a = parse_article('---\\ntitle: "Hi"\\nwebUrl: "https://e.com/a"\\nquality: "56"\\n---\\n')
        >>> a.quality, a.related
        (56, None)
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise record_error("not-utf8", f"text holds a character UTF-8 cannot store "
                           f"({text[exc.start]!r})", path, None,
                           text.count("\n", 0, exc.start) + 1) from None
    return article_from_bytes(data, path)


def read_article(path: str | os.PathLike) -> Article:
    """Reads one record file: front matter (``.md``...), ``.json`` or one-line ``.jsonl``.

    The ``related:`` list is read in full (:attr:`Article.related`).

    Raises:
        RecordError: the file cannot be read or is not a valid record; the error names the
            file, and the line or field where one applies.

    Example:
        >>> a = read_article("../shared/seed/000_33c2295afe8b2691.txt")
        >>> a.provider_name, len(a.related)
        ('Daily Mail', 3)
    """
    p = Path(path)
    if p.suffix.lower() in JSON_SUFFIXES:
        items = list(json_records(read_bytes(p), p))
        if len(items) != 1:
            raise record_error("not-one-record", f"the file holds {len(items)} records; "
                               "read_article reads one (use read_corpus)", path)
        if isinstance(items[0], RecordError):
            raise items[0]
        return items[0]
    return article_from_bytes(read_bytes(path), path)


def as_article(x: Any) -> Article:
    """An Article from an Article (returned as is), a record dict or a path to a record file.

    This is the one place that turns "anything standing for a record" into an Article;
    :func:`relate.corpus.as_articles` does the same for a whole corpus.

    Raises:
        RecordError: the dict or file is not a valid record.
        TypeError: ``x`` is none of these.

    Example:
        >>> as_article({"title": "Hi", "webUrl": "https://e.com/a"}).title
        'Hi'
    """
    if isinstance(x, Article):
        return x
    if isinstance(x, dict):
        return article_from_dict(x)
    if isinstance(x, (str, os.PathLike)):
        return read_article(x)
    raise TypeError(f"expected an Article, a record dict or a path, got {type(x).__name__}")
