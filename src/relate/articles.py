"""Article records: read, validate and write the news front-matter format.

A record is a Markdown file whose YAML front matter (between ``---`` lines) holds the
article's fields, as in ``../shared/seed``. relate reads such files (or ``.json`` /
``.jsonl`` files, or plain dicts) into :class:`Article` objects that keep every field they
do not model, and writes ``related:`` lists back changing nothing else in the file.
``docs/records.md`` describes the format and every error.

Example:
    >>> from relate.articles import parse_article
    >>> a = parse_article('---\\ntitle: "Hi"\\nwebUrl: "https://e.com/a"\\n---\\n')
    >>> a.title, len(a.id)
    ('Hi', 16)
"""
from __future__ import annotations

import copy
import errno
import functools
import hashlib
import json
import logging
import math
import os
import re
import stat as stat_mod
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import unquote, urlsplit

import yaml

from . import frontmatter as fm
from .errors import RecordError
from .fileio import atomic_open
from .frontmatter import (IMAGE_FIELDS, MAX_FRONT_MATTER, PROVIDER_FIELDS, RELATED_FIELDS,
                          format_time, parse_time, record_error, render_related)

__all__ = [
    "MAX_FRONT_MATTER", "RELATED_FIELDS", "Article", "Corpus", "article_from_dict", "article_id",
    "as_article", "corpus_fingerprint", "default_cache_file", "format_time", "parse_article",
    "parse_time",
    "read_article", "read_corpus", "render_related", "replace_related", "url_key",
    "url_variants", "write_related",
]

logger = logging.getLogger(__name__)

#: File name endings read as front-matter records inside a corpus folder.
RECORD_SUFFIXES = (".md", ".markdown")

# Top-level keys that Article models; every other key goes to ``extra``.
_MODELLED = frozenset({"title", "excerpt", "publishedDateTime", "webUrl", "ampWebUrl",
                       "cdnAmpWebUrl", "originalUrl", "type", "provider", "quality", "heat",
                       "topics", "images", "related"})
# The seed's key order, used by Article.to_dict for keys whose place is not known.
_SEED_ORDER = ("category", "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl",
               "ampWebUrl", "cdnAmpWebUrl", "type", "quality", "heat", "published", "provider",
               "topics", "images", "related", "secured")


@dataclass
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

    @property
    def url(self) -> str:
        """The URL the id derives from: ``webUrl``, else ``originalUrl``."""
        return self.web_url or self.original_url or ""

    @property
    def id(self) -> str:
        """Stable 16-hex-digit id derived from :attr:`url` (see :func:`article_id`)."""
        url = self.url
        memo = self.__dict__.get("_id_memo")
        if memo is None or memo[0] != url:
            memo = (url, article_id(url))
            self.__dict__["_id_memo"] = memo
        return memo[1]

    @property
    def urls(self) -> list[str]:
        """Every address the article is known under."""
        return [u for u in (self.web_url, self.original_url, self.amp_web_url, self.cdn_amp_web_url) if u]

    def related_entry(self) -> dict[str, Any]:
        """This article as an entry of another article's ``related:`` list (the seed's shape).

        Absent fields are left out; the publish time is an ISO string ending in ``Z``.
        """
        entry: dict[str, Any] = {"title": self.title}
        if self.excerpt:
            entry["excerpt"] = self.excerpt
        if self.published_at is not None:
            entry["publishedDateTime"] = format_time(self.published_at)
        entry["webUrl"] = self.url
        if self.amp_web_url:
            entry["ampWebUrl"] = self.amp_web_url
        if self.cdn_amp_web_url:
            entry["cdnAmpWebUrl"] = self.cdn_amp_web_url
        if self.type:
            entry["type"] = self.type
        if self.provider_name or self.provider_domain:
            provider = {}
            if self.provider_name:
                provider["name"] = self.provider_name
            if self.provider_domain:
                provider["domain"] = self.provider_domain
            entry["provider"] = provider
        if self.quality is not None:
            entry["quality"] = int(self.quality) if float(self.quality).is_integer() else self.quality
        images = [{k: v for k, v in img.items() if k in ("url", "width", "height", "isCached")}
                  for img in self.images if isinstance(img, dict) and img.get("url")]
        if images:
            entry["images"] = images
        return entry

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


