"""Related lists as the batch job writes and compares them: scores stripped, JSON made canonical.

Example:
    >>> strip_scores({"title": "A", "webUrl": "u", "score": 0.9})
    {'title': 'A', 'webUrl': 'u'}
    >>> same_list(None, [])
    True
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from ..records import format_time, url_key

#: Fields a related entry carries only for callers, never written to a record.
SCORE_FIELDS = ("score", "score_parts")


def strip_scores(entry: dict[str, Any]) -> dict[str, Any]:
    """A related entry without the caller-only ``score`` fields (a new dict)."""
    return {k: v for k, v in entry.items() if k not in SCORE_FIELDS}


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default`` for related entries: times in the ``Z`` form, numpy numbers as numbers."""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)


def canonical(entries: Any) -> str:
    """One JSON text per list content (keys sorted), to compare or digest lists."""
    return json.dumps(entries, ensure_ascii=False, sort_keys=True, default=json_default)


def stored_urls(article: Any) -> list[str]:
    """The webUrls of an article's stored related list, in order."""
    if article.related is not None:
        return [e.get("webUrl") for e in article.related if isinstance(e, dict) and e.get("webUrl")]
    return list(article.related_urls or [])


def same_urls(old_urls: Sequence[str], new: list[dict[str, Any]]) -> bool:
    """Whether a stored list points at the same pages, in the same order, as ``new``."""
    return [url_key(u) for u in old_urls] == [url_key(e.get("webUrl") or "") for e in new]


def same_list(old: Any, new: list[dict[str, Any]]) -> bool:
    """Whether a stored related list (as loaded from a file) holds the same entries as ``new``.

    ``None`` (no list at all) equals an empty list; dates compare by their ``Z`` form.
    """
    old = old or []
    if len(old) != len(new):
        return False
    return canonical(list(old)) == canonical([strip_scores(e) for e in new])
