"""Record validation: a front-matter mapping (or a record dict) into an Article, or a located RecordError.

Every check names the field at fault and, when the caller knows where each key sits in the
file (``key_line``), its line; ``error.code`` is a short machine-readable reason
(``missing-title``, ``bad-number``...; every code is listed in ``docs/records.md``).

Example:
    >>> build_article({"title": "Hi", "webUrl": "https://e.com/a", "quality": "56"}).quality
    56
    >>> build_article({"title": "Hi", "webUrl": "u", "quality": "high"}, "x.md", key_line={"quality": 4}.get)
    Traceback (most recent call last):
    ...
    relate.errors.RecordError: x.md:4: field 'quality': quality must be a number, not 'high'
"""
from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..errors import RecordError
from .article import MODELLED_FIELDS, PROVIDER_FIELDS, Article, entry_url
from .times import format_time, norm_entry_time, parse_time

__all__ = ["article_from_dict", "build_article", "check_related", "kind_of", "record_error"]

#: Finds the 1-based file line of a top-level key (``None``: unknown).
KeyLine = Callable[[str], "int | None"]
#: Finds the 1-based file line of the i-th related entry (``None``: unknown).
EntryLine = Callable[[int], "int | None"]
#: Builds a located error: ``err(code, reason, field=None, line=None)``.
ErrorMaker = Callable[..., RecordError]

#: A lone UTF-16 surrogate: what an escape such as ``\\ud800`` without its pair (JSON, YAML) or a
#: Python string can hold; it is not a character and cannot be encoded or written back.
_SURROGATE = re.compile("[\ud800-\udfff]")


def record_error(code: str, reason: str, path: Any = None, field: str | None = None,
                 line: int | None = None) -> RecordError:
    """A :class:`RecordError` with a short machine-readable ``code`` attribute.

    Example:
        >>> str(record_error("bad-number", "quality must be a number", "x.md", "quality", 4))
        "x.md:4: field 'quality': quality must be a number"
    """
    return RecordError(reason, None if path is None else str(path), field, line, code=code)


def kind_of(value: Any) -> str:
    """What a value is, in the words of the error messages (``a list``, ``empty``...).

    Example:
        >>> kind_of(None), kind_of([1]), kind_of({}), kind_of(3)
        ('empty', 'a list', 'a mapping', 'a single value (int)')
    """
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a single value ({type(value).__name__})"


