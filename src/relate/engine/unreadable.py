"""Records whose file is still there but no longer reads: they keep their last good row.

An edit that breaks a record file (front matter left unclosed, a field of the wrong shape) makes
the corpus reader skip it and report it. Were its row dropped as a removed record's is, every
list showing it would lose it, and those files be rewritten, until the file is mended; so an
update keeps such a record's row, its article as it was last read, until the file reads again
or is deleted. Only one-record files count: a ``.json``/``.jsonl`` file's rows share its path, and
a record skipped as a duplicate of another (``duplicate-id``) is not lost.

Example:
    >>> from relate.errors import RecordError
    >>> from relate.records import Article
    >>> rows = [Article(title="A", web_url="https://e.com/a", path="a.md")]
    >>> broken = RecordError("unclosed front matter", "a.md", code="unclosed-front-matter")
    >>> [a.title for a in last_good_rows([broken], {rows[0].id: 0}, rows, [], exists=lambda p: True)]
    ['A']
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..corpus import JSON_SUFFIXES
from ..records import Article

__all__ = ["last_good_rows"]


def last_good_rows(skipped: Iterable[Any], row_of: Mapping[str, int], rows: Sequence[Article],
                   articles: Iterable[Any], exists: Callable[[str], bool] = os.path.isfile) -> list[Article]:
    """The rows' articles of the records in ``skipped`` whose file is still there, unless ``articles``
    (the corpus as read now) holds their id.

    Args:
        skipped: the corpus's :class:`~relate.errors.RecordError` of each record it skipped.
        row_of: live row of each indexed id.
        rows: each row's article.
        articles: the records read now (anything with an ``id``).
        exists: whether a path is a file (a test can stand in for the file system).
    """
    paths = {os.path.abspath(e.path) for e in skipped
             if e.path and getattr(e, "code", None) != "duplicate-id"
             and Path(e.path).suffix.lower() not in JSON_SUFFIXES and exists(e.path)}
    if not paths:
        return []
    present = {a.id for a in articles}
    kept = (rows[row] for aid, row in row_of.items() if aid not in present)
    return [a for a in kept if a.path and os.path.abspath(a.path) in paths]