def _is_utc(t: datetime) -> bool:
    return t.utcoffset() is not None and not t.utcoffset()


# --------------------------------------------------------------------------- validation

_MISSING = object()


def _kind(value: Any) -> str:
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


def _text(value: Any, key: str, err: Callable[..., RecordError]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise err("bad-field", f"{key} must be text, not {_kind(value)}; quote the value", key)
    return format_time(value) if isinstance(value, datetime) else str(value)


def _url(value: Any, key: str, err: Callable[..., RecordError]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise err("bad-field", f"{key} must be a URL in quotes, not {_kind(value)}", key)
    return value if value.strip() else None


def _check_related(entries: Any, err: Callable[..., RecordError],
                   entry_line: Callable[[int], int | None] | None = None) -> list[dict]:
    """Validates a related list and normalises its times (``...Z`` strings)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise err("bad-related", f"related must be a list of entries, not {_kind(entries)}",
                  "related")
    out = []
    for i, entry in enumerate(entries):
        line = entry_line(i) if entry_line else None
        if not isinstance(entry, dict):
            raise err("bad-related", f"related entry {i + 1} is {_kind(entry)}, not a mapping "
                      "with title and webUrl", f"related[{i}]", line)
        url = entry.get("webUrl")
        if not isinstance(url, str) or not url.strip():
            what = "has no webUrl" if url is None else f"has a webUrl that is not a URL ({url!r})"
            raise err("bad-related", f"related entry {i + 1} {what}; every entry needs one",
                      f"related[{i}].webUrl", line)
        if "publishedDateTime" in entry:
            entry["publishedDateTime"] = fm.norm_entry_time(entry["publishedDateTime"])
        out.append(entry)
    return out


def _build(d: dict, path: Any, related: Any, related_urls: list[str] | None,
           line_of: Callable[[str], int | None], key_order: tuple[str, ...],
           entry_line: Callable[[int], int | None] | None = None) -> Article:
    """Validates a front-matter mapping (without ``related``) and builds the Article.

    ``related`` is the raw related value (``_MISSING`` when the record has none, ``None`` when
    it was not parsed, in which case ``related_urls`` holds the checked URLs).
    """
    spath = None if path is None else str(path)

    def err(code: str, reason: str, key: str | None = None, line: int | None = None) -> RecordError:
        if line is None and key is not None:
            line = line_of(key.split("[", 1)[0].split(".", 1)[0])
        return record_error(code, reason, spath, key, line)

    title = d.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        raise err("missing-title", "the record has no title" if title is None or "title" not in d
                  else "the title is empty", "title")
    title = _text(title, "title", err)
    web_url = _url(d.get("webUrl"), "webUrl", err)
    original_url = _url(d.get("originalUrl"), "originalUrl", err)
    if web_url is None and original_url is None:
        raise err("missing-url", "the record has neither webUrl nor originalUrl; one is needed "
                  "to identify it", "webUrl")
    published = d.get("publishedDateTime")
    published_at = None
    if published is not None:
        published_at = parse_time(published)
        if published_at is None:
            raise err("bad-time", f"publishedDateTime {published!r} cannot be read as a time; "
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
                      f"{_kind(provider)}", "provider")
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
    images = d.get("images")
    if images is None:
        images = []
    elif not isinstance(images, list) or not all(isinstance(i, dict) for i in images):
        raise err("bad-field", "images must be a list of mappings (url, width, height)", "images")
    if related is _MISSING:
        entries, urls = None, []
    elif related_urls is not None:  # read by the fast reader: already checked
        entries, urls = related, related_urls
    else:
        entries = _check_related(related, err, entry_line)
        urls = [e["webUrl"] for e in entries]
    extra = {k: v for k, v in d.items() if k not in _MODELLED}
    return Article(
        title=title, web_url=web_url, excerpt=_text(d.get("excerpt"), "excerpt", err) or "",
        published_at=published_at, amp_web_url=_url(d.get("ampWebUrl"), "ampWebUrl", err),
        cdn_amp_web_url=_url(d.get("cdnAmpWebUrl"), "cdnAmpWebUrl", err),
        original_url=original_url, type=_text(d.get("type"), "type", err),
        provider_name=provider_name, provider_domain=provider_domain,
        quality=numbers["quality"], heat=numbers["heat"], topics=topics, images=images,
        related=entries, related_urls=list(urls), extra=extra, path=spath,
        provider_extra=provider_extra, key_order=key_order)


# --------------------------------------------------------------------------- front matter


@dataclass
class _Parsed:
    """A front matter read into data, with what writing needs."""

    data: dict
    related: Any            # _MISSING, None (not parsed: see urls) or the list
    urls: list[str] | None
    line_of: Callable[[str], int | None]
    key_order: tuple[str, ...]
    entry_line: Callable[[int], int | None] | None
    node: Any
    block: fm.Block | None  # known when the fast path found the block


def _key_lines(src: Any, line0: int) -> Callable[[str], int | None]:
    """Finds a top-level key's file line from a root node or a fast-path result."""
    def line_of(key: str) -> int | None:
        node = src.node if isinstance(src, fm.FastResult) else src
        if isinstance(node, yaml.MappingNode):
            for k, _ in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    line = k.start_mark.line
                    if isinstance(src, fm.FastResult) and 0 <= src.cut_line <= line:
                        line += src.cut_lines
                    return line + line0
        return None
    return line_of


def _not_a_mapping(data: Any, path: Any, line0: int) -> RecordError:
    what = "empty" if data is None else ("a list" if isinstance(data, list)
                                         else f"a single value ({type(data).__name__})")
    return record_error("not-a-mapping", f"front matter is {what}; it must be 'key: value' lines",
                        path, None, line0)


def _parse_front_matter(text: str, path: Any, line0: int, full_related: bool) -> _Parsed:
    """Front-matter text to data: the fast reader when it applies, else the strict YAML loader."""
    fast = None
    try:
        fast = fm.parse_fast(text, full_related)
    except (yaml.YAMLError, RecursionError, fm._NotFast):
        fast = None
    if fast is not None and isinstance(fast.data, dict):
        keys = list(fast.data)
        related: Any = _MISSING
        if fast.block is not None:
            at = sum(1 for k, _ in fast.node.value if k.start_mark.line < fast.cut_line)
            keys.insert(at, "related")
            related = fast.related
        return _Parsed(fast.data, related, fast.related_urls, _key_lines(fast, line0),
                       tuple(keys), None, fast.node, fast.block)
    try:
        node, data = fm.compose_and_load(text)
    except yaml.YAMLError as exc:
        raise fm.yaml_error(exc, text, path, line0) from None
    except RecursionError:
        raise record_error("invalid-yaml", "invalid YAML: nested too deeply", path) from None
    if not isinstance(data, dict):
        raise _not_a_mapping(data, path, line0)
    order = tuple(data)
    related = data.pop("related", _MISSING)
    entry_line = None
    if related is not _MISSING:
        rel_node = next(v for k, v in node.value if isinstance(k, yaml.ScalarNode)
                        and k.value == "related")

        def entry_line(i: int) -> int | None:
            if isinstance(rel_node, yaml.SequenceNode) and i < len(rel_node.value):
                return rel_node.value[i].start_mark.line + line0
            return rel_node.start_mark.line + line0
    return _Parsed(data, related, None, _key_lines(node, line0), order, entry_line, node, None)


def _article_from_bytes(data: bytes, path: Any, full_related: bool = True) -> Article:
    sp = fm.split_front_matter(data, path)
    parsed = _parse_front_matter(sp.text, path, sp.line0, full_related)
    return _build(parsed.data, path, parsed.related, parsed.urls, parsed.line_of, parsed.key_order,
                  parsed.entry_line)


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
    return _article_from_bytes(data, path)


def _read_bytes(path: str | os.PathLike) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise record_error("unreadable", f"cannot read the file: {exc.strerror or exc}",
                           path) from None


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
    suffix = Path(path).suffix.lower()
    if suffix in (".json", ".jsonl"):
        items = list(_json_records(Path(path)))
        if len(items) != 1:
            raise record_error("not-one-record", f"the file holds {len(items)} records; "
                               "read_article reads one (use read_corpus)", path)
        if isinstance(items[0], RecordError):
            raise items[0]
        return items[0]
    return _article_from_bytes(_read_bytes(path), path)


def article_from_dict(d: dict, path: str | os.PathLike | None = None) -> Article:
    """Builds an Article from a dict in the record shape, with the same checks as a file.

    The dict is not changed; the Article holds copies of its lists and mappings.

    Raises:
        RecordError: missing title or URL, bad quality or time, bad related entries...

    Example:
        >>> article_from_dict({"title": "Hi", "originalUrl": "https://e.com/a"}).url
        'https://e.com/a'
    """
    if not isinstance(d, dict):
        raise record_error("not-a-mapping", f"a record must be a mapping, not {_kind(d)}", path)
    d = copy.deepcopy(d)
    order = tuple(d)
    related = d.pop("related", _MISSING)
    return _build(d, path, related, None, lambda key: None, order)


def as_article(x: Any) -> Article:
    """An Article from an Article (returned as is), a record dict or a path to a record file.

    Raises:
        RecordError: the dict or file is not a valid record.
        TypeError: ``x`` is none of these.
    """
    if isinstance(x, Article):
        return x
    if isinstance(x, dict):
        return article_from_dict(x)
    if isinstance(x, (str, os.PathLike)):
        return read_article(x)
    raise TypeError(f"expected an Article, a record dict or a path, got {type(x).__name__}")


# --------------------------------------------------------------------------- JSON records


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _JsonDuplicate(k)
        out[k] = v
    return out


class _JsonDuplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_load(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_no_duplicates)


def _json_error(exc: ValueError, path: Any, line: int | None) -> RecordError:
    if isinstance(exc, _JsonDuplicate):
        return record_error("duplicate-key", f"duplicate key '{exc.key}'", path, exc.key, line)
    if isinstance(exc, json.JSONDecodeError):
        return record_error("invalid-json", f"invalid JSON: {exc.msg} (column {exc.colno})", path,
                            None, (line or 1) + exc.lineno - 1)
    return record_error("invalid-json", f"invalid JSON: {exc}", path, None, line)


def _from_json_value(value: Any, path: Any, line: int | None, where: str = "") -> Article:
    if not isinstance(value, dict):
        raise record_error("not-a-mapping", f"{where}a record must be a JSON object, not "
                           f"{_kind(value)}", path, None, line)
    try:
        return article_from_dict(value, path)
    except RecordError as exc:
        if line is None and not where:
            raise
        e = record_error(getattr(exc, "code", None) or "bad-field", where + exc.reason, path, exc.field, line)
        raise e from None


def _json_records(path: Path) -> Iterator[Article | RecordError]:
    """Records of a ``.json`` (one object or a list) or ``.jsonl`` file, errors in their place."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield record_error("not-utf8", f"bytes are not UTF-8 (byte 0x{data[exc.start]:02x} at "
                           f"offset {exc.start})", path, None, data.count(b"\n", 0, exc.start) + 1)
        return
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                value = _json_load(line)
                yield _from_json_value(value, path, n)
            except RecordError as exc:
                yield exc
            except ValueError as exc:
                yield _json_error(exc, path, n)
        return
    if not text.strip():
        yield record_error("empty-file", "the file is empty; a .json corpus holds one record "
                           "object or a list of them", path)
        return
    try:
        value = _json_load(text)
    except ValueError as exc:
        yield _json_error(exc, path, None)
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            try:
                yield _from_json_value(item, path, None, f"record {i + 1}: ")
            except RecordError as exc:
                yield exc
    else:
        try:
            yield _from_json_value(value, path, None)
        except RecordError as exc:
            yield exc


# --------------------------------------------------------------------------- corpus


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

    @property
    def by_id(self) -> dict[str, Article]:
        """The articles by :attr:`Article.id`."""
        return {a.id: a for a in self.articles}

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
            if p.suffix.lower() in (".json", ".jsonl"):
                items = list(_json_records(p))
            else:
                try:
                    items = [_article_from_bytes(_read_bytes(p), root, full_related)]
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
    store = None if full_related or cache is False or cache is None else _RecordCache(root, cache)
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
            item: Article | RecordError = _article_from_bytes(_read_bytes(full), full, full_related)
        except RecordError as exc:
            item = exc
        stats["parsed"] += 1
        if store is not None:
            store.put(rel, sig, item)
        items.append(item)
    if store is not None:
        store.save({rel for rel, _ in files})
    return items


# --------------------------------------------------------------------------- record cache

_TAG = "\x00relate"
_CACHE_FORMAT = 1
_RACY_NS = 2_000_000_000  # files changed this recently are not cached (same-tick rewrites)


class _Uncacheable(Exception):
    pass


def _enc(o: Any) -> Any:
    t = type(o)
    if o is None or t is str or t is int or t is float or t is bool:
        return o
    if t is list:
        return [_enc(x) for x in o]
    if t is dict:
        out = {}
        for k, v in o.items():
            if type(k) is not str or k == _TAG:
                raise _Uncacheable
            out[k] = _enc(v)
        return out
    if t is datetime:
        return {_TAG: "datetime", "v": o.isoformat()}
    if t is date:
        return {_TAG: "date", "v": o.isoformat()}
    raise _Uncacheable


def _dec(d: dict) -> Any:
    kind = d.get(_TAG)
    if kind is None:
        return d
    if kind == "datetime":
        return datetime.fromisoformat(d["v"])
    return date.fromisoformat(d["v"])


@functools.lru_cache(maxsize=None)
def _code_version() -> str:
    h = hashlib.sha1(str(_CACHE_FORMAT).encode())
    for mod in (__file__, fm.__file__):
        try:
            h.update(Path(mod).read_bytes())
        except OSError:
            pass
    return h.hexdigest()[:16]


def default_cache_file(root: str | os.PathLike) -> Path:
    """Where :func:`read_corpus` keeps its record cache for the folder ``root``.

    ``$RELATE_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/relate`` or ``~/.cache/relate``;
    the file is ``records-<sha1 of the folder's absolute path>.json``.
    """
    base = os.environ.get("RELATE_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = os.path.join(xdg, "relate") if xdg else os.path.join(os.path.expanduser("~"),
                                                                     ".cache", "relate")
    digest = hashlib.sha1(os.path.abspath(root).encode("utf-8", "surrogateescape")).hexdigest()
    return Path(base) / f"records-{digest}.json"


class _RecordCache:
    """Parsed records of one corpus folder, keyed by relative path, mtime, size, inode, ctime.

    Plain JSON (no pickle). The full related dicts are not kept, only their URLs, stored once
    in a table (``urls``) that rows point into. Rows are ``[mtime_ns, size, ino, ctime_ns,
    kind, ...]``: kind ``"a"`` an article (URL indexes), ``"e"`` an error; in memory, ``"A"``
    is an article parsed in this run (URL strings).
    """

    def __init__(self, root: Path, cache: Any) -> None:
        self.root = os.path.abspath(root)
        self.file = default_cache_file(root) if cache is True else Path(cache)
        self.version = _code_version()
        self.files: dict[str, list] = {}
        self.urls: list[str] = []
        self.dirty = False
        try:
            with open(self.file, encoding="utf-8") as fh:
                data = json.load(fh, object_hook=_dec)
            if (isinstance(data, dict) and data.get("version") == self.version
                    and data.get("root") == self.root and isinstance(data.get("files"), dict)
                    and isinstance(data.get("urls"), list)):
                self.files = data["files"]
                self.urls = data["urls"]
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.debug("ignoring record cache %s: %s", self.file, exc)

    def get(self, rel: str, sig: tuple, full: str) -> Article | RecordError | None:
        row = self.files.get(rel)
        if row is None or tuple(row[:4]) != sig:
            return None
        try:
            if row[4] == "e":
                return record_error(row[5], row[6], full, row[7], row[8])
            v = row[5]
            urls = self.urls
            related_urls = [urls[i] for i in v[14]] if row[4] == "a" else list(v[14])
            return Article(
                title=v[0], web_url=v[1], excerpt=v[2],
                published_at=datetime.fromisoformat(v[3]) if v[3] else None,
                amp_web_url=v[4], cdn_amp_web_url=v[5], original_url=v[6], type=v[7],
                provider_name=v[8], provider_domain=v[9], quality=v[10], heat=v[11],
                topics=v[12], images=v[13], related=None, related_urls=related_urls, extra=v[15],
                path=full, provider_extra=v[16], key_order=tuple(v[17]))
        except (IndexError, TypeError, ValueError):
            return None

    def put(self, rel: str, sig: tuple, item: Article | RecordError) -> None:
        if sig[0] > time.time_ns() - _RACY_NS:
            self.files.pop(rel, None)
            return
        if isinstance(item, RecordError):
            row = [*sig, "e", getattr(item, "code", None) or "error", item.reason, item.field, item.line]
        else:
            a = item
            try:
                row = [*sig, "A", [
                    a.title, a.web_url, a.excerpt,
                    a.published_at.isoformat() if a.published_at else None,
                    a.amp_web_url, a.cdn_amp_web_url, a.original_url, a.type, a.provider_name,
                    a.provider_domain, a.quality, a.heat, _enc(a.topics), _enc(a.images),
                    list(a.related_urls), _enc(a.extra), _enc(a.provider_extra),
                    _enc(list(a.key_order))]]
            except _Uncacheable:
                self.files.pop(rel, None)
                return
        self.files[rel] = row
        self.dirty = True

    def save(self, present: set[str]) -> None:
        gone = [rel for rel in self.files if rel not in present]
        for rel in gone:
            del self.files[rel]
        if not (self.dirty or gone):
            return
        table: dict[str, int] = {}
        old = self.urls
        files = {}
        for rel, row in self.files.items():
            if row[4] in ("a", "A"):
                v = list(row[5])
                urls = [old[i] for i in v[14]] if row[4] == "a" else v[14]
                v[14] = [table.setdefault(u, len(table)) for u in urls]
                row = [*row[:4], "a", v]
            files[rel] = row
        data = {"format": _CACHE_FORMAT, "version": self.version, "root": self.root,
                "urls": list(table), "files": files}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            _atomic_write(str(self.file), payload, 0o644, fsync=False)
        except (OSError, ValueError) as exc:
            logger.warning("cannot write the record cache %s: %s", self.file, exc)


# --------------------------------------------------------------------------- writing


def _named(exc: OSError, path: Any) -> OSError:
    """The same kind of OSError, naming the record file rather than a temporary file."""
    return OSError(exc.errno, f"cannot write {path}: {exc.strerror or exc}", str(path))


def _atomic_write(target: str, data: bytes, mode: int, before: os.stat_result | None = None,
                  path: Any = None, fsync: bool = True) -> None:
    """Writes ``data`` over ``target`` atomically (:func:`relate.fileio.atomic_open`).

    When ``before`` is given, the write is refused if ``target`` changed since that stat, and
    the new file keeps that stat's owner.
    """
    path = target if path is None else path

    def unchanged_since_read() -> None:
        if before is None:
            return
        try:
            now = os.stat(target)
        except FileNotFoundError:
            raise record_error("vanished", "the file was deleted while relate was writing "
                               "it; nothing was written", path) from None
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns):
            raise record_error("changed", "the file changed while relate was writing it; "
                               "nothing was written, run again", path)

    owner = None if before is None else (before.st_uid, before.st_gid)
    try:
        with atomic_open(target, "wb", file_mode=mode, fsync=fsync, before_replace=unchanged_since_read,
                         owner=owner) as fh:
            fh.write(data)
    except OSError as exc:
        raise _named(exc, path) from None


def _norm_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return fm.norm_entry_time(value)
    return value


def _expected_entries(entries: list[dict]) -> list[dict]:
    """What reading back the block that :func:`render_related` writes for ``entries`` gives."""
    out = []
    for e in entries:
        item: dict[str, Any] = {}
        for key in RELATED_FIELDS:
            v = e.get(key)
            if v is None:
                continue
            if key == "provider":
                sub = {k: _norm_value(v[k]) for k in PROVIDER_FIELDS if v.get(k) is not None}
                if sub:
                    item[key] = sub
            elif key == "images":
                imgs = [{k: _norm_value(img[k]) for k in IMAGE_FIELDS if img.get(k) is not None}
                        for img in v]
                imgs = [img for img in imgs if img]
                if imgs:
                    item[key] = imgs
            elif key == "publishedDateTime" and isinstance(v, str) and not fm._TS_Z.match(v):
                t = parse_time(v)
                item[key] = v if t is None else format_time(t)
            else:
                item[key] = _norm_value(v)
        out.append(item)
    return out


def replace_related(data: bytes, entries: Iterable[dict] | None,
                    path: str | os.PathLike | None = None) -> bytes:
    """The bytes of a record file with its ``related:`` block replaced by ``entries``.

    Only the block changes: every other byte stays as it was. A file without a block gets
    one before ``secured:`` (or at the end of the front matter); an empty list removes the
    block. The result is read back and checked before it is returned.

    Raises:
        RecordError: the file is not a valid front-matter file, or an entry cannot be written
            (no ``webUrl``, wrong shape).

    Example:
        >>> old = b'---\\ntitle: "A"\\nwebUrl: "https://e.com/a"\\n\\nsecured: "x"\\n---\\n'
        >>> print(replace_related(old, [{"title": "B", "webUrl": "https://e.com/b"}]).decode())
        ---
        title: "A"
        webUrl: "https://e.com/a"
        <BLANKLINE>
        related:
          - title: "B"
            webUrl: "https://e.com/b"
        <BLANKLINE>
        secured: "x"
        ---
        <BLANKLINE>
    """
    sp = fm.split_front_matter(data, path)
    parsed = _parse_front_matter(sp.text, path, sp.line0, False)
    block = parsed.block or fm.locate_block(sp.text, parsed.node, path, sp.line0)
    entries = list(entries or [])
    try:
        rendered = render_related(entries)
    except RecordError as exc:
        raise record_error(getattr(exc, "code", None) or "bad-related", exc.reason, path,
                           exc.field) from None
    if sp.newline != "\n":
        rendered = rendered.replace("\n", sp.newline)
    text = fm.replace_block(sp.text, block, rendered, sp.newline)
    if text == sp.text:
        return data
    new = data[:sp.start] + text.encode("utf-8") + data[sp.end:]
    check = _parse_front_matter(text, path, sp.line0, True)
    got = [] if check.related is _MISSING else check.related
    if check.block is None and got:  # read by the YAML loader: normalise like the fast reader
        got = [dict(e, publishedDateTime=fm.norm_entry_time(e["publishedDateTime"]))
               if isinstance(e, dict) and "publishedDateTime" in e else e for e in got]
    if got != _expected_entries(entries):
        raise record_error("write-check", "the new related list does not read back as written; "
                           "the file was left unchanged (please report this)", path, "related")
    return new


def write_related(path: str | os.PathLike, entries: Iterable[dict] | None) -> bool:
    """Writes a related list into a record file, changing nothing else in it.

    The block is rendered exactly in the seed's style (see :func:`render_related`). The write
    is atomic: a temporary file in the same folder, flushed to disk, then renamed over the
    file, keeping its mode; a crash leaves the old file or the new one. A symbolic link is
    followed (the link stays).

    Args:
        path: a front-matter record file.
        entries: related entries (dicts in the seed's shape, extra keys ignored); an empty
            list removes the block.

    Returns:
        ``True`` when the file changed, ``False`` when it already held exactly this block
        (the file is then not touched).

    Raises:
        RecordError: the file is not a valid record file, an entry cannot be written, or the
            file changed or vanished while writing.
        OSError: the file cannot be read or written (read-only, disk full...); the message
            names the file.

    Example:
        >>> write_related("news/2020-06-27-boston.md", engine.suggest(article))  # doctest: +SKIP
        True
    """
    if str(path).lower().endswith((".json", ".jsonl")):
        raise record_error("not-front-matter", "write_related writes front-matter record files; "
                           ".json and .jsonl corpora are rewritten whole (see docs/batch.md)", path)
    target = os.path.realpath(path)
    try:
        with open(target, "rb") as fh:
            before = os.fstat(fh.fileno())
            data = fh.read()
    except OSError as exc:
        raise OSError(exc.errno, f"cannot read {path}: {exc.strerror or exc}", str(path)) from None
    new = replace_related(data, entries, path)
    if new == data:
        return False
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, f"cannot write {path}: the file is read-only", str(path))
    _atomic_write(target, new, stat_mod.S_IMODE(before.st_mode), before, path)
    return True


def corpus_fingerprint(articles: Iterable[Article]) -> str:
    """A hash of the articles' ids and texts (title and excerpt), independent of their order.

    Example:
        >>> corpus_fingerprint([Article("A", "https://e.com/a")]) == corpus_fingerprint(
        ...     [Article("A", "https://e.com/a", path="elsewhere.md")])
        True
    """
    h = hashlib.sha1()
    for a in sorted(articles, key=lambda a: (a.id, a.title, a.excerpt)):
        h.update(f"{a.id}\x00{a.title}\x00{a.excerpt}\x01".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


# --------------------------------------------------------------------------- URLs and ids


_AMP_CDN = re.compile(r"^[^/]+\.cdn\.ampproject\.org/(?:[a-z]/)*(?:s/)?", re.I)


def url_key(url: str) -> str:
    """A normal form of a URL for comparing addresses.

    Scheme, ``www.``, percent-encoding, Unicode form, fragments and trailing slashes do
    not matter: ``https://www.x.com/a%2cb/`` and ``http://x.com/a,b`` give the same key.
    """
    u = unicodedata.normalize("NFC", unquote(url.strip()))
    parts = urlsplit(u if "://" in u else "//" + u)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    key = host + path
    if parts.query:
        key += "?" + parts.query
    return key


def url_variants(url: str) -> set[str]:
    """Keys under which the same page may appear: itself, its AMP forms and the AMP cache."""
    key = url_key(url)
    out = {key}
    m = _AMP_CDN.match(key)
    if m:
        key = key[m.end():]
        if key.startswith("www."):
            key = key[4:]
        out.add(key)
    no_amp = re.sub(r"/amp(?=/|$)", "", key)
    no_amp = re.sub(r"[?&]amp(=[^&]*)?$", "", no_amp).rstrip("/")
    out.add(no_amp)
    return out


def article_id(url: str) -> str:
    """Stable id of an article: the first 16 hex digits of SHA-1 of :func:`url_key`."""
    return hashlib.sha1(url_key(url).encode("utf-8")).hexdigest()[:16]
