"""Related lists as the batch job writes and compares them: scores stripped, JSON made canonical.

Example:
    >>> strip_scores({"title": "A", "webUrl": "u", "score": 0.9})
    {'title': 'A', 'webUrl': 'u'}
    >>> same_list(None, [])
    True
    >>> cap_entry({"title": "one two three four", "webUrl": "u"}, title_chars=15)
    {'title': 'one two three…', 'webUrl': 'u'}
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from ..records import entry_url, format_time, url_key

#: Fields a related entry carries only for callers, never written to a record.
SCORE_FIELDS = ("score", "score_parts")


def strip_scores(entry: dict[str, Any]) -> dict[str, Any]:
    """A related entry without the caller-only ``score`` fields (a new dict)."""
    return {k: v for k, v in entry.items() if k not in SCORE_FIELDS}


def without_scores(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry itself when it has no ``score`` fields (the batch job's lists), else :func:`strip_scores`.

    For reading only: unlike :func:`strip_scores`, the result may be the same dict.
    """
    return strip_scores(entry) if any(k in entry for k in SCORE_FIELDS) else entry


def cap_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word where one is near, ending in ``…``."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"


def cap_entry(entry: dict[str, Any], title_chars: int = 300, excerpt_chars: int = 600) -> dict[str, Any]:
    """A related entry whose title and excerpt are at most that long (``corpus.entry_title_chars``...).

    The entry is returned as it is when nothing is too long, else a new dict; an excerpt cut
    to nothing (``excerpt_chars`` 0) is left out.
    """
    title, excerpt = entry.get("title"), entry.get("excerpt")
    long_title = isinstance(title, str) and len(title) > title_chars
    long_excerpt = isinstance(excerpt, str) and len(excerpt) > excerpt_chars
    if not (long_title or long_excerpt):
        return entry
    out = dict(entry)
    if long_title:
        out["title"] = cap_text(title, max(1, title_chars))
    if long_excerpt:
        out["excerpt"] = cap_text(excerpt, excerpt_chars)
        if not out["excerpt"]:
            del out["excerpt"]
    return out


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default`` for related entries: times in the ``Z`` form, numpy numbers as numbers."""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)


#: What :func:`canonical` encodes with: ``json.dumps(..., ensure_ascii=False, sort_keys=True,
#: default=json_default)`` made once, not once per list (a warm run digests every list).
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=json_default)


def canonical(entries: Any) -> str:
    """One JSON text per list content (keys sorted), to compare or digest lists."""
    return _CANONICAL.encode(entries)


def stored_urls(article: Any) -> list[str]:
    """The addresses (``webUrl``, else ``originalUrl``) of an article's stored related list, in order."""
    if article.related is not None:
        return [u for u in map(entry_url, article.related) if u]
    return list(article.related_urls or [])


def same_urls(old_urls: Sequence[str], new: list[dict[str, Any]]) -> bool:
    """Whether a stored list points at the same pages, in the same order, as ``new``."""
    return [url_key(u) for u in old_urls] == [url_key(entry_url(e) or "") for e in new]


def urls_digest(urls: Iterable[str]) -> bytes:
    """A 64-bit digest of the pages a list points at, in order (equal digests: :func:`same_urls`).

    Example:
        >>> urls_digest(["https://e.com/a/"]) == urls_digest(["http://www.e.com/a"])
        True
    """
    keys = json.dumps([url_key(u) for u in urls], ensure_ascii=False)
    return hashlib.blake2b(keys.encode("utf-8"), digest_size=8).digest()


def list_changed(target: Any, new: list[dict[str, Any]]) -> bool:
    """Whether ``new`` points at other pages than the target's stored list (a record or a :class:`ListTarget`)."""
    if isinstance(target, ListTarget):
        return target.related_digest != urls_digest(entry_url(e) or "" for e in new)
    return not same_urls(stored_urls(target), new)


def same_list(old: Any, new: list[dict[str, Any]]) -> bool:
    """Whether a stored related list (as loaded from a file) holds the same entries as ``new``.

    ``None`` (no list at all) equals an empty list; dates compare by their ``Z`` form.
    """
    old = old or []
    if len(old) != len(new):
        return False
    return canonical(list(old)) == canonical([without_scores(e) for e in new])


@dataclass(frozen=True, slots=True)
class ListTarget:
    """What writing one article's list needs: its id, address, file and the digest of its stored
    list's addresses (:func:`urls_digest`).

    A run that writes lists as they are ranked keeps these instead of the records themselves,
    so the records' text need not stay in memory (the engine reads its own rows); a million of
    them hold about 200 bytes each.
    """

    id: str
    url: str
    path: str | None
    related_digest: bytes
    related: None = None

    @classmethod
    def of(cls, article: Any) -> ListTarget:
        """The target of one record."""
        return cls(article.id, article.url, article.path, urls_digest(stored_urls(article)))