def _number(value: Any) -> int | float | None:
    """A finite number from an int, a float or a numeric string; ``None`` when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        s = value.strip()
        if "_" in s:  # Python reads 1_000; a record should not
            return None
        try:
            value = int(s)
        except ValueError:
            try:
                value = float(s)
            except ValueError:
                return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def _characters(value: str, key: str, err: ErrorMaker) -> str:
    if _SURROGATE.search(value) is not None:
        raise err("bad-text", f"{key} holds a lone UTF-16 surrogate (an escape such as \\ud800 without "
                  "its pair), which is not a character", key)
    return value


def _text(value: Any, key: str, err: ErrorMaker) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _characters(value, key, err)
    if isinstance(value, (bool, dict, list)):
        raise err("bad-field", f"{key} must be text, not {kind_of(value)}; quote the value", key)
    return format_time(value) if isinstance(value, datetime) else str(value)


def _url(value: Any, key: str, err: ErrorMaker) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise err("bad-field", f"{key} must be a URL in quotes, not {kind_of(value)}", key)
    return _characters(value, key, err) if value.strip() else None


def check_related(entries: Any, err: ErrorMaker, entry_line: EntryLine | None = None) -> list[dict]:
    """Validates a related list and normalises its times (``...Z`` strings), in place.

    Args:
        entries: the ``related`` value as loaded (``None`` gives ``[]``).
        err: builds the error (see :func:`build_article`).
        entry_line: the file line of each entry, when known.

    Raises:
        RecordError: ``bad-related``: not a list, an entry that is not a mapping or has neither
            ``webUrl`` nor ``originalUrl``.
    """
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise err("bad-related", f"related must be a list of entries, not {kind_of(entries)}",
                  "related")
    out = []
    for i, entry in enumerate(entries):
        line = entry_line(i) if entry_line else None
        if not isinstance(entry, dict):
            raise err("bad-related", f"related entry {i + 1} is {kind_of(entry)}, not a mapping "
                      "with title and webUrl", f"related[{i}]", line)
        if entry_url(entry) is None:
            key = "webUrl" if "webUrl" in entry or "originalUrl" not in entry else "originalUrl"
            url = entry.get(key)
            what = ("has neither webUrl nor originalUrl" if url is None
                    else f"has a {key} that is not a URL ({url!r})")
            raise err("bad-related", f"related entry {i + 1} {what}; every entry needs one",
                      f"related[{i}].{key}", line)
        if "publishedDateTime" in entry:
            entry["publishedDateTime"] = norm_entry_time(entry["publishedDateTime"])
        out.append(entry)
    return out


def build_article(d: dict, path: Any = None, *, has_related: bool = False, related: Any = None,
                  related_urls: list[str] | None = None, key_order: tuple[str, ...] = (),
                  key_line: KeyLine | None = None, entry_line: EntryLine | None = None,
                  no_url: bool = False) -> Article:
    """Validates a front-matter mapping (without ``related``) and builds the Article.

    Args:
        d: the top-level mapping, without its ``related`` key (kept in :attr:`Article.extra`
            for every key :class:`Article` does not model; not copied).
        path: the record's file, for errors and :attr:`Article.path`.
        has_related: whether the record has a ``related`` key.
        related: its value: the raw value to check, or, when ``related_urls`` is given, the
            entries already read and checked (``None`` when they were not built).
        related_urls: the checked ``webUrl`` of each entry, when the block was already read.
        key_order: the record's top-level keys in their source order.
        key_line: the file line of a top-level key, for the errors' ``line``.
        entry_line: the file line of a related entry.
        no_url: accept a record with neither ``webUrl`` nor ``originalUrl`` (a corpus folder
            then gives it an :attr:`~Article.address` from its path, or skips it).

    Raises:
        RecordError: missing title or URL, a bad number, time, text field or related entry.
    """
    spath = None if path is None else str(path)

    def err(code: str, reason: str, key: str | None = None, line: int | None = None) -> RecordError:
        if line is None and key is not None and key_line is not None:
            line = key_line(key.split("[", 1)[0].split(".", 1)[0])
        return record_error(code, reason, spath, key, line)

    title = d.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        raise err("missing-title", "the record has no title" if title is None or "title" not in d
                  else "the title is empty", "title")
    title = _text(title, "title", err)
    web_url = _url(d.get("webUrl"), "webUrl", err)
    original_url = _url(d.get("originalUrl"), "originalUrl", err)
    if web_url is None and original_url is None and not no_url:
        raise err("missing-url", "the record has neither webUrl nor originalUrl; one is needed "
                  "to identify it", "webUrl")
    published = d.get("publishedDateTime")
    published_at = None
    if published is not None:
        published_at = parse_time(published)
        if published_at is None:
            raise err("bad-time", f"publishedDateTime {published!r} cannot be read as a time in UTC (years 1 to 9999); "
                      "write ISO 8601 such as 2020-06-27T01:21:00Z", "publishedDateTime")
    numbers = {}
    for key in ("quality", "heat"):
        value = d.get(key)
        if value is None:
            numbers[key] = None
            continue
        number = _number(value)
        if number is None:
            raise err("bad-number", f"{key} must be a number, not {value!r}", key)
        numbers[key] = number
    provider = d.get("provider")
    provider_name = provider_domain = None
    provider_extra: dict[str, Any] = {}
    if provider is not None:
        if not isinstance(provider, dict):
            raise err("bad-field", f"provider must be a mapping with name and domain, not "
                      f"{kind_of(provider)}", "provider")
        provider_name = _text(provider.get("name"), "provider.name", err)
        provider_domain = _text(provider.get("domain"), "provider.domain", err)
        provider_extra = {k: v for k, v in provider.items() if k not in PROVIDER_FIELDS}
    topics = d.get("topics")
    if topics is None:
        topics = []
    elif isinstance(topics, (str, int, float)) and not isinstance(topics, bool):
        topics = [str(topics)]
    elif isinstance(topics, list) and all(isinstance(t, (str, int, float)) and not isinstance(t, bool)
                                          for t in topics):
        topics = [str(t) for t in topics]
    else:
        raise err("bad-field", "topics must be a list of words", "topics")
    for i, topic in enumerate(topics):
        _characters(topic, f"topics[{i}]", err)
    images = d.get("images")
    if images is None:
        images = []
    elif not isinstance(images, list) or not all(isinstance(i, dict) for i in images):
        raise err("bad-field", "images must be a list of mappings (url, width, height)", "images")
    for i, image in enumerate(images):
        for k, v in image.items():
            if isinstance(v, str):
                _characters(v, f"images[{i}].{k}", err)
    if not has_related:
        entries, urls = None, []
    elif related_urls is not None:  # read by the fast reader: already checked
        entries, urls = related, related_urls
    else:
        entries = check_related(related, err, entry_line)
        urls = [entry_url(e) or "" for e in entries]
    extra = {k: v for k, v in d.items() if k not in MODELLED_FIELDS}
    return Article(
        title=title, web_url=web_url, excerpt=_text(d.get("excerpt"), "excerpt", err) or "",
        published_at=published_at, amp_web_url=_url(d.get("ampWebUrl"), "ampWebUrl", err),
        cdn_amp_web_url=_url(d.get("cdnAmpWebUrl"), "cdnAmpWebUrl", err),
        original_url=original_url, type=_text(d.get("type"), "type", err),
        provider_name=provider_name, provider_domain=provider_domain,
        quality=numbers["quality"], heat=numbers["heat"], topics=topics, images=images,
        related=entries, related_urls=list(urls), extra=extra, path=spath,
        provider_extra=provider_extra, key_order=key_order)


def article_from_dict(d: dict, path: Any = None) -> Article:
    """Builds an Article from a dict in the record shape, with the same checks as a file.

    The dict is not changed; the Article holds copies of its lists and mappings.

    Raises:
        RecordError: missing title or URL, bad quality or time, bad related entries...

    Example:
        >>> article_from_dict({"title": "Hi", "originalUrl": "https://e.com/a"}).url
        'https://e.com/a'
    """
    if not isinstance(d, dict):
        raise record_error("not-a-mapping", f"a record must be a mapping, not {kind_of(d)}", path)
    d = copy.deepcopy(d)
    order = tuple(d)
    has_related = "related" in d
    related = d.pop("related", None)
    return build_article(d, path, has_related=has_related, related=related, key_order=order)
