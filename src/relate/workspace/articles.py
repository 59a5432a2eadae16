"""A workspace's articles as ``articles.jsonl`` lines: one JSON object a row, and back.

Example:
    >>> from relate.records import Article
    >>> [line] = article_lines([Article(title="Hi", web_url="https://e.com/a")])
    >>> line
    '{"title": "Hi", "web_url": "https://e.com/a"}'
    >>> article_from_line(line).title, entry_from_line(line)
    ('Hi', {'title': 'Hi', 'webUrl': 'https://e.com/a'})
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..records import Article, related_entry_of

#: Article fields kept in the workspace (all a related entry, a filter or the ranker needs).
_KEPT = ("title", "web_url", "excerpt", "amp_web_url", "cdn_amp_web_url", "original_url", "type",
         "provider_name", "provider_domain", "quality", "heat", "topics", "images", "path", "address")


def article_to_json(a: Article) -> dict[str, Any]:
    """The workspace's plain-data form of an article."""
    out = {k: v for k in _KEPT if (v := getattr(a, k)) not in (None, [], "")}
    if a.published_at is not None:
        out["published_at"] = a.published_at.isoformat()
    if a.extra.get("removed") is True:
        out["removed"] = True            # taken down by the site: never suggested
    return out


def article_from_json(d: dict[str, Any]) -> Article:
    """Inverse of :func:`article_to_json`."""
    d = dict(d)
    t = d.pop("published_at", None)
    if d.pop("removed", False):
        d["extra"] = {"removed": True}
    return Article(published_at=datetime.fromisoformat(t) if t else None, **d)


#: ``json.dumps(..., ensure_ascii=False, default=str)``, made once: every run writes (or
#: compares) a line per article.
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def article_lines(articles: list[Article]) -> list[str]:
    """The ``articles.jsonl`` lines of these articles."""
    encode = _LINE_ENCODER.encode
    return [encode(article_to_json(a)) for a in articles]


def article_from_line(line: str) -> Article:
    """The article of one ``articles.jsonl`` line."""
    return article_from_json(json.loads(line))


def entry_from_line(line: str) -> dict[str, Any]:
    """``article_from_line(line).related_entry()``, made from the line's fields without the article
    (a full run makes five for each of a million lists)."""
    d = json.loads(line)
    get = d.get
    t = get("published_at")
    return related_entry_of(d["title"], get("excerpt"), datetime.fromisoformat(t) if t else None, get("web_url"),
                            get("original_url"), get("address"), get("amp_web_url"), get("cdn_amp_web_url"),
                            get("type"), get("provider_name"), get("provider_domain"), get("quality"), get("images"))
