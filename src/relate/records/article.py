"""The article record: the :class:`Article` dataclass and the field lists of its shape.

Example:
    >>> a = Article(title="Hi", web_url="https://e.com/a")
    >>> a.id, a.related_entry()
    ('0b120bda9a8a8363', {'title': 'Hi', 'webUrl': 'https://e.com/a'})
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .times import format_time
from .urls import article_id

__all__ = ["ENTRY_URL_KEYS", "IMAGE_FIELDS", "MODELLED_FIELDS", "PROVIDER_FIELDS", "RELATED_FIELDS", "Article", "entry_url"]

#: Field order of a related entry, as in the seed.
RELATED_FIELDS = ("title", "excerpt", "publishedDateTime", "webUrl", "originalUrl", "ampWebUrl",
                  "cdnAmpWebUrl", "type", "provider", "quality", "images")
#: The keys an entry's address may sit under: ``webUrl``, else (a record with only that) ``originalUrl``.
ENTRY_URL_KEYS = ("webUrl", "originalUrl")
#: Fields of a ``provider`` mapping that :class:`Article` models, in the seed's order.
PROVIDER_FIELDS = ("name", "domain")
#: Fields of an image mapping in a related entry, in the seed's order.
IMAGE_FIELDS = ("url", "width", "height", "isCached", "title")

#: Top-level keys that :class:`Article` models; every other key goes to ``Article.extra``.
MODELLED_FIELDS = frozenset({"title", "excerpt", "publishedDateTime", "webUrl", "ampWebUrl",
                             "cdnAmpWebUrl", "originalUrl", "type", "provider", "quality", "heat",
                             "topics", "images", "related"})
# The seed's key order, used by Article.to_dict for keys whose place is not known.
_SEED_ORDER = ("category", "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl",
               "ampWebUrl", "cdnAmpWebUrl", "type", "quality", "heat", "published", "provider",
               "topics", "images", "related", "secured")


@dataclass(slots=True)
class Article:
    """One article record.

    Attributes:
        title: the headline.
        web_url: the canonical address (``webUrl``); ``None`` when only ``originalUrl`` is known.
        excerpt: the summary text as stored (may hold HTML entities or line breaks).
        published_at: publish time, timezone-aware (``publishedDateTime``; a time without a
            zone counts as UTC).
        amp_web_url: ``ampWebUrl``.
        cdn_amp_web_url: ``cdnAmpWebUrl``.
        original_url: ``originalUrl``.
        type: ``type`` (usually ``article``).
        provider_name: ``provider.name``.
        provider_domain: ``provider.domain``.
        quality: ``quality`` as a number (``"56"`` reads as ``56``), ``None`` when absent.
        heat: ``heat`` as a number, ``None`` when absent.
        topics: ``topics``.
        images: ``images`` (list of dicts, as stored).
        related: the stored ``related:`` entries (dicts in the seed's shape, times as ``...Z``
            strings); ``None`` when the file has no block, or when a corpus was loaded without
            ``full_related``.
        related_urls: the ``webUrl`` of each stored related entry, in order (always filled).
        extra: every other front-matter field, as loaded (``category``, ``published``,
            ``secured``...).
        path: the file the record came from, if any.
        provider_extra: fields of ``provider`` other than name and domain (``images``...).
        key_order: the record's top-level keys in their order in the source.
        address: for a record with neither ``webUrl`` nor ``originalUrl`` read from a corpus
            folder: the address made from its path by ``corpus.url_template`` (its id derives
            from it); ``None`` otherwise.

    Example:
        >>> a = Article(title="Hi", web_url="https://e.com/a")
        >>> a.related_entry()
        {'title': 'Hi', 'webUrl': 'https://e.com/a'}
    """

    title: str
    web_url: str | None = None
    excerpt: str = ""
    published_at: datetime | None = None
    amp_web_url: str | None = None
    cdn_amp_web_url: str | None = None
    original_url: str | None = None
    type: str | None = None
    provider_name: str | None = None
    provider_domain: str | None = None
    quality: float | None = None
    heat: float | None = None
    topics: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    related: list[dict] | None = None
    related_urls: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    provider_extra: dict[str, Any] = field(default_factory=dict)
    key_order: tuple[str, ...] = field(default=(), repr=False, compare=False)
    address: str | None = None
    _id_memo: tuple[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def url(self) -> str:
        """The URL the id derives from: ``webUrl``, else ``originalUrl``, else :attr:`address`."""
        return self.web_url or self.original_url or self.address or ""

    @property
    def id(self) -> str:
        """Stable 16-hex-digit id derived from :attr:`url` (see :func:`article_id`)."""
        url = self.url
        memo = self._id_memo
        if memo is None or memo[0] != url:
            memo = self._id_memo = (url, article_id(url))
        return memo[1]

    @property
    def urls(self) -> list[str]:
        """Every address the article is known under."""
        return [u for u in (self.web_url, self.original_url, self.amp_web_url, self.cdn_amp_web_url) if u]

    def related_entry(self) -> dict[str, Any]:
        """This article as an entry of another article's ``related:`` list (the seed's shape).

        Absent fields are left out; the publish time is an ISO string ending in ``Z``. The
        address is under the key the record has it under: ``webUrl``, else ``originalUrl`` (no
        ``webUrl`` is made up for a record that has none); a record with neither gets its
        :attr:`address` (the site's own page, by ``corpus.url_template``) as ``webUrl``.

        Example:
            >>> Article(title="V", original_url="https://youtube.com/watch?v=1", type="video").related_entry()
            {'title': 'V', 'originalUrl': 'https://youtube.com/watch?v=1', 'type': 'video'}
        """
        return related_entry_of(self.title, self.excerpt, self.published_at, self.web_url, self.original_url,
                                self.address, self.amp_web_url, self.cdn_amp_web_url, self.type, self.provider_name,
                                self.provider_domain, self.quality, self.images)

    def to_dict(self) -> dict[str, Any]:
        """The record as a dict in the front-matter shape, keys in their source order.

        Fields the record did not have are left out; ``related`` is included when it was
        loaded. ``article_from_dict(a.to_dict())`` gives back an equal article.

        Example:
            >>> Article(title="Hi", web_url="https://e.com/a", quality=3).to_dict()
            {'title': 'Hi', 'webUrl': 'https://e.com/a', 'quality': 3}
        """
        values: dict[str, Any] = {}
        values["title"] = self.title
        if self.excerpt or "excerpt" in self.key_order:
            values["excerpt"] = self.excerpt
        if self.published_at is not None:
            values["publishedDateTime"] = format_time(self.published_at) if _is_utc(
                self.published_at) else self.published_at.isoformat()
        for key, value in (("originalUrl", self.original_url), ("webUrl", self.web_url),
                           ("ampWebUrl", self.amp_web_url),
                           ("cdnAmpWebUrl", self.cdn_amp_web_url), ("type", self.type),
                           ("quality", self.quality), ("heat", self.heat)):
            if value is not None:
                values[key] = value
        if self.provider_name is not None or self.provider_domain is not None or self.provider_extra:
            provider = {k: v for k, v in (("name", self.provider_name),
                                          ("domain", self.provider_domain)) if v is not None}
            provider.update(copy.deepcopy(self.provider_extra))
            values["provider"] = provider
        if self.topics or "topics" in self.key_order:
            values["topics"] = list(self.topics)
        if self.images or "images" in self.key_order:
            values["images"] = copy.deepcopy(self.images)
        if self.related is not None:
            values["related"] = copy.deepcopy(self.related)
        values.update(copy.deepcopy(self.extra))
        order = [k for k in self.key_order if k in values]
        seen = set(order)
        rest = sorted((k for k in values if k not in seen),
                      key=lambda k: _SEED_ORDER.index(k) if k in _SEED_ORDER else len(_SEED_ORDER))
        return {k: values[k] for k in order + rest}


def entry_url(entry: Any) -> str | None:
    """The address of a related entry: its ``webUrl``, else its ``originalUrl`` (``None``: neither).

    Example:
        >>> entry_url({"title": "V", "originalUrl": "https://y.com/v"})
        'https://y.com/v'
    """
    if not isinstance(entry, dict):
        return None
    for key in ENTRY_URL_KEYS:
        url = entry.get(key)
        if isinstance(url, str) and url.strip():
            return url
    return None


def _is_utc(t: datetime) -> bool:
    return t.utcoffset() is not None and not t.utcoffset()


def related_entry_of(title: str, excerpt: str | None, published_at: datetime | None, web_url: str | None,
                     original_url: str | None, address: str | None, amp_web_url: str | None,
                     cdn_amp_web_url: str | None, type: str | None, provider_name: str | None,
                     provider_domain: str | None, quality: float | None, images: list | None) -> dict[str, Any]:
    """:meth:`Article.related_entry` of an article with these fields (also made straight from a
    workspace line, without the article: :func:`relate.workspace.entry_from_line`)."""
    entry: dict[str, Any] = {"title": title}
    if excerpt:
        entry["excerpt"] = excerpt
    if published_at is not None:
        entry["publishedDateTime"] = format_time(published_at)
    if web_url or not original_url:
        entry["webUrl"] = web_url or original_url or address or ""
    else:
        entry["originalUrl"] = original_url
    if amp_web_url:
        entry["ampWebUrl"] = amp_web_url
    if cdn_amp_web_url:
        entry["cdnAmpWebUrl"] = cdn_amp_web_url
    if type:
        entry["type"] = type
    if provider_name or provider_domain:
        provider = {}
        if provider_name:
            provider["name"] = provider_name
        if provider_domain:
            provider["domain"] = provider_domain
        entry["provider"] = provider
    if quality is not None:
        entry["quality"] = int(quality) if float(quality).is_integer() else quality
    kept = [{k: v for k, v in img.items() if k in ("url", "width", "height", "isCached")}
            for img in images or () if isinstance(img, dict) and img.get("url")]
    if kept:
        entry["images"] = kept
    return entry
